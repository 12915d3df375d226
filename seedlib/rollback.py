"""Delete exactly the rows a seed revision inserted, or refuse and say what blocks it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BINARY,
    JSON,
    VARBINARY,
    Column,
    Enum,
    LargeBinary,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    not_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.sql.sqltypes import NullType

from seedlib.db import server_table
from seedlib.engine import reflect
from seedlib.exceptions import RollbackBlocked
from seedlib.log import get_logger
from seedlib.plan.graph import insertion_order
from seedlib.plan.spec import constraint_name, foreign_key_edges
from seedlib.track import ledger

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.engine import Connection

BLOCKERS_SHOWN = 20


@dataclass
class RollbackReport:
    """Per table: rows the ledger holds, rows deleted; tables that could not be handled."""

    revision: str
    ledgered: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    samples: dict[str, list[str]] = field(default_factory=dict)
    key_ranges: dict[str, list[Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "ledgered": self.ledgered,
            "deleted": self.deleted,
            "problems": self.problems,
            "samples": self.samples,
            "keys": self.key_ranges,
        }


def preview(conn: Connection, revision: str) -> RollbackReport:
    """What removing ``revision`` would delete, from the ledger; deletes nothing."""
    report = RollbackReport(revision)
    for entry in ledger.entries(conn, revision):
        report.ledgered[entry.table] = entry.row_count
        report.samples[entry.table] = entry.sample()
        report.key_ranges[entry.table] = [list(r) for r in entry.ranges] + [
            list(k) for k in entry.keys
        ]
    return report


def unseed_revision(conn: Connection, revision: str, *, dry_run: bool = False) -> RollbackReport:
    """Delete the rows ``revision`` inserted, children first, inside ``conn``'s transaction.

    Raises:
        RollbackBlocked: rows that are not the revision's reference its rows; nothing is deleted.
    """
    log = get_logger(revision=revision)
    report = preview(conn, revision)
    entries = {e.table: e for e in ledger.entries(conn, revision)}
    if not entries:
        ledger.forget(conn, revision)
        return report
    live = _with_referencing_schemas(conn, entries)
    tables: dict[str, Table] = {}
    for name, entry in entries.items():
        table = live.tables.get(name)
        if table is None:
            report.problems.append(f"table {name} no longer exists; its ledger entries are dropped")
        elif any(c not in table.c for c in entry.columns):
            report.problems.append(
                f"{name} lost its key column(s) {', '.join(entry.key_columns)}; its "
                f"{entry.row_count} seeded row(s) cannot be found and were left in place"
            )
        else:
            tables[name] = table
    _raise_if_blocked(find_blockers(conn, list(live.tables.values()), tables, entries))
    if dry_run:
        return report

    def key(name: str) -> ColumnElement[bool]:
        return ledger.match(tables[name], entries[name])

    order = insertion_order(list(tables), foreign_key_edges(tables))
    # Cut edges inside the seeded rows first: cycles and self-references (RESTRICT checks them
    # row by row), so the deletes below never trip over each other.
    cut = {(e.child, e.name) for e in order.deferred}
    cut |= {(e.child, e.name) for e in order.self_references if e.nullable}
    for child_name, edge_name in sorted(cut):
        child = tables[child_name]
        fk = next(f for f in child.foreign_key_constraints if constraint_name(f) == edge_name)
        conn.execute(
            update(child).where(key(child_name)).values({c.name: None for c in fk.columns})
        )
    # MySQL checks a foreign key row by row, even inside one DELETE, and never lets a row go
    # that points at itself: the rows of a NOT NULL self-reference are deleted with the checks
    # off, and every key into their table is checked afterwards instead.
    unchecked = (
        {e.child for e in order.self_references if not e.nullable}
        if conn.dialect.name in ("mysql", "mariadb")
        else set()
    )
    for name in reversed(order.tables):
        keys_in = _keys_into(conn, tables[name]) if name in unchecked else []
        before = [_dangling(conn, k) for k in keys_in]
        with _foreign_key_checks_off(conn, name in unchecked):
            if entries[name].by_value:
                report.deleted[name] = _delete_by_value(conn, tables[name], entries[name])
            else:
                report.deleted[name] = int(
                    conn.execute(delete(tables[name]).where(key(name))).rowcount
                )
        for found, (count, _none) in zip(keys_in, before, strict=True):
            now, sample = _dangling(conn, found, sample=True)
            if now > count:
                raise RollbackBlocked(
                    f"{now - count} row(s) of {found.child} ({', '.join(found.columns)} = "
                    f"{sample}) point at {name} rows this rollback deleted "
                    f"({found.name}); delete or re-point them first, nothing was deleted"
                )
        result_count = report.deleted[name]
        if result_count != entries[name].row_count:
            report.problems.append(
                f"{name}: {entries[name].row_count - result_count} ledgered row(s) were "
                "already gone"
            )
        log.info("table_unseeded", table=name, rows=result_count)
    ledger.forget(conn, revision)
    return report


@contextmanager
def _foreign_key_checks_off(conn: Connection, off: bool) -> Iterator[None]:
    """MySQL's foreign-key checks off, then as they were."""
    if not off:
        yield
        return
    was = conn.exec_driver_sql("SELECT @@SESSION.foreign_key_checks").scalar()
    conn.exec_driver_sql("SET SESSION foreign_key_checks = 0")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"SET SESSION foreign_key_checks = {int(was or 0)}")


