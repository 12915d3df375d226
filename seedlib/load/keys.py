"""Primary keys for new rows, taken so they never collide with rows the application writes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import func, select, text

from seedlib.exceptions import ConfigurationError

if TYPE_CHECKING:
    from sqlalchemy import Column, Table
    from sqlalchemy.engine import Connection


def reserve_keys(
    conn: Connection, table: Table, column: Column[int], count: int
) -> range | list[int]:
    """Reserve ``count`` integer keys for ``table.column``, ascending.

    On PostgreSQL keys come from the column's sequence when it has one (``nextval``), and on
    MariaDB from the sequence its default draws from (``DEFAULT NEXTVAL(s)``), so rows the
    application inserts at the same time get other keys. Otherwise the keys follow the
    current maximum (and MySQL's ``AUTO_INCREMENT`` counter, or the ``sqlite_sequence`` of an
    SQLite ``AUTOINCREMENT`` table); callers hold the seeding lock and a write transaction
    (SQLite's ``BEGIN IMMEDIATE``) while they insert.

    Contiguous keys (always, except when another session draws from the same sequence at the
    same moment) come back as a ``range``: constant memory however many rows are seeded, where a
    list of a million ``int`` objects costs about 36 MB.
    """
    if count <= 0:
        return range(0)
    if conn.dialect.name == "postgresql":
        from seedlib.db import server_table

        qualified = server_table(conn, table)
        sequence = conn.execute(text(_SEQUENCE), {"t": qualified, "c": column.name}).scalar()
        if sequence:
            return _from_sequence(conn, table, column, sequence, count)
    if conn.dialect.name in ("mysql", "mariadb"):
        sequence = _mariadb_sequence(conn, table, column)
        if sequence is not None:
            drawn = _from_mariadb_sequence(conn, table, column, sequence, count)
            if drawn is not None:
                return drawn
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
    if conn.dialect.name == "sqlite":
        start = max(start, _sqlite_sequence(conn, table) + 1)
    if conn.dialect.name != "sqlite":  # (where every INTEGER holds 64 bits)
        _fits(table, column, start + count - 1)
    return range(start, start + count)


#: The sequence a column draws its keys from: the one it owns (``serial``, identity), else the
#: one its default calls (``DEFAULT nextval('shared_ids')``, shared with other tables or owned
#: by none), which the application's next INSERT would otherwise draw a seeded key from.
_SEQUENCE = """
SELECT COALESCE(pg_get_serial_sequence(:t, :c), (
    SELECT CAST(CAST(d.refobjid AS regclass) AS text)
    FROM pg_attrdef AS ad
    JOIN pg_attribute AS a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
    JOIN pg_depend AS d ON d.classid = CAST('pg_attrdef' AS regclass) AND d.objid = ad.oid
      AND d.refclassid = CAST('pg_class' AS regclass)
    JOIN pg_class AS s ON s.oid = d.refobjid AND s.relkind = 'S'
    WHERE ad.adrelid = CAST(:t AS regclass) AND a.attname = :c
    LIMIT 1))
"""


def _sqlite_sequence(conn: Connection, table: Table) -> int:
    """The largest key an SQLite ``AUTOINCREMENT`` table has handed out (``sqlite_sequence``),
    0 for other tables: keys past the maximum alone would reuse keys of rows the application
    deleted, which ``AUTOINCREMENT`` promises it never does. (Inserting the seeded keys moves
    the counter past them.)"""
    from seedlib.db import server_name

    schema = f"{server_name(conn, table.schema)}." if table.schema else ""
    exists = conn.execute(
        text(f"SELECT count(*) FROM {schema}sqlite_master WHERE name = 'sqlite_sequence'")
    ).scalar()
    if not exists:
        return 0
    seq = conn.execute(
        text(f"SELECT max(seq) FROM {schema}sqlite_sequence WHERE name = :t COLLATE NOCASE"),
        {"t": table.name},
    ).scalar()
    return int(seq or 0)


def _fits(table: Table, column: Column[int], highest: int) -> None:
    """Refuse keys past what ``column``'s integer type holds, before any is drawn."""
    from seedlib.generate.validate import int_range

    _low, high = int_range(column.type)
    if high is not None and highest > high:
        raise ConfigurationError(
            f"{table.fullname}.{column.name} cannot take keys up to {highest:,}: its type stops "
            f"at {high:,}; ask for fewer rows"
        )


def _from_sequence(
    conn: Connection, table: Table, column: Column[int], sequence: str, count: int
) -> range | list[int]:
    # A sequence behind the rows (keys the application set by hand) is moved past them first,
    # so nextval cannot hand out a key that is taken.
    last, called = conn.execute(text(f"SELECT last_value, is_called FROM {sequence}")).one()
    highest = conn.execute(select(func.coalesce(func.max(column), 0))).scalar_one()
    if highest >= (last + 1 if called else last):
        conn.execute(
            text("SELECT setval(CAST(:s AS regclass), :v, true)"), {"s": sequence, "v": highest}
        )
        last, called = highest, True
    # Nothing is drawn that the sequence or the column cannot hold (drawing 10**20 values
    # would fill the server's disk with temporary files first).
    top, step = conn.execute(
        text("SELECT seqmax, seqincrement FROM pg_sequence WHERE seqrelid = CAST(:s AS regclass)"),
        {"s": sequence},
    ).one()
    highest_drawn = (last if called else last - step) + step * count
    if step > 0 and highest_drawn > top:
        raise ConfigurationError(
            f"{table.fullname}.{column.name} cannot take {count:,} more keys: its sequence "
            f"{sequence} stops at {top:,}; ask for fewer rows"
        )
    if step > 0:
        _fits(table, column, highest_drawn)
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


#: A MariaDB column default that draws from a sequence, as ``information_schema.COLUMNS``
#: shows it (``DEFAULT NEXTVAL(s)`` and ``DEFAULT NEXT VALUE FOR s`` alike):
#: ``nextval(`db`.`s`)``, names quoted by the server.
_NEXTVAL = re.compile(r"nextval\(((?:`(?:[^`]|``)+`\.)?`(?:[^`]|``)+`)\)", re.IGNORECASE)


def _mariadb_sequence(conn: Connection, table: Table, column: Column[int]) -> str | None:
    """The sequence ``column``'s default draws its keys from (quoted), or None."""
    found = conn.execute(
        text(
            "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_DEFAULT FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND TABLE_NAME = :t "
            "AND COLUMN_NAME = :c"
        ),
        {"schema": table.schema, "t": table.name, "c": column.name},
    ).all()
    for table_name, column_name, default in found:
        # (information_schema compares names without case: `Log` and `log` are two tables)
        if (table_name, column_name) == (table.name, column.name) and default:
            match = _NEXTVAL.fullmatch(str(default).strip())
            if match:
                return match.group(1)
    return None


def _sequence_engine(conn: Connection) -> bool:
    """Whether MariaDB's SEQUENCE engine (the ``seq_1_to_<n>`` tables) is there."""
    support = conn.execute(
        text("SELECT SUPPORT FROM information_schema.ENGINES WHERE ENGINE = 'SEQUENCE'")
    ).scalar()
    return str(support or "").upper() in ("YES", "DEFAULT")


def _draw_mariadb(conn: Connection, sequence: str, count: int) -> list[int]:
    """``count`` values of ``sequence``, sorted."""
    if _sequence_engine(conn):
        # (the LIMIT keeps the derived table from being merged into an outer query, where
        # NEXTVAL could be evaluated more than once per row)
        found = conn.execute(
            text(f"SELECT NEXTVAL({sequence}) FROM seq_1_to_{count} LIMIT {count}")
        ).scalars()
        return sorted(int(k) for k in found)
    taken: list[int] = []
    while len(taken) < count:  # without it: up to 1,000 NEXTVAL in one statement (slower)
        width = min(1000, count - len(taken))
        row = conn.execute(text("SELECT " + ", ".join([f"NEXTVAL({sequence})"] * width))).one()
        taken.extend(int(k) for k in row)
    return sorted(taken)


def _from_mariadb_sequence(
    conn: Connection, table: Table, column: Column[int], sequence: str, count: int
) -> range | list[int] | None:
    """Keys drawn from a MariaDB sequence (None for a descending one: keys then follow the
    column's maximum). The sequence is first moved past keys the application set by hand,
    and nothing is drawn past what the sequence or the column holds."""
    top, step = conn.execute(text(f"SELECT maximum_value, increment FROM {sequence}")).one()
    step = int(step)
    if step <= 0:
        return None
    highest = conn.execute(select(func.max(column))).scalar()
    if highest is not None:  # (SETVAL never moves a sequence back)
        conn.execute(text(f"SELECT SETVAL({sequence}, {int(highest)})"))
    first = int(conn.execute(text(f"SELECT NEXTVAL({sequence})")).scalar_one())
    last = first + step * (count - 1)
    if last > int(top):
        raise ConfigurationError(
            f"{table.fullname}.{column.name} cannot take {count:,} more keys: its sequence "
            f"{sequence} stops at {int(top):,}; ask for fewer rows"
        )
    _fits(table, column, last)
    if count == 1:
        return range(first, first + 1)
    rest = count - 1
    if _sequence_engine(conn):
        # Only the extremes travel (see _from_sequence); another session drawing at the same
        # moment makes the block non-contiguous, and the keys are then drawn again in full.
        low, high, drawn = conn.execute(
            text(
                f"SELECT min(k), max(k), count(*) FROM (SELECT NEXTVAL({sequence}) AS k "
                f"FROM seq_1_to_{rest} LIMIT {rest}) AS reserved"
            )
        ).one()
        if (low, high, drawn) == (first + step, last, rest):
            return range(first, last + 1, step)
        return _draw_mariadb(conn, sequence, count)
    taken = [first, *_draw_mariadb(conn, sequence, rest)]
    if taken == list(range(first, last + 1, step)):
        return range(first, last + 1, step)
    return sorted(taken)
