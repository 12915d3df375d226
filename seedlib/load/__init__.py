"""Writers per dialect: COPY on PostgreSQL, executemany elsewhere; key allocation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from seedlib.load.keys import allocate_keys

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection

__all__ = ["allocate_keys", "write_rows"]


def write_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` in ``conn``'s transaction."""
    if not rows:
        return
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        from seedlib.load.postgresql import copy_rows

        copy_rows(conn, table, columns, rows)
        return
    if conn.dialect.name in ("mysql", "mariadb") and conn.dialect.driver == "pymysql":
        from seedlib.load.mysql import load_rows

        load_rows(conn, table, columns, rows)
        return
    from seedlib.load.generic import insert_rows

    insert_rows(conn, table, columns, rows)
