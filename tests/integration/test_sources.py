"""Real data sources end to end: TERP's customer list (seed revision s004) loaded masked in
development, unmasked in authorised production, with foreign keys remapped; malformed sources
and unmasked PII stop the run before anything is written."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from examples.terp.models import Base
from seedlib import Source, TableSpec
from seedlib.config import database_name, resolve_settings
from seedlib.db import engine_for
from seedlib.engine import seed_tables
from seedlib.exceptions import UnmaskedPII
from seedlib.mask import SourceError, open_source, verify
from seedlib.track.ledger import ensure_bookkeeping
from tests.conftest import ROOT, Seedctl, migrate_app

DATA = ROOT / "examples" / "terp" / "data"
#: s001's generated clients have WHL codes; the customer list's codes are CL-nnnnn.
LISTED = "client_code LIKE 'CL-%'"


def read_csv(name: str) -> list[dict[str, str]]:
    with (DATA / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def listed_structure(url: str) -> tuple[dict[str, str | None], list[str]]:
    """Who referred whom, and each supplier profile's client, by client code."""
    referrals = dict(
        query(
            url,
            "SELECT a.client_code, b.client_code FROM clients a "
            f"LEFT JOIN clients b ON b.id = a.referred_by_id WHERE a.{LISTED}",
        )
    )
    suppliers = [
        r[0]
        for r in query(
            url,
            "SELECT c.client_code FROM supplier_profiles s JOIN clients c ON c.id = s.client_id "
            f"WHERE c.{LISTED} ORDER BY s.id",
        )
    ]
    return referrals, suppliers


def source_structure() -> tuple[dict[str, str | None], list[str]]:
    clients = read_csv("clients")
    code = {r["id"]: r["client_code"] for r in clients}
    referrals = {r["client_code"]: code.get(r["referred_by_id"]) for r in clients}
    return referrals, [code[r["client_id"]] for r in read_csv("supplier_profiles")]


def run_record_tables(url: str, revision: str) -> dict[str, dict[str, Any]]:
    runs = "seedlib.runs" if url.startswith("postgresql") else "seedlib_runs"
    found = query(url, f"SELECT tables FROM {runs} WHERE revision = '{revision}'")
    assert len(found) == 1
    return {t["table"]: t for t in json.loads(found[0][0])}


def logged(stderr: str, event: str) -> list[dict[str, Any]]:
    events = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return [e for e in events if e.get("event") == event]


def test_development_loads_masked_with_foreign_keys_remapped(
    seedctl: Seedctl, tmp_path: Path
) -> None:
    audit_file = tmp_path / "mask-audit.jsonl"
    up = seedctl("upgrade", "--audit-file", str(audit_file))
    assert up.exit_code == 0, up.stderr
    clients, suppliers = read_csv("clients"), read_csv("supplier_profiles")

    # Every source row landed, under new keys (s001's 100 clients took the first ones).
    assert query(seedctl.url, f"SELECT count(*) FROM clients WHERE {LISTED}") == [(len(clients),)]
    ids = {r[0] for r in query(seedctl.url, f"SELECT id FROM clients WHERE {LISTED}")}
    generated = {r[0] for r in query(seedctl.url, f"SELECT id FROM clients WHERE NOT {LISTED}")}
    assert len(generated) == 100
    assert min(ids) > max(generated)
    assert query(seedctl.url, "SELECT count(*) FROM supplier_profiles") == [(30 + len(suppliers),)]

    # No original PII value of either file reached the database.
    for name in ("clients", "supplier_profiles"):
        report = verify(open_source(DATA / f"{name}.csv"), seedctl.url)
        assert report.ok, report.findings
        assert "email" in report.checked_columns.values()
        assert sum(report.originals.values()) > len(clients if name == "clients" else suppliers)

    # Foreign keys point at the same rows as in the files (referrals, supplier's client).
    assert listed_structure(seedctl.url) == source_structure()
    assert sum(1 for v in source_structure()[0].values() if v) > 50

    # An email shared by a client and its supplier contact masks to one value in both tables.
    by_id = {r["id"]: r for r in clients}
    shared = sum(1 for s in suppliers if s["contact_email"] == by_id[s["client_id"]]["email"])
    assert shared > 20
    same = query(
        seedctl.url,
        "SELECT count(*) FROM supplier_profiles s JOIN clients c ON c.id = s.client_id "
        f"WHERE c.{LISTED} AND s.contact_email = c.email",
    )
    assert same == [(shared,)]
    emails = {r[0] for r in query(seedctl.url, f"SELECT email FROM clients WHERE {LISTED}")}
    assert len(emails) == len(clients)
    assert not emails & {r["email"] for r in clients}

    # The audit: logged, stored in the run record, appended to the audit file — no values.
    stored = run_record_tables(seedctl.url, "s004")
    assert stored["clients"]["masking"]["email"] == {
        "kind": "email",
        "strategy": "email",
        "values": len(clients),
    }
    assert stored["supplier_profiles"]["masking"]["tax_id"]["values"] == len(suppliers)
    assert stored["clients"]["rows"] == len(clients)
    assert stored["clients"]["omitted"] == 0
    records = [json.loads(line) for line in audit_file.read_text().splitlines()]
    assert len(records) == 1
    assert records[0]["revision"] == "s004"
    assert records[0]["skipped"] == []
    assert records[0]["tables"] == {
        "clients": stored["clients"]["masking"],
        "supplier_profiles": stored["supplier_profiles"]["masking"],
    }
    assert logged(up.stderr, "pii_masked")[0]["tables"] == records[0]["tables"]
    written = audit_file.read_text() + up.stderr
    for row in clients[:50]:
        assert row["email"] not in written
        assert row["business_name"] not in written


