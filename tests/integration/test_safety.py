"""What seeding must never do: touch application rows, seed a drifted schema, half-land."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, make_url, text

import seedlib
from seedlib import TableSpec
from seedlib.db import engine_for
from tests.conftest import (
    APP_INI,
    TERP_TABLES,
    Seedctl,
    execute,
    migrate_app,
    rows,
    table_counts,
)

APP_CLIENT = (
    "INSERT INTO clients (client_code, business_name, email, phone, address_line1, city, state,"
    " postal_code, business_type, is_buyer, is_seller, credit_limit)"
    " VALUES ('{code}', 'App Co', 'app@example.org', '555', '1 Main', 'Reno', 'NV', '89501',"
    " 'RETAILER', true, false, 10)"
)
APP_USER = (
    "INSERT INTO users (email, full_name, role, is_active)"
    " VALUES ('{email}', 'App User', 'SALES', true)"
)


def test_application_rows_survive_downgrade_base(seedctl: Seedctl) -> None:
    url = seedctl.url
    execute(url, APP_CLIENT.format(code="APP0001"), APP_USER.format(email="before@app.test"))
    assert seedctl("upgrade").exit_code == 0
    # The application keeps writing into seeded tables, referencing only its own rows.
    execute(
        url,
        APP_CLIENT.format(code="APP0002"),
        APP_USER.format(email="after@app.test"),
        "INSERT INTO orders (order_number, client_id, created_by_id, order_type, status, subtotal,"
        " tax, total) SELECT 'APP-ORDER-1', c.id, u.id, 'SALE', 'DRAFT', 1, 0, 1"
        " FROM clients c, users u WHERE c.client_code = 'APP0002' AND u.email = 'after@app.test'",
    )
    app_rows = rows(url, "SELECT * FROM clients WHERE client_code LIKE 'APP%' ORDER BY id")
    app_orders = rows(url, "SELECT * FROM orders WHERE order_number = 'APP-ORDER-1'")

    result = seedctl("downgrade", "base", "--yes")
    assert result.exit_code == 0, result.stderr

    assert rows(url, "SELECT * FROM clients ORDER BY id") == app_rows
    assert rows(url, "SELECT * FROM orders") == app_orders
    assert table_counts(url, ["users", "clients", "orders"]) == {
        "users": 2,
        "clients": 2,
        "orders": 1,
    }
    assert table_counts(url, TERP_TABLES[3:]) == {
        t: (1 if t == "orders" else 0) for t in TERP_TABLES[3:]
    }


def test_rollback_blocked_by_application_row_deletes_nothing(seedctl: Seedctl) -> None:
    url = seedctl.url
    assert seedctl("upgrade").exit_code == 0
    before = table_counts(url, TERP_TABLES)
    # An application order pointing at a seeded client and a seeded user.
    execute(
        url,
        "INSERT INTO orders (order_number, client_id, created_by_id, order_type, status, subtotal,"
        " tax, total) SELECT 'APP-ORDER-9', min(c.id), min(u.id), 'SALE', 'DRAFT', 1, 0, 1"
        " FROM clients c, users u",
    )
    blocked = seedctl("downgrade", "base", "--yes")
    assert blocked.exit_code == 6
    assert "orders" in blocked.stderr
    assert "nothing was deleted" in blocked.stderr
    after = table_counts(url, TERP_TABLES)
    assert after == {**before, "orders": before["orders"] + 1}
    status = json.loads(seedctl("status", "--json").stdout)
    assert status["applied"] == ["s004"]

    # Once the application row is gone the rollback goes through.
    execute(url, "DELETE FROM orders WHERE order_number = 'APP-ORDER-9'")
    assert seedctl("downgrade", "base", "--yes").exit_code == 0
    assert table_counts(url, TERP_TABLES) == dict.fromkeys(TERP_TABLES, 0)


def test_schema_drift_is_refused_and_nothing_is_written(db_url: str) -> None:
    migrate_app(db_url, "0002")
    seedctl = Seedctl(db_url)
    result = seedctl("upgrade")
    assert result.exit_code == 3
    line = result.stderr.strip().splitlines()[-1]
    assert "0002" in line
    assert "0003" in line
    engine = engine_for(db_url)
    with engine.connect() as conn:
        assert inspect(conn).get_table_names().count("clients") == 1
        assert conn.execute(text("SELECT count(*) FROM clients")).scalar_one() == 0
    engine.dispose()
    check = seedctl("check", "--json")
    assert check.exit_code == 3
    report = json.loads(check.stdout)
    assert report["clean"] is False
    assert report["schema_revision"] == {"current": ["0002"], "heads": ["0003"], "in_sync": False}


def test_model_drift_is_reported_by_check_and_refused_by_strict(app_db: str) -> None:
    seedctl = Seedctl(app_db)
    clean = seedctl("check")
    assert clean.exit_code == 0
    assert "No drift" in clean.stdout
    execute(app_db, "ALTER TABLE brands ADD COLUMN shelf_life INTEGER")
    drift = seedctl("check", "--json")
    assert drift.exit_code == 3
    messages = [d["message"] for d in json.loads(drift.stdout)["diffs"]]
    assert any("brands.shelf_life" in m for m in messages), messages
    assert seedctl("upgrade", "--strict").exit_code == 3
    assert table_counts(app_db, ["users"]) == {"users": 0}
    # Without --strict only the revision is gated, so the run goes ahead.
    assert seedctl("upgrade").exit_code == 0


@pytest.mark.parametrize("server", ["postgres_url", "mysql_url"])  # SQLite can alter neither
def test_a_dropped_check_and_a_column_the_seeds_cannot_fill_are_drift(
    server: str, request: pytest.FixtureRequest
) -> None:
    """``check`` and ``--strict`` said "No drift" for a dropped CHECK; a NOT NULL column the
    models lack let s001 commit with 0 clients, and s002 then failed saying clients "has no
    rows and is not seeded"."""
    app_db = str(request.getfixturevalue(server))
    migrate_app(app_db)
    seedctl = Seedctl(app_db)
    execute(app_db, "ALTER TABLE clients DROP CONSTRAINT ck_clients_credit_limit_nonnegative")
    drift = seedctl("check", "--json")
    assert drift.exit_code == 3
    messages = [d["message"] for d in json.loads(drift.stdout)["diffs"]]
    assert "check constraint clients.ck_clients_credit_limit_nonnegative is missing" in messages
    assert seedctl("upgrade", "--strict").exit_code == 3

    execute(app_db, "ALTER TABLE clients ADD COLUMN extra_code INTEGER NOT NULL")
    refused = seedctl("upgrade")
    assert refused.exit_code == 3
    assert "clients.extra_code is NOT NULL without a default" in refused.stderr
    assert table_counts(app_db, TERP_TABLES) == dict.fromkeys(TERP_TABLES, 0)
    execute(app_db, "ALTER TABLE clients DROP COLUMN extra_code")
    execute(
        app_db,
        "ALTER TABLE brands ALTER COLUMN description SET NOT NULL"
        if app_db.startswith("postgresql")
        else "ALTER TABLE brands MODIFY description TEXT NOT NULL",
    )
    refused = seedctl("upgrade")
    assert refused.exit_code == 3
    assert "brands.description is NOT NULL in the database but nullable" in refused.stderr
    assert table_counts(app_db, TERP_TABLES) == dict.fromkeys(TERP_TABLES, 0)


