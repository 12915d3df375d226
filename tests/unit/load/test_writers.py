"""Each fast writer stores exactly what SQLAlchemy's own INSERT stores, on real databases."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pymysql
import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Enum,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    Uuid,
    select,
    text,
)
from sqlalchemy.dialects import mysql

from seedlib.db import engine_for
from seedlib.exceptions import DataError
from seedlib.load import open_writer
from seedlib.load.mysql import insert_writer, load_data_writer


class Colour(enum.Enum):
    RED = "r"
    BLUE = "b"


TRICKY = ["plain", "tab\there", "new\nline", "back\\slash", "cr\rhere", "\\N", "", "emoji 🌿 ü"]


def typed_table(metadata: MetaData, name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(50)),
        Column("amount", Numeric(12, 2)),
        Column("day", Date),
        Column("at", DateTime),
        Column("flag", Boolean),
        Column("colour", Enum(Colour, native_enum=False, length=8)),
        Column("doc", JSON),
        Column("token", Uuid),
        Column("blob", LargeBinary),
        Column("big", BigInteger().with_variant(mysql.BIGINT(unsigned=True), "mysql", "mariadb")),
        Column("note", Text),
    )


def typed_rows(count: int) -> list[tuple[Any, ...]]:
    rows = []
    for i in range(count):
        nulls = i % 5 == 4
        rows.append(
            (
                i + 1,
                None if nulls else TRICKY[i % len(TRICKY)],
                None if nulls else Decimal(i) / 4 + Decimal("1000.10"),
                None if nulls else dt.date(2024, 1, 1) + dt.timedelta(days=i),
                None if nulls else dt.datetime(2024, 1, 1, 12, 30, 5, 123000 * (i % 2)),
                None if nulls else i % 2 == 0,
                None if nulls else list(Colour)[i % 2],
                None if nulls else {"i": i, "s": TRICKY[i % len(TRICKY)], "l": [1, 2]},
                None if nulls else uuid.UUID(int=i * 7919 + 1),
                None if nulls else bytes([i % 256, 0, 9, 10, 92, 255]),
                None if nulls else 2**63 + i,
                None if nulls else f"note {i}",
            )
        )
    return rows


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    fixture = {"sqlite": "sqlite_url", "postgresql": "postgres_url", "mysql": "mysql_url"}
    made = engine_for(request.getfixturevalue(fixture[request.param]))
    yield made
    made.dispose()


def contents(engine: Engine, table: Table) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(table).order_by(table.c.id))]


def test_open_writer_stores_what_an_insert_stores(engine: Engine) -> None:
    metadata = MetaData()
    fast, core = typed_table(metadata, "fast"), typed_table(metadata, "core")
    if engine.dialect.name != "mysql":  # an unsigned 64-bit value exists only there
        for table in (fast, core):
            table.c.big.type = Numeric(20, 0)
    metadata.create_all(engine)
    rows = typed_rows(40)
    columns = [c.name for c in fast.columns]
    with engine.begin() as conn:
        with open_writer(conn, fast, columns) as write:
            write(rows[:25])
            write([])
            write(rows[25:])
        conn.execute(core.insert(), [dict(zip(columns, row, strict=True)) for row in rows])
    stored = contents(engine, fast)
    assert stored == contents(engine, core)
    assert [r[1] for r in stored[:4]] == TRICKY[:4]
    assert stored[0][9] == rows[0][9]
    assert stored[4][1:] == (None,) * 11


def test_a_failed_block_leaves_nothing(engine: Engine) -> None:
    metadata = MetaData()
    table = typed_table(metadata, "fast")
    if engine.dialect.name != "mysql":
        table.c.big.type = Numeric(20, 0)
    metadata.create_all(engine)
    columns = [c.name for c in table.columns]

    def half_way() -> None:
        with engine.begin() as conn, open_writer(conn, table, columns) as write:
            write(typed_rows(10))
            raise RuntimeError("generation failed half-way")

    with pytest.raises(RuntimeError):
        half_way()
    assert contents(engine, table) == []
    with engine.begin() as conn, open_writer(conn, table, columns) as write:
        write(typed_rows(3))
    assert len(contents(engine, table)) == 3


def test_sqlite_cache_size_is_raised_only_inside_the_writer(sqlite_url: str) -> None:
    engine = engine_for(sqlite_url)
    metadata = MetaData()
    table = Table("t", metadata, Column("id", Integer, primary_key=True))
    metadata.create_all(engine)
    with engine.begin() as conn:
        before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
        with open_writer(conn, table, ["id"]) as write:
            inside = conn.exec_driver_sql("PRAGMA cache_size").scalar()
            write([(1,), (2,)])
        after = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    assert inside is not None
    assert before is not None
    assert inside < before  # negative = KiB
    assert after == before
    engine.dispose()


# -- MariaDB specifics --------------------------------------------------------------------


def mysql_specific_table(metadata: MetaData) -> Table:
    return Table(
        "specifics",
        metadata,
        Column("id", mysql.INTEGER(unsigned=True), primary_key=True, autoincrement=False),
        Column("colour", mysql.ENUM("red", "blue", "green"), nullable=False),
        Column("tags", mysql.SET("a", "b", "c")),
        Column("small", mysql.TINYINT(unsigned=True)),
        Column("word", String(4)),
    )


@pytest.mark.parametrize("writer", [load_data_writer, insert_writer])
def test_mysql_enum_set_unsigned_and_utf8mb4(mysql_url: str, writer: Any) -> None:
    engine = engine_for(mysql_url)
    metadata = MetaData()
    table = mysql_specific_table(metadata)
    metadata.create_all(engine)
    rows = [
        (4_294_967_295, "green", {"a", "c"}, 255, "🌿ü\tx"),
        (1, "red", set(), 0, None),
        (2, "blue", None, None, "\\N"),
    ]
    with engine.begin() as conn, writer(conn, table, [c.name for c in table.columns]) as write:
        write(rows)
    with engine.connect() as conn:
        stored = conn.execute(select(table).order_by(table.c.id)).all()
    assert [tuple(r) for r in stored] == [
        (1, "red", set(), 0, None),
        (2, "blue", None, None, "\\N"),
        (4_294_967_295, "green", {"a", "c"}, 255, "🌿ü\tx"),
    ]
    engine.dispose()


@pytest.mark.parametrize(
    ("row", "writer"),
    [
        ((1, "purple", None, 1, "x"), load_data_writer),  # not a member of the ENUM
        ((1, "red", None, 256, "x"), load_data_writer),  # out of range for TINYINT UNSIGNED
        ((1, "red", None, 1, "toolong"), load_data_writer),  # longer than VARCHAR(4)
        ((1, "red", None, -1, "x"), insert_writer),
    ],
)
def test_mysql_values_that_do_not_fit_fail_instead_of_being_changed(
    mysql_url: str, row: tuple[Any, ...], writer: Any
) -> None:
    engine = engine_for(mysql_url)
    metadata = MetaData()
    table = mysql_specific_table(metadata)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("SET SESSION sql_mode = 'STRICT_TRANS_TABLES'")

    def load() -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql("SET SESSION sql_mode = 'STRICT_TRANS_TABLES'")
            with writer(conn, table, [c.name for c in table.columns]) as write:
                write([(2, "red", None, 1, "ok"), row])

    # LOCAL turns errors into warnings, which the loader checks; INSERT fails in the driver.
    expected = DataError if writer is load_data_writer else pymysql.err.DataError
    with pytest.raises(expected):
        load()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM specifics")).scalar() == 0
    engine.dispose()
