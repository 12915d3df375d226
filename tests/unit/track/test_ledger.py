"""The ledger: key ranges, and a record/read/forget round trip on real databases."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Float, MetaData, Table, inspect, select
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Connection, Engine

from seedlib.db import engine_for
from seedlib.track.ledger import (
    BULK_ROWS,
    KEYS_JSON_BYTES,
    Entry,
    bookkeeping,
    bookkeeping_exists,
    counts_by_revision,
    ensure_bookkeeping,
    entries,
    forget,
    iter_keys,
    record,
    to_ranges,
    typed,
)

# --- to_ranges --------------------------------------------------------------------------------


def test_to_ranges_examples() -> None:
    assert to_ranges([]) == []
    assert to_ranges([5]) == [(5, 5)]
    assert to_ranges([3, 1, 2, 2, 7, 8, 10]) == [(1, 3), (7, 8), (10, 10)]
    assert to_ranges(range(-2, 3)) == [(-2, 2)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-(2**40), 2**40) | st.integers(-50, 50), max_size=200))
def test_to_ranges_cover_exactly_the_keys(keys: list[int]) -> None:
    ranges = to_ranges(keys)
    covered = [k for first, last in ranges for k in range(first, last + 1)]
    assert sorted(covered) == sorted(set(keys))  # exact cover, no key twice
    assert all(first <= last for first, last in ranges)
    for (_, last), (first, _) in itertools.pairwise(ranges):
        assert last + 1 < first  # sorted, non-overlapping and non-adjacent


# --- round trip on a real database ------------------------------------------------------------


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = engine_for(db_url)
    with eng.begin() as conn:
        ensure_bookkeeping(conn)
    yield eng
    eng.dispose()


def test_ensure_bookkeeping_is_idempotent_and_named_per_dialect(engine: Engine) -> None:
    with engine.begin() as conn:
        books = ensure_bookkeeping(conn)  # second call: no error
        assert bookkeeping_exists(conn)
    tables = set(inspect(engine).get_table_names(schema=books.schema))
    if engine.dialect.name == "postgresql":
        assert books.schema == "seedlib"
        assert {"ledger", "runs"} <= tables
    else:
        assert books.schema is None
        assert {"seedlib_ledger", "seedlib_runs"} <= tables


def test_empty_database_has_no_entries(tmp_path: Path) -> None:
    eng = engine_for(f"sqlite:///{tmp_path}/empty.sqlite3")
    try:
        with eng.connect() as conn:
            assert not bookkeeping_exists(conn)
            assert entries(conn, "abc") == []
            assert counts_by_revision(conn) == {}
    finally:
        eng.dispose()


def put(conn: Connection, revision: str, table: str, columns: list[str], **keys: Any) -> int:
    return record(
        conn, revision=revision, run_id=f"run-{revision}", table=table, key_columns=columns, **keys
    )


def test_record_entries_counts_forget_round_trip(engine: Engine) -> None:
    with engine.begin() as conn:
        assert put(conn, "rev1", "clients", ["id"], int_keys=[1, 2, 3, 10, 11, 2**40]) == 6
        # A second chunk for the same table, recorded later.
        assert put(conn, "rev1", "clients", ["id"], int_keys=[5, 4]) == 2
        composite = [(1, "A-1"), (1, "B-2"), (2, "caf\u00e9")]
        assert put(conn, "rev1", "order_lines", ["order_id", "code"], other_keys=composite) == 3
        assert put(conn, "rev2", "clients", ["id"], int_keys=range(100, 150)) == 50
        assert put(conn, "rev2", "tags", ["slug"], other_keys=[("red",), ("blue",)]) == 2
        assert put(conn, "rev3", "x", ["id"]) == 0

    with engine.connect() as conn:
        got = entries(conn, "rev1")
        assert [e.table for e in got] == ["clients", "order_lines"]
        clients, lines = got
        assert clients.key_columns == ("id",)
        assert clients.keys == ()
        assert list(clients.ranges) == sorted(clients.ranges)
        assert clients.row_count == 8
        assert sorted(iter_keys(clients)) == [1, 2, 3, 4, 5, 10, 11, 2**40]
        assert lines.key_columns == ("order_id", "code")
        assert lines.ranges == ()
        assert lines.keys == ((1, "A-1"), (1, "B-2"), (2, "caf\u00e9"))
        assert lines.row_count == 3
        assert entries(conn, "rev3") == []
        assert counts_by_revision(conn) == {
            "rev1": {"clients": 8, "order_lines": 3},
            "rev2": {"clients": 50, "tags": 2},
        }

    with engine.begin() as conn:
        forget(conn, "rev1")
    with engine.connect() as conn:
        assert entries(conn, "rev1") == []
        assert [e.table for e in entries(conn, "rev2")] == ["clients", "tags"]
        assert counts_by_revision(conn) == {"rev2": {"clients": 50, "tags": 2}}


def test_many_long_keys_are_ledgered_in_parts_a_mysql_text_column_holds(engine: Engine) -> None:
    """MySQL's TEXT holds 65,535 bytes: 5,000 keys of 40 characters (200 KB of JSON) are
    recorded in parts, and read back whole, in order; here also in a ledger whose column is
    TEXT (made by an earlier version)."""
    if engine.dialect.name == "mysql":
        with engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE seedlib_ledger MODIFY keys_json TEXT")
    accents = "\u00e9" * 8
    keys = [(f"{i:06d}-{accents}-{'x' * 25}",) for i in range(5000)]
    with engine.begin() as conn:
        assert put(conn, "rev1", "codes", ["code"], other_keys=keys) == 5000
    books = bookkeeping(engine.dialect.name)
    with engine.connect() as conn:
        (entry,) = entries(conn, "rev1")
        parts = conn.execute(select(books.ledger.c.keys_json, books.ledger.c.row_count)).all()
    assert entry.keys == tuple(keys)
    assert entry.row_count == 5000
    assert len(parts) > 3
    assert sum(count for _json, count in parts) == 5000
    assert all(len(text.encode()) <= KEYS_JSON_BYTES for text, _count in parts)


def test_a_ledger_an_earlier_version_made_is_widened(engine: Engine) -> None:
    """``key_columns`` was VARCHAR(255), and MySQL's text columns TEXT (65,535 bytes): a table
    without a primary key lists all its columns there, 420 characters of them here."""
    books = bookkeeping(engine.dialect.name)
    ledger_name = engine.dialect.identifier_preparer.format_table(books.ledger)
    with engine.begin() as conn:
        if engine.dialect.name == "mysql":
            conn.exec_driver_sql(
                f"ALTER TABLE {ledger_name} MODIFY key_columns VARCHAR(255) NOT NULL"
            )
            conn.exec_driver_sql("ALTER TABLE seedlib_audit MODIFY `tables` TEXT NOT NULL")
        elif engine.dialect.name == "postgresql":
            conn.exec_driver_sql(
                f"ALTER TABLE {ledger_name} ALTER COLUMN key_columns TYPE VARCHAR(255)"
            )
    with engine.begin() as conn:
        ensure_bookkeeping(conn)
    columns = [f"a_rather_long_column_name_{i:02d}" for i in range(14)]
    with engine.begin() as conn:
        assert put(conn, "rev1", "events", ["*", *columns], other_keys=[(1,) * 15]) == 1
    with engine.connect() as conn:
        (entry,) = entries(conn, "rev1")
        types = {
            c["name"]: c["type"]
            for c in inspect(conn).get_columns(books.audit.name, schema=books.schema)
        }
    assert entry.key_columns == ("*", *columns)
    if engine.dialect.name == "mysql":
        assert type(types["tables"]).__name__ == "LONGTEXT"


def test_record_rolls_back_with_its_transaction(engine: Engine) -> None:
    def failing_revision() -> None:
        with engine.begin() as conn:
            put(conn, "r", "t", ["id"], int_keys=[1])
            raise RuntimeError("revision failed")

    with pytest.raises(RuntimeError):
        failing_revision()
    with engine.connect() as conn:
        assert entries(conn, "r") == []


def test_many_ranges_go_through_the_bulk_loader_alike(engine: Engine) -> None:
    """Fragmented keys (every other one): as many ledger rows as ranges, written by the
    table loader (COPY on PostgreSQL) from ``BULK_ROWS`` rows on, read back as the
    executemany's, and gone with their transaction."""
    odd = range(1, 2 * (BULK_ROWS + 5), 2)
    with engine.begin() as conn:
        assert put(conn, "few", "t", ["id"], int_keys=odd[:10]) == 10
        assert put(conn, "many", "t", ["id"], int_keys=odd) == len(odd)

    def failing_revision() -> None:
        with engine.begin() as conn:
            put(conn, "lost", "t", ["id"], int_keys=odd)
            raise RuntimeError("revision failed")

    with pytest.raises(RuntimeError):
        failing_revision()
    with engine.connect() as conn:
        [few], [many] = entries(conn, "few"), entries(conn, "many")
        assert many.ranges == tuple((k, k) for k in odd)
        assert few.ranges == many.ranges[:10]
        assert (many.key_columns, many.keys) == (few.key_columns, few.keys) == (("id",), ())
        ledger = bookkeeping(conn.dialect.name).ledger
        stamps = conn.execute(select(ledger.c.revision, ledger.c.recorded_at, ledger.c.run_id))
        assert {(r.revision, r.run_id, type(r.recorded_at)) for r in stamps} == {
            ("few", "run-few", dt.datetime),
            ("many", "run-many", dt.datetime),
        }
        assert entries(conn, "lost") == []
        assert counts_by_revision(conn) == {"few": {"t": 10}, "many": {"t": len(odd)}}