def test_dry_runs_write_nothing(seedctl: Seedctl) -> None:
    dry = seedctl("upgrade", "--dry-run")
    assert dry.exit_code == 0
    assert "clients" in dry.stdout
    assert table_counts(seedctl.url, TERP_TABLES) == dict.fromkeys(TERP_TABLES, 0)
    assert seedctl("upgrade").exit_code == 0
    before = table_counts(seedctl.url, TERP_TABLES)
    dry_down = seedctl("downgrade", "base", "--dry-run")
    assert dry_down.exit_code == 0
    assert "nothing was deleted" in dry_down.stdout
    assert table_counts(seedctl.url, TERP_TABLES) == before


def test_same_seed_gives_the_same_data(tmp_path: Any) -> None:
    dumps = []
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        url = f"sqlite:///{tmp_path / name}.sqlite3"
        migrate_app(url)
        assert Seedctl(url)("upgrade", "--seed", seed).exit_code == 0
        dumps.append({t: rows(url, f"SELECT * FROM {t} ORDER BY id") for t in TERP_TABLES})
    assert dumps[0] == dumps[1]
    assert dumps[0]["clients"] != dumps[2]["clients"]


def test_application_migrations_never_see_the_seeds(seedctl: Seedctl) -> None:
    assert seedctl("upgrade").exit_code == 0
    config = Config(str(APP_INI))
    assert set(ScriptDirectory.from_config(config).get_heads()) == {"0003"}
    engine = engine_for(seedctl.url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        command.check(config)  # seedlib's tables are filtered out: no drift reported
    engine.dispose()


def test_production_is_refused_without_both_keys(seedctl: Seedctl) -> None:
    refused = seedctl("upgrade", "--env", "production")
    assert refused.exit_code == 5
    assert "SEEDLIB_ALLOW_PRODUCTION" in refused.stderr
    assert table_counts(seedctl.url, ["clients"]) == {"clients": 0}


@pytest.mark.parametrize("args", [["--size", "huge"], ["--env", "nowhere"], ["--bogus"]])
def test_bad_arguments_exit_2_with_usage(seedctl: Seedctl, args: list[str]) -> None:
    result = seedctl("upgrade", *args)
    assert result.exit_code == 2
    assert "Usage" in result.stderr


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("postgresql+psycopg://postgres@127.0.0.1:1/nowhere", "cannot connect to the database"),
        ("foo://x", "bad database URL"),
    ],
)
def test_a_database_that_cannot_be_reached_is_one_line_and_exit_2(url: str, said: str) -> None:
    """Was an 'unexpected error' of three lines asking to report it, with exit code 1."""
    result = Seedctl(url)("status")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert said in lines[-1]
    assert lines[-1].startswith("seedctl: error:")
    assert "please report it" not in result.stderr


