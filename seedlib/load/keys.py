"""Primary keys for new rows, taken so they never collide with rows the application writes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select, text

if TYPE_CHECKING:
    from sqlalchemy import Column, Table
    from sqlalchemy.engine import Connection


def allocate_keys(conn: Connection, table: Table, column: Column[int], count: int) -> list[int]:
    """Reserve ``count`` integer keys for ``table.column``.

    On PostgreSQL keys come from the column's sequence when it has one (``nextval``), so rows
    the application inserts at the same time get other keys. Otherwise the keys follow the
    current maximum; callers hold the seeding lock and a write transaction (SQLite's
    ``BEGIN IMMEDIATE``) while they insert.
    """
    if count <= 0:
        return []
    if conn.dialect.name == "postgresql":
        qualified = conn.dialect.identifier_preparer.format_table(table)
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": qualified, "c": column.name}
        ).scalar()
        if sequence:
            # A sequence behind the rows (keys the application set by hand) is moved past them
            # first, so nextval cannot hand out a key that is taken.
            last, called = conn.execute(text(f"SELECT last_value, is_called FROM {sequence}")).one()
            highest = conn.execute(select(func.coalesce(func.max(column), 0))).scalar_one()
            if highest >= (last + 1 if called else last):
                conn.execute(
                    text("SELECT setval(CAST(:s AS regclass), :v, true)"),
                    {"s": sequence, "v": highest},
                )
            taken = conn.execute(
                text("SELECT array_agg(nextval(CAST(:s AS regclass))) FROM generate_series(1, :n)"),
                {"s": sequence, "n": count},
            ).scalar_one()
            return sorted(taken)
    start = int(conn.execute(select(func.coalesce(func.max(column), 0))).scalar_one()) + 1
    if conn.dialect.name in ("mysql", "mariadb"):
        # Start past the AUTO_INCREMENT counter too, so keys the server already handed out
        # (to rows since deleted or not yet committed) are never reused.
        counter = conn.execute(
            text(
                "SELECT AUTO_INCREMENT FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t"
            ),
            {"t": table.name},
        ).scalar()
        start = max(start, int(counter or 0))
    return list(range(start, start + count))
