"""PostgreSQL loader: COPY through psycopg 3 on the revision's own connection and transaction.

Text COPY with psycopg's ``write_row`` (its C row formatter), measured against the alternatives on
the 11-column benchmark table (200,000 pre-built rows, client CPU per load): ``write_row`` in text
0.34–0.40 s; binary COPY with ``set_types`` 0.38–0.48 s; pre-formatting text blocks in Python
(column at a time, escaped only where a column needs it) and ``copy.write`` 0.58–0.73 s. The
server's share differs little between text and binary for these types, and seeding is bound by
the client, so text ``write_row`` stays: it also needs no type mapping (enums, domains, arrays and
extension types all go through the server's text input).

Columns whose type SQLAlchemy converts before binding (``Enum`` members, JSON documents, booleans)
go through the same bind processors, so COPY stores what an INSERT would.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from seedlib.db import server_name, server_table
from seedlib.exceptions import DataError
from seedlib.load.generic import bind_processors, driver_rows

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection


def copy_allowed(conn: Connection, table: Table) -> bool:
    """Whether COPY may load ``table``: PostgreSQL refuses ``COPY FROM`` where row-level
    security applies to the current role (its policies are checked row by row by INSERT)."""
    active = conn.execute(
        text("SELECT row_security_active(CAST(:table AS regclass))"),
        {"table": server_table(conn, table)},
    ).scalar()
    return not active


@contextlib.contextmanager
def copy_writer(
    conn: Connection, table: Table, columns: Sequence[str]
) -> Iterator[Callable[[Sequence[Sequence[Any]]], None]]:
    """One COPY … FROM STDIN for the whole block; rows land in ``conn``'s open transaction."""
    target = server_table(conn, table)
    names = ", ".join(server_name(conn, c) for c in columns)
    processors = bind_processors(conn, table, columns)
    convert = any(processors)
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
        write_row = copy.write_row

        def write(rows: Sequence[Sequence[Any]]) -> None:
            for row in driver_rows(rows, processors) if convert and rows else rows:
                write_row(row)

        yield write


#: A load of at least this many rows into a table holding no more rows than that builds the
#: table's secondary indexes once, after the COPY, instead of row by row.
DEFER_INDEXES_ROWS = 100_000

# Secondary indexes that can be dropped and made again exactly from their definition: not the
# primary key, none a foreign key, replica identity, extension or other object relies on, no
# comment, no clustering, no statistics target, default tablespace; constraint-backed only for
# UNIQUE constraints named like their index. Only on tables the current role owns.
_SECONDARY_INDEXES = """
SELECT CAST(CAST(i.indexrelid AS regclass) AS text), pg_get_indexdef(i.indexrelid),
       con.conname, pg_get_constraintdef(con.oid)
FROM pg_index AS i
JOIN pg_class AS ic ON ic.oid = i.indexrelid
JOIN pg_class AS tc ON tc.oid = i.indrelid
LEFT JOIN pg_constraint AS con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
WHERE i.indrelid = CAST(:table AS regclass)
  AND tc.relkind = 'r' AND NOT tc.relispartition
  AND ic.relkind = 'i' AND ic.reltablespace = 0
  AND NOT i.indisprimary AND NOT i.indisclustered AND NOT i.indisreplident
  AND i.indisvalid AND i.indisready AND i.indislive
  AND obj_description(i.indexrelid, 'pg_class') IS NULL
  AND (con.oid IS NULL OR (con.contype = 'u' AND con.conname = ic.relname
       AND obj_description(con.oid, 'pg_constraint') IS NULL))
  AND NOT EXISTS (
      SELECT 1 FROM pg_constraint AS fk WHERE fk.contype = 'f' AND fk.conindid = i.indexrelid)
  AND NOT EXISTS (
      SELECT 1 FROM pg_depend AS d
      WHERE (d.refclassid = 'pg_class'::regclass AND d.refobjid = i.indexrelid)
         OR (d.classid = 'pg_class'::regclass AND d.objid = i.indexrelid AND d.deptype = 'e'))
  AND NOT EXISTS (
      SELECT 1 FROM pg_attribute AS a
      WHERE a.attrelid = i.indexrelid AND a.attstattarget IS NOT NULL AND a.attstattarget <> -1)
  AND pg_has_role(tc.relowner, 'USAGE')
ORDER BY 1
"""