def test_sizes_too_large_to_plan_are_refused(seedctl: Seedctl) -> None:
    assert seedctl("plan", "--size", "99999999999999999999").exit_code == 2
    memory = seedctl("plan", "--size", "100000000000")  # 300,000,000,000 keys to hold
    assert memory.exit_code == 7
    assert "not enough memory" in memory.stderr
    assert table_counts(seedctl.url, ["clients"]) == {"clients": 0}


def test_a_column_dropped_by_hand_at_the_schema_head_is_refused(seedctl: Seedctl) -> None:
    """The schema revision is the head, but a column of the models is gone: the first seed
    revisions used to commit before a later one failed with the database's own error."""
    execute(seedctl.url, "ALTER TABLE brands DROP COLUMN description")
    refused = seedctl("upgrade")
    assert refused.exit_code == 3
    assert "column brands.description is missing" in refused.stderr
    assert table_counts(seedctl.url, TERP_TABLES) == dict.fromkeys(TERP_TABLES, 0)


def test_a_missing_sqlite_file_is_refused_and_not_created(tmp_path: Any) -> None:
    missing = tmp_path / "typo.sqlite3"
    for args in (["upgrade"], ["downgrade", "--yes"], ["seed", "--rows", "5"], ["status"]):
        result = Seedctl(f"sqlite:///{missing}")(*args)
        assert result.exit_code == 2, args
        assert "no SQLite database at" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("code", ["check_violation", "raise_exception", "lock_not_available"])
def test_a_constraint_failing_at_commit_is_one_line_exit_7(postgres_url: str, code: str) -> None:
    """Was reported as 'cannot connect to the database' (exit 2), or as unexpected (exit 1):
    the error came at COMMIT, where SQLAlchemy names no statement."""
    execute(
        postgres_url,
        "CREATE TABLE gauges (id int PRIMARY KEY, level int)",
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION 'level too high' USING ERRCODE = '{code}'; END $$",
        "CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON gauges DEFERRABLE INITIALLY DEFERRED"
        " FOR EACH ROW EXECUTE FUNCTION refuse()",
    )
    result = Seedctl(postgres_url)("seed", "--rows", "5")
    assert result.exit_code == 7, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("seedctl: error: the database refused the change: level too high")
    assert table_counts(postgres_url, ["gauges"]) == {"gauges": 0}


