"""PostgreSQL loader: COPY through psycopg 3 on the revision's own connection and transaction."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection


@contextlib.contextmanager
def copy_writer(
    conn: Connection, table: Table, columns: Sequence[str]
) -> Iterator[Callable[[Sequence[Sequence[Any]]], None]]:
    """One COPY … FROM STDIN for the whole block; rows land in ``conn``'s open transaction."""
    preparer = conn.dialect.identifier_preparer
    target = preparer.format_table(table)
    names = ", ".join(preparer.quote(c) for c in columns)
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
        write_row = copy.write_row

        def write(rows: Sequence[Sequence[Any]]) -> None:
            for row in rows:
                write_row(row)

        yield write
