"""Loading fed by forked generator processes, so generation overlaps with loading.

Seeding is bound by Python: generating a row costs several times what the database spends
inserting it. Rows are a pure function of their ordinal, so batches can be made in any process,
in any order. Here ``workers`` forked children each make every ``workers``-th batch, encode it
and send the bytes through a pipe; the parent only hands them to the database, in batch order,
on the caller's connection and transaction, so the table receives exactly the rows a single
process would have written, in the same order:

- PostgreSQL: the children format COPY text with psycopg's own formatter; the parent copies the
  bytes into the COPY that is open on the caller's connection.
- SQLite: the children send the driver's rows pickled; the parent passes them to the sqlite3
  cursor's ``executemany`` (SQLite runs inside the seeding process, so only the parent can
  write).

The children are forks of the caller: they inherit the generators, pools and keys without any
pickling, and never touch the database connection (they leave with ``os._exit``, so the
connection they inherited is not closed behind the parent's back). A worker is at most one
batch ahead of the loader (a pipe of 1 MiB and a buffer of 1 MiB), so memory stays bounded
however many rows are loaded.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import struct
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from seedlib.exceptions import DataError

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection

T = TypeVar("T")
R = TypeVar("R")
#: A batch of rows in column order, and a small picklable summary of it (hash sums, counts).
Made = tuple[Sequence[Sequence[Any]], Any]

_FRAME = struct.Struct("<QQB")  # COPY bytes, pickled summary, 1 if the child failed
_OK, _FAILED = 0, 1


#: (dialect, driver) pairs :func:`load_batches` loads.
FORKED_LOADERS = frozenset({("postgresql", "psycopg"), ("sqlite", "pysqlite")})
#: Without ``--workers``, segments of at least this many rows are made by forked processes.
AUTO_ROWS = 50_000


def usable_cpus() -> int:
    """CPUs this process may use: its affinity mask (where the system has one), lowered to the
    whole CPUs its cgroup's quota allows (a container started with ``--cpus``, say)."""
    try:
        cpus = len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    quota = cgroup_cpu_quota()
    return cpus if quota is None else max(1, min(cpus, int(quota)))


def cgroup_cpu_quota(
    cgroups: str = "/proc/self/cgroup", mount: str = "/sys/fs/cgroup"
) -> float | None:
    """CPUs the CPU quota of this process's cgroup allows, the smallest along its path and its
    ancestors (cgroup v2 ``cpu.max``, v1 ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``); None
    where no quota is set or nothing can be read."""
    try:
        lines = Path(cgroups).read_text().splitlines()
    except OSError:
        return None
    quotas: list[float] = []
    for line in lines:
        if line.count(":") < 2:
            continue
        _, controllers, path = line.split(":", 2)
        if controllers and "cpu" not in controllers.split(","):
            continue
        roots = [Path(mount)] if not controllers else [Path(mount, controllers), Path(mount, "cpu")]
        for root in roots:
            # Without a cgroup namespace the path is the host's; with one, the mount is ours.
            folder = root / path.lstrip("/")
            while True:
                quota = _quota_in(folder)
                if quota is not None:
                    quotas.append(quota)
                if folder == root:
                    break
                folder = folder.parent
    return min(quotas, default=None)


def _quota_in(folder: Path) -> float | None:
    try:
        if (folder / "cpu.max").exists():
            limit, period = (folder / "cpu.max").read_text().split()
        else:
            limit = (folder / "cpu.cfs_quota_us").read_text().strip()
            period = (folder / "cpu.cfs_period_us").read_text().strip()
        if limit in ("max", "-1") or int(period) <= 0:
            return None
        return int(limit) / int(period)
    except (OSError, ValueError):  # absent, unreadable or garbled: no quota known
        return None


def default_workers(spare: int = 0) -> int:
    """Generator processes to use: one per usable CPU but ``spare``, at least one, at most
    four."""
    return max(1, min(4, usable_cpus() - spare))


def workers_for(workers: int | None, rows: int, *, loads_here: bool = False) -> int:
    """Forked generator processes for a segment of ``rows`` rows; 0 makes them in this process.

    An explicit ``workers`` is obeyed (1 means this process). Without one (``None``), segments
    of at least :data:`AUTO_ROWS` rows get one process per CPU, at most four — one CPU fewer
    when the database works inside this process (``loads_here``: SQLite), which needs a CPU of
    its own — where forking is safe: on Linux, with more than one CPU, and while this process
    runs no other thread (a fork copies only the calling thread, so a lock another thread holds
    would stay locked forever in the child). Below that size the fork costs more than the
    overlap gains.
    """
    if workers is not None:
        return workers if workers > 1 else 0
    safe = sys.platform.startswith("linux") and usable_cpus() > 1 and threading.active_count() == 1
    if not safe or rows < AUTO_ROWS:
        return 0
    return default_workers(spare=1 if loads_here else 0)


def _make_and_send(
    index: int,
    workers: int,
    tasks: Sequence[Any],
    make: Callable[[Any], Made],
    encode: Callable[[Sequence[Sequence[Any]]], bytes],
    out: IO[bytes],
) -> None:
    for position in range(index, len(tasks), workers):
        rows, summary = make(tasks[position])
        data = encode(rows)
        meta = pickle.dumps(summary)
        out.write(_FRAME.pack(len(data), len(meta), _OK))
        out.write(data)
        out.write(meta)
        out.flush()