@dataclass(frozen=True)
class _KeyInto:
    """A foreign key of any table, in any database of the server, into a MySQL table."""

    name: str
    parent: str  # quoted, with its database
    child: str
    columns: tuple[str, ...]  # quoted
    referred: tuple[str, ...]


def _keys_into(conn: Connection, parent: Table) -> list[_KeyInto]:
    """Every foreign key into ``parent`` the server knows, from the information schema (a
    table of another database, or one the application's models leave out, included)."""
    quote = conn.dialect.identifier_preparer.quote
    rows = conn.execute(
        text(
            "SELECT CONSTRAINT_SCHEMA, CONSTRAINT_NAME, TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, "
            "REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE "
            "WHERE REFERENCED_TABLE_SCHEMA = COALESCE(:schema, DATABASE()) "
            "AND REFERENCED_TABLE_NAME = :table "
            "ORDER BY CONSTRAINT_SCHEMA, CONSTRAINT_NAME, TABLE_SCHEMA, TABLE_NAME, "
            "ORDINAL_POSITION"
        ),
        {"schema": parent.schema, "table": parent.name},
    ).all()
    own = conn.execute(text("SELECT COALESCE(:schema, DATABASE())"), {"schema": parent.schema})
    where = f"{quote(str(own.scalar()))}.{quote(parent.name)}"
    grouped: dict[tuple[str, str, str, str], list[tuple[str, str]]] = {}
    for schema, name, child_schema, child, column, referred in rows:
        grouped.setdefault((schema, name, child_schema, child), []).append((column, referred))
    return [
        _KeyInto(
            name=name,
            parent=where,
            child=f"{quote(child_schema)}.{quote(child)}",
            columns=tuple(quote(c) for c, _r in pairs),
            referred=tuple(quote(r) for _c, r in pairs),
        )
        for (_schema, name, child_schema, child), pairs in grouped.items()
    ]


def _dangling(conn: Connection, key: _KeyInto, sample: bool = False) -> tuple[int, str]:
    """How many rows ``key``'s table holds that point at no row (with one's values)."""
    present = " AND ".join(f"c.{c} IS NOT NULL" for c in key.columns)
    joined = " AND ".join(f"p.{r} = c.{c}" for c, r in zip(key.columns, key.referred, strict=True))
    where = f"{present} AND NOT EXISTS (SELECT 1 FROM {key.parent} p WHERE {joined})"
    count = int(
        conn.exec_driver_sql(f"SELECT COUNT(*) FROM {key.child} c WHERE {where}").scalar() or 0
    )
    if not sample or not count:
        return count, ""
    columns = ", ".join(f"c.{c}" for c in key.columns)
    row = conn.exec_driver_sql(f"SELECT {columns} FROM {key.child} c WHERE {where} LIMIT 1").first()
    return count, ", ".join(map(str, row or ()))


