"""MySQL/MariaDB loader: ``LOAD DATA LOCAL INFILE`` streamed while rows are generated.

Measured on MariaDB 10.11 (benchmarks/mysql_loaders.py): LOAD DATA LOCAL loads pre-built rows
about 1.9× faster than executemany. The rows of a writer block are streamed through a named pipe
(FIFO): a thread runs the ``LOAD DATA LOCAL INFILE`` on the caller's connection and PyMySQL reads
the pipe while the caller keeps generating, so the server inserts batch *n* while batch *n + 1*
is being made. Where named pipes do not exist the rows go to a temporary file loaded at the end.

With LOCAL the server turns data errors into warnings (as if ``IGNORE`` had been given, whatever
the SQL mode), so every load is checked: a row count or a warning that is off fails the load, and
with it the revision. Values are converted with the bind processor SQLAlchemy's INSERT would use
(``Enum`` members, ``SET`` members, JSON, ``Uuid``), then written as LOAD DATA text: ``\\N`` for
NULL, booleans as 1/0, ``Decimal`` in plain notation, datetimes without a UTC offset (as PyMySQL
sends them), binary columns as hex through ``UNHEX``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import text

from seedlib.exceptions import DataError, RowsRefused
from seedlib.load.generic import Processor, bind_processors, driver_rows, raw_insert_sql

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection

Write = Callable[[Sequence[Sequence[Any]]], None]

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0"})
_SPECIAL = re.compile(r"[\\\t\n\r\0]")
_NULL = "\\N"
#: Bytes the pipe to the loading thread holds (Linux raises the 64 KiB default up to this).
PIPE_BYTES = 1 << 20


def _timedelta(value: dt.timedelta) -> str:
    seconds = value.days * 86400 + value.seconds
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    text = f"{sign}{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{text}.{value.microseconds:06d}" if value.microseconds else text


def field(value: Any) -> str:
    """One value as a LOAD DATA text field (tab-separated, backslash-escaped)."""
    if value is None:
        return _NULL
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return _timedelta(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8").translate(_ESCAPES)
    if isinstance(value, set | frozenset):
        return ",".join(sorted(str(v) for v in value)).translate(_ESCAPES)
    return str(value).translate(_ESCAPES)


def text_column(values: Sequence[Any]) -> list[str]:
    """A column as LOAD DATA text fields, with one rule for the whole column where it can."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if kinds == {str}:
        text = [_NULL if v is None else v for v in values]
        if _SPECIAL.search("".join(text)):
            return [_NULL if v is None else v.translate(_ESCAPES) for v in values]
        return text
    if kinds == {int}:
        return [_NULL if v is None else str(v) for v in values]
    if kinds == {Decimal}:
        return [_NULL if v is None else format(v, "f") for v in values]
    return [field(v) for v in values]


def hex_column(values: Sequence[Any]) -> list[str]:
    """A binary column as hex fields, loaded through ``UNHEX``."""
    return [
        _NULL if v is None else (v.encode() if isinstance(v, str) else bytes(v)).hex()
        for v in values
    ]


class Encoder:
    """Turns batches of rows into LOAD DATA text for one table's ``columns``."""

    def __init__(self, conn: Connection, table: Table, columns: Sequence[str]) -> None:
        preparer = conn.dialect.identifier_preparer
        self.processors: list[Processor | None] = bind_processors(conn, table, columns)
        self.binary = [_is_binary(table.c[name]) for name in columns]
        targets, assignments = [], []
        for position, name in enumerate(columns):
            if self.binary[position]:
                targets.append(f"@b{position}")
                assignments.append(f"{preparer.quote(name)} = UNHEX(@b{position})")
                self.processors[position] = None  # hex straight from the bytes
            elif type(table.c[name].type).__name__ == "BIT":  # a text field would be bytes
                targets.append(f"@b{position}")
                assignments.append(f"{preparer.quote(name)} = CAST(@b{position} AS UNSIGNED)")
            else:
                targets.append(preparer.quote(name))
        self.statement = (
            f"LOAD DATA LOCAL INFILE %s INTO TABLE {preparer.format_table(table)} "
            "CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' "
            f"LINES TERMINATED BY '\\n' ({', '.join(targets)})"
            + (f" SET {', '.join(assignments)}" if assignments else "")
        )

    def encode(self, rows: Sequence[Sequence[Any]]) -> str:
        fields = [
            hex_column(column)
            if binary
            else text_column(column if process is None else [process(v) for v in column])
            for column, process, binary in zip(
                zip(*rows, strict=True), self.processors, self.binary, strict=True
            )
        ]
        return "\n".join(map("\t".join, zip(*fields, strict=True))) + "\n"