# Tables whose indexes stay: deferred triggers (deferrable foreign keys) leave events pending
# after the COPY, and PostgreSQL refuses CREATE INDEX and ALTER TABLE on such a table until
# commit; a row trigger of the table's own may look its rows up by an index, and without it
# would scan the whole table for every row loaded; a unique index over an expression or a part
# of the rows holds values seedlib cannot know, so building it after the load would likely
# fail and make the whole load run twice.
_KEEP_INDEXES = """
SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = CAST(:table AS regclass) AND tgdeferrable)
    OR EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = CAST(:table AS regclass)
               AND NOT tgisinternal AND (tgtype & 1) = 1)
    OR EXISTS (SELECT 1 FROM pg_index WHERE indrelid = CAST(:table AS regclass) AND indisunique
               AND (indexprs IS NOT NULL OR indpred IS NOT NULL))
"""


def deferrable_indexes(
    conn: Connection,
    table: Table,
    rows: int,
    ascending: Callable[[], Collection[str]] = frozenset,
) -> list[tuple[Any, ...]]:
    """``table``'s secondary indexes that :func:`indexes_built_after` may drop for a load of
    ``rows`` rows: none unless the load is at least ``DEFER_INDEXES_ROWS`` rows and the table
    holds no more rows than that already.

    ``ascending()`` names the columns whose values the load sends in ascending order: a plain
    B-tree index over one of them stays, since appending each key at the right edge of the
    index costs the server less during the COPY than building the index afterwards.
    """
    if rows < DEFER_INDEXES_ROWS:
        return []
    target = server_table(conn, table)
    found = [tuple(r) for r in conn.execute(text(_SECONDARY_INDEXES), {"table": target})]
    if found:
        in_order = ascending()
        found = [index for index in found if _only_column(index[1]) not in in_order]
    if not found or conn.execute(text(_KEEP_INDEXES), {"table": target}).scalar_one():
        return []
    return found if _fresh_and_free(conn, target, rows) else []


def _fresh_and_free(conn: Connection, target: str, rows: int, also: Sequence[str] = ()) -> bool:
    """Whether ``target`` holds no more than ``rows`` rows, and whether it and the tables
    ``also`` are now locked by this transaction: dropping an index or a foreign key locks them
    against every other session until commit, so only when no one is using them now, never by
    waiting behind (and then in front of) their queries."""
    present = conn.execute(
        text(f"SELECT count(*) FROM (SELECT 1 FROM {target} LIMIT :n) AS present"),
        {"n": rows + 1},
    ).scalar_one()
    if present > rows:
        return False
    try:
        with conn.begin_nested():
            for locked in [target, *also]:
                conn.execute(text(f"LOCK TABLE {locked} IN ACCESS EXCLUSIVE MODE NOWAIT"))
    except DBAPIError:  # lock not available, or not allowed
        return False
    return True


def _quoted(name: str) -> str:
    """A name from the catalogue as an identifier, always quoted (SQLAlchemy's quoting leaves
    some words PostgreSQL reserves, such as ``lateral``, bare)."""
    return '"' + name.replace('"', '""') + '"'


#: ``pg_get_indexdef`` of a B-tree index over one column, ascending, nothing else.
_ONE_COLUMN = re.compile(r' USING btree \((\w+|"(?:[^"]|"")+")\)$')


def _only_column(definition: str) -> str | None:
    """The column of a plain one-column ascending B-tree index definition, else None."""
    match = _ONE_COLUMN.search(definition)
    if match is None:
        return None
    name = match.group(1)
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


@contextlib.contextmanager
def indexes_built_after(
    conn: Connection, table: Table, indexes: Sequence[tuple[Any, ...]]
) -> Iterator[None]:
    """Drop ``indexes`` (from :func:`deferrable_indexes`) for a bulk load into ``table`` and
    build them again afterwards.

    Building an index once over sorted keys is far cheaper than inserting a million keys one by
    one in random order: 1M rows of the benchmark table (two UNIQUE text columns) load in 3.4 s
    instead of 6.3 s. The caller must run this inside a transaction or savepoint: the DROP and
    CREATE are part of it, so other sessions never see the table without its indexes (they wait
    on its lock until commit) and an exception — a duplicate found while building a UNIQUE
    index included — rolls everything back to the indexes as they were. Rebuilt definitions are
    compared with the originals before the block ends.
    """
    if not indexes:
        yield
        return
    target = server_table(conn, table)
    raw = conn.connection.driver_connection
    assert raw is not None
    # Definitions are sent as they are (no bind-parameter parsing: they may hold ':' or '%').
    for index, _definition, constraint, _clause in indexes:
        if constraint is None:
            raw.execute(f"DROP INDEX {index}")
        else:
            raw.execute(f"ALTER TABLE {target} DROP CONSTRAINT {_quoted(constraint)}")
    yield
    for _index, definition, constraint, clause in indexes:
        if constraint is None:
            raw.execute(definition)
        else:
            raw.execute(f"ALTER TABLE {target} ADD CONSTRAINT {_quoted(constraint)} {clause}")
    dropped = {index[0] for index in indexes}
    rebuilt = [
        tuple(r)
        for r in conn.execute(text(_SECONDARY_INDEXES), {"table": target})
        if r[0] in dropped
    ]
    if rebuilt != list(indexes):
        raise DataError(
            f"the indexes of {table.fullname} differ after rebuilding them; the revision was "
            "rolled back: report this with the table's definition, and set SEEDLIB_DEFER_INDEXES=0"
        )


