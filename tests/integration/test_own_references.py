"""Foreign keys from a table to its own rows through columns other than its reserved key: to
another unique column, a composite key, in a table without a primary key; NULL or NOT NULL.
Every row is kept, every key holds, the rows form trees, and rollback removes them all (on
MySQL too, which checks a foreign key row by row and never deletes a row pointing at itself)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import (
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    insert,
    select,
    text,
)

import seedlib
from seedlib.db import engine_for

ROWS = 400


def _tables(meta: MetaData) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """The tables, each with (pointing columns, referred columns)."""
    Table(
        "cats",  # nullable, to another unique column
        meta,
        Column("id", Integer, primary_key=True),
        Column("code", String(20), nullable=False, unique=True),
        Column("parent_code", String(20), ForeignKey("cats.code")),
    )
    Table(
        "kinds",  # NOT NULL, to another unique column
        meta,
        Column("id", Integer, primary_key=True),
        Column("code", String(20), nullable=False, unique=True),
        Column("parent_code", String(20), ForeignKey("kinds.code"), nullable=False),
    )
    Table(
        "cells",  # nullable, composite
        meta,
        Column("a", Integer, primary_key=True, autoincrement=False),
        Column("b", Integer, primary_key=True, autoincrement=False),
        Column("pa", Integer),
        Column("pb", Integer),
        ForeignKeyConstraint(["pa", "pb"], ["cells.a", "cells.b"]),
    )
    Table(
        "grid",  # NOT NULL, composite
        meta,
        Column("a", Integer, primary_key=True, autoincrement=False),
        Column("b", Integer, primary_key=True, autoincrement=False),
        Column("pa", Integer, nullable=False),
        Column("pb", Integer, nullable=False),
        ForeignKeyConstraint(["pa", "pb"], ["grid.a", "grid.b"]),
    )
    Table(
        "nodes",  # NOT NULL, to the integer key (built while loading, as before)
        meta,
        Column("id", Integer, primary_key=True),
        Column("parent_id", Integer, ForeignKey("nodes.id"), nullable=False),
    )
    Table(
        "versions",  # a unique pointer: a chain, each row after the one before
        meta,
        Column("id", Integer, primary_key=True),
        Column("code", String(20), nullable=False, unique=True),
        Column("replaces", String(20), ForeignKey("versions.code"), unique=True),
    )
    return {
        "cats": (("parent_code",), ("code",)),
        "kinds": (("parent_code",), ("code",)),
        "cells": (("pa", "pb"), ("a", "b")),
        "grid": (("pa", "pb"), ("a", "b")),
        "nodes": (("parent_id",), ("id",)),
        "versions": (("replaces",), ("code",)),
    }


def _rows(url: str, table: str, columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return [
                tuple(r) for r in conn.execute(text(f"SELECT {', '.join(columns)} FROM {table}"))
            ]
    finally:
        engine.dispose()


@pytest.fixture
def own_db(db_url: str) -> tuple[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]]:
    meta = MetaData()
    shapes = _tables(meta)
    engine = engine_for(db_url)
    meta.create_all(engine)
    engine.dispose()
    return db_url, shapes


def test_rows_point_at_earlier_rows_of_their_own_table_and_roll_back(
    own_db: tuple[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]],
) -> None:
    url, shapes = own_db
    result = seedlib.seed(url, rows=ROWS)
    reports = {t["table"]: t for t in result.tables}
    for name, (pointing, referred) in shapes.items():
        key = ("a", "b") if len(referred) == 2 else ("id",)
        rows = _rows(url, name, (*key, *referred, *pointing))
        assert len(rows) == reports[name]["rows"] > ROWS * 0.9, name
        width = len(referred)
        own = {r[len(key) : len(key) + width]: r[: len(key)] for r in rows}
        targets = [r[len(key) + width :] for r in rows]
        set_ = [t for t in targets if None not in t]
        assert all(t in own for t in set_), f"{name}: a row points at nothing"
        itself = sum(
            1 for r, t in zip(rows, targets, strict=True) if t == r[len(key) : len(key) + width]
        )
        assert itself < len(rows) * 0.1, f"{name}: {itself} rows point at themselves"
        if name == "versions":  # a chain: every value once
            assert len(set_) == len(set(set_)) == len(rows) - 1
        elif all(c.startswith("parent") or c.startswith("p") for c in pointing):
            # trees: roots and rows under them, more than one level deep
            parents = {t for t in set_}
            assert len(set_) > len(rows) // 2, name
            assert sum(1 for t in set_ if own[t] and t in parents) > 0
            deeper = sum(
                1
                for r, t in zip(rows, targets, strict=True)
                if None not in t
                and any(
                    tt is not None and None not in tt and tt != t
                    for rr, tt in zip(rows, targets, strict=True)
                    if rr[len(key) : len(key) + width] == t
                )
            )
            assert deeper > 0, f"{name}: no row's parent has a parent of its own"
    seedlib.unseed(url)
    for name, (_pointing, referred) in shapes.items():
        assert _rows(url, name, referred) == [], name


def test_the_same_rows_forked_or_not(
    own_db: tuple[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]],
    other_db_url: str,
) -> None:
    url, shapes = own_db
    meta = MetaData()
    _tables(meta)
    engine = engine_for(other_db_url)
    meta.create_all(engine)
    engine.dispose()
    seedlib.seed(url, rows=ROWS, workers=1)
    seedlib.seed(other_db_url, rows=ROWS, workers=2)
    for name, (pointing, referred) in shapes.items():
        columns = (*referred, *pointing)
        assert sorted(_rows(url, name, columns), key=repr) == sorted(
            _rows(other_db_url, name, columns), key=repr
        ), name


def test_an_application_row_pointing_at_seeded_rows_blocks_the_rollback(
    own_db: tuple[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]],
) -> None:
    url, shapes = own_db
    seedlib.seed(url, rows=50)
    engine = engine_for(url)
    meta = MetaData()
    meta.reflect(engine)
    cells, kinds = meta.tables["cells"], meta.tables["kinds"]
    with engine.begin() as conn:
        a, b = conn.execute(select(cells.c.a, cells.c.b).limit(1)).one()
        conn.execute(insert(cells).values(a=-1, b=-1, pa=a, pb=b))
        code = conn.execute(select(kinds.c.code).limit(1)).scalar_one()
        conn.execute(insert(kinds).values(id=-1, code="mine", parent_code=code))
    before = {name: sorted(_rows(url, name, r), key=repr) for name, (_p, r) in shapes.items()}
    with pytest.raises(seedlib.RollbackBlocked) as blocked:
        seedlib.unseed(url)
    tables = {b["table"] for b in blocked.value.blockers}
    assert tables == {"cells", "kinds"}
    after = {name: sorted(_rows(url, name, r), key=repr) for name, (_p, r) in shapes.items()}
    assert after == before
    with engine.begin() as conn:
        conn.execute(cells.delete().where(cells.c.a == -1))
        conn.execute(kinds.delete().where(kinds.c.id == -1))
    engine.dispose()
    seedlib.unseed(url)
    assert all(_rows(url, name, r) == [] for name, (_p, r) in shapes.items())


def test_a_table_without_a_key_keeps_its_pointers_null(sqlite_url: str) -> None:
    meta = MetaData()
    Table(
        "loose",
        meta,
        Column("code", String(20), nullable=False),
        Column("parent_code", String(20), ForeignKey("loose.code")),
        UniqueConstraint("code"),
    )
    engine = engine_for(sqlite_url)
    meta.create_all(engine)
    engine.dispose()
    result = seedlib.seed(sqlite_url, rows=100)
    assert result.tables[0]["rows"] == 100
    assert {r[0] for r in _rows(sqlite_url, "loose", ("parent_code",))} == {None}
    seedlib.unseed(sqlite_url)
    assert _rows(sqlite_url, "loose", ("code",)) == []


def test_mysql_refuses_a_row_left_pointing_at_a_deleted_row(
    mysql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows of a NOT NULL self-reference are deleted with MySQL's checks off: a row another
    session wrote meanwhile (unseen by the look for blockers) fails the rollback after the
    DELETE, and the transaction puts every row back."""
    import seedlib.rollback

    meta = MetaData()
    _tables(meta)
    engine = engine_for(mysql_url)
    meta.create_all(engine)
    seedlib.seed(mysql_url, rows=50)
    nodes = meta.tables["nodes"]
    with engine.begin() as conn:
        target = conn.execute(select(nodes.c.id).limit(1)).scalar_one()
        conn.execute(insert(nodes).values(id=-1, parent_id=target))
    engine.dispose()
    before = sorted(_rows(mysql_url, "nodes", ("id", "parent_id")))
    monkeypatch.setattr(seedlib.rollback, "find_blockers", lambda *_args: [])
    with pytest.raises(
        seedlib.RollbackBlocked, match=r"1 row\(s\) of .*nodes.* point at nodes rows"
    ):
        seedlib.unseed(mysql_url)
    assert sorted(_rows(mysql_url, "nodes", ("id", "parent_id"))) == before
    assert len(before) == 51


