"""Exact rollback, audit and idempotency (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from seedlib.db import engine_for
from tests.conftest import ROOT, TERP_TABLES, Seedctl, seedctl_argv, table_counts
from tests.integration.test_safety import APP_CLIENT, execute, rows


@pytest.mark.parametrize("action", ["CASCADE", "SET NULL", "RESTRICT", "NO ACTION"])
def test_rows_referencing_seeds_block_rollback_whatever_on_delete(
    seedctl: Seedctl, action: str
) -> None:
    url = seedctl.url
    assert seedctl("upgrade").exit_code == 0
    # A table the application added outside the models, pointing at seeded clients.
    execute(
        url,
        "CREATE TABLE app_notes (id INTEGER PRIMARY KEY, client_id INTEGER, body VARCHAR(50),"
        f" FOREIGN KEY (client_id) REFERENCES clients (id) ON DELETE {action})",
        "INSERT INTO app_notes (id, client_id, body) SELECT 1, min(id), 'keep me' FROM clients",
    )
    before = table_counts(url, [*TERP_TABLES, "app_notes"])
    notes = rows(url, "SELECT * FROM app_notes")
    # A dry run says so too (it answered 0 and listed what it would delete).
    dry = seedctl("downgrade", "base", "--dry-run")
    assert dry.exit_code == 6, dry.stdout
    assert "app_notes" in dry.stderr
    result = seedctl("downgrade", "base", "--yes")
    assert result.exit_code == 6
    assert "app_notes" in result.stderr
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    (blocked,) = [e for e in events if e["event"] == "rollback_blocked"]
    assert [(b["table"], b["constraint"] is not None) for b in blocked["blockers"]] == [
        ("app_notes", True)
    ]
    assert table_counts(url, [*TERP_TABLES, "app_notes"]) == before
    assert rows(url, "SELECT * FROM app_notes") == notes


def test_audit_records_match_what_was_deleted(seedctl: Seedctl, tmp_path: Path) -> None:
    assert seedctl("upgrade").exit_code == 0
    seeded = table_counts(seedctl.url, TERP_TABLES)
    audit_file = tmp_path / "audit.jsonl"
    result = seedctl("downgrade", "base", "--yes", "--audit-file", str(audit_file))
    assert result.exit_code == 0, result.stderr

    records = [json.loads(line) for line in audit_file.read_text().splitlines()]
    assert [r["revision"] for r in records] == ["s004", "s003", "s002", "s001"]
    # Summed: clients and supplier_profiles are seeded by two revisions (s001 and s004).
    deleted: Counter[str] = Counter()
    for r in records:
        deleted.update({t: v["deleted"] for t, v in r["tables"].items()})
    assert deleted == seeded
    for record in records:
        assert record["os_user"]
        assert record["host"]
        assert record["env"] == "development"
        assert record["action"] == "downgrade"
        for table in record["tables"].values():
            assert sum(b - a + 1 for a, b in table["keys"]) == table["deleted"]
    logged = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert [e["revision"] for e in logged if e.get("event") == "rollback_audit"] == [
        "s004",
        "s003",
        "s002",
        "s001",
    ]
    # The same records are kept in seedlib's own audit table.
    engine = engine_for(seedctl.url)
    audit = "seedlib.audit" if seedctl.url.startswith("postgresql") else "seedlib_audit"
    with engine.connect() as conn:
        stored = conn.execute(text(f"SELECT revision, tables FROM {audit} ORDER BY id")).all()
    engine.dispose()
    assert [r[0] for r in stored] == ["s004", "s003", "s002", "s001"]
    from_table: Counter[str] = Counter()
    for r in stored:
        from_table.update({t: v["deleted"] for t, v in json.loads(r[1]).items()})
    assert from_table == seeded


def test_upgrade_twice_is_a_no_op_and_other_parameters_are_refused(seedctl: Seedctl) -> None:
    assert seedctl("upgrade", "--seed", "3").exit_code == 0
    first = {t: rows(seedctl.url, f"SELECT * FROM {t} ORDER BY id") for t in TERP_TABLES}
    again = seedctl("upgrade", "--seed", "3")
    assert again.exit_code == 0
    assert "Nothing to do" in again.stdout
    same = seedctl("upgrade", "--seed", "3", "--size", "100")  # "small" by another name
    assert same.exit_code == 0, same.stderr
    assert "Nothing to do" in same.stdout
    assert {t: rows(seedctl.url, f"SELECT * FROM {t} ORDER BY id") for t in TERP_TABLES} == first

    for args in (["--seed", "4"], ["--seed", "3", "--size", "medium"]):
        refused = seedctl("upgrade", *args)
        assert refused.exit_code == 5
        assert "downgrade" in refused.stderr
    assert {t: rows(seedctl.url, f"SELECT * FROM {t} ORDER BY id") for t in TERP_TABLES} == first


def test_rows_whose_natural_key_exists_are_drawn_again_not_duplicated(seedctl: Seedctl) -> None:
    # The application already created the client code the seeds generate for their 2nd client.
    execute(seedctl.url, APP_CLIENT.format(code="WHL0002"))
    result = seedctl("upgrade")
    assert result.exit_code == 0, result.stderr
    assert '"reason": "already exists"' not in result.stderr  # it was skipped
    codes = [r[0] for r in rows(seedctl.url, "SELECT client_code FROM clients")]
    assert codes.count("WHL0002") == 1
    generated = [c for c in codes if not c.startswith("CL-")]  # s004 loads CL- codes
    assert len(generated) == 101  # 100 seeded (the 2nd with another code) + the application's
    assert len(codes) - len(generated) == 240
    assert seedctl("downgrade", "base", "--yes").exit_code == 0
    assert rows(seedctl.url, "SELECT client_code, business_name FROM clients") == [
        ("WHL0002", "App Co")
    ]


@pytest.mark.slow
@pytest.mark.parametrize("server", ["postgres_url", "mysql_url"])
def test_application_writes_during_a_seed_survive_rollback(
    server: str, request: pytest.FixtureRequest
) -> None:
    from tests.conftest import migrate_app

    url = str(request.getfixturevalue(server))
    migrate_app(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDLIB_")}
    env["SEEDLIB_CHUNK_ROWS"] = "100"
    process = subprocess.Popen(
        seedctl_argv("upgrade", "--database-url", url),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if json.loads(line).get("event") == "chunk_committed":
                process.send_signal(signal.SIGSTOP)
                break
        # The seed holds its transaction open; the application keeps working meanwhile.
        execute(url, *(APP_CLIENT.format(code=f"APP{i:04d}") for i in range(5)))
        process.send_signal(signal.SIGCONT)
        assert process.wait(timeout=120) == 0
    finally:
        process.kill()
        process.wait()
    app_rows: list[Any] = rows(url, "SELECT * FROM clients WHERE client_code LIKE 'APP%'")
    assert len(app_rows) == 5
    assert Seedctl(url)("downgrade", "base", "--yes").exit_code == 0
    assert rows(url, "SELECT * FROM clients ORDER BY id") == sorted(app_rows)


def test_schema_changed_under_seeded_data(seedctl: Seedctl) -> None:
    from tests.conftest import downgrade_app

    assert seedctl("upgrade").exit_code == 0
    downgrade_app(seedctl.url, "0002")  # the application drops its sales tables
    status = json.loads(seedctl("status", "--json").stdout)
    assert any("orders no longer exists" in m for m in status["mismatches"])
    result = seedctl("downgrade", "base", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "warning: s003: table orders no longer exists" in result.stderr
    assert table_counts(seedctl.url, TERP_TABLES[:10]) == dict.fromkeys(TERP_TABLES[:10], 0)
    status = json.loads(seedctl("status", "--json").stdout)
    assert status["ledger"] == {}
    assert status["mismatches"] == []


def test_downgrade_to_base_and_upgrade_again_makes_the_same_rows(sqlite_url: str) -> None:
    """Row numbers continue past those of revisions whose rows are there, not of removed ones:
    a second upgrade after `downgrade base` makes exactly the first one's rows again."""
    from tests.conftest import migrate_app

    migrate_app(sqlite_url)
    seedctl = Seedctl(sqlite_url)

    def everything() -> dict[str, list[tuple[Any, ...]]]:
        return {t: rows(sqlite_url, f"SELECT * FROM {t} ORDER BY 1") for t in TERP_TABLES}

    assert seedctl("upgrade").exit_code == 0
    first = everything()
    assert seedctl("downgrade", "base", "--yes").exit_code == 0
    assert seedctl("upgrade").exit_code == 0
    assert everything() == first
