"""Names with characters drivers treat specially (``%``, which ``%s`` drivers double) seed and
roll back like any other, through every loader path (COPY, LOAD DATA, executemany)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

import seedlib
from seedlib.db import engine_for


@pytest.mark.parametrize("rows", [20, 60_000])  # 60,000: foreign keys checked after the load
def test_percent_signs_in_table_and_column_names(db_url: str, rows: int) -> None:
    quote = "`" if db_url.startswith("mysql") else '"'

    def q(name: str) -> str:
        return f"{quote}{name}{quote}"

    engine = engine_for(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"CREATE TABLE {q('pct%base')} (id INTEGER PRIMARY KEY)"))
            conn.execute(
                text(
                    f"CREATE TABLE {q('share%s')} (id INTEGER PRIMARY KEY, {q('Qty%')} INTEGER,"
                    f" {q('base%%id')} INTEGER REFERENCES {q('pct%base')} (id))"
                )
            )
        result = seedlib.seed(db_url, rows=rows, label="pct")
        assert {t["table"]: t["rows"] for t in result.tables} == {"pct%base": rows, "share%s": rows}
        with engine.connect() as conn:
            count = f"SELECT count({q('base%%id')}) FROM {q('share%s')}"
            assert conn.execute(text(count)).scalar() == rows
        assert seedlib.unseed(db_url, label="pct").problems == []
        with engine.connect() as conn:
            assert conn.execute(text(f"SELECT count(*) FROM {q('share%s')}")).scalar() == 0
    finally:
        engine.dispose()
