"""``seedctl pii scan`` and ``seedctl pii verify`` against real databases with TERP's schema."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import JSON, Column, Integer, MetaData, Table, Text, text

from examples.terp.models import Base
from seedlib.config import resolve_settings
from seedlib.db import engine_for
from seedlib.mask import MaskingKey, MaskingSession, open_source, prepare_source
from tests.conftest import ROOT, Seedctl

DATA = ROOT / "examples" / "terp" / "data"
TABLES = ("clients", "supplier_profiles")


def load_masked(url: str) -> dict[str, int]:
    """Load the TERP customer list masked, the way a seed revision would (one session)."""
    settings = resolve_settings(env="development", database_url=url, environ={})
    session = MaskingSession(MaskingKey("integration-test-masking-key"))
    engine = engine_for(url)
    counts: dict[str, int] = {}
    try:
        prepared_all = {
            name: prepare_source(
                open_source(DATA / f"{name}.csv", Base.metadata.tables[name]),
                Base.metadata.tables[name],
                settings,
                session=session,
            )
            for name in TABLES
        }
        for prepared in prepared_all.values():
            assert prepared.masked is not None
            prepared.masked.reserve_originals()
        with engine.begin() as conn:
            for name, prepared in prepared_all.items():
                table = Base.metadata.tables[name]
                total = prepared.source.count()
                for start in range(0, total, 100):
                    conn.execute(table.insert(), prepared.source.rows(start, start + 100))
                counts[name] = total
                assert prepared.masked is not None
                assert all(v["values"] > 0 for v in prepared.masked.audit().values())
    finally:
        engine.dispose()
    return counts


def test_scan_suggests_pii_columns_and_exits_0(seedctl: Seedctl) -> None:
    result = seedctl("pii", "scan", "--json")
    assert result.exit_code == 0, result.stderr
    found = {(s["table"], s["column"]): s["kind"] for s in json.loads(result.stdout)}
    assert found[("clients", "email")] == "email"
    assert found[("clients", "phone")] == "phone"
    assert found[("clients", "business_name")] == "company_name"
    assert found[("supplier_profiles", "contact_name")] == "person_name"
    assert found[("supplier_profiles", "tax_id")] == "tax_id"
    assert found[("users", "email")] == "email"
    assert not any(table in {"orders", "batches", "lots"} for table, _ in found)
    table = seedctl("pii", "scan")
    assert table.exit_code == 0
    assert "business_name" in table.stdout


def test_scan_samples_values_of_a_loaded_database(seedctl: Seedctl) -> None:
    load_masked(seedctl.url)
    result = seedctl("pii", "scan", "--json", "--sample", "50")
    assert result.exit_code == 0, result.stderr
    by_column = {(s["table"], s["column"]): s for s in json.loads(result.stdout)}
    email = by_column[("supplier_profiles", "contact_email")]
    assert email["reason"] == "name and values"
    assert email["matched"] == email["sampled"] == 50
    # Tax ids (12-3456789) match the phone pattern too: the column's name decides.
    tax_id = by_column[("supplier_profiles", "tax_id")]
    assert (tax_id["kind"], tax_id["reason"]) == ("tax_id", "name")


def test_verify_passes_after_masking_and_fails_on_a_leak(seedctl: Seedctl) -> None:
    counts = load_masked(seedctl.url)
    assert counts["clients"] >= 200
    for name in TABLES:
        result = seedctl("pii", "verify", "--source", str(DATA / f"{name}.csv"), "--json")
        assert result.exit_code == 0, result.stdout + result.stderr
        report = json.loads(result.stdout)
        assert report["ok"] is True
        assert "email" in report["checked_columns"].values()
        assert sum(report["scanned_values"].values()) > 1000
    original = open_source(DATA / "clients.csv").rows(4, 5)[0]
    engine = engine_for(seedctl.url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE clients SET email = :e WHERE id = 5"), {"e": original["email"].upper()}
        )
        conn.execute(
            text("UPDATE supplier_profiles SET contact_phone = :p WHERE id = 1"),
            {"p": original["phone"]},
        )
    engine.dispose()
    leak = seedctl("pii", "verify", "--source", str(DATA / "clients.csv"), "--json")
    assert leak.exit_code == 7
    findings = json.loads(leak.stdout)["findings"]
    assert {(f["table"], f["column"], f["kind"], f["count"]) for f in findings} == {
        ("clients", "email", "email", 1),
        ("supplier_profiles", "contact_phone", "phone", 1),
    }
    assert original["email"] not in leak.stdout + leak.stderr  # findings never show values
    assert "2 original PII value(s) found" in leak.stderr


def test_verify_usage_errors_exit_2(seedctl: Seedctl, tmp_path: Path) -> None:
    missing = seedctl("pii", "verify", "--source", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2
    assert "does not exist" in missing.stderr
    url_without_table = seedctl("pii", "verify", "--source", seedctl.url)
    assert url_without_table.exit_code == 2
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"email,phone\na@b.com,1\nc@d.com\n")
    malformed = seedctl("pii", "verify", "--source", str(bad))
    assert malformed.exit_code == 7
    assert "bad.csv, line 3" in malformed.stderr


def test_verify_reads_a_database_source(seedctl: Seedctl, tmp_path: Path) -> None:
    load_masked(seedctl.url)
    sqlite_url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    source_engine = engine_for(sqlite_url)
    with source_engine.begin() as conn:
        conn.execute(text("CREATE TABLE crm (id INTEGER PRIMARY KEY, mail VARCHAR(255))"))
        conn.execute(text("INSERT INTO crm VALUES (1, 'someone@corp.example')"))
    source_engine.dispose()
    clean = seedctl(
        "pii", "verify", "--source", sqlite_url, "--table", "crm", "--column", "mail=email"
    )
    assert clean.exit_code == 0, clean.stderr
    assert "No original PII value found." in clean.stdout
    engine = engine_for(seedctl.url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE clients SET email = 'someone@corp.example' WHERE id = 7"))
    engine.dispose()
    found = seedctl(
        "pii", "verify", "--source", sqlite_url, "--table", "crm", "--column", "mail=email"
    )
    assert found.exit_code == 7
    assert "clients" in found.stdout


def test_verify_reads_json_columns_and_other_schemas(seedctl: Seedctl) -> None:
    original = open_source(DATA / "clients.csv").rows(2, 3)[0]
    metadata = MetaData()
    schema = "fix_pii_crm" if seedctl.url.startswith("postgresql") else None
    docs = Table(
        "fix_pii_docs",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("doc", JSON),
    )
    contacts = Table(
        "fix_pii_contacts", metadata, Column("id", Integer, primary_key=True), Column("mail", Text)
    )
    if schema:
        contacts.schema = schema
    engine = engine_for(seedctl.url)
    try:
        with engine.begin() as conn:
            if schema:
                conn.execute(text(f"CREATE SCHEMA {schema}"))
            metadata.create_all(conn)
            conn.execute(
                docs.insert(),
                [{"id": 1, "doc": {"contact": {"emails": ["x@y.example", original["email"]]}}}],
            )
            conn.execute(contacts.insert(), [{"id": 1, "mail": original["phone"]}])
        args = ("pii", "verify", "--source", str(DATA / "clients.csv"), "--json")
        found = seedctl(*args)
        assert found.exit_code == 7, found.stdout + found.stderr
        where = {(f["table"], f["column"], f["kind"]) for f in json.loads(found.stdout)["findings"]}
        assert ("fix_pii_docs", "doc", "email") in where
        if schema is None:
            return
        assert not any(t.startswith(schema) for t, _, _ in where)
        both = seedctl(*args, "--schema", "public", "--schema", schema)
        assert both.exit_code == 7
        where = {(f["table"], f["column"], f["kind"]) for f in json.loads(both.stdout)["findings"]}
        assert where == {
            ("public.fix_pii_docs", "doc", "email"),
            (f"{schema}.fix_pii_contacts", "mail", "phone"),
        }
    finally:
        with engine.begin() as conn:
            metadata.drop_all(conn)
            if schema:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema}"))
        engine.dispose()


def test_verify_refuses_a_column_the_source_does_not_have(seedctl: Seedctl) -> None:
    result = seedctl(
        "pii", "verify", "--source", str(DATA / "clients.csv"), "--column", "mail=email"
    )
    assert result.exit_code == 2
    message = [line for line in result.stderr.splitlines() if "mail" in line]
    assert len(message) == 1
    assert "the source has no column(s) mail" in message[0]


def test_verify_checks_a_column_that_is_half_placeholders(seedctl: Seedctl, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text(
        "id,ssn\n" + "".join(f"{i},{'n/a' if i % 2 else f'123-45-{6700 + i}'}\n" for i in range(40))
    )
    metadata = MetaData()
    people = Table(
        "fix_pii_people", metadata, Column("id", Integer, primary_key=True), Column("ssn", Text)
    )
    engine = engine_for(seedctl.url)
    try:
        with engine.begin() as conn:
            metadata.create_all(conn)
            conn.execute(
                people.insert(), [{"id": 1, "ssn": "n/a"}, {"id": 2, "ssn": "987-65-4320"}]
            )
        clean = seedctl("pii", "verify", "--source", str(source), "--json")
        assert clean.exit_code == 0, clean.stdout + clean.stderr
        assert json.loads(clean.stdout)["checked_columns"] == {"ssn": "tax_id"}
        with engine.begin() as conn:
            conn.execute(people.insert(), [{"id": 3, "ssn": "123-45-6710"}])
        leak = seedctl("pii", "verify", "--source", str(source), "--json")
        assert leak.exit_code == 7, leak.stdout + leak.stderr
        findings = json.loads(leak.stdout)["findings"]
        assert [(f["column"], f["kind"], f["count"]) for f in findings] == [("ssn", "tax_id", 1)]
    finally:
        with engine.begin() as conn:
            metadata.drop_all(conn)
        engine.dispose()
