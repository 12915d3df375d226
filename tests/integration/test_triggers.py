"""Triggers on the seeded tables: one that only records (an audit table) changes nothing, and
its rows are the application's; one that rewrites the key or the ledgered values would leave
rows no rollback could find, so the run is refused and nothing stays."""

from __future__ import annotations

import pytest

import seedlib
from tests.conftest import execute, rows

#: Per database: a table, and a trigger that rewrites the keys of the rows inserted into it.
REWRITING = {
    "postgresql": [
        "CREATE TABLE items (id int PRIMARY KEY, name text)",
        "CREATE SEQUENCE item_ids START 100000",
        "CREATE FUNCTION renumber() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN NEW.id := nextval('item_ids'); RETURN NEW; END $$",
        "CREATE TRIGGER renumber BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION renumber()",
    ],
    "mysql": [
        "CREATE TABLE items (code VARCHAR(40) PRIMARY KEY, name TEXT)",
        "CREATE TRIGGER renumber BEFORE INSERT ON items FOR EACH ROW "
        "SET NEW.code = CONCAT('x-', NEW.code)",
    ],
    "sqlite": [
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)",
        "CREATE TRIGGER renumber AFTER INSERT ON items BEGIN "
        "UPDATE items SET id = NEW.id + 100000 WHERE id = NEW.id; END",
    ],
}


def test_a_trigger_rewriting_keys_refuses_the_run_and_nothing_stays(db_url: str) -> None:
    execute(db_url, *REWRITING[db_url.split(":")[0].split("+")[0]])
    with pytest.raises(seedlib.DataError, match="a trigger on items changed the key") as refused:
        seedlib.seed(db_url, rows=20, label="items")
    assert refused.value.exit_code == 7
    assert count(db_url, "items") == 0
    assert seedlib.labels(db_url) == {}


def test_an_audit_trigger_is_left_to_do_its_work(postgres_url: str) -> None:
    execute(
        postgres_url,
        "CREATE TABLE items (id int PRIMARY KEY, name text)",
        "CREATE TABLE audit (item_id int, at timestamptz DEFAULT now())",
        "CREATE FUNCTION audited() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN INSERT INTO audit (item_id) VALUES (NEW.id); RETURN NEW; END $$",
        "CREATE TRIGGER audited AFTER INSERT ON items FOR EACH ROW EXECUTE FUNCTION audited()",
    )
    seedlib.seed(postgres_url, rows=20, tables={"audit": 0}, label="items")
    assert (count(postgres_url, "items"), count(postgres_url, "audit")) == (20, 20)
    assert seedlib.unseed(postgres_url, label="items").problems == []
    assert (count(postgres_url, "items"), count(postgres_url, "audit")) == (0, 20)


def test_a_failure_after_committed_chunks_says_what_stays(sqlite_url: str) -> None:
    execute(
        sqlite_url,
        "CREATE TABLE first (id INTEGER PRIMARY KEY, name TEXT)",
        "CREATE TABLE second (id INTEGER PRIMARY KEY, name TEXT)",
        "CREATE TRIGGER renumber AFTER INSERT ON second BEGIN "
        "UPDATE second SET id = NEW.id + 100000 WHERE id = NEW.id; END",
    )
    with pytest.raises(seedlib.DataError) as failed:
        seedlib.seed(sqlite_url, rows=150, chunk_rows=50, label="chunks")
    kept = count(sqlite_url, "first")
    assert kept > 0
    assert f"{kept:,} rows of chunks committed before it stay" in str(failed.value)
    assert "seedctl unseed --database-url … --label chunks" in str(failed.value)
    # Once the cause is gone, the same call finishes the seeding (a size of 150 rows was
    # read as 1.5 times small, and the resume was refused).
    execute(sqlite_url, "DROP TRIGGER renumber")
    done = seedlib.seed(sqlite_url, rows=150, chunk_rows=50, label="chunks")
    assert {t["table"]: t["rows"] for t in done.tables} == {"first": 150, "second": 150}
    assert (count(sqlite_url, "first"), count(sqlite_url, "second")) == (150, 150)
    assert seedlib.unseed(sqlite_url, label="chunks").problems == []
    assert (count(sqlite_url, "first"), count(sqlite_url, "second")) == (0, 0)


def count(url: str, table: str) -> int:
    return int(rows(url, f"SELECT count(*) FROM {table}")[0][0])