def find_blockers(
    conn: Connection,
    all_tables: list[Table],
    seeded: dict[str, Table],
    entries: dict[str, ledger.Entry],
) -> list[dict[str, Any]]:
    """Rows outside the ledger that reference ledgered rows through any foreign key."""
    found: list[dict[str, Any]] = []
    for child in all_tables:
        child_entry = entries.get(child.fullname)
        child_pk = list(child.primary_key.columns)
        for fk in child.foreign_key_constraints:
            parent_name = fk.referred_table.fullname
            if fk.referred_table.schema == conn.dialect.default_schema_name:
                parent_name = fk.referred_table.name  # named from another schema's table
            if parent_name not in seeded:
                continue
            element = fk.elements[0]
            parent_entry = entries[parent_name]
            if (
                len(fk.elements) == 1
                and not parent_entry.by_value
                and parent_entry.columns == (element.column.name,)
            ):
                condition = ledger.match_column(element.parent, parent_entry)
            else:  # the key references other (unique) columns of the seeded rows
                parent = seeded[parent_name]
                referred = select(*(parent.c[e.column.name] for e in fk.elements)).where(
                    ledger.match(parent, parent_entry)
                )
                pointing = [e.parent for e in fk.elements]
                condition = (
                    pointing[0].in_(referred)
                    if len(pointing) == 1
                    else tuple_(*pointing).in_(referred)
                )
            if child_entry is not None:
                # Seeded children are not blockers (a table without a primary key matches them
                # by value; an identical application row would then be missed here and make the
                # delete fail on its foreign key instead, still deleting nothing).
                condition = and_(condition, not_(ledger.match(child, child_entry)))
            shown = child_pk or [element.parent]
            rows = conn.execute(
                select(*shown, element.parent).where(condition).limit(BLOCKERS_SHOWN)
            ).all()
            for row in rows:
                found.append(
                    {
                        "table": child.fullname,
                        "key": ",".join(str(v) for v in row[: len(shown)]),
                        "references": f"{parent_name} key {row[-1]}",
                        "constraint": constraint_name(fk),
                        "on_delete": fk.ondelete or "NO ACTION",
                    }
                )
                if len(found) >= BLOCKERS_SHOWN:
                    return found
    return found


def _raise_if_blocked(blockers: list[dict[str, Any]]) -> None:
    if not blockers:
        return
    first = blockers[0]
    more = "+" if len(blockers) >= BLOCKERS_SHOWN else ""
    rows = len({(b["table"], b["key"]) for b in blockers})  # a row may hold several references
    get_logger().warning("rollback_blocked", rows=f"{rows}{more}", blockers=blockers)
    raise RollbackBlocked(
        f"{rows}{more} row(s) that seeds did not insert reference seeded rows (first: "
        f"{first['table']} key {first['key']} -> {first['references']} via "
        f"{first['constraint']}); delete or re-point them first, nothing was deleted",
        blockers,
    )


def merged_entries(conn: Connection, revisions: Sequence[str]) -> dict[str, ledger.Entry]:
    """The ledger entries of several revisions, merged per table."""
    merged: dict[str, ledger.Entry] = {}
    for revision in revisions:
        for entry in ledger.entries(conn, revision):
            seen = merged.get(entry.table)
            if seen is not None:
                entry = ledger.Entry(
                    entry.table,
                    entry.key_columns,
                    tuple(ledger.merge_ranges(seen.ranges + entry.ranges)),
                    seen.keys + entry.keys,
                )
            merged[entry.table] = entry
    return merged


def assert_not_blocked(conn: Connection, revisions: Sequence[str]) -> None:
    """Refuse, before deleting anything, a rollback of ``revisions`` that other rows block.

    Raises:
        RollbackBlocked: rows outside these revisions' ledgers reference their rows.
    """
    entries = merged_entries(conn, revisions)
    if not entries:
        return
    live = _with_referencing_schemas(conn, entries)
    tables = {name: live.tables[name] for name in entries if name in live.tables}
    _raise_if_blocked(find_blockers(conn, list(live.tables.values()), tables, entries))