def test_many_ranges_as_the_first_statement_stay_in_the_transaction(engine: Engine) -> None:
    """Recorded before anything began a transaction, the rows still roll back: the bulk
    loader's own cursor would begin none (SQLite's driver would commit each statement)."""
    odd = range(1, 2 * (BULK_ROWS + 5), 2)
    with engine.connect() as conn:
        assert not conn.in_transaction()
        put(conn, "first", "t", ["id"], int_keys=odd)
        conn.rollback()
    with engine.connect() as conn:
        assert entries(conn, "first") == []


def test_entry_sample_shows_ranges_then_keys() -> None:
    entry = Entry("t", ("id",), ((1, 1), (3, 9)), (("a", 1), ("b", 2)))
    assert entry.sample() == ["1", "3-9", "a,1", "b,2"]
    assert entry.sample(limit=3) == ["1", "3-9", "a,1"]
    assert entry.row_count == 10


def test_bookkeeping_is_schema_qualified_only_on_postgresql() -> None:
    assert bookkeeping("postgresql").ledger.fullname == "seedlib.ledger"
    assert bookkeeping("sqlite").ledger.fullname == "seedlib_ledger"
    assert bookkeeping("mysql").runs.fullname == "seedlib_runs"


def test_many_ranges_match_as_a_span_minus_the_gaps(tmp_path: Path) -> None:
    """Rows left out fragment the keys into many ranges; the match stays one shallow condition
    (SQLite refuses expressions deeper than 1000)."""
    from sqlalchemy import Column, Integer, MetaData, Table, create_engine, func, select

    from seedlib.track.ledger import match

    engine = create_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True))
    keys = [k for k in range(1, 6001) if k % 3]  # 4,000 keys in 2,000 ranges
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), [{"id": k} for k in range(1, 6001)])
        entry = Entry(
            table="t",
            key_columns=("id",),
            ranges=tuple(to_ranges(keys)),
            keys=(),
        )
        count = conn.execute(select(func.count()).select_from(table).where(match(table, entry)))
        assert count.scalar() == len(keys)


