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
from seedlib.load.parallel import AUTO_ROWS, cgroup_cpu_quota, load_batches, workers_for


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


def _cgroup(tmp_path: Path, membership: str, files: dict[str, str]) -> float | None:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "cgroup").write_text(membership)
    for name, content in files.items():
        (tmp_path / "fs" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "fs" / name).write_text(content)
    return cgroup_cpu_quota(str(tmp_path / "cgroup"), str(tmp_path / "fs"))


def test_cgroup_v2_quota_is_the_smallest_along_the_path(tmp_path: Path) -> None:
    files = {"app.slice/cpu.max": "150000 100000\n", "app.slice/web/cpu.max": "max 100000\n"}
    assert _cgroup(tmp_path, "0::/app.slice/web\n", files) == 1.5


def test_cgroup_v1_quota_and_unlimited_groups(tmp_path: Path) -> None:
    v1 = {"cpu,cpuacct/docker/c1/cpu.cfs_quota_us": "300000\n"}
    v1["cpu,cpuacct/docker/c1/cpu.cfs_period_us"] = "100000\n"
    membership = "4:memory:/docker/c1\n3:cpu,cpuacct:/docker/c1\n"
    assert _cgroup(tmp_path / "v1", membership, v1) == 3.0
    unlimited = {"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}
    assert _cgroup(tmp_path / "none", "1:cpu:/\n", unlimited) is None
    # In a container (cgroup namespace) the host's path is absent and the mount is its own.
    assert _cgroup(tmp_path / "ns", "0::/kubepods/pod9\n", {"cpu.max": "200000 100000"}) == 2.0
    assert cgroup_cpu_quota(str(tmp_path / "missing"), str(tmp_path)) is None
    for garbled in ("", "150000 1e5", "max"):  # unreadable quotas are no quota
        assert _cgroup(tmp_path / f"bad{len(garbled)}", "0::/\n", {"cpu.max": garbled}) is None
    garbled_v1 = {"cpu/cpu.cfs_quota_us": "\n", "cpu/cpu.cfs_period_us": "100000\n"}
    assert _cgroup(tmp_path / "bad_v1", "1:cpu:/\n", garbled_v1) is None


def test_a_cpu_quota_lowers_the_usable_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    if not hasattr(parallel.os, "sched_getaffinity"):
        pytest.skip("no affinity mask on this system")
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda _pid: {0, 1, 2, 3})
    monkeypatch.setattr(parallel, "cgroup_cpu_quota", lambda: 1.5)
    assert parallel.usable_cpus() == 1  # a fork would only share the one and a half CPUs
    monkeypatch.setattr(parallel, "cgroup_cpu_quota", lambda: 0.25)
    assert parallel.usable_cpus() == 1
    monkeypatch.setattr(parallel, "cgroup_cpu_quota", lambda: 8.0)
    assert parallel.usable_cpus() == 4
    monkeypatch.setattr(parallel, "cgroup_cpu_quota", lambda: None)
    assert parallel.usable_cpus() == 4
