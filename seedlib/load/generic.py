"""Portable loader: one executemany of a Core INSERT."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection


def insert_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """executemany an INSERT of ``rows`` (tuples in ``columns`` order)."""
    conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])