def test_a_key_sharing_a_column_points_within_its_own_tenant(db_url: str) -> None:
    """``(tenant_id, parent_id) -> (tenant_id, id)``: ``tenant_id`` is generated as usual, and
    a row points only at rows of its own tenant."""
    meta = MetaData()
    Table("tenants", meta, Column("id", Integer, primary_key=True))
    Table(
        "folders",
        meta,
        Column("tenant_id", Integer, ForeignKey("tenants.id"), primary_key=True),
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("parent_id", Integer),
        ForeignKeyConstraint(["tenant_id", "parent_id"], ["folders.tenant_id", "folders.id"]),
    )
    engine = engine_for(db_url)
    meta.create_all(engine)
    engine.dispose()
    seedlib.seed(db_url, tables={"tenants": 5, "folders": 300})
    rows = _rows(db_url, "folders", ("tenant_id", "id", "parent_id"))
    assert len(rows) > 250
    pointing = [(t, p) for t, _i, p in rows if p is not None]
    assert len(pointing) > len(rows) // 3
    assert len({t for t, _p in pointing}) >= 3
    assert all((t, p) in {(t2, i2) for t2, i2, _ in rows} for t, p in pointing)
    assert not any(p == i for _t, i, p in rows)
    seedlib.unseed(db_url)
    assert _rows(db_url, "folders", ("id",)) == []