def test_pii_verify_cli_passes_after_upgrade(seedctl: Seedctl) -> None:
    assert seedctl("upgrade").exit_code == 0
    result = seedctl(
        "pii", "verify", "--source", str(DATA / "clients.csv"), "--table", "clients", "--json"
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["ok"] is True


def test_production_refused_without_authorisation_then_loads_unmasked(seedctl: Seedctl) -> None:
    refused = seedctl("upgrade", "--env", "production")
    assert refused.exit_code == 5, refused.stderr
    assert query(seedctl.url, "SELECT count(*) FROM clients") == [(0,)]
    half = seedctl("upgrade", "--env", "production", "--allow-production")
    assert half.exit_code == 5
    assert query(seedctl.url, "SELECT count(*) FROM clients") == [(0,)]

    allowed = seedctl(
        "upgrade",
        "--env",
        "production",
        "--allow-production",
        env={"SEEDLIB_ALLOW_PRODUCTION": database_name(seedctl.url)},
    )
    assert allowed.exit_code == 0, allowed.stderr
    clients = read_csv("clients")
    emails = {r[0] for r in query(seedctl.url, f"SELECT email FROM clients WHERE {LISTED}")}
    assert emails == {r["email"] for r in clients}
    tax_ids = {r[0] for r in query(seedctl.url, "SELECT tax_id FROM supplier_profiles")}
    assert {r["tax_id"] for r in read_csv("supplier_profiles")} <= tax_ids
    assert listed_structure(seedctl.url) == source_structure()
    assert not verify(open_source(DATA / "clients.csv"), seedctl.url).ok

    skipped = logged(allowed.stderr, "masking_skipped")
    assert {e["table"] for e in skipped} == {"clients", "supplier_profiles"}
    for event in skipped:
        assert event["revision"] == "s004"
        assert event["reason"] == "production authorised"
        assert event["authorised_by"]
        assert "email" in event["pii_columns"] or "contact_email" in event["pii_columns"]
    stored = run_record_tables(seedctl.url, "s004")
    assert stored["clients"]["masking"]["skipped"]["revision"] == "s004"
    assert stored["clients"]["masking"]["skipped"]["authorised_by"]
    record = logged(allowed.stderr, "pii_masked")[0]
    assert record["tables"] == {}
    assert len(record["skipped"]) == 2


def test_downgrade_removes_exactly_the_sourced_rows(seedctl: Seedctl) -> None:
    assert seedctl("upgrade").exit_code == 0
    before = query(seedctl.url, f"SELECT count(*) FROM clients WHERE NOT {LISTED}")
    engine = engine_for(seedctl.url)
    with engine.begin() as conn:  # the application adds a client of its own
        conn.execute(
            text(
                "INSERT INTO clients (id, client_code, business_name, email, phone, "
                "address_line1, city, state, postal_code, business_type, is_buyer, is_seller, "
                "credit_limit) VALUES (90000, 'APP-1', 'App Co', 'a@app.example', '1', 'x', "
                "'y', 'CA', '90000', 'RETAILER', true, false, 0)"
            )
        )
    engine.dispose()
    down = seedctl("downgrade", "s003", "--yes")
    assert down.exit_code == 0, down.stderr
    assert query(seedctl.url, f"SELECT count(*) FROM clients WHERE {LISTED}") == [(0,)]
    assert query(seedctl.url, "SELECT count(*) FROM supplier_profiles") == [(30,)]
    assert query(seedctl.url, "SELECT count(*) FROM clients WHERE client_code = 'APP-1'") == [(1,)]
    assert query(seedctl.url, f"SELECT count(*) FROM clients WHERE NOT {LISTED}") == [
        (before[0][0] + 1,)
    ]
    status = json.loads(seedctl("status", "--json").stdout)
    assert status["applied"] == ["s003"]


def dump_listed(url: str) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "clients": query(url, f"SELECT * FROM clients WHERE {LISTED} ORDER BY id"),
        "supplier_profiles": query(url, "SELECT * FROM supplier_profiles ORDER BY id"),
    }


