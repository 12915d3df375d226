"""Rollback removes exactly the rows the seeds inserted, whatever the columns hold: values the
database stores other than as sent (single-precision floats), and application rows the database
calls equal to a seeded row without being identical to it (another case, trailing spaces, JSON
spelled another way) in a table without a primary key."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

import seedlib
from seedlib.db import engine_for


def _rows(url: str, table: str) -> list[tuple[Any, ...]]:
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return sorted(tuple(r) for r in conn.execute(text(f"SELECT * FROM {table}")))
    finally:
        engine.dispose()


def _execute(url: str, *statements: str) -> None:
    engine = engine_for(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


@pytest.mark.parametrize("rows", [40, 2_500])  # a list of values, and one server-side value
def test_single_precision_floats_in_every_key_shape_roll_back(db_url: str, rows: int) -> None:
    single = {"postgresql": "REAL", "mysql": "FLOAT"}.get(db_url.split(":")[0].split("+")[0])
    kind = single or "REAL"  # SQLite's REAL is a double: the same test, nothing rounded
    _execute(
        db_url,
        f"CREATE TABLE solo (f {kind} PRIMARY KEY)",
        f"CREATE TABLE pair (a INTEGER NOT NULL, f {kind} NOT NULL, PRIMARY KEY (a, f))",
        f"CREATE TABLE loose (f {kind}, g INTEGER)",
        "INSERT INTO solo VALUES (0.1)",
        "INSERT INTO pair VALUES (1, 0.1)",
        "INSERT INTO loose VALUES (0.1, 7)",
    )
    before = {t: _rows(db_url, t) for t in ("solo", "pair", "loose")}
    result = seedlib.seed(db_url, rows=rows, label="floats")
    assert {t["table"]: t["rows"] for t in result.tables} == dict.fromkeys(before, rows)
    # Stored rounded: the database holds other values than the ones sent.
    assert all(len(_rows(db_url, t)) == rows + 1 for t in before)

    report = seedlib.unseed(db_url, label="floats")

    assert report.problems == []
    assert {t: _rows(db_url, t) for t in before} == before
