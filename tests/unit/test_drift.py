"""Metadata drift on a real SQLite database: readable diffs, seedlib's own tables ignored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, inspect
from sqlalchemy.engine import Engine

from seedlib.db import engine_for
from seedlib.drift import RevisionState, model_diffs, render_diff
from seedlib.track.ledger import VERSION_TABLE, ensure_bookkeeping


def models() -> MetaData:
    md = MetaData()
    Table(
        "clients",
        md,
        Column("id", Integer, primary_key=True),
        Column("name", String(100), nullable=False),
        Column("email", String(255), nullable=False),
    )
    return md


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = engine_for(f"sqlite:///{tmp_path / 'app.sqlite3'}")
    yield eng
    eng.dispose()


def create_live(engine: Engine, *, with_email: bool, extra_table: bool = False) -> None:
    live = MetaData()
    columns: list[Column[Any]] = [
        Column("id", Integer, primary_key=True),
        Column("name", String(100), nullable=False),
    ]
    if with_email:
        columns.append(Column("email", String(255), nullable=False))
    Table("clients", live, *columns)
    if extra_table:
        Table("legacy_notes", live, Column("id", Integer, primary_key=True))
    with engine.begin() as conn:
        live.create_all(conn)


def test_missing_column_is_reported_readably(engine: Engine) -> None:
    create_live(engine, with_email=False)
    with engine.connect() as conn:
        diffs = model_diffs(conn, models())
    assert diffs == [
        {
            "op": "add_column",
            "object": "clients.email",
            "message": "column clients.email is in the models but missing from the database",
        }
    ]


def test_extra_table_is_reported_readably(engine: Engine) -> None:
    create_live(engine, with_email=True, extra_table=True)
    with engine.connect() as conn:
        diffs = model_diffs(conn, models())
    assert [d["op"] for d in diffs] == ["remove_table"]
    assert diffs[0]["message"] == ("table legacy_notes is in the database but not in the models")


def test_nullability_change_is_reported_with_both_sides(engine: Engine) -> None:
    live = MetaData()
    Table(
        "clients",
        live,
        Column("id", Integer, primary_key=True),
        Column("name", String(100), nullable=True),
        Column("email", String(255), nullable=False),
    )
    with engine.begin() as conn:
        live.create_all(conn)
    with engine.connect() as conn:
        diffs = model_diffs(conn, models())
    assert diffs == [
        {
            "op": "modify_nullable",
            "object": "clients.name",
            "database": "True",
            "models": "False",
            "message": "clients.name: nullable is True in the database, False in the models",
        }
    ]


def test_seedlib_bookkeeping_tables_are_ignored(engine: Engine) -> None:
    create_live(engine, with_email=True)
    version = MetaData()
    Table(VERSION_TABLE, version, Column("version_num", String(32), primary_key=True))
    with engine.begin() as conn:
        ensure_bookkeeping(conn)
        version.create_all(conn)
    present = set(inspect(engine).get_table_names())
    assert {VERSION_TABLE, "seedlib_ledger", "seedlib_runs"} <= present  # not vacuous
    with engine.connect() as conn:
        assert model_diffs(conn, models()) == []


def test_bookkeeping_is_ignored_alongside_real_drift(engine: Engine) -> None:
    create_live(engine, with_email=False)
    with engine.begin() as conn:
        ensure_bookkeeping(conn)
    with engine.connect() as conn:
        diffs = model_diffs(conn, models())
    assert [d["object"] for d in diffs] == ["clients.email"]
    assert not any("seedlib" in d["message"] for d in diffs)


def test_render_diff_flattens_lists_and_names_schemas() -> None:
    grouped: list[tuple[Any, ...]] = [
        ("modify_type", "app", "orders", "total", {}, "INTEGER", "NUMERIC(12, 2)"),
        ("modify_nullable", None, "orders", "note", {}, False, True),
    ]
    rendered = render_diff(grouped)
    assert [r["object"] for r in rendered] == ["app.orders.total", "orders.note"]
    assert rendered[0]["message"] == (
        "app.orders.total: type is INTEGER in the database, NUMERIC(12, 2) in the models"
    )


def test_revision_state_in_sync_ignores_order() -> None:
    assert RevisionState(("b", "a"), ("a", "b")).in_sync
    assert not RevisionState(("a",), ("a", "b")).in_sync
    assert RevisionState((), ("a",)).as_dict() == {
        "current": [],
        "heads": ["a"],
        "in_sync": False,
    }