#: Schemas (MySQL: databases) of the tables whose foreign keys refer to the given ones.
_REFERENCING_SCHEMAS = {
    "postgresql": "SELECT DISTINCT CAST(n.nspname AS text) FROM pg_constraint AS c "
    "JOIN pg_class AS r ON r.oid = c.conrelid JOIN pg_namespace AS n ON n.oid = r.relnamespace "
    "WHERE c.contype = 'f' AND c.confrelid = ANY(CAST(CAST(:tables AS text[]) AS regclass[]))",
    "mysql": "SELECT DISTINCT TABLE_SCHEMA FROM information_schema.KEY_COLUMN_USAGE "
    "WHERE REFERENCED_TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IN :names",
}


def _with_referencing_schemas(conn: Connection, entries: Collection[str]) -> MetaData:
    """The live tables of the ledgered ones' schemas, and of every schema holding a table
    whose foreign key refers to one of them: rows there that reference seeded rows block the
    rollback like any other (an ``ON DELETE CASCADE`` from another schema would otherwise
    delete the application's rows with them)."""
    live = reflect(conn, entries)
    dialect = "mysql" if conn.dialect.name == "mariadb" else conn.dialect.name
    query = _REFERENCING_SCHEMAS.get(dialect)
    present = [live.tables[name] for name in entries if name in live.tables]
    if query is None or not present:
        return live
    if dialect == "postgresql":
        params: dict[str, Any] = {"tables": [server_table(conn, t) for t in present]}
        statement = text(query)
    else:  # the current database's tables; another's are reached by their own schema
        params = {"names": [t.name for t in present if t.schema is None]}
        if not params["names"]:
            return live
        statement = text(query).bindparams(bindparam("names", expanding=True))
    schemas = set(conn.execute(statement, params).scalars())
    reflected = {t.schema for t in live.tables.values()}
    default = conn.dialect.default_schema_name
    missing = {s for s in schemas if s not in reflected and s != default}
    return reflect(conn, entries, missing) if missing else live


def _delete_by_value(conn: Connection, table: Table, entry: ledger.Entry) -> int:
    """Delete rows of a table without a primary key, each ledgered row once.

    Identical rows the application inserted stay: for every distinct ledgered row only as many
    copies are deleted as the seeds inserted. When no row the ledger matches is in the table
    twice (as the database groups them: a case-insensitive collation makes 'a' and 'A' one),
    one DELETE takes them all (a row at a time, each statement scans the table: 20,000 rows
    took 15–27 s); else a distinct row at a time.
    """
    columns = [table.c[name] for name in entry.columns]
    joined = False
    if conn.dialect.name in ("mysql", "mariadb"):
        with _ledgered_rows(conn, table, columns, entry) as given:
            if given is not None:
                joined = True
                seeded = and_(*(c.is_not_distinct_from(given.c[c.name]) for c in columns))
                repeated = (
                    select(*columns)
                    .select_from(table.join(given, seeded))
                    .group_by(*columns)
                    .having(func.count() > 1)
                )
                if conn.execute(repeated.limit(1)).first() is None:
                    return int(conn.execute(delete(table).where(seeded)).rowcount)
    if not joined:
        seeded = ledger.match(table, entry)
        grouped = [ledger.Comparable(c) for c in columns]
        repeated = select(*grouped).where(seeded).group_by(*grouped).having(func.count() > 1)
        if conn.execute(repeated.limit(1)).first() is None:
            return int(conn.execute(delete(table).where(seeded)).rowcount)
    copies = Counter(ledger.row_token(key) for key in entry.keys)
    deleted = 0
    for key in ledger.distinct_rows(entry.keys):
        values = tuple(ledger.decode(c, v) for c, v in zip(columns, key, strict=True))
        deleted += _delete_copies(conn, table, columns, values, copies[ledger.row_token(key)])
    return deleted


#: Columns of :func:`_ledgered_rows`'s index, and the characters of a long text it takes.
_INDEXED_COLUMNS = 3
_INDEX_PREFIX = 64


