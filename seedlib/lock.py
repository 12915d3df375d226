"""One advisory lock per database, held on a dedicated connection for a whole run.

PostgreSQL uses a session-level ``pg_try_advisory_lock`` on its own autocommit connection, so the
lock dies with that connection (crash, ``kill -9``, lost network) and never leaks into a pool.
MySQL and MariaDB use ``GET_LOCK`` the same way, on one dedicated connection, released with
``RELEASE_LOCK``.
SQLite uses ``flock`` on a file beside the database; the kernel drops it when the process dies,
so a stale lock cannot outlive its holder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from seedlib.exceptions import ConfigurationError, LockBusy
from seedlib.log import get_logger

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

#: The advisory lock key on PostgreSQL ("seed" in ASCII); one per database.
PG_LOCK_KEY = 0x73656564
POLL_SECONDS = 0.2
#: A holder found gone between the failed attempt and the look at who held it.
GONE = "holder already gone"


@dataclass(frozen=True)
class Holder:
    """Who holds (or now holds) the lock."""

    pid: int | None
    host: str | None
    since: str | None
    detail: str = ""

    def describe(self) -> str:
        parts = [f"pid {self.pid}"] if self.pid is not None else []
        if self.host:
            parts.append(f"on {self.host}")
        if self.since:
            parts.append(f"since {self.since}")
        if self.detail:
            parts.append(f"({self.detail})")
        return " ".join(parts) or "unknown holder"

    def as_dict(self) -> dict[str, Any]:
        return {"pid": self.pid, "host": self.host, "since": self.since, "detail": self.detail}


def _me() -> Holder:
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return Holder(pid=os.getpid(), host=socket.gethostname(), since=now)


def _poll(try_once: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if try_once():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))


@contextlib.contextmanager
def database_lock(engine: Engine, timeout: float) -> Iterator[Holder]:
    """Hold the seeding lock of ``engine``'s database for the duration of the block.

    Args:
        engine: the target database.
        timeout: seconds to keep trying; 0 tries once.

    Raises:
        LockBusy: another run holds the lock after ``timeout`` seconds; it names the holder.
        ConfigurationError: the database has no supported lock.
    """
    backend = engine.dialect.name
    log = get_logger(lock_backend=backend)
    if backend == "postgresql":
        manager = _postgres_lock(engine, timeout)
    elif backend == "sqlite":
        manager = _sqlite_lock(engine, timeout)
    elif backend in ("mysql", "mariadb"):
        manager = _mysql_lock(engine, timeout)
    else:
        raise ConfigurationError(f"seedlib has no advisory lock for {backend!r} databases yet")
    with manager as holder:
        try:
            log.info("lock_acquired", **holder.as_dict())
            yield holder
        finally:
            log.info("lock_released")


def current_holder(engine: Engine) -> Holder | None:
    """Who holds the seeding lock of ``engine``'s database now, or None when nobody does.
    Only looks: it never takes the lock, and it creates nothing."""
    backend = engine.dialect.name
    if backend == "sqlite":
        path = sqlite_lock_path(engine)
        return _sqlite_holder(path) if path is not None else None
    if backend not in ("postgresql", "mysql", "mariadb"):
        return None
    with engine.connect() as conn:
        if backend == "postgresql":
            holder = _postgres_holder(conn)
        else:
            holder = _mysql_holder(conn, mysql_lock_name(engine))
        conn.rollback()
    return None if holder.detail == GONE else holder


@contextlib.contextmanager
def _postgres_lock(engine: Engine, timeout: float) -> Iterator[Holder]:
    me = _me()
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        label = f"seedlib pid={me.pid} host={me.host}"[:63]
        conn.execute(text("SELECT set_config('application_name', :n, false)"), {"n": label})
        got = _poll(
            lambda: bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": PG_LOCK_KEY}).scalar()
            ),
            timeout,
        )
        if not got:
            holder = _postgres_holder(conn)
            raise LockBusy(
                f"another seeding run holds the lock on this database: {holder.describe()}; "
                "wait for it to finish or raise --lock-timeout",
                holder.as_dict(),
            )
        try:
            yield me
        finally:
            with contextlib.suppress(Exception):
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PG_LOCK_KEY})
    finally:
        conn.close()


def _postgres_holder(conn: Connection) -> Holder:
    row = conn.execute(
        text(
            "SELECT a.pid, a.application_name, a.client_addr, a.backend_start "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = :k "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        {"k": PG_LOCK_KEY},
    ).first()
    if row is None:
        return Holder(pid=None, host=None, since=None, detail=GONE)
    app = str(row.application_name or "")
    fields = dict(p.split("=", 1) for p in app.split() if "=" in p)
    pid = int(fields["pid"]) if fields.get("pid", "").isdigit() else None
    host = fields.get("host") or (str(row.client_addr) if row.client_addr else "local socket")
    since = row.backend_start.isoformat(timespec="seconds") if row.backend_start else None
    return Holder(pid=pid, host=host, since=since, detail=f"server backend {row.pid}")


def mysql_lock_name(engine: Engine) -> str:
    """``GET_LOCK`` names are server-wide: one per database, at most 64 characters."""
    return f"seedlib:{engine.url.database or ''}"[:64]


#: Who holds the lock, by server connection id: GET_LOCK itself only knows the connection.
MYSQL_HOLDERS = "seedlib_lock_holders"


@contextlib.contextmanager
def _mysql_lock(engine: Engine, timeout: float) -> Iterator[Holder]:
    me = _me()
    name = mysql_lock_name(engine)
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        # GET_LOCK waits on the server for whole seconds; 0 fails at once.
        got = conn.execute(text("SELECT GET_LOCK(:n, :t)"), {"n": name, "t": round(timeout)})
        if got.scalar() != 1:
            holder = _mysql_holder(conn, name)
            raise LockBusy(
                f"another seeding run holds the lock on this database: {holder.describe()}; "
                "wait for it to finish or raise --lock-timeout",
                holder.as_dict(),
            )
        try:
            conn.execute(
                text(
                    f"CREATE TABLE IF NOT EXISTS {MYSQL_HOLDERS} (connection_id BIGINT PRIMARY "
                    "KEY, pid BIGINT, host VARCHAR(255), since VARCHAR(40))"
                )
            )
            conn.execute(
                text(f"REPLACE INTO {MYSQL_HOLDERS} VALUES (CONNECTION_ID(), :p, :h, :s)"),
                {"p": me.pid, "h": me.host, "s": me.since},
            )
            yield me
        finally:
            with contextlib.suppress(Exception):  # no row left behind for each run
                conn.execute(
                    text(f"DELETE FROM {MYSQL_HOLDERS} WHERE connection_id = CONNECTION_ID()")
                )
            with contextlib.suppress(Exception):
                conn.execute(text("SELECT RELEASE_LOCK(:n)"), {"n": name})
    finally:
        conn.close()


def _mysql_holder(conn: Connection, name: str) -> Holder:
    holder_id = conn.execute(text("SELECT IS_USED_LOCK(:n)"), {"n": name}).scalar()
    if holder_id is None:
        return Holder(pid=None, host=None, since=None, detail=GONE)
    detail = f"server connection {holder_id}"
    with contextlib.suppress(Exception):  # the table appears right after the first lock
        row = conn.execute(
            text(f"SELECT pid, host, since FROM {MYSQL_HOLDERS} WHERE connection_id = :i"),
            {"i": holder_id},
        ).first()
        if row is not None:
            return Holder(pid=row.pid, host=row.host, since=row.since, detail=detail)
    row = conn.execute(
        text("SELECT HOST, TIME FROM information_schema.PROCESSLIST WHERE ID = :i"),
        {"i": holder_id},
    ).first()
    if row is None:
        return Holder(pid=None, host=None, since=None, detail=detail)
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=int(row.TIME or 0))
    return Holder(
        pid=None, host=str(row.HOST), since=since.isoformat(timespec="seconds"), detail=detail
    )


def sqlite_lock_path(engine: Engine) -> Path | None:
    """The lock file beside a SQLite database file, or None for an in-memory database."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(database).with_name(Path(database).name + ".seedlib-lock")


@contextlib.contextmanager
def _sqlite_lock(engine: Engine, timeout: float) -> Iterator[Holder]:
    import fcntl

    me = _me()
    path = sqlite_lock_path(engine)
    if path is None:
        yield me
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:

        def try_once() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        if not _poll(try_once, timeout):
            holder = _read_holder(path)
            raise LockBusy(
                f"another seeding run holds the lock on {engine.url.database}: "
                f"{holder.describe()}; wait for it to finish or raise --lock-timeout",
                holder.as_dict(),
            )
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me.as_dict()).encode(), 0)
        try:
            yield me
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_holder(path: Path) -> Holder:
    try:
        data = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        data = {}
    return Holder(
        pid=data.get("pid"), host=data.get("host"), since=data.get("since"), detail=str(path)
    )


def _sqlite_holder(path: Path) -> Holder | None:
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(path)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