def _is_binary(column: Any) -> bool:
    try:
        return column.type.python_type is bytes
    except NotImplementedError:
        return False


def local_infile_allowed(conn: Connection) -> bool:
    """Whether this connection may use LOAD DATA LOCAL (client flag and server setting)."""
    raw = conn.connection.driver_connection
    if raw is None or not getattr(raw, "_local_infile", False):
        return False
    return bool(conn.exec_driver_sql("SELECT @@GLOBAL.local_infile").scalar())


class _Load:
    """One ``LOAD DATA LOCAL INFILE`` of ``path`` on ``conn``, run in a thread or inline."""

    def __init__(self, conn: Connection, statement: str, path: str) -> None:
        raw = conn.connection.driver_connection
        assert raw is not None
        self.raw = raw
        self.statement = statement
        self.path = path
        self.loaded = -1
        self.warnings: Sequence[Any] = ()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self.run, name="seedlib-load-data", daemon=True)

    def run(self) -> None:
        try:
            with contextlib.closing(self.raw.cursor()) as cursor:
                self.loaded = cursor.execute(self.statement, (self.path,))
                if cursor.execute("SHOW WARNINGS"):
                    # A Note keeps the row (a value rounded to the column's scale, as
                    # PostgreSQL rounds it); a Warning or an Error refused or changed it.
                    self.warnings = [w for w in cursor.fetchall() if w[0] != "Note"]
        except BaseException as error:  # handed to the caller's thread
            self.error = error

    def check(self, table: Table, count: int) -> None:
        if self.error is not None:
            raise self.error
        if self.loaded != count or self.warnings:
            detail = self.warnings[0][2] if self.warnings else f"{self.loaded} of {count} rows"
            raise RowsRefused(
                f"the server changed or dropped rows while loading {table.fullname} ({detail}); "
                "the revision was rolled back",
                str(detail),
            )


