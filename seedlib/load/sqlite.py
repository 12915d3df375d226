"""SQLite loader: the sqlite3 cursor's own ``executemany``, inside the caller's transaction.

SQLAlchemy Core's executemany builds a parameter dictionary per row and runs every value through
the type's bind processor one row at a time; for seeding that costs more than the insert itself.
Here each column is converted once, with the same bind processors SQLAlchemy would use (dates and
times as ISO text, ``Decimal`` as float, ``Uuid`` as hex, JSON as text, booleans as integers), and
rows go to the driver as tuples.

One bulk setting, only while the writer is open and restored after it: a larger page cache
(``cache_size``), which keeps the unique indexes of a large table in memory (measured: 1M rows
load about 15–30 % faster than with the default 2 MiB). The others are left alone on purpose:
``temp_store`` cannot be changed inside a transaction once temporary storage exists (and seeding
makes no temporary tables); ``synchronous`` and ``journal_mode`` cannot be changed inside the seed
transaction, which is one transaction anyway (a handful of ``fsync`` calls per run), and relaxing
them would put the application's committed data at risk if the machine lost power.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from seedlib.load.generic import bind_processors, driver_rows, raw_insert_sql

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection

#: Page cache for the seed transaction, in KiB (negative = KiB in SQLite's ``cache_size``).
CACHE_KIB = 32 * 1024


@contextlib.contextmanager
def executemany_writer(
    conn: Connection, table: Table, columns: Sequence[str], *, converted: bool = False
) -> Iterator[Callable[[Sequence[Sequence[Any]]], None]]:
    """Insert rows with the sqlite3 cursor; bulk PRAGMAs for the block, restored afterwards.
    ``converted``: the rows have been through the bind processors already."""
    sql = raw_insert_sql(conn, table, columns, "?")
    processors = [] if converted else bind_processors(conn, table, columns)
    raw = conn.connection.driver_connection
    assert raw is not None
    cursor = raw.cursor()
    before = int(cursor.execute("PRAGMA cache_size").fetchone()[0])
    cursor.execute(f"PRAGMA cache_size = {min(before, -CACHE_KIB)}")
    try:

        def write(rows: Sequence[Sequence[Any]]) -> None:
            if rows:
                cursor.executemany(sql, driver_rows(rows, processors) if processors else rows)

        yield write
    finally:
        cursor.execute(f"PRAGMA cache_size = {before}")
        cursor.close()


#: SQLite folds identifiers in ASCII only (``sqlite3StrICmp``): ``É`` and ``é`` name two tables.
_ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _same_name(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.translate(_ASCII_FOLD) == b.translate(_ASCII_FOLD)


def enforced_foreign_key(
    conn: Connection, child: Table, column: str, parent: Table, referred: str
) -> bool:
    """Whether SQLite itself checked that every row written to ``child`` has its ``column`` in
    ``parent.referred``, at the end of each statement: the connection has ``foreign_keys`` on
    (it cannot change inside a transaction) and ``defer_foreign_keys`` off, the table holds that
    single-column key, and nothing in its definition says ``DEFERRED`` (``INITIALLY DEFERRED``
    is the one way to postpone a key; a column so named makes this merely cautious). Then an
    anti-join over the rows this session seeded could find nothing."""
    schema = child.schema or "main"
    if not (parent.schema is None or _same_name(parent.schema, schema)):
        return False  # SQLite keys name a parent in the child's own database

    prefix = '"' + schema.replace('"', '""') + '".'

    def pragma(name: str, argument: str) -> list[Any]:
        quoted = argument.replace("'", "''")
        return list(conn.exec_driver_sql(f"PRAGMA {prefix}{name}('{quoted}')").all())

    settings = conn.exec_driver_sql("SELECT * FROM pragma_foreign_keys, pragma_defer_foreign_keys")
    if settings.all() != [(1, 0)]:
        return False
    definition = conn.exec_driver_sql(
        f"SELECT sql FROM {prefix}sqlite_master WHERE type = ? AND name = ? COLLATE NOCASE",
        ("table", child.name),
    ).scalar()
    if not isinstance(definition, str) or "deferred" in definition.lower():
        return False
    keys: dict[int, list[Any]] = {}
    for row in pragma("foreign_key_list", child.name):  # id, seq, table, from, to, ...
        keys.setdefault(row[0], []).append(row)
    primary = [r[1] for r in pragma("table_info", parent.name) if r[5]]  # name, ..., pk
    for parts in keys.values():
        if len(parts) != 1:
            continue
        _id, _seq, table, source, target = parts[0][:5]
        if target is None and len(primary) == 1:
            target = primary[0]  # no column named: the parent's primary key
        if all(map(_same_name, (table, source, target), (parent.name, column, referred))):
            return True
    return False
