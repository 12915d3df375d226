"""Shapes that only fail at some size, or on one database: many composite or by-value keys in
one condition, a ledger row wider than a column, rows MySQL refuses through warnings, a batch
every row of which loses its parent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    REAL,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Time,
    insert,
    select,
    text,
)

import seedlib
from seedlib import TableSpec
from seedlib.db import engine_for
from tests.conftest import rows


def _create(url: str, meta: MetaData) -> None:
    engine = engine_for(url)
    meta.create_all(engine)
    engine.dispose()


def test_many_composite_keys_seed_and_roll_back(db_url: str) -> None:
    """12,000 two-column keys in one condition: too deep an expression for PostgreSQL as a
    list of row values, and too many variables for SQLite past about 125,000."""
    meta = MetaData()
    Table(
        "cells",
        meta,
        Column("a", Integer, primary_key=True, autoincrement=False),
        Column("b", Integer, primary_key=True, autoincrement=False),
        Column("v", Integer),
    )
    _create(db_url, meta)
    result = seedlib.seed(db_url, rows=12_000)
    seeded = result.tables[0]["rows"]
    assert seeded > 11_000
    assert rows(db_url, "SELECT COUNT(*) FROM cells") == [(seeded,)]
    report = seedlib.unseed(db_url)
    assert report.deleted == {"cells": seeded}
    assert rows(db_url, "SELECT COUNT(*) FROM cells") == [(0,)]


def test_many_rows_without_a_key_roll_back(db_url: str) -> None:
    """Rows ledgered by all their values, thousands in one condition (more parameters than
    PostgreSQL takes, deeper than SQLite allows), some with a NULL: rolled back in one
    statement, after the look for rows pointing at their parents."""
    meta = MetaData()
    Table("tags", meta, Column("id", Integer, primary_key=True))
    Table(
        "events",  # no primary key
        meta,
        Column("tag_id", Integer, ForeignKey("tags.id"), nullable=False),
        Column("happened", Date, nullable=False),
        Column("amount", Integer, nullable=False),
        Column("note", String(40)),
    )
    _create(db_url, meta)
    count = 3_000 if db_url.startswith("mysql") else 20_000
    notes = seedlib.values.choice([None, "first", "second"])  # rows with and without a NULL
    seedlib.seed(db_url, tables={"tags": 50, "events": TableSpec(count, {"note": notes})})
    assert rows(db_url, "SELECT COUNT(*) FROM events") == [(count,)]
    assert rows(db_url, "SELECT COUNT(*) FROM events WHERE note IS NULL")[0][0] > count // 5
    report = seedlib.unseed(db_url)
    assert report.deleted["events"] == count
    assert rows(db_url, "SELECT COUNT(*) FROM events") == [(0,)]


def test_a_copy_the_application_made_of_a_seeded_row_stays(db_url: str) -> None:
    """Then the rows go a distinct row at a time, as many copies as were seeded."""
    meta = MetaData()
    events = Table(
        "events",
        meta,
        Column("happened", Date, nullable=False),
        Column("amount", Integer, nullable=False),
    )
    _create(db_url, meta)
    seedlib.seed(db_url, rows=3_000)
    engine = engine_for(db_url)
    with engine.begin() as conn:
        copy = conn.execute(select(events).offset(7).limit(1)).one()
        conn.execute(insert(events).values(copy._asdict()))
    seedlib.unseed(db_url)
    with engine.connect() as conn:
        assert conn.execute(select(events)).all() == [copy]
    engine.dispose()


def test_a_table_without_a_key_and_many_long_column_names(db_url: str) -> None:
    """The ledger lists every column of such a table: 301 characters here."""
    meta = MetaData()
    Table("event_log", meta, *(Column(f"event_attribute_{i:02d}", Integer) for i in range(14)))
    _create(db_url, meta)
    assert seedlib.seed(db_url, rows=20).tables[0]["rows"] == 20
    seedlib.unseed(db_url)
    assert rows(db_url, "SELECT COUNT(*) FROM event_log") == [(0,)]


def test_rows_a_check_refuses_are_skipped_alike_on_every_database(db_url: str) -> None:
    """A CHECK seedlib cannot read: the database refuses the odd values. MySQL's LOAD DATA
    LOCAL reports them as warnings, not errors; the rows are still found and skipped."""
    meta = MetaData()
    Table(
        "t",
        meta,
        Column("id", Integer, primary_key=True),
        Column("c", Integer),
        CheckConstraint("c % 2 = 0", name="ck_even"),
    )
    _create(db_url, meta)
    table = seedlib.seed(db_url, rows=300).tables[0]
    assert table["rows"] + table["skipped"] == 300
    assert 50 < table["rows"] < 250
    assert all("rejected by the database" in reason for reason in table["skip_reasons"])
    assert rows(db_url, "SELECT COUNT(*) FROM t WHERE c % 2 <> 0") == [(0,)]
    assert rows(db_url, "SELECT COUNT(*) FROM t") == [(table["rows"],)]


def test_a_batch_whose_every_parent_was_left_out(sqlite_url: str) -> None:
    """The database refuses every customer (a CHECK seedlib cannot read, so no value is drawn
    again to fit it): every customer is left out, so every order is too, and the orders'
    batches are empty, made here or by forked processes."""
    meta = MetaData()
    Table(
        "cust",
        meta,
        Column("id", Integer, primary_key=True),
        Column("email", String(80), nullable=False, unique=True),
        CheckConstraint("instr(email, '#') > 0"),
    )
    Table(
        "ord",
        meta,
        Column("id", Integer, primary_key=True),
        Column("cust_id", Integer, ForeignKey("cust.id"), nullable=False),
        Column("total", Integer, CheckConstraint("total >= 0")),
        Column("placed", Date),  # a type the driver converts: the forked path's processors
    )
    _create(sqlite_url, meta)
    for workers, label in ((1, "one"), (2, "two")):
        seeded = seedlib.seed(sqlite_url, rows=50, label=label, workers=workers).tables
        two = {t["table"]: t for t in seeded}
        assert two["cust"]["rows"] == 0
        assert two["ord"]["rows"] == 0
        assert rows(sqlite_url, "SELECT COUNT(*) FROM ord") == [(0,)]


def test_mysql_fixed_length_binary_keys_roll_back(mysql_url: str) -> None:
    """MySQL pads a BINARY(16) value with zeros: a shorter value ledgered as generated no
    longer matched its row, and the rollback left every row (and forgot the ledger)."""
    engine = engine_for(mysql_url)
    with engine.begin() as conn:
        conn.execute(
            text("CREATE TABLE p (id BINARY(16) PRIMARY KEY, tag VARBINARY(4), v INTEGER)")
        )
    seedlib.seed(mysql_url, rows=500)
    with engine.connect() as conn:
        lengths = conn.execute(text("SELECT DISTINCT LENGTH(id), LENGTH(tag) FROM p")).all()
    engine.dispose()
    assert lengths == [(16, 4)]
    report = seedlib.unseed(mysql_url)
    assert report.deleted == {"p": 500}
    assert report.problems == []
    assert rows(mysql_url, "SELECT COUNT(*) FROM p") == [(0,)]


def test_failed_attempts_leave_no_savepoint_open(postgres_url: str) -> None:
    """A savepoint only rolled back stays open and the next nests inside it, each level keeping
    a lock until the transaction ends: halving 20,000 rows a CHECK half refused ran the server
    out of shared memory. ``attempt`` releases it too; the locks stay flat."""
    from seedlib.engine.shapes import attempt

    engine = engine_for(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, c INTEGER CHECK (c > 0))"))
    locks = text(
        "SELECT COUNT(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'transactionid'"
    )
    with engine.begin() as conn:
        for i in range(300):
            with pytest.raises(Exception, match="check constraint"), attempt(conn):
                conn.execute(text(f"INSERT INTO t VALUES ({i}, 1), ({i + 1000}, -1)"))
        with attempt(conn):
            conn.execute(text("INSERT INTO t VALUES (1, 1)"))
        assert conn.execute(locks).scalar() <= 2
        assert conn.execute(text("SELECT COUNT(*) FROM t")).scalar() == 1
    engine.dispose()


def test_date_and_time_keys_are_distinct_and_counted(db_url: str) -> None:
    """A DATE key drawn at random from two years repeated: 3,000 rows gave 721, reported as
    2,335. A TIME key has 86,400 values: more rows are refused before anything is written."""
    meta = MetaData()
    Table("days", meta, Column("day", Date, primary_key=True), Column("v", Integer))
    Table("moments", meta, Column("at", Time, primary_key=True), Column("v", Integer))
    _create(db_url, meta)
    days = seedlib.seed(db_url, tables={"days": 3_000, "moments": 10}).tables
    assert {t["table"]: (t["rows"], t["skipped"]) for t in days} == {
        "days": (3_000, 0),
        "moments": (10, 0),
    }
    assert rows(db_url, "SELECT COUNT(*) FROM days") == [(3_000,)]
    seedlib.unseed(db_url)
    with pytest.raises(seedlib.ConfigurationError, match="at most 86400 rows"):
        seedlib.seed(db_url, tables={"days": 10, "moments": 90_000})
    assert rows(db_url, "SELECT COUNT(*) FROM days") == [(0,)]


def test_rows_without_a_key_are_found_in_their_columns_own_types(db_url: str) -> None:
    """A REAL value ledgered as the float it was made from matched no row on PostgreSQL (it
    widens to 725.50701904…): 992 of 1,001 seeded rows stayed. The application's copies of two
    seeded rows stay, and every seeded row goes."""
    meta = MetaData()
    readings = Table("readings", meta, Column("sensor", Integer), Column("value", REAL))
    _create(db_url, meta)
    seedlib.seed(db_url, rows=1_001)
    engine = engine_for(db_url)
    with engine.begin() as conn:
        copies = conn.execute(select(readings).order_by(readings.c.sensor).limit(2)).all()
        conn.execute(insert(readings), [c._asdict() for c in copies])
    report = seedlib.unseed(db_url)
    with engine.connect() as conn:
        left = conn.execute(select(readings)).all()
    engine.dispose()
    assert report.deleted == {"readings": 1_001}
    assert report.problems == []
    assert sorted(left) == sorted(copies)


def test_rows_the_database_groups_as_one_roll_back_exactly(db_url: str) -> None:
    """MySQL's default collation makes 'a' and 'A' equal: the rows are deleted a distinct row
    at a time, as many as were seeded, and none is left."""
    meta = MetaData()
    Table("t", meta, Column("s", String(5)), Column("n", Integer))
    _create(db_url, meta)
    spec = TableSpec(60, {"s": seedlib.values.choice(["a", "A", "b", "x", "x "]), "n": 1})
    seedlib.seed(db_url, tables={"t": spec})
    report = seedlib.unseed(db_url)
    assert report.deleted == {"t": 60}
    assert report.problems == []
    assert rows(db_url, "SELECT COUNT(*) FROM t") == [(0,)]


def test_a_value_rounded_to_its_column_keeps_its_row(db_url: str) -> None:
    """MySQL notes the rounding of 1.234 into DECIMAL(6,2) as it stores the row, as
    PostgreSQL and SQLite store it silently: no row is skipped."""
    meta = MetaData()
    Table("t", meta, Column("id", Integer, primary_key=True), Column("n", Numeric(6, 2)))
    _create(db_url, meta)
    table = seedlib.seed(db_url, tables={"t": TableSpec(300, {"n": Decimal("1.234")})}).tables[0]
    assert (table["rows"], table["skipped"]) == (300, 0)
    assert rows(db_url, "SELECT COUNT(*) FROM t") == [(300,)]


def test_postgresql_arrays_get_lists_of_their_item_type(postgres_url: str) -> None:
    """``text[]``, ``integer[]``, ``date[]`` were sent a text value each, and every row was
    refused."""
    engine = engine_for(postgres_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE t (id INTEGER PRIMARY KEY, tags TEXT[] NOT NULL, "
                "scores INTEGER[], days DATE[])"
            )
        )
    table = seedlib.seed(postgres_url, rows=200).tables[0]
    assert (table["rows"], table["skipped"]) == (200, 0)
    with engine.connect() as conn:
        lengths = conn.execute(text("SELECT DISTINCT cardinality(tags) FROM t")).scalars().all()
        kinds = conn.execute(text("SELECT pg_typeof(scores[1])::text FROM t LIMIT 1")).scalar()
    engine.dispose()
    assert set(lengths) == {0, 1, 2, 3}
    assert kinds == "integer"


def test_mysql_year_columns(mysql_url: str) -> None:
    engine = engine_for(mysql_url)
    with engine.begin() as conn:
        conn.execute(
            text("CREATE TABLE t (id INTEGER PRIMARY KEY, y YEAR NOT NULL, u YEAR UNIQUE)")
        )
    engine.dispose()
    table = seedlib.seed(mysql_url, rows=200).tables[0]
    assert (table["rows"], table["skipped"]) == (200, 0)
    assert rows(mysql_url, "SELECT COUNT(DISTINCT u), MIN(y) >= 1901 FROM t") == [(200, 1)]


def test_rows_without_a_key_holding_json_roll_back(db_url: str) -> None:
    """A JSON value does not hash, and PostgreSQL's ``json`` has no equality: the rollback of
    such rows failed on PostgreSQL and SQLite. 3,000 rows in one condition, and the
    application's copy of one of them, which stays."""
    meta = MetaData()
    logs = Table("logs", meta, Column("a", Integer), Column("payload", JSON))
    _create(db_url, meta)
    seedlib.seed(db_url, rows=3_000)
    engine = engine_for(db_url)
    with engine.begin() as conn:
        copy = conn.execute(select(logs).limit(1)).one()
        conn.execute(insert(logs).values(copy._asdict()))
    report = seedlib.unseed(db_url)
    with engine.connect() as conn:
        left = conn.execute(select(logs)).all()
    engine.dispose()
    assert report.deleted == {"logs": 3_000}
    assert left == [copy]