def _open_pipe(load: _Load) -> IO[str]:
    """The writing end of the FIFO, once the loading thread has opened its reading end."""
    while True:
        try:
            fd = os.open(load.path, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as error:
            if error.errno != errno.ENXIO:
                raise
            if not load.thread.is_alive():  # the server refused before reading anything
                if load.error is not None:
                    raise load.error from None
                raise DataError("LOAD DATA LOCAL ended before reading its rows") from None
            time.sleep(0.0005)
    os.set_blocking(fd, True)
    with contextlib.suppress(AttributeError, OSError):
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    return os.fdopen(fd, "w", encoding="utf-8", buffering=PIPE_BYTES)


@contextlib.contextmanager
def load_data_writer(conn: Connection, table: Table, columns: Sequence[str]) -> Iterator[Write]:
    """Stream the block's rows into one LOAD DATA LOCAL; check nothing was changed.

    Raises:
        DataError: the server loaded another number of rows or reported warnings.
    """
    encoder = Encoder(conn, table, columns)
    folder = tempfile.mkdtemp(prefix="seedlib-")
    path = os.path.join(folder, "rows.tsv")
    streaming = hasattr(os, "mkfifo")
    if streaming:
        os.mkfifo(path, 0o600)
    load = _Load(conn, encoder.statement, path)
    out: IO[str] | None = None
    count = 0
    try:

        def write(rows: Sequence[Sequence[Any]]) -> None:
            nonlocal out, count
            if not rows:
                return
            if out is None:
                if streaming:
                    load.thread.start()
                    out = _open_pipe(load)
                else:
                    out = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed below
            try:
                out.write(encoder.encode(rows))
            except BrokenPipeError:  # the load failed while reading
                load.thread.join()
                load.check(table, count + len(rows))
                raise
            count += len(rows)

        yield write
    finally:
        if out is not None:
            with contextlib.suppress(BrokenPipeError):
                out.close()
        if streaming and load.thread.ident is not None:
            load.thread.join()
        elif not streaming and count and not _unwinding():
            load.run()
        shutil.rmtree(folder, ignore_errors=True)
    if count:
        load.check(table, count)


def _unwinding() -> bool:
    import sys

    return sys.exc_info()[0] is not None


@contextlib.contextmanager
def insert_writer(conn: Connection, table: Table, columns: Sequence[str]) -> Iterator[Write]:
    """Fallback when ``local_infile`` is off: PyMySQL's executemany, which sends multi-row
    INSERTs, with values converted once per column."""
    sql = raw_insert_sql(conn, table, columns, "%s")
    processors = bind_processors(conn, table, columns)
    raw = conn.connection.driver_connection
    assert raw is not None
    with contextlib.closing(raw.cursor()) as cursor:

        def write(rows: Sequence[Sequence[Any]]) -> None:
            if rows:
                cursor.executemany(sql, driver_rows(rows, processors))

        yield write


# The foreign keys InnoDB holds on one table (a MyISAM table keeps none), looked up by the
# table's exact name (information_schema compares the referenced names without regard to case,
# so those are compared in Python), and whether the session checks them.
_FOREIGN_KEYS = """
SELECT @@foreign_key_checks, k.CONSTRAINT_NAME, k.TABLE_SCHEMA, k.TABLE_NAME, k.COLUMN_NAME,
       k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME
FROM information_schema.KEY_COLUMN_USAGE AS k
WHERE k.TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND k.TABLE_NAME = :child
  AND k.REFERENCED_TABLE_NAME IS NOT NULL
"""


def enforced_foreign_key(
    conn: Connection, child: Table, column: str, parent: Table, referred: str
) -> bool:
    """Whether the server itself checks that every row this session writes to ``child`` has
    its ``column`` in ``parent.referred`` (a single-column key InnoDB holds, with the session's
    ``foreign_key_checks`` on): then an anti-join over the rows this session seeded could find
    nothing."""
    database = conn.execute(text("SELECT DATABASE()")).scalar()
    rows = conn.execute(text(_FOREIGN_KEYS), {"schema": child.schema, "child": child.name}).all()
    by_constraint: dict[str, list[Any]] = {}
    for row in rows:
        by_constraint.setdefault(row[1], []).append(row)
    wanted = (
        child.schema or database,
        child.name,
        column,
        parent.schema or database,
        parent.name,
        referred,
    )
    return any(
        len(parts) == 1 and parts[0][0] == 1 and tuple(parts[0][2:]) == wanted
        for parts in by_constraint.values()
    )


#: Tables (not views or sequences) whose storage engine lacks transactions or savepoints, with
#: that engine (NULL: an engine the server does not have loaded).
_UNSAFE_ENGINES = """
SELECT t.TABLE_NAME, t.ENGINE
FROM information_schema.TABLES AS t
LEFT JOIN information_schema.ENGINES AS e ON e.ENGINE = t.ENGINE
WHERE t.TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND t.TABLE_NAME IN :names
  AND t.TABLE_TYPE NOT IN ('VIEW', 'SEQUENCE')
  AND NOT (COALESCE(e.TRANSACTIONS, 'NO') = 'YES' AND COALESCE(e.SAVEPOINTS, 'NO') = 'YES')
"""


def unsafe_engines(conn: Connection, tables: Sequence[Table]) -> list[tuple[Table, str]]:
    """The tables among ``tables`` whose storage engine cannot roll back (MyISAM, Aria, MEMORY,
    CSV …): each with its engine's name, in the order given.

    Seeding writes a table's rows, its ledger entries and its progress in one transaction, and
    bisects a rejected batch inside savepoints: rows written to such a table would stay when
    the revision rolls back, with no ledger entry for a rollback to find them by.
    """
    from sqlalchemy import bindparam

    by_schema: dict[str | None, list[Table]] = {}
    for table in tables:
        by_schema.setdefault(table.schema, []).append(table)
    query = text(_UNSAFE_ENGINES).bindparams(bindparam("names", expanding=True))
    found: dict[tuple[str | None, str], str] = {}
    for schema, members in by_schema.items():
        rows = conn.execute(query, {"schema": schema, "names": [t.name for t in members]})
        # (names compare exactly here: information_schema's collation ignores case, and on
        # Linux `Log` and `log` are two tables)
        found.update({(schema, str(name)): str(engine or "unknown") for name, engine in rows})
    return [(t, found[(t.schema, t.name)]) for t in tables if (t.schema, t.name) in found]


def refuse_unsafe_engines(conn: Connection, tables: Sequence[Table], leave_out: str) -> None:
    """Refuse, before anything is written, to seed tables :func:`unsafe_engines` finds.

    Args:
        leave_out: how the caller leaves a table out, with ``{table}`` for its name
            (``--table {table}=0``).

    Raises:
        ConfigurationError: names the tables, their engines and what to do.
    """
    from seedlib.exceptions import ConfigurationError

    unsafe = unsafe_engines(conn, tables)
    if not unsafe:
        return
    named = ", ".join(f"{t.fullname} ({engine})" for t, engine in unsafe)
    first = unsafe[0][0].fullname
    raise ConfigurationError(
        f"cannot seed {named}: the storage engine does not support transactions and "
        "savepoints, so rows written there could not be rolled back, nor found by a rollback "
        f"later; convert the table(s) (ALTER TABLE {first} ENGINE=InnoDB), or leave them out "
        f"({leave_out.format(table=first)})"
    )