#: A load of at least this many rows into a table holding no more rows than that checks the
#: table's foreign keys once, after the load, instead of row by row.
DEFER_FOREIGN_KEYS_ROWS = 50_000

# Foreign keys that can be dropped and added again exactly from their definition: validated,
# declared on this table itself (not inherited, not a partition's copy), not to the table
# itself, no comment, nothing depending on them; between plain tables, this one owned by the
# current role, which may reference the other.
_FOREIGN_KEYS = """
SELECT con.conname, pg_get_constraintdef(con.oid), CAST(CAST(con.confrelid AS regclass) AS text),
       CAST(con.conindid AS bigint)
FROM pg_constraint AS con
JOIN pg_class AS tc ON tc.oid = con.conrelid
JOIN pg_class AS pc ON pc.oid = con.confrelid
WHERE con.conrelid = CAST(:table AS regclass) AND con.contype = 'f'
  AND con.convalidated AND con.conislocal AND con.coninhcount = 0 AND con.conparentid = 0
  AND con.confrelid <> con.conrelid
  AND tc.relkind = 'r' AND NOT tc.relispartition AND pc.relkind = 'r'
  AND obj_description(con.oid, 'pg_constraint') IS NULL
  AND NOT EXISTS (
      SELECT 1 FROM pg_depend AS d
      WHERE d.refclassid = 'pg_constraint'::regclass AND d.refobjid = con.oid
        AND d.deptype <> 'i')  -- its own triggers
  AND pg_has_role(tc.relowner, 'USAGE')
  AND has_table_privilege(con.confrelid, 'REFERENCES')
  -- adding it again picks the first unique index over the referenced columns: only one may fit
  AND (SELECT count(*) FROM pg_index AS pi
       WHERE pi.indrelid = con.confrelid AND pi.indisunique AND pi.indisvalid
         AND pi.indimmediate AND pi.indpred IS NULL AND pi.indexprs IS NULL
         AND pi.indnkeyatts = cardinality(con.confkey)
         AND (SELECT array_agg(k ORDER BY k)
              FROM unnest(CAST(pi.indkey AS int2[])) WITH ORDINALITY AS u(k, n)
              WHERE n <= pi.indnkeyatts)
           = (SELECT array_agg(k ORDER BY k) FROM unnest(con.confkey) AS f(k))) = 1
ORDER BY 1
"""

# Deferred triggers leave events pending after a load, and PostgreSQL refuses ALTER TABLE on
# a table with pending events (adding a foreign key alters the referenced table too).
_PENDING_EVENTS_POSSIBLE = """
SELECT EXISTS (SELECT 1 FROM pg_trigger
               WHERE tgrelid = ANY(CAST(CAST(:tables AS text[]) AS regclass[])) AND tgdeferrable)
"""


def deferrable_foreign_keys(
    conn: Connection, table: Table, rows: int, names: Collection[str]
) -> list[tuple[str, str, int]]:
    """``table``'s foreign keys among ``names`` that :func:`foreign_keys_checked_after` may drop
    for a load of ``rows`` rows, as ``(name, definition, index of the referenced key)``: none
    unless the load is at least ``DEFER_FOREIGN_KEYS_ROWS`` rows, the table holds no more rows
    than that already, and no other session is using the table or the tables it references
    right now."""
    if rows < DEFER_FOREIGN_KEYS_ROWS or not names:
        return []
    target = server_table(conn, table)
    found = [
        tuple(r) for r in conn.execute(text(_FOREIGN_KEYS), {"table": target}) if r[0] in names
    ]
    if not found:
        return []
    referenced = sorted({r[2] for r in found})
    if conn.execute(text(_PENDING_EVENTS_POSSIBLE), {"tables": [target, *referenced]}).scalar_one():
        return []
    # Dropping a foreign key locks the table it references too.
    if not _fresh_and_free(conn, target, rows, also=referenced):
        return []
    return [(name, definition, index) for name, definition, _, index in found]