def test_chunked_run_gives_the_same_rows(seedctl: Seedctl, other_db_url: str) -> None:
    migrate_app(other_db_url)
    assert seedctl("upgrade").exit_code == 0
    chunked = Seedctl(other_db_url)("upgrade", "--chunk-rows", "50")
    assert chunked.exit_code == 0, chunked.stderr
    assert logged(chunked.stderr, "chunk_committed")
    whole = dump_listed(seedctl.url)
    assert len(whole["clients"]) == len(read_csv("clients"))
    assert dump_listed(other_db_url) == whole


# --- the library directly: malformed sources, unmasked PII, children without a parent -------


def seed_sourced(url: str, spec: dict[str, int | TableSpec]) -> list[Any]:
    """Seed ``spec`` on TERP's schema; commit whatever the run did, even when it fails."""
    migrate_app(url)
    settings = resolve_settings(env="development", database_url=url, environ={})
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            ensure_bookkeeping(conn)
            conn.commit()
            try:
                return seed_tables(
                    conn, Base.metadata, spec, settings=settings, revision="t1", run_id="r1"
                )
            finally:
                conn.commit()  # so a partial write would show, not roll back
    finally:
        engine.dispose()


def count(url: str, table: str) -> int:
    return int(query(url, f"SELECT count(*) FROM {table}")[0][0])


def clients_csv(tmp_path: Path, edit: Any = None, *, raw: bytes | None = None) -> Path:
    path = tmp_path / "clients.csv"
    if raw is not None:
        path.write_bytes(raw)
        return path
    lines = (DATA / "clients.csv").read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(edit(lines) if edit else lines) + "\n", encoding="utf-8")
    return path


def bad_row(lines: list[str]) -> list[str]:
    lines[150] = lines[150].replace(",true,", ",maybe,", 1)
    return lines


def short_row(lines: list[str]) -> list[str]:
    lines[200] = lines[200].rsplit(",", 2)[0]
    return lines


#: The customer list with one byte on line 4 that is not UTF-8.
LATIN1 = (DATA / "clients.csv").read_bytes().replace(b"Howe Ltd", b"Howe Lt\xe9", 1)


def no_email(lines: list[str]) -> list[str]:
    return [",".join(p for i, p in enumerate(line.split(",")) if i != 3) for line in lines[:1]]


@pytest.mark.parametrize(
    ("edit", "raw", "where"),
    [
        (bad_row, None, "clients.csv, line 151"),
        (short_row, None, "clients.csv, line 201"),
        (no_email, None, "clients.csv, line 1"),
        (None, LATIN1, "clients.csv, line 4"),
    ],
    ids=["bad-value", "missing-field", "missing-column", "bad-encoding"],
)
def test_malformed_source_names_file_and_line_and_writes_nothing(
    db_url: str, tmp_path: Path, edit: Any, raw: bytes | None, where: str
) -> None:
    path = clients_csv(tmp_path, edit, raw=raw)
    spec: dict[str, int | TableSpec] = {"users": 5, "clients": TableSpec(source=Source(path))}
    with pytest.raises(SourceError) as info:
        seed_sourced(db_url, spec)
    assert where in str(info.value)
    assert "nothing of its revision was loaded" in str(info.value)
    assert count(db_url, "users") == 0
    assert count(db_url, "clients") == 0


def test_pii_without_strategy_exits_7_before_writing(db_url: str) -> None:
    source = Source(DATA / "clients.csv", masking={"email": "scramble"})
    spec: dict[str, int | TableSpec] = {"users": 5, "clients": TableSpec(source=source)}
    with pytest.raises(UnmaskedPII) as info:
        seed_sourced(db_url, spec)
    assert info.value.exit_code == 7
    assert "clients.email" in str(info.value)
    assert count(db_url, "users") == 0


def project_copy(tmp_path: Path, s004_edit: Any) -> Path:
    """The seeds project with s004's source rewritten by ``s004_edit``; its seeds.ini."""
    versions = tmp_path / "seed_migrations" / "versions"
    shutil.copytree(ROOT / "seed_migrations", tmp_path / "seed_migrations")
    (s004,) = versions.glob("s004_*.py")
    code = s004.read_text(encoding="utf-8").replace(
        'Path(__file__).resolve().parents[2] / "examples"', f"Path({str(ROOT)!r}) / 'examples'"
    )
    s004.write_text(s004_edit(code), encoding="utf-8")
    ini = (ROOT / "alembic.ini").read_text(encoding="utf-8")
    ini = ini.replace("%(here)s/seed_migrations", str(tmp_path / "seed_migrations"))
    config = tmp_path / "seeds.ini"
    config.write_text(ini.replace("%(here)s", str(ROOT)), encoding="utf-8")
    return config