def test_a_missing_sqlite_file_or_an_empty_database_is_refused(tmp_path: Any) -> None:
    """A typo in the path used to create an empty database and report 0 rows, exit 0."""
    missing = tmp_path / "typo.sqlite3"
    with pytest.raises(seedlib.ConfigurationError, match="no SQLite database at"):
        seedlib.seed(f"sqlite:///{missing}", rows=5)
    with pytest.raises(seedlib.ConfigurationError, match="no SQLite database at"):
        seedlib.unseed(f"sqlite:///{missing}")
    assert not missing.exists()
    empty = tmp_path / "empty.sqlite3"
    engine = engine_for(f"sqlite:///{empty}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
        conn.execute(text("DROP TABLE t"))
    engine.dispose()
    with pytest.raises(seedlib.ConfigurationError, match="no tables to seed"):
        seedlib.seed(f"sqlite:///{empty}", rows=5)


def test_mysql_lock_holders_are_forgotten_after_each_run(mysql_url: str) -> None:
    """A row per run used to stay in ``seedlib_lock_holders``, dry runs included."""
    meta = MetaData()
    Table("t", meta, Column("id", Integer, primary_key=True))
    _create(mysql_url, meta)
    seedlib.seed(mysql_url, rows=5, dry_run=True)
    seedlib.seed(mysql_url, rows=5)
    seedlib.unseed(mysql_url)
    assert rows(mysql_url, "SELECT COUNT(*) FROM seedlib_lock_holders") == [(0,)]