@pytest.mark.parametrize("shape", ["gaps", "far-apart", "text-keys"])
def test_more_keys_than_a_driver_takes_parameters(engine: Engine, shape: str) -> None:
    """35,000+ seeded keys that make no long ranges — every other key (35,000 gaps), keys
    100 apart (3.5 million gaps), or text keys — are more values than psycopg (65,535 in all)
    or SQLite (32,766) take as parameters of one statement, yet match and delete exactly."""
    from sqlalchemy import Column, Integer, MetaData, String, Table, delete, func, select

    from seedlib.track.ledger import match

    key_type = String(16) if shape == "text-keys" else Integer()
    table = Table("many_keys", MetaData(), Column("id", key_type, primary_key=True))
    if shape == "gaps":
        every: list[Any] = list(range(1, 70_001))
        seeded = every[::2]
    elif shape == "far-apart":
        every = [k * 100 + j for k in range(1, 40_001) for j in (0, 1)]
        seeded = every[::2]
    else:
        every = [f"k{k:07d}" for k in range(1, 140_001)]
        seeded = every[1::2]
    if shape == "text-keys":
        entry = Entry("many_keys", ("id",), (), tuple((k,) for k in seeded))
    else:
        entry = Entry("many_keys", ("id",), tuple(to_ranges(seeded)), ())
    with engine.begin() as conn:
        table.create(conn)
        try:
            conn.execute(table.insert(), [{"id": k} for k in every])
            found = select(func.count()).select_from(table).where(match(table, entry))
            assert conn.execute(found).scalar() == len(seeded)
            deleted = conn.execute(delete(table).where(match(table, entry))).rowcount
            assert deleted == len(seeded)
            left = {r[0] for r in conn.execute(select(table.c.id))}
            assert left == set(every) - set(seeded)
        finally:
            table.drop(conn)