@contextmanager
def _ledgered_rows(
    conn: Connection, table: Table, columns: list[Column[Any]], entry: ledger.Entry
) -> Iterator[Table | None]:
    """MySQL: the distinct ledgered rows of a table without a primary key, in a temporary
    table whose columns have the table's own types (``CREATE … AS SELECT``: collations,
    ``FLOAT`` precision and unknown types compare as in the table), indexed on its first
    columns. Matched by a join, 20,000 rows take well under a second, where a row-value
    ``IN`` list compares every row with every key (20,000 rows: 21 s). None where the role
    may not create temporary tables (the caller then matches row values as elsewhere)."""
    from sqlalchemy.exc import DBAPIError

    preparer = conn.dialect.identifier_preparer
    name = "seedlib_ledgered_rows"
    names = ", ".join(preparer.quote(c.name) for c in columns)
    try:
        conn.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {name} AS SELECT {names} "
            f"FROM {preparer.format_table(table)} LIMIT 0"
        )
    except DBAPIError as exc:
        if not exc.orig or not exc.orig.args or exc.orig.args[0] not in (1044, 1142, 1227):
            raise
        yield None  # no CREATE TEMPORARY TABLES privilege
        return
    try:
        given = Table(name, MetaData(), *(Column(c.name, c.type) for c in columns))
        rows = ledger.distinct_rows(entry.keys)
        if rows:
            conn.execute(
                insert(given),
                [
                    {c.name: ledger.decode(c, v) for c, v in zip(columns, row, strict=True)}
                    for row in rows
                ],
            )
        parts = _index_parts(conn, columns)
        if parts:
            conn.exec_driver_sql(f"ALTER TABLE {name} ADD INDEX ({', '.join(parts)})")
        yield given
    finally:  # DROP TABLE without TEMPORARY would commit the transaction
        conn.exec_driver_sql(f"DROP TEMPORARY TABLE {name}")


def _index_parts(conn: Connection, columns: list[Column[Any]]) -> list[str]:
    """The first few columns a MySQL index takes, long texts and byte strings by a prefix
    (ENUM and SET take none, and need none)."""
    parts: list[str] = []
    for column in columns:
        kind = column.type
        if isinstance(kind, JSON | NullType) or len(parts) == _INDEXED_COLUMNS:
            continue
        quoted = conn.dialect.identifier_preparer.quote(column.name)
        listed = isinstance(kind, Enum) or type(kind).__name__ == "SET"
        long = isinstance(kind, String | LargeBinary | BINARY | VARBINARY) and not listed
        if long and (getattr(kind, "length", None) or _INDEX_PREFIX + 1) > _INDEX_PREFIX:
            quoted += f"({_INDEX_PREFIX})"
        parts.append(quoted)
    return parts


def _same(columns: list[Column[Any]], values: tuple[Any, ...]) -> ColumnElement[bool]:
    return and_(
        *(
            ledger.Comparable(c).is_not_distinct_from(ledger.TypedValue(v, c.type))
            for c, v in zip(columns, values, strict=True)
        )
    )


def _delete_copies(
    conn: Connection, table: Table, columns: list[Column[Any]], values: tuple[Any, ...], copies: int
) -> int:
    """Delete at most ``copies`` rows of ``table`` holding ``values``: first rows identical to
    them byte for byte, then (a value the database stored otherwise than it was sent) rows
    it calls equal."""
    same = _same(columns, values)
    checks = [ledger.identical(c, v) for c, v in zip(columns, values, strict=True)]
    exact = [check for check in checks if check is not None]
    deleted = _delete_some(conn, table, and_(same, *exact), copies) if exact else 0
    if deleted < copies:
        deleted += _delete_some(conn, table, same, copies - deleted)
    return deleted


def _delete_some(conn: Connection, table: Table, same: ColumnElement[bool], copies: int) -> int:
    """Delete at most ``copies`` rows of ``table`` where ``same`` holds."""
    dialect = conn.dialect.name
    if dialect in ("mysql", "mariadb"):
        stmt: Any = delete(table).where(same).with_dialect_options(mysql_limit=copies)
    else:
        if dialect == "postgresql":  # a ctid is unique within one partition only
            where: Any = tuple_(literal_column("tableoid"), literal_column("ctid")).in_(
                select(literal_column("tableoid"), literal_column("ctid"))
                .select_from(table)
                .where(same)
                .limit(copies)
            )
        else:
            row_id: ColumnElement[Any] = literal_column("rowid")
            where = row_id.in_(
                select(row_id).select_from(table).where(same).limit(copies).scalar_subquery()
            )
        stmt = delete(table).where(where)
    return int(conn.execute(stmt).rowcount)
