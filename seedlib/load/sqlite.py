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
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from seedlib.exceptions import DataError
from seedlib.load.generic import bind_processors, driver_rows, raw_insert_sql

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection

#: Page cache for the seed transaction, in KiB (negative = KiB in SQLite's ``cache_size``).
CACHE_KIB = 32 * 1024
#: A load of at least this many rows into a table holding no more rows than that builds the
#: table's own indexes once, after the load, instead of row by row.
DEFER_INDEXES_ROWS = 20_000


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
    return a is not None and b is not None and _fold(a) == _fold(b)


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
    if not _same_name(parent.schema or "main", schema):
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


#: An index is one of these: its name, the statement that made it, and its ``sqlite_stat1``
#: rows (ANALYZE's statistics, which dropping the index deletes).
Index = tuple[str, str, tuple[tuple[Any, ...], ...]]


def deferrable_indexes(
    conn: Connection,
    table: Table,
    rows: int,
    ascending: Callable[[], Collection[str]] = frozenset,
    columns: Collection[str] | None = None,
) -> list[Index]:
    """``table``'s indexes that :func:`indexes_built_after` may drop while ``rows`` rows are
    written to it: none unless ``rows`` is at least ``DEFER_INDEXES_ROWS`` and the table holds
    no more rows than that already.

    Only indexes made by ``CREATE INDEX`` (those of UNIQUE and PRIMARY KEY constraints cannot
    be dropped); not one a foreign key needs as its parent key, nor one a view names
    (``INDEXED BY``), nor one with a quote or bracket in its name; none at all when a trigger
    mentions the table, when a unique index covers an expression or a part of the rows
    (building it afterwards would likely fail, and the load run twice) or when
    ``sqlite_stat4`` holds statistics for the table. ``ascending()`` names the columns the
    load sends in ascending order: an index over one of them alone stays, since appending at
    its right edge is cheap.
    ``columns``: the rows are UPDATEd, and SQLite rewrites only the index entries of the
    columns it changes, so only indexes over those are worth dropping."""
    if rows < DEFER_INDEXES_ROWS or table.schema not in (None, "main"):
        return []
    listed = conn.exec_driver_sql(
        'SELECT l.name, l."unique", l.partial, m.sql FROM pragma_index_list(?) AS l '
        "JOIN sqlite_master AS m ON m.type = 'index' AND m.name = l.name",
        (table.name,),
    ).all()
    found: list[tuple[str, str, list[str | None]]] = []
    for name, unique, partial, sql in listed:
        keys = [
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT name FROM pragma_index_xinfo(?) WHERE key ORDER BY seqno", (name,)
            )
        ]
        if unique and (partial or None in keys):
            return []
        if sql is not None:
            found.append((name, sql, keys))
    if not found:
        return []
    parent_keys = {
        _fold(r[0])
        for r in conn.exec_driver_sql(
            'SELECT f."to" FROM sqlite_master AS m, pragma_foreign_key_list(m.name) AS f '
            'WHERE m.type = \'table\' AND f."table" = ? COLLATE NOCASE AND f."to" IS NOT NULL',
            (table.name,),
        )
    }
    schema_objects = conn.exec_driver_sql(
        "SELECT type, sql FROM sqlite_master WHERE type IN ('trigger', 'view') AND sql IS NOT NULL"
        " UNION ALL SELECT type, sql FROM sqlite_temp_master WHERE sql IS NOT NULL"
    ).all()
    if _triggered([sql for kind, sql in schema_objects if kind == "trigger"], table):
        return []
    naming = [_fold(sql) for _kind, sql in schema_objects]
    if columns is not None:
        changed = {_fold(c) for c in columns}
        found = [i for i in found if any(k is not None and _fold(k) in changed for k in i[2])]
    in_order = {_fold(c) for c in ascending()} if found else set()
    found = [
        (name, sql, keys)
        for name, sql, keys in found
        if not (len(keys) == 1 and keys[0] is not None and _fold(keys[0]) in in_order)
        and not any(k is not None and _fold(k) in parent_keys for k in keys)
        and not any(_fold(name) in text for text in naming)
        and not any(q in name for q in "\"'`[]")  # named in a view in some quoted form
    ]
    if not found or not _fresh(conn, table, rows):
        return []
    stats: dict[str, tuple[tuple[Any, ...], ...]] = {}
    present = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master")}
    if (
        "sqlite_stat4" in present
        and conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_stat4 WHERE tbl = ? COLLATE NOCASE LIMIT 1", (table.name,)
        ).first()
    ):
        return []
    if "sqlite_stat1" in present:
        for name, _sql, _keys in found:
            stats[name] = tuple(
                tuple(r)
                for r in conn.exec_driver_sql(
                    "SELECT tbl, idx, stat FROM sqlite_stat1 WHERE idx = ?", (name,)
                )
            )
    return [(name, sql, stats.get(name, ())) for name, sql, _keys in found]


def _triggered(triggers: list[str], table: Table) -> bool:
    """Whether one of ``triggers`` (their SQL) mentions ``table`` (any trigger on it does): it
    may look rows of the table up by an index, and without the index every row written would
    scan the whole table (20,000 rows: 0.16 s with the index, 8.9 s without), so the table
    keeps them all."""
    name = _fold(table.name)
    return any(name in _fold(sql) for sql in triggers)


def _fold(name: str) -> str:
    return name.translate(_ASCII_FOLD)


def _fresh(conn: Connection, table: Table, rows: int) -> bool:
    """Whether ``table`` holds no more than ``rows`` rows."""
    quoted = conn.dialect.identifier_preparer.quote(table.name)
    present = conn.exec_driver_sql(
        f"SELECT count(*) FROM (SELECT 1 FROM {quoted} LIMIT ?)", (rows + 1,)
    ).scalar_one()
    return int(present) <= rows


@contextlib.contextmanager
def indexes_built_after(conn: Connection, table: Table, indexes: Sequence[Index]) -> Iterator[None]:
    """Drop ``indexes`` (from :func:`deferrable_indexes`) while ``table`` is written, and make
    them again afterwards from their own statements, with their ``sqlite_stat1`` rows.

    SQLite builds an index over existing rows by sorting them once; inserted one by one in
    random order, keys cost a descent and often a page split each. Measured on 1M rows of the
    benchmark table with its email and city in indexes of their own: 7.0–7.5 s with the
    indexes in place, 4.7–4.9 s dropping them and building them afterwards (20,000 rows: 0.080
    against 0.060 s). The caller must run this inside a transaction or savepoint: SQLite's DDL
    is transactional, other connections never see the table without its indexes, and an
    exception (a duplicate found while building a unique index included) rolls back to the
    indexes as they were. The rebuilt definitions are compared with those found when
    dropping them."""
    if not indexes:
        yield
        return

    def definitions() -> dict[str, str]:
        listed = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
        return {r[0]: r[1] for r in listed}

    originals = definitions()
    for name, _sql, _stats in indexes:
        quoted = '"' + name.replace('"', '""') + '"'  # always: SQLAlchemy leaves some bare
        conn.exec_driver_sql(f"DROP INDEX main.{quoted}")
    yield
    for _name, sql, stats in indexes:
        conn.exec_driver_sql(sql)
        if stats:
            conn.exec_driver_sql(
                "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", list(stats)
            )
    rebuilt = definitions()
    if any(rebuilt.get(name) != originals.get(name) for name, _sql, _stats in indexes):
        raise DataError(
            f"the indexes of {table.fullname} differ after rebuilding them; the revision was "
            "rolled back: report this with the table's definition, and set SEEDLIB_DEFER_INDEXES=0"
        )
