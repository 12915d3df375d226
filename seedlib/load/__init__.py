"""Writers per dialect: COPY on PostgreSQL, LOAD DATA on MySQL/MariaDB, the sqlite3 cursor's
executemany on SQLite, Core executemany elsewhere.

A writer takes rows in batches and loads them inside the caller's transaction. On PostgreSQL one
COPY stays open across batches, so the server inserts while the next batch is generated.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from seedlib.load.keys import allocate_keys, reserve_keys

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection

__all__ = [
    "allocate_keys",
    "deferrable_indexes",
    "indexes_built_after",
    "open_writer",
    "reserve_keys",
]

Write = Callable[[Sequence[Sequence[Any]]], None]


@contextlib.contextmanager
def open_writer(conn: Connection, table: Table, columns: Sequence[str]) -> Iterator[Write]:
    """A function that loads rows (tuples in ``columns`` order) into ``table``; the rows are
    in the table when the block ends. No other statement may run on ``conn`` inside it."""
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        from seedlib.load.postgresql import copy_allowed, copy_writer

        if copy_allowed(conn, table):
            with copy_writer(conn, table, columns) as write:
                yield write
            return
    if conn.dialect.name in ("mysql", "mariadb") and conn.dialect.driver == "pymysql":
        from seedlib.load.mysql import insert_writer, load_data_writer, local_infile_allowed

        opened = load_data_writer if local_infile_allowed(conn) else insert_writer
        with opened(conn, table, columns) as write:
            yield write
        return
    if conn.dialect.name == "sqlite" and conn.dialect.driver == "pysqlite":
        from seedlib.load.sqlite import executemany_writer

        with executemany_writer(conn, table, columns) as write:
            yield write
        return
    from seedlib.load.generic import insert_rows

    yield lambda rows: insert_rows(conn, table, columns, rows) if rows else None


def deferrable_indexes(
    conn: Connection,
    table: Table,
    rows: int,
    ascending: Callable[[], Collection[str]] = frozenset,
    columns: Collection[str] | None = None,
) -> list[Any]:
    """The indexes of ``table`` that :func:`indexes_built_after` may drop while ``rows`` rows
    are written to it (PostgreSQL, SQLite; none elsewhere). ``ascending()``: the columns the
    rows come in ascending order of; ``columns``: the columns an UPDATE changes, None for a
    load."""
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        from seedlib.load import postgresql

        return postgresql.deferrable_indexes(conn, table, rows, ascending)
    if conn.dialect.name == "sqlite" and conn.dialect.driver == "pysqlite":
        from seedlib.load import sqlite

        return list(sqlite.deferrable_indexes(conn, table, rows, ascending, columns))
    return []


@contextlib.contextmanager
def indexes_built_after(conn: Connection, table: Table, indexes: Sequence[Any]) -> Iterator[None]:
    """Drop ``indexes`` (from :func:`deferrable_indexes`) for the block, and build them again
    after it; inside a transaction or savepoint."""
    if not indexes:
        yield
        return
    if conn.dialect.name == "postgresql":
        from seedlib.load.postgresql import indexes_built_after as built_after
    else:
        from seedlib.load.sqlite import indexes_built_after as built_after
    with built_after(conn, table, indexes):
        yield