@contextlib.contextmanager
def foreign_keys_checked_after(
    conn: Connection, table: Table, foreign_keys: Sequence[tuple[str, str, int]]
) -> Iterator[None]:
    """Drop ``foreign_keys`` (from :func:`deferrable_foreign_keys`) while ``table`` is loaded and
    add them again afterwards, which checks every row at once.

    PostgreSQL checks a foreign key row by row with a trigger that looks up and locks the
    referenced row; adding the constraint checks the whole table with one join. Measured on the
    reference ERP's 450,398 order line items (two foreign keys): COPY took 12.3 s with the
    constraints in place, against 2.8 s plus 0.45 s to add them afterwards.

    The caller must run this inside a transaction or savepoint: other sessions never see the
    table without its constraints (they wait on its lock until commit), and a row that breaks
    one makes adding it fail, which rolls back to the constraints as they were. Added
    definitions are compared with the originals before the block ends.
    """
    if not foreign_keys:
        yield
        return
    target = server_table(conn, table)
    raw = conn.connection.driver_connection
    assert raw is not None
    for name, _definition, _index in foreign_keys:
        raw.execute(f"ALTER TABLE {target} DROP CONSTRAINT {_quoted(name)}")
    yield
    raw.execute(
        f"ALTER TABLE {target} "
        + ", ".join(
            f"ADD CONSTRAINT {_quoted(name)} {definition}"
            for name, definition, _index in foreign_keys
        )
    )
    dropped = {name for name, _, _ in foreign_keys}
    added = [
        (r[0], r[1], r[3])
        for r in conn.execute(text(_FOREIGN_KEYS), {"table": target})
        if r[0] in dropped
    ]
    if added != list(foreign_keys):
        raise DataError(
            f"the foreign keys of {table.fullname} differ after adding them again; the revision "
            "was rolled back: report this with the table's definition, and set "
            "SEEDLIB_DEFER_INDEXES=0"
        )


def without_jit(conn: Connection) -> str | None:
    """Turn PostgreSQL's JIT compilation off for the rest of the current transaction (what
    ``SET LOCAL jit = off`` does; a commit or rollback restores it); returns the setting it
    had, None where the server has no JIT setting.

    The planner has no statistics for the tables a seed revision has just loaded, so it
    overestimates seedlib's bulk statements (the totals' correlated sums, the verification's
    anti-joins) and compiles each one: on the reference ERP, the totals over 150,000 orders took
    7.3 s with JIT, in 30 statements, and 2.4 s without (psql, the same UPDATEs)."""
    before = conn.execute(text("SELECT current_setting('jit', true)")).scalar()
    if before is not None and before != "off":
        conn.execute(text("SELECT set_config('jit', 'off', true)"))
    return None if before is None else str(before)


def restore_jit(conn: Connection, before: str | None) -> None:
    """Undo :func:`without_jit` within the transaction (for the statements after seeding)."""
    if before is not None and before != "off":
        conn.execute(text("SELECT set_config('jit', :before, true)"), {"before": before})


# A single-column foreign key the server enforced on every row written to the table: validated,
# not deferrable (SET CONSTRAINTS cannot postpone it), its check triggers enabled, the session
# not replaying replicated changes (session_replication_role, which skips them), and on a plain
# table with no inheritance children or partitions (their rows are checked by triggers and
# constraints of their own, or not at all, while a query over the table reads them too).
_ENFORCED_FOREIGN_KEY = """
SELECT EXISTS (
    SELECT 1 FROM pg_constraint AS con
    JOIN pg_class AS child ON child.oid = con.conrelid AND child.relkind = 'r'
    JOIN pg_attribute AS ca ON ca.attrelid = con.conrelid AND ca.attnum = con.conkey[1]
    JOIN pg_attribute AS pa ON pa.attrelid = con.confrelid AND pa.attnum = con.confkey[1]
    WHERE con.conrelid = to_regclass(:child) AND con.contype = 'f'
      AND con.confrelid = to_regclass(:parent)
      AND cardinality(con.conkey) = 1 AND ca.attname = :column AND pa.attname = :referred
      AND con.convalidated AND NOT con.condeferrable
      AND current_setting('session_replication_role') = 'origin'
      AND EXISTS (SELECT 1 FROM pg_trigger AS t
                  WHERE t.tgconstraint = con.oid AND t.tgrelid = con.conrelid)
      AND NOT EXISTS (SELECT 1 FROM pg_trigger AS t
                      WHERE t.tgconstraint = con.oid AND t.tgenabled NOT IN ('O', 'A'))
      AND NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = con.conrelid)
)
"""


def enforced_foreign_key(
    conn: Connection, child: Table, column: str, parent: Table, referred: str
) -> bool:
    """Whether the server itself checks that every row written to ``child`` has its
    ``column`` in ``parent.referred`` (a foreign key it enforces now): then an anti-join over
    the rows this session seeded could find nothing."""
    found = conn.execute(
        text(_ENFORCED_FOREIGN_KEY),
        {
            "child": server_table(conn, child),
            "parent": server_table(conn, parent),
            "column": column,
            "referred": referred,
        },
    ).scalar_one()
    return bool(found)
