"""COPY fed by forked generator processes: same rows, same order, failures surface."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, select

from seedlib.db import engine_for
from seedlib.exceptions import DataError
from seedlib.load import parallel
from seedlib.load.parallel import AUTO_ROWS, load_batches, workers_for


@pytest.fixture(params=["postgresql", "sqlite"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Engine, Table]]:
    """The table, on each database forked generators load."""
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'forked.sqlite3'}"
    engine = engine_for(url)
    metadata = MetaData()
    table = Table(
        "t",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("label", String(40)),
        Column("seq", Integer, nullable=False),
    )
    metadata.create_all(engine)
    yield engine, table
    engine.dispose()


def make(batch: range) -> tuple[list[tuple[Any, ...]], int]:
    return [(i, None if i % 7 == 0 else f"row\t{i}\\", i * 3) for i in batch], len(batch)


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_rows_arrive_in_task_order_whatever_the_workers(
    db: tuple[Engine, Table], workers: int
) -> None:
    engine, table = db
    tasks = [range(start, min(start + 70, 1000)) for start in range(1, 1000, 70)]
    with engine.begin() as conn:
        summaries = load_batches(conn, table, ["id", "label", "seq"], tasks, make, workers=workers)
        order = "ctid" if conn.dialect.name == "postgresql" else "rowid"
        physical = [r.id for r in conn.exec_driver_sql(f"SELECT id FROM t ORDER BY {order}")]
    assert summaries == [len(t) for t in tasks]
    assert physical == list(range(1, 1000))
    with engine.connect() as conn:
        stored = [tuple(r) for r in conn.execute(select(table).order_by(table.c.id))]
    assert stored == [row for task in tasks for row in make(task)[0]]


def test_a_failing_generator_fails_the_load_and_leaves_nothing(db: tuple[Engine, Table]) -> None:
    engine, table = db

    def broken(batch: range) -> tuple[list[tuple[Any, ...]], int]:
        if batch.start > 200:
            raise ValueError("no value for this row")
        return make(batch)

    tasks = [range(start, start + 100) for start in range(1, 500, 100)]
    with pytest.raises(DataError, match="no value for this row"), engine.begin() as conn:
        load_batches(conn, table, ["id", "label", "seq"], tasks, broken, workers=2)
    with engine.begin() as conn:  # a new connection works; nothing landed
        assert conn.execute(select(table)).all() == []
        load_batches(conn, table, ["id", "label", "seq"], tasks[:1], make, workers=2)
    with engine.connect() as conn:
        assert len(conn.execute(select(table)).all()) == 100


def test_workers_for_obeys_an_explicit_number() -> None:
    assert workers_for(1, 10_000_000) == 0  # one process: the seeding process itself
    assert workers_for(3, 10) == 3


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="automatic forking is Linux-only")
def test_workers_for_forks_large_segments_when_it_is_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "usable_cpus", lambda: 2)
    assert workers_for(None, AUTO_ROWS) == 2
    assert workers_for(None, AUTO_ROWS - 1) == 0  # too small to gain from the fork
    assert workers_for(None, AUTO_ROWS, loads_here=True) == 1  # SQLite keeps a CPU
    monkeypatch.setattr(parallel, "usable_cpus", lambda: 16)
    assert workers_for(None, AUTO_ROWS) == 4
    assert workers_for(None, AUTO_ROWS, loads_here=True) == 4
    monkeypatch.setattr(parallel, "usable_cpus", lambda: 4)
    assert workers_for(None, AUTO_ROWS, loads_here=True) == 3
    monkeypatch.setattr(parallel, "usable_cpus", lambda: 1)
    assert workers_for(None, AUTO_ROWS) == 0  # nothing to overlap with
    monkeypatch.setattr(parallel, "usable_cpus", lambda: 2)
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:  # a fork copies only this thread: locks the other one holds would stay held
        assert workers_for(None, AUTO_ROWS) == 0
        assert workers_for(2, AUTO_ROWS) == 2  # asked for explicitly: the caller's decision
    finally:
        release.set()
        other.join()
    assert workers_for(None, AUTO_ROWS) == 2