@pytest.mark.parametrize(
    ("edit", "exit_code", "message"),
    [
        (
            lambda code: code.replace(
                'Source(DATA / "clients.csv")',
                'Source(DATA / "clients.csv", masking={"email": "scramble"})',
            ),
            7,
            "no masking strategy for PII column(s) clients.email",
        ),
        (
            lambda code: code.replace('DATA / "supplier_profiles.csv"', 'DATA / "gone.csv"'),
            2,
            "gone.csv for supplier_profiles does not exist",
        ),
    ],
    ids=["unmasked-pii", "missing-file"],
)
def test_a_bad_source_in_the_last_revision_stops_the_run_before_the_first(
    app_db: str, tmp_path: Path, edit: Any, exit_code: int, message: str
) -> None:
    seedctl = Seedctl(app_db, config=project_copy(tmp_path, edit))
    up = seedctl("upgrade")
    assert up.exit_code == exit_code, up.stderr
    assert message in up.stderr
    # s001-s003 generate and come before s004: none of them ran.
    assert count(app_db, "clients") == 0
    assert count(app_db, "users") == 0
    assert seedctl("status", "--json").exit_code == 0
    assert json.loads(seedctl("status", "--json").stdout)["pending"] == [
        "s001",
        "s002",
        "s003",
        "s004",
    ]
    # Up to s003 the bad source is not in the way.
    assert seedctl("upgrade", "--target", "s003").exit_code == 0
    assert count(app_db, "clients") == 100


def test_children_without_a_parent_in_the_source_are_left_out(db_url: str, tmp_path: Path) -> None:
    clients = tmp_path / "clients.csv"
    lines = (DATA / "clients.csv").read_text(encoding="utf-8").splitlines()
    clients.write_text("\n".join(lines[:21]) + "\n", encoding="utf-8")  # ids 1-20
    suppliers = tmp_path / "suppliers.csv"
    shutil.copy(DATA / "supplier_profiles.csv", suppliers)
    with_parent = sum(1 for r in read_csv("supplier_profiles") if int(r["client_id"]) <= 20)
    total = len(read_csv("supplier_profiles"))
    reports = seed_sourced(
        db_url,
        {
            "clients": TableSpec(source=Source(clients)),
            "supplier_profiles": TableSpec(source=Source(suppliers)),
        },
    )
    by_table = {r.table: r.as_dict() for r in reports}
    assert by_table["clients"]["rows"] == 20
    assert by_table["supplier_profiles"]["rows"] == with_parent
    assert by_table["supplier_profiles"]["omitted"] == total - with_parent
    assert by_table["supplier_profiles"]["unmatched_parents"] == total - with_parent
    assert count(db_url, "supplier_profiles") == with_parent
    orphans = query(
        db_url,
        "SELECT count(*) FROM supplier_profiles s LEFT JOIN clients c ON c.id = s.client_id "
        "WHERE c.id IS NULL",
    )
    assert orphans == [(0,)]


def test_forward_self_references_are_set_after_loading(db_url: str, tmp_path: Path) -> None:
    rows = read_csv("clients")[:30]
    rows[0]["referred_by_id"] = "30"  # the first row refers to the last one
    rows[5]["referred_by_id"] = "6"  # a row refers to itself
    path = tmp_path / "clients.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    seed_sourced(db_url, {"clients": TableSpec(source=Source(path))})
    referrals = dict(
        query(
            db_url,
            "SELECT a.client_code, b.client_code FROM clients a "
            "LEFT JOIN clients b ON b.id = a.referred_by_id",
        )
    )
    code = {r["id"]: r["client_code"] for r in rows}
    assert referrals == {r["client_code"]: code.get(r["referred_by_id"]) for r in rows}
    assert referrals["CL-00001"] == "CL-00030"
    assert referrals["CL-00006"] == "CL-00006"


def test_a_large_sourced_table_is_read_once_in_order(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A load large enough to build PostgreSQL indexes afterwards samples rising columns from
    generated rows only: a source read out of order would count part of its masking twice
    and part never (and could hand a masked value to another row)."""
    monkeypatch.setattr("seedlib.load.postgresql.DEFER_INDEXES_ROWS", 10)
    clients = read_csv("clients")
    reports = seed_sourced(db_url, {"clients": TableSpec(source=Source(DATA / "clients.csv"))})
    report = next(r.as_dict() for r in reports if r.table == "clients")
    assert report["rows"] == len(clients)
    assert report["masking"]["email"]["values"] == len(clients)
