"""Primary keys for new rows, taken so they never collide with rows the application writes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select, text

if TYPE_CHECKING:
    from sqlalchemy import Column, Table
    from sqlalchemy.engine import Connection


def reserve_keys(
    conn: Connection, table: Table, column: Column[int], count: int
) -> range | list[int]:
    """Reserve ``count`` integer keys for ``table.column``, ascending.

    On PostgreSQL keys come from the column's sequence when it has one (``nextval``), so rows
    the application inserts at the same time get other keys. Otherwise the keys follow the
    current maximum; callers hold the seeding lock and a write transaction (SQLite's
    ``BEGIN IMMEDIATE``) while they insert.

    Contiguous keys (always, except when another session draws from the same sequence at the
    same moment) come back as a ``range``: constant memory however many rows are seeded, where a
    list of a million ``int`` objects costs about 36 MB.
    """
    if count <= 0:
        return range(0)
    if conn.dialect.name == "postgresql":
        qualified = conn.dialect.identifier_preparer.format_table(table)
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": qualified, "c": column.name}
        ).scalar()
        if sequence:
            return _from_sequence(conn, column, sequence, count)
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
    return range(start, start + count)


def _from_sequence(
    conn: Connection, column: Column[int], sequence: str, count: int
) -> range | list[int]:
    # A sequence behind the rows (keys the application set by hand) is moved past them first,
    # so nextval cannot hand out a key that is taken.
    last, called = conn.execute(text(f"SELECT last_value, is_called FROM {sequence}")).one()
    highest = conn.execute(select(func.coalesce(func.max(column), 0))).scalar_one()
    if highest >= (last + 1 if called else last):
        conn.execute(
            text("SELECT setval(CAST(:s AS regclass), :v, true)"), {"s": sequence, "v": highest}
        )
    # Only the extremes travel: a million keys parsed into Python objects would cost more
    # memory than the rest of the run. Non-contiguous keys (another session drew from the
    # sequence at the same moment) are rare; that block is left unused (sequences have gaps
    # anyway) and a second one is read in full.
    low, high, drawn = conn.execute(
        text(
            "SELECT min(k), max(k), count(*) FROM (SELECT nextval(CAST(:s AS regclass)) AS k "
            "FROM generate_series(1, :n)) AS reserved"
        ),
        {"s": sequence, "n": count},
    ).one()
    if high - low + 1 == drawn == count:
        return range(low, high + 1)
    taken = conn.execute(
        text("SELECT array_agg(nextval(CAST(:s AS regclass))) FROM generate_series(1, :n)"),
        {"s": sequence, "n": count},
    ).scalar_one()
    return sorted(taken)


def allocate_keys(conn: Connection, table: Table, column: Column[int], count: int) -> list[int]:
    """:func:`reserve_keys` as a list (prefer ``reserve_keys``: it stays small)."""
    return list(reserve_keys(conn, table, column, count))