def test_a_seed_out_of_range_is_a_usage_error(seedctl: Seedctl) -> None:
    result = seedctl("upgrade", "--seed", "99999999999999999999999")
    assert result.exit_code == 2
    assert "seed 99999999999999999999999 is out of range" in result.stderr
    assert table_counts(seedctl.url, TERP_TABLES) == dict.fromkeys(TERP_TABLES, 0)


def test_a_role_without_rights_is_one_line_exit_2(postgres_url: str) -> None:
    role = f"seedlib_test_{uuid.uuid4().hex[:8]}"
    execute(
        postgres_url,
        "CREATE TABLE notes (id int PRIMARY KEY, body text)",
        f"CREATE ROLE {role} LOGIN",
    )
    try:
        url = make_url(postgres_url).set(username=role).render_as_string(hide_password=False)
        result = Seedctl(url)("seed", "--rows", "5")
        assert result.exit_code == 2, result.stderr
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("seedctl: error: the database refused this role: permission")
    finally:
        execute(postgres_url, f"DROP ROLE {role}")
    assert table_counts(postgres_url, ["notes"]) == {"notes": 0}


def test_a_row_the_database_refuses_is_counted_once(sqlite_url: str) -> None:
    """Invoices read their parents' rows (so a segment is made before loading): a row a trigger
    refused was counted as -90 skipped and 182 omitted (the segment's skips counted twice, its
    unique keys still taken), where 1 was skipped and 91 omitted."""
    migrate_app(sqlite_url)
    execute(
        sqlite_url,
        "CREATE TRIGGER refuse_one BEFORE INSERT ON invoices WHEN NEW.id = 5"
        " BEGIN SELECT RAISE(ABORT, 'not this one'); END",
    )
    result = Seedctl(sqlite_url)("upgrade")
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    seeded = [
        e
        for e in map(json.loads, (line for line in lines if line.startswith("{")))
        if e.get("event") == "table_seeded" and e.get("table") == "invoices"
    ]
    # Said under the results too, not only in the log.
    assert (
        "s003 invoices: 1 rows skipped (most: rejected by the database: not this one)"
        in result.stdout.splitlines()
    )
    assert len(seeded) == 1
    report = seeded[0]
    assert report["skipped"] == 1
    assert sum(report["skip_reasons"].values()) == 1
    assert 0 <= report["omitted"] < report["rows"]
    assert table_counts(sqlite_url, ["invoices"]) == {"invoices": report["rows"]}


def test_row_level_security_is_loaded_through_insert(postgres_url: str) -> None:
    """PostgreSQL refuses COPY FROM where row-level security applies to the role (exit 1)."""
    role = f"seedlib_test_{uuid.uuid4().hex[:8]}"
    database = make_url(postgres_url).database
    execute(
        postgres_url,
        f"CREATE ROLE {role} LOGIN",
        f"GRANT CREATE ON DATABASE {database} TO {role}",
        f"GRANT CREATE, USAGE ON SCHEMA public TO {role}",
    )
    url = make_url(postgres_url).set(username=role).render_as_string(hide_password=False)
    try:
        execute(
            url,
            "CREATE TABLE notes (id serial PRIMARY KEY, owner text NOT NULL DEFAULT current_user,"
            " body text)",
            "ALTER TABLE notes ENABLE ROW LEVEL SECURITY",
            "ALTER TABLE notes FORCE ROW LEVEL SECURITY",
            "CREATE POLICY mine ON notes USING (owner = current_user)"
            " WITH CHECK (owner = current_user)",
        )
        done = seedlib.seed(url, rows=30, tables={"notes": TableSpec(30, columns={"owner": role})})
        assert [t["rows"] for t in done.tables] == [30]
        assert table_counts(postgres_url, ["notes"]) == {"notes": 30}
        assert seedlib.unseed(url).problems == []
        assert table_counts(postgres_url, ["notes"]) == {"notes": 0}
    finally:
        execute(postgres_url, f"DROP OWNED BY {role}", f"DROP ROLE {role}")


def test_an_unknown_target_revision_is_a_usage_error(seedctl: Seedctl) -> None:
    result = seedctl("upgrade", "--target", "s999")
    assert result.exit_code == 2
    assert "Can't locate revision identified by 's999'" in result.stderr
    assert table_counts(seedctl.url, TERP_TABLES) == dict.fromkeys(TERP_TABLES, 0)