def _child(
    index: int,
    workers: int,
    tasks: Sequence[Any],
    make: Callable[[Any], Made],
    encode: Callable[[Sequence[Sequence[Any]]], bytes],
    write_fd: int,
) -> None:
    code = 0
    try:
        with os.fdopen(write_fd, "wb", buffering=1 << 20) as out:
            try:
                _make_and_send(index, workers, tasks, make, encode, out)
            except BaseException:
                code = 1
                message = pickle.dumps(traceback.format_exc())
                out.write(_FRAME.pack(0, len(message), _FAILED))
                out.write(message)
    except BaseException:  # the parent went away: nothing left to report to
        code = 1
    finally:
        os._exit(code)


def _read_exactly(source: IO[bytes], size: int) -> bytes:
    data = source.read(size)
    if len(data) != size:
        raise DataError("a row generator process ended without finishing its batches")
    return data


def load_batches(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    tasks: Sequence[T],
    make: Callable[[T], Made],
    *,
    workers: int | None = None,
    again: Callable[[T, Any], Made | None] | None = None,
) -> list[Any]:
    """Load the rows ``make`` produces for each task into ``table``, generating in ``workers``
    forked processes while the parent loads; return each task's summary, in task order.

    ``make(task)`` runs in a child process: it must not use ``conn`` (or any database
    connection) and must return ``(rows, summary)``: rows ready for the driver (bind processors
    applied), ``summary`` picklable. Rows land in ``conn``'s open transaction, in task order.
    ``again(task, summary)`` runs here, in task order, before a batch is loaded: it may return
    ``(rows, summary)`` made here to load instead (what a child could not know, say).

    Raises:
        DataError: a child failed (its traceback is in the message) or died.
        NotImplementedError: not PostgreSQL through psycopg, nor SQLite through sqlite3.
    """
    workers = max(1, min(workers or default_workers(), len(tasks) or 1))
    dialect = conn.dialect
    raw = conn.connection.driver_connection
    assert raw is not None
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        from seedlib.db import server_name, server_table

        names = ", ".join(server_name(conn, c) for c in columns)
        statement = f"COPY {server_table(conn, table)} ({names}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            formatter = copy.formatter

            def copy_text(rows: Sequence[Sequence[Any]]) -> bytes:
                chunks = [formatter.write_row(row) for row in rows]
                chunks.append(formatter.end())
                return b"".join(bytes(chunk) for chunk in chunks if chunk)

            return _relay(table, workers, tasks, make, copy_text, copy.write, again)
    if dialect.name == "sqlite" and dialect.driver == "pysqlite":
        from seedlib.load.sqlite import executemany_writer

        with executemany_writer(conn, table, columns, converted=True) as write:
            return _relay(
                table,
                workers,
                tasks,
                make,
                pickle.dumps,
                lambda data: write(pickle.loads(data)),
                again,
            )
    raise NotImplementedError("forked generators load PostgreSQL (psycopg) and SQLite only")


def _relay(
    table: Table,
    workers: int,
    tasks: Sequence[Any],
    make: Callable[[Any], Made],
    encode: Callable[[Sequence[Sequence[Any]]], bytes],
    deliver: Callable[[bytes], object],
    again: Callable[[Any, Any], Made | None] | None = None,
) -> list[Any]:
    """Fork the children, then deliver their batches in task order; their summaries."""
    summaries: list[Any] = []
    with _children(workers, tasks, make, encode) as pipes:
        for position in range(len(tasks)):
            source = pipes[position % workers]
            size, meta_size, status = _FRAME.unpack(_read_exactly(source, _FRAME.size))
            data = _read_exactly(source, size)
            meta = pickle.loads(_read_exactly(source, meta_size))
            if status != _OK:
                raise DataError(f"generating rows for {table.fullname} failed:\n{meta}")
            if again is not None and (made := again(tasks[position], meta)) is not None:
                rows, meta = made
                data = encode(rows)
            deliver(data)
            summaries.append(meta)
    return summaries


@contextlib.contextmanager
def _children(
    workers: int,
    tasks: Sequence[Any],
    make: Callable[[Any], Made],
    encode: Callable[[Sequence[Sequence[Any]]], bytes],
) -> Iterator[list[IO[bytes]]]:
    pids: list[int] = []
    pipes: list[IO[bytes]] = []
    try:
        for index in range(workers):
            read_fd, write_fd = os.pipe()
            _widen(write_fd)
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child, which leaves with os._exit
                os.close(read_fd)
                for inherited in pipes:
                    inherited.close()
                _child(index, workers, tasks, make, encode, write_fd)
            os.close(write_fd)
            pids.append(pid)
            pipes.append(os.fdopen(read_fd, "rb", buffering=1 << 20))
        yield pipes
    except BaseException:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        raise
    finally:
        for source in pipes:
            source.close()
        failed = [pid for pid in pids if os.waitpid(pid, 0)[1] != 0]
        if failed and not _unwinding():
            raise DataError(f"{len(failed)} row generator process(es) failed")


def _widen(fd: int) -> None:
    """Let the pipe hold a whole batch (Linux: up to 1 MiB for any user), so a worker starts
    its next batch at once instead of waiting for the loader to read the last one."""
    with contextlib.suppress(ImportError, AttributeError, OSError):
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)


_PIPE_BYTES = 1 << 20


def _unwinding() -> bool:
    import sys

    return sys.exc_info()[0] is not None
