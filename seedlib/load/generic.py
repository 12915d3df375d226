"""Portable loader (Core executemany) and the per-column value conversion the fast loaders share.

The fast loaders bypass SQLAlchemy's per-row parameter handling but not its type handling: each
column goes through the bind processor SQLAlchemy's own INSERT would apply (``Enum`` members to
their stored names, ``SET`` members to one comma list, ``Uuid``/JSON/date types as the dialect
stores them), once per column of a batch instead of once per cell through a dictionary.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection

Processor = Callable[[Any], Any]


def insert_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """executemany an INSERT of ``rows`` (tuples in ``columns`` order)."""
    conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])


def bind_processors(
    conn: Connection, table: Table, columns: Sequence[str]
) -> list[Processor | None]:
    """The driver-side conversion of each column, as SQLAlchemy's own INSERT applies it."""
    dialect = conn.dialect
    return [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]


def driver_columns(
    rows: Sequence[Sequence[Any]], processors: Sequence[Processor | None]
) -> list[Sequence[Any]]:
    """The columns of ``rows``, each converted once by its bind processor."""
    return [
        column if process is None else [process(v) for v in column]
        for column, process in zip(zip(*rows, strict=True), processors, strict=True)
    ]


def driver_rows(
    rows: Sequence[Sequence[Any]], processors: Sequence[Processor | None]
) -> list[tuple[Any, ...]]:
    """``rows`` with every column converted once, as tuples for the DB-API driver."""
    if not rows:  # a batch whose every row was left out has no columns to convert
        return []
    if not any(processors):
        return [tuple(row) for row in rows]
    return list(zip(*driver_columns(rows, processors), strict=True))


def raw_insert_sql(conn: Connection, table: Table, columns: Sequence[str], mark: str) -> str:
    """``INSERT INTO table (columns) VALUES (mark, …)`` with quoted names."""
    preparer = conn.dialect.identifier_preparer
    names = ", ".join(preparer.quote(c) for c in columns)
    marks = ", ".join([mark] * len(columns))
    return f"INSERT INTO {preparer.format_table(table)} ({names}) VALUES ({marks})"