def test_a_change_the_database_refuses_leaves_the_row_as_loaded(sqlite_url: str) -> None:
    """An inline UNIQUE on SQLite, which reflection does not report: the pointers are drawn as
    a tree, the repeated ones are refused and left NULL, the others set; nothing fails."""
    engine = engine_for(sqlite_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE versions (id INTEGER PRIMARY KEY, code VARCHAR(20) NOT NULL "
                "UNIQUE, replaces VARCHAR(20) UNIQUE REFERENCES versions(code))"
            )
        )
    engine.dispose()
    result = seedlib.seed(sqlite_url, rows=200)
    assert result.tables[0]["rows"] == 200
    pointers = [r[0] for r in _rows(sqlite_url, "versions", ("replaces",)) if r[0] is not None]
    assert 20 < len(pointers) == len(set(pointers))


def test_a_mariadb_url_rolls_back_like_a_mysql_one(mysql_url: str) -> None:
    """``mariadb://`` names SQLAlchemy's "mariadb" dialect: MySQL's rules must apply to it too
    (the NOT NULL self-references were not deleted: error 1451, exit 1)."""
    engine = engine_for(mysql_url)
    with engine.connect() as conn:
        mariadb = "MariaDB" in str(conn.execute(text("SELECT VERSION()")).scalar())
    engine.dispose()
    if not mariadb:
        pytest.skip("a mariadb:// URL needs a MariaDB server")
    url = mysql_url.replace("mysql+pymysql://", "mariadb+pymysql://", 1)
    meta = MetaData()
    shapes = _tables(meta)
    engine = engine_for(url)
    assert engine.dialect.name == "mariadb"
    meta.create_all(engine)
    engine.dispose()
    result = seedlib.seed(url, rows=ROWS)
    assert all(t["rows"] == ROWS for t in result.tables)
    assert seedlib.unseed(url).problems == []
    assert all(_rows(url, name, r) == [] for name, (_p, r) in shapes.items())
