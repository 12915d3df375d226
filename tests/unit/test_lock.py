"""The database seeding lock on real SQLite files and a real PostgreSQL server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from seedlib.db import engine_for
from seedlib.exceptions import LockBusy
from seedlib.lock import Holder, current_holder, database_lock, sqlite_lock_path


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = engine_for(f"sqlite:///{tmp_path / 'app.sqlite3'}")
    yield engine
    engine.dispose()


# --- SQLite -----------------------------------------------------------------------------------


def test_second_lock_on_the_same_file_is_busy_and_names_the_holder(
    sqlite_engine: Engine,
) -> None:
    with database_lock(sqlite_engine, timeout=0) as me:
        assert me.pid == os.getpid()
        assert me.host == socket.gethostname()
        with pytest.raises(LockBusy) as info, database_lock(sqlite_engine, timeout=0):
            pytest.fail("took a lock that is already held")
    busy = info.value
    assert busy.holder["pid"] == os.getpid()
    assert busy.holder["host"] == socket.gethostname()
    assert busy.holder["since"] == me.since
    assert f"pid {os.getpid()}" in str(busy)
    assert busy.exit_code == 4


def test_current_holder_only_looks(sqlite_engine: Engine) -> None:
    path = sqlite_lock_path(sqlite_engine)
    assert path is not None
    assert current_holder(sqlite_engine) is None
    assert not path.exists()  # looking creates nothing
    with database_lock(sqlite_engine, timeout=0) as me:
        assert current_holder(sqlite_engine) == Holder(me.pid, me.host, me.since, str(path))
        assert current_holder(sqlite_engine) is not None  # looking did not take it over
    assert current_holder(sqlite_engine) is None
    with database_lock(sqlite_engine, timeout=0):  # and never kept it
        pass


def test_lock_can_be_taken_again_after_release(sqlite_engine: Engine) -> None:
    with database_lock(sqlite_engine, timeout=0):
        pass
    with database_lock(sqlite_engine, timeout=0) as holder:
        assert holder.pid == os.getpid()
    # Also released when the block raises.
    with pytest.raises(ZeroDivisionError), database_lock(sqlite_engine, timeout=0):
        _ = 1 / 0
    with database_lock(sqlite_engine, timeout=0):
        pass


def test_another_engine_on_the_same_file_is_also_locked_out(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    first, second = engine_for(url), engine_for(url)
    try:
        with (
            database_lock(first, timeout=0),
            pytest.raises(LockBusy),
            database_lock(second, timeout=0),
        ):
            pytest.fail("took a lock that is already held")
    finally:
        first.dispose()
        second.dispose()


def test_different_database_files_have_independent_locks(tmp_path: Path) -> None:
    one = engine_for(f"sqlite:///{tmp_path / 'one.sqlite3'}")
    two = engine_for(f"sqlite:///{tmp_path / 'two.sqlite3'}")
    try:
        with database_lock(one, timeout=0), database_lock(two, timeout=0):
            pass
    finally:
        one.dispose()
        two.dispose()


def test_busy_lock_is_polled_until_the_timeout(sqlite_engine: Engine) -> None:
    with database_lock(sqlite_engine, timeout=0):
        started = time.monotonic()
        with pytest.raises(LockBusy), database_lock(sqlite_engine, timeout=0.5):
            pass
        elapsed = time.monotonic() - started
    assert 0.5 <= elapsed < 3


def test_in_memory_sqlite_needs_no_lock() -> None:
    engine = engine_for("sqlite://")
    try:
        assert sqlite_lock_path(engine) is None
        with database_lock(engine, timeout=0), database_lock(engine, timeout=0) as inner:
            assert inner.pid == os.getpid()
    finally:
        engine.dispose()


def test_lock_file_sits_beside_the_database(sqlite_engine: Engine, tmp_path: Path) -> None:
    assert sqlite_lock_path(sqlite_engine) == tmp_path / "app.sqlite3.seedlib-lock"


HOLD = textwrap.dedent(
    """
    import sys
    from seedlib.db import engine_for
    from seedlib.lock import database_lock
    from seedlib.log import configure

    configure("json")  # log lines to stderr, keep stdout for the handshake
    with database_lock(engine_for(sys.argv[1]), timeout=0):
        print("locked", flush=True)
        sys.stdin.read()
    """
)


def test_lock_held_by_another_process_names_that_process_and_dies_with_it(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    engine = engine_for(url)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "locked"
        with pytest.raises(LockBusy) as info, database_lock(engine, timeout=0):
            pass
        assert info.value.holder["pid"] == child.pid
        assert info.value.holder["host"] == socket.gethostname()
        child.kill()  # no clean release: the kernel must drop the lock
        child.wait(timeout=10)
        with database_lock(engine, timeout=2) as holder:
            assert holder.pid == os.getpid()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
        engine.dispose()


def test_holder_describe() -> None:
    holder = Holder(pid=42, host="build-1", since="2024-01-01T00:00:00+00:00", detail="x")
    assert holder.describe() == "pid 42 on build-1 since 2024-01-01T00:00:00+00:00 (x)"
    assert Holder(None, None, None).describe() == "unknown holder"
    assert Holder(None, "db-host", None).describe() == "on db-host"


# --- PostgreSQL -------------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_second_lock_is_busy_and_names_the_holder(postgres_url: str) -> None:
    first, second = engine_for(postgres_url), engine_for(postgres_url)
    try:
        with database_lock(first, timeout=0) as me:
            with pytest.raises(LockBusy) as info, database_lock(second, timeout=0):
                pytest.fail("took a lock that is already held")
            holder = info.value.holder
            assert holder["pid"] == os.getpid() == me.pid
            assert holder["host"] == socket.gethostname()
            assert f"pid {os.getpid()}" in str(info.value)
        # Released: the other engine can take it now.
        with database_lock(second, timeout=0) as again:
            assert again.pid == os.getpid()
    finally:
        first.dispose()
        second.dispose()


@pytest.mark.postgres
def test_postgres_lock_is_released_when_the_block_raises(postgres_url: str) -> None:
    engine = engine_for(postgres_url)
    try:
        with pytest.raises(ZeroDivisionError), database_lock(engine, timeout=0):
            _ = 1 / 0
        with database_lock(engine, timeout=0):
            pass
    finally:
        engine.dispose()


def test_mysql_second_lock_is_busy_and_names_the_holder(mysql_url: str) -> None:
    first, second = engine_for(mysql_url), engine_for(mysql_url)
    try:
        with database_lock(first, timeout=0) as me:
            with pytest.raises(LockBusy) as info, database_lock(second, timeout=0):
                pytest.fail("took a lock that is already held")
            holder = info.value.holder
            assert holder["pid"] == os.getpid() == me.pid
            assert holder["host"] == socket.gethostname()
            assert f"pid {os.getpid()}" in str(info.value)
        with database_lock(second, timeout=0) as again:
            assert again.pid == os.getpid()
    finally:
        first.dispose()
        second.dispose()


def test_mysql_locks_are_per_database(mysql_url: str, mysql_server: str) -> None:
    from tests.conftest import _mysql_database

    with _mysql_database(mysql_server) as other:
        one, two = engine_for(mysql_url), engine_for(other)
        try:
            with database_lock(one, timeout=0), database_lock(two, timeout=0):
                pass
        finally:
            one.dispose()
            two.dispose()