def test_many_binary_keys_on_sqlite_fall_back_to_placeholders(tmp_path: Path) -> None:
    """Values JSON cannot carry (bytes) are matched with one placeholder each instead."""
    from sqlalchemy import Column, LargeBinary, MetaData, Table, create_engine, func, select

    from seedlib.track.ledger import MANY_VALUES, in_values

    engine = create_engine(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    table = Table("blobs", MetaData(), Column("id", LargeBinary(8), primary_key=True))
    keys = [k.to_bytes(4, "big") for k in range(MANY_VALUES * 2)]
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), [{"id": k} for k in keys])
        wanted = keys[::2]
        found = select(func.count()).select_from(table).where(in_values(table.c.id, wanted))
        assert conn.execute(found).scalar() == len(wanted)
    engine.dispose()


@pytest.mark.parametrize(
    ("kind", "dialect", "expected"),
    [
        (mysql.FLOAT(), mysql.dialect(), "t.f = CAST(684.589 AS FLOAT)"),
        (mysql.FLOAT(7, 3), mysql.dialect(), "t.f = CAST(ROUND(684.589, 3) AS FLOAT)"),
        (Float(), mysql.dialect(), "t.f = CAST(684.589 AS FLOAT)"),
        (mysql.DOUBLE(), mysql.dialect(), "t.f = 684.589"),
        (Float(53), mysql.dialect(), "t.f = 684.589"),
        (postgresql.REAL(), postgresql.dialect(), "t.f = CAST(684.589 AS REAL)"),
    ],
)
def test_floats_are_compared_in_their_columns_precision(
    kind: Any, dialect: Any, expected: str
) -> None:
    column = Table("t", MetaData(), Column("f", kind)).c.f
    clause = column == typed(column, 684.589)
    assert str(clause.compile(dialect=dialect, compile_kwargs={"literal_binds": True})) == expected
