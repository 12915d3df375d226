"""The ledger: the key of every row a seed revision inserted, stored as key ranges.

On PostgreSQL the bookkeeping tables live in the ``seedlib`` schema, so an application's own
``alembic check`` never sees them; elsewhere they carry a ``seedlib_`` prefix and the
application filters them with :func:`seedlib.integrations.alembic.include_object`.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    DOUBLE,
    JSON,
    REAL,
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    DateTime,
    Enum,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    any_,
    bindparam,
    cast,
    delete,
    false,
    not_,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects.mysql import LONGTEXT
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.sqltypes import NullType

from seedlib.integrations.alembic import SEEDLIB_SCHEMA

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

VERSION_TABLE = "alembic_seed_version"
#: The most bytes of keys one ledger row holds as JSON: a MySQL TEXT column holds 65,535 (the
#: ledgers this version creates use LONGTEXT there; older ones may not).
KEYS_JSON_BYTES = 60_000
#: Text of any length: MySQL's TEXT stops at 65,535 bytes.
LongText = Text().with_variant(LONGTEXT(), "mysql", "mariadb")


@dataclass(frozen=True)
class Bookkeeping:
    """seedlib's own tables for one kind of database."""

    schema: str | None
    ledger: Table
    runs: Table
    progress: Table
    audit: Table

    @property
    def version_table(self) -> str:
        return VERSION_TABLE


@cache
def bookkeeping(dialect: str) -> Bookkeeping:
    """The bookkeeping tables for ``dialect`` (schema-qualified on PostgreSQL)."""
    schema = SEEDLIB_SCHEMA if dialect == "postgresql" else None
    prefix = "" if schema else "seedlib_"
    metadata = MetaData(schema=schema)
    ledger = Table(
        f"{prefix}ledger",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("revision", String(64), nullable=False, index=True),
        Column("run_id", String(36), nullable=False),
        Column("table_name", String(255), nullable=False),
        Column("key_columns", LongText, nullable=False),
        Column("first_key", BigInteger),
        Column("last_key", BigInteger),
        Column("keys_json", LongText),
        Column("row_count", Integer, nullable=False),
        Column("recorded_at", DateTime, nullable=False),
    )
    runs = Table(
        f"{prefix}runs",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("run_id", String(36), nullable=False, index=True),
        Column("revision", String(64), nullable=False),
        Column("direction", String(16), nullable=False),
        Column("env", String(32), nullable=False),
        Column("size", String(32), nullable=False),
        Column("seed", BigInteger, nullable=False),
        Column("os_user", String(128)),
        Column("host", String(255)),
        Column("versions", LongText, nullable=False),
        Column("tables", LongText, nullable=False),
        Column("row_count", Integer, nullable=False),
        Column("started_at", DateTime, nullable=False),
        Column("finished_at", DateTime, nullable=False),
    )
    # Keys reserved for, and rows done of, each table of a revision that has not finished yet.
    progress = Table(
        f"{prefix}progress",
        metadata,
        Column("revision", String(64), primary_key=True),
        Column("table_name", String(255), primary_key=True),
        Column("reserved", LongText, nullable=False),
        Column("done", Integer, nullable=False),
        Column("content_sum", String(40), nullable=False),
        Column("size", String(32), nullable=False),
        Column("seed", BigInteger, nullable=False),
        Column("updated_at", DateTime, nullable=False),
    )
    audit = Table(
        f"{prefix}audit",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("run_id", String(36), nullable=False),
        Column("revision", String(64), nullable=False),
        Column("action", String(32), nullable=False),
        Column("os_user", String(128)),
        Column("host", String(255)),
        Column("env", String(32), nullable=False),
        Column("database", String(512), nullable=False),
        Column("tables", LongText, nullable=False),
        Column("at", DateTime, nullable=False),
    )
    return Bookkeeping(schema=schema, ledger=ledger, runs=runs, progress=progress, audit=audit)


def ensure_bookkeeping(conn: Connection) -> Bookkeeping:
    """Create seedlib's schema and tables if missing (idempotent); return them."""
    books = bookkeeping(conn.dialect.name)
    if books.schema:
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {books.schema}"))
    books.ledger.metadata.create_all(conn, checkfirst=True)
    if conn.dialect.name in ("postgresql", "mysql", "mariadb"):
        _widen(conn, books)
    return books


def _widen(conn: Connection, books: Bookkeeping) -> None:
    """Columns an earlier version made narrower take any length: the ledger's ``key_columns``
    (a table without a primary key lists all its columns there), and on MySQL every column
    now ``LONGTEXT`` that was ``TEXT`` (65,535 bytes: the keys of a few thousand rows)."""
    from sqlalchemy import inspect

    inspector = inspect(conn)
    mysql = conn.dialect.name != "postgresql"
    for table in (books.ledger, books.runs, books.progress, books.audit):
        found = {
            c["name"]: c["type"] for c in inspector.get_columns(table.name, schema=books.schema)
        }
        preparer = conn.dialect.identifier_preparer
        name = preparer.format_table(table)
        for column in table.columns:
            if column.type is not LongText or column.name not in found:
                continue
            was = found[column.name]
            if mysql and (type(was).__name__ == "TEXT" or getattr(was, "length", None)):
                null = "" if column.nullable else " NOT NULL"
                quoted = preparer.quote(column.name)
                conn.execute(text(f"ALTER TABLE {name} MODIFY {quoted} LONGTEXT{null}"))
            elif not mysql and getattr(was, "length", None) is not None:
                quoted = preparer.quote(column.name)
                conn.execute(text(f"ALTER TABLE {name} ALTER COLUMN {quoted} TYPE TEXT"))


def bookkeeping_exists(conn: Connection) -> bool:
    from sqlalchemy import inspect

    books = bookkeeping(conn.dialect.name)
    return inspect(conn).has_table(books.ledger.name, schema=books.schema)


def to_ranges(keys: Iterable[int]) -> list[tuple[int, int]]:
    """Compress integer keys into sorted, inclusive ``(first, last)`` runs."""
    if isinstance(keys, range) and keys.step == 1:  # reserved keys: no need to expand them
        return [(keys.start, keys.stop - 1)] if len(keys) else []
    ranges: list[tuple[int, int]] = []
    for key in sorted(set(keys)):
        if ranges and key == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], key)
        else:
            ranges.append((key, key))
    return ranges


def merge_ranges(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort inclusive ranges and join the ones that touch or overlap."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]))
        else:
            merged.append((first, last))
    return merged


#: ``key_columns`` of a table without a primary key starts with this: rows are matched on the
#: values of all the listed columns.
ALL_COLUMNS = "*"


@dataclass(frozen=True)
class Entry:
    """Rows of one table inserted by one revision: integer ranges, or explicit keys.

    Keys are primary-key values (one column, or a tuple for a composite key); for a table
    without a primary key they are whole rows (``key_columns`` = ``("*", col, ...)``).
    """

    table: str
    key_columns: tuple[str, ...]
    ranges: tuple[tuple[int, int], ...]
    keys: tuple[tuple[Any, ...], ...]

    @property
    def by_value(self) -> bool:
        return self.key_columns[:1] == (ALL_COLUMNS,)

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the keys are made of."""
        return self.key_columns[1:] if self.by_value else self.key_columns

    @property
    def row_count(self) -> int:
        return sum(last - first + 1 for first, last in self.ranges) + len(self.keys)

    def sample(self, limit: int = 5) -> list[str]:
        """A few keys or ranges, for messages."""
        shown = [f"{a}" if a == b else f"{a}-{b}" for a, b in self.ranges[:limit]]
        shown += [",".join(map(str, k)) for k in self.keys[: max(0, limit - len(shown))]]
        return shown


#: Ledger rows written at once from this many on go through the table loader (COPY on
#: PostgreSQL): rows left out fragment a table's keys into many ranges, and the reference ERP's
#: invoices and payments came to 72,000 ledger rows, 1.6 s as an executemany.
BULK_ROWS = 1_000


def record(
    conn: Connection,
    *,
    revision: str,
    run_id: str,
    table: str,
    key_columns: Sequence[str],
    int_keys: Iterable[int] = (),
    other_keys: Sequence[Sequence[Any]] = (),
    int_ranges: Iterable[tuple[int, int]] = (),
) -> int:
    """Write ledger rows for keys ``revision`` inserted into ``table``; return the row count.

    ``int_ranges`` are inclusive ``(first, last)`` runs of integer keys (constant memory
    however many keys they hold); ``int_keys`` single keys.
    """
    books = bookkeeping(conn.dialect.name)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows: list[dict[str, Any]] = []
    count = 0
    base = {
        "revision": revision,
        "run_id": run_id,
        "table_name": table,
        "key_columns": json.dumps(list(key_columns)),
        "recorded_at": now,
    }
    for first, last in merge_ranges([*to_ranges(int_keys), *int_ranges]):
        rows.append(
            {
                **base,
                "first_key": first,
                "last_key": last,
                "keys_json": None,
                "row_count": last - first + 1,
            }
        )
        count += last - first + 1
    for keys_json, keys_count in _json_parts(other_keys):
        rows.append(
            {
                **base,
                "first_key": None,
                "last_key": None,
                "keys_json": keys_json,
                "row_count": keys_count,
            }
        )
        count += keys_count
    if len(rows) >= BULK_ROWS and conn.in_transaction():  # the loader's own cursor begins none
        from seedlib.load import open_writer

        columns = list(rows[0])
        with open_writer(conn, books.ledger, columns) as write:
            write([[row[c] for c in columns] for row in rows])
    elif rows:
        conn.execute(books.ledger.insert(), rows)
    return count


def _json_parts(keys: Sequence[Sequence[Any]]) -> Iterator[tuple[str, int]]:
    """``keys`` as JSON, in parts of at most :data:`KEYS_JSON_BYTES` bytes (one key may be
    longer), each with its count of keys."""
    if not keys:
        return
    encoded = json.dumps([list(k) for k in keys], default=_encode)
    if len(keys) == 1 or len(encoded.encode("utf-8", "surrogatepass")) <= KEYS_JSON_BYTES:
        yield encoded, len(keys)
        return
    middle = len(keys) // 2
    yield from _json_parts(keys[:middle])
    yield from _json_parts(keys[middle:])


def entries(conn: Connection, revision: str) -> list[Entry]:
    """What ``revision`` inserted, one entry per table, in first-recorded order."""
    books = bookkeeping(conn.dialect.name)
    if not bookkeeping_exists(conn):
        return []
    ledger = books.ledger
    result = conn.execute(
        select(
            ledger.c.table_name,
            ledger.c.key_columns,
            ledger.c.first_key,
            ledger.c.last_key,
            ledger.c.keys_json,
        )
        .where(ledger.c.revision == revision)
        .order_by(ledger.c.id)
    )
    ranges: dict[str, list[tuple[int, int]]] = defaultdict(list)
    keys: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    columns: dict[str, tuple[str, ...]] = {}
    for row in result:
        columns.setdefault(row.table_name, tuple(json.loads(row.key_columns)))
        if row.first_key is not None:
            ranges[row.table_name].append((row.first_key, row.last_key))
        if row.keys_json:
            keys[row.table_name].extend(tuple(k) for k in json.loads(row.keys_json))
    return [
        Entry(
            table=name, key_columns=cols, ranges=tuple(sorted(ranges[name])), keys=tuple(keys[name])
        )
        for name, cols in columns.items()
    ]


def counts_by_revision(conn: Connection) -> dict[str, dict[str, int]]:
    """Ledgered row counts: ``{revision: {table: rows}}``."""
    if not bookkeeping_exists(conn):
        return {}
    ledger = bookkeeping(conn.dialect.name).ledger
    from sqlalchemy import func

    out: dict[str, dict[str, int]] = defaultdict(dict)
    for row in conn.execute(
        select(ledger.c.revision, ledger.c.table_name, func.sum(ledger.c.row_count)).group_by(
            ledger.c.revision, ledger.c.table_name
        )
    ):
        out[row[0]][row[1]] = int(row[2])
    return dict(out)


def forget(conn: Connection, revision: str) -> None:
    """Drop ``revision``'s ledger entries (after its rows were deleted)."""
    ledger = bookkeeping(conn.dialect.name).ledger
    conn.execute(delete(ledger).where(ledger.c.revision == revision))


def iter_keys(entry: Entry) -> Iterator[int]:
    for first, last in entry.ranges:
        yield from range(first, last + 1)


def row_token(row: Sequence[Any]) -> str:
    """A ledgered row as text that two equal rows share (its values may be JSON objects,
    which do not hash)."""
    return json.dumps(list(row), sort_keys=True, default=str)


def distinct_rows(rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """``rows`` without repeats, in order."""
    return list({row_token(r): r for r in reversed(rows)}.values())[::-1]


def decode(column: Column[Any], value: Any) -> Any:
    """A key value read back from JSON, as the column's Python type."""
    if not isinstance(value, str):
        return value
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return value
    if kind is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if kind is dt.date:
        return dt.date.fromisoformat(value)
    if kind is dt.time:
        return dt.time.fromisoformat(value)
    if kind is Decimal:
        return Decimal(value)
    if kind is uuid.UUID:
        return uuid.UUID(value)
    if kind is bytes:
        return bytes.fromhex(value)
    return value


def _encode(value: Any) -> Any:
    """A key value for JSON: bytes as hex (read back by :func:`decode`), others as text."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


#: Up to this many key ranges are matched as ``BETWEEN … OR …``; beyond it, as the span of
#: all ranges minus the keys in the gaps (rows left out make ranges many and gaps small).
FEW_RANGES = 32
#: At most this many gap keys go into one ``NOT IN``.
GAP_KEYS = 1_000_000
#: A key list longer than this goes to the server as one value (an array on PostgreSQL, a JSON
#: array on SQLite), not one bound parameter per key: psycopg takes at most 65,535 parameters
#: and SQLite 32,766, and a seeded table can have more keys or gaps than that.
MANY_VALUES = 2_000
#: When there are too many gaps, ranges at least this long stay ``BETWEEN``; shorter ones
#: are matched key by key.
LONG_RANGE = 1_000


class KeySet(ColumnElement[bool]):
    """``column IN (values)`` for any number of values (see :data:`MANY_VALUES`)."""

    inherit_cache = False
    type = Boolean()

    def __init__(self, column: ColumnElement[Any], values: Sequence[Any]) -> None:
        self.column = column
        self.values = list(values)


@compiles(KeySet)
def _key_set(element: KeySet, compiler: Any, **kw: Any) -> str:
    # MySQL drivers (PyMySQL, mysqlclient) interpolate parameters client-side: no cap.
    column = element.column
    return str(compiler.process(column.in_([typed(column, v) for v in element.values]), **kw))


@compiles(KeySet, "postgresql")
def _key_set_postgresql(element: KeySet, compiler: Any, **kw: Any) -> str:
    from sqlalchemy.dialects.postgresql import ARRAY

    column: Any = element.column
    kind = ARRAY(column.type)
    if isinstance(column.type, NullType):  # compared as text
        column, kind = Comparable(column), ARRAY(Text())
    values = cast(bindparam(None, element.values, type_=kind), kind)
    return str(compiler.process(column == any_(values), **kw))


@compiles(KeySet, "sqlite")
def _key_set_sqlite(element: KeySet, compiler: Any, **kw: Any) -> str:
    dialect = compiler.dialect
    process = element.column.type.dialect_impl(dialect).bind_processor(dialect)
    values = element.values if process is None else [process(v) for v in element.values]
    if not all(isinstance(v, int | float | str) for v in values):
        return _key_set(element, compiler, **kw)
    payload = bindparam(None, json.dumps(values), type_=Text())
    column = compiler.process(element.column, **kw)
    return f"{column} IN (SELECT value FROM json_each({compiler.process(payload, **kw)}))"


class TypedValue(ColumnElement[Any]):
    """A value compared in its column's own type: on PostgreSQL a ``real`` column against a
    ``float8`` parameter never matched (``725.507::real`` widens to 725.50701904…), nor an
    ``interval`` against text."""

    inherit_cache = False

    def __init__(self, value: Any, type_: Any) -> None:
        self.value = value
        self.type = type_


@compiles(TypedValue)
def _typed_value(element: TypedValue, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(bindparam(None, element.value, type_=element.type), **kw))


@compiles(TypedValue, "mysql")
@compiles(TypedValue, "mariadb")
def _typed_value_mysql(element: TypedValue, compiler: Any, **kw: Any) -> str:
    value = compiler.process(bindparam(None, element.value, type_=element.type), **kw)
    kind = element.type
    if not isinstance(kind, Float) or isinstance(kind, DOUBLE | REAL):
        return str(value)
    if kind.precision is not None and kind.precision > 24 and getattr(kind, "scale", None) is None:
        return str(value)  # FLOAT(25..53) is a DOUBLE
    scale = getattr(kind, "scale", None)
    if scale is not None:  # FLOAT(M,D) rounds to D decimals, then to single precision
        value = f"ROUND({value}, {int(scale)})"
    return f"CAST({value} AS FLOAT)"


@compiles(TypedValue, "postgresql")
def _typed_value_postgresql(element: TypedValue, compiler: Any, **kw: Any) -> str:
    value = bindparam(None, element.value, type_=element.type)
    if isinstance(element.type, JSON):  # json has no equality: compared as jsonb
        return f"CAST({compiler.process(value, **kw)} AS JSONB)"
    if isinstance(element.type, NullType):  # as text, like :class:`Comparable`
        return f"CAST({compiler.process(value, **kw)} AS TEXT)"
    return str(compiler.process(cast(value, element.type), **kw))


class Identical(ColumnElement[bool]):
    """A text column holds exactly ``value``, byte for byte, where plain equality is looser: a
    case-insensitive or padding collation (MySQL's ``'a' = 'A '``, PostgreSQL ``citext``), or
    JSON compared as documents. Rollback prefers such rows when it deletes some of several
    rows the database calls equal, so that an application's ``'ATTORNEY'`` outlives the seeded
    ``'attorney'``. See :func:`identical`."""

    inherit_cache = False
    type = Boolean()

    def __init__(self, column: ColumnElement[Any], value: Any) -> None:
        self.column = column
        self.value = value


def identical(column: ColumnElement[Any], value: Any) -> Identical | None:
    """:class:`Identical` for a text or JSON column holding ``value``, else None (equality is
    exact for the other types)."""
    kind = column.type
    if value is None or isinstance(kind, Enum) or not isinstance(kind, String | JSON):
        return None
    return Identical(column, value)


@compiles(Identical)
def _identical(element: Identical, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    value = compiler.process(bindparam(None, element.value, type_=element.column.type), **kw)
    return f"CAST({column} AS BLOB) = CAST({value} AS BLOB)"


@compiles(Identical, "mysql")
@compiles(Identical, "mariadb")
def _identical_mysql(element: Identical, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    value = compiler.process(bindparam(None, element.value, type_=element.column.type), **kw)
    # Binary strings compare every byte, trailing spaces included, whatever the collation.
    return (
        f"CAST(CONVERT({column} USING utf8mb4) AS BINARY) = "
        f"CAST(CONVERT({value} USING utf8mb4) AS BINARY)"
    )


@compiles(Identical, "postgresql")
def _identical_postgresql(element: Identical, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    value = compiler.process(
        cast(bindparam(None, element.value, type_=element.column.type), element.column.type),
        **kw,
    )
    return f'CAST({column} AS TEXT) COLLATE "C" = CAST({value} AS TEXT) COLLATE "C"'


class Comparable(ColumnElement[Any]):
    """A column as it is compared with ledgered values: JSON as ``jsonb`` on PostgreSQL (its
    ``json`` type has no equality, so no ``=``, ``IN`` or ``GROUP BY``)."""

    inherit_cache = False

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type

    @property
    def _from_objects(self) -> list[Any]:  # the column's table, for a SELECT's FROM
        return list(self.column._from_objects)


@compiles(Comparable)
def _comparable(element: Comparable, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column, **kw))


@compiles(Comparable, "postgresql")
def _comparable_postgresql(element: Comparable, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    if isinstance(element.type, JSON):
        return f"CAST({column} AS JSONB)"
    if isinstance(element.type, NullType):  # a type SQLAlchemy does not know (xml, ltree)
        return f"CAST({column} AS TEXT)"
    return str(column)


class RowKeySet(ColumnElement[bool]):
    """``(a, b, ...) IN (keys)`` for any number of keys: one array per column on PostgreSQL,
    one JSON document on SQLite (neither takes 100,000 parameters or that deep an expression)."""

    inherit_cache = False
    type = Boolean()

    def __init__(self, columns: Sequence[ColumnElement[Any]], keys: Sequence[tuple[Any, ...]]):
        self.columns = list(columns)
        self.keys = list(keys)


@compiles(RowKeySet)
def _row_key_set(element: RowKeySet, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(typed_tuples_in(element.columns, element.keys), **kw))


def typed_tuples_in(
    columns: Sequence[ColumnElement[Any]], keys: Sequence[tuple[Any, ...]]
) -> ColumnElement[bool]:
    """``(a, b, ...) IN (keys)``, floating point values in their columns' types."""
    if not any(isinstance(c.type, Float) for c in columns):
        return tuple_(*columns).in_(keys)
    rows = [tuple_(*(typed(c, v) for c, v in zip(columns, key, strict=True))) for key in keys]
    return tuple_(*columns).in_(rows)


@compiles(RowKeySet, "postgresql")
def _row_key_set_postgresql(element: RowKeySet, compiler: Any, **kw: Any) -> str:
    from sqlalchemy.dialects.postgresql import ARRAY

    arrays, picked = [], []
    for i, c in enumerate(element.columns):
        values = [k[i] for k in element.keys]
        if isinstance(c.type, JSON):  # as text, compared as jsonb
            texts = [None if v is None else json.dumps(v) for v in values]
            array: Any = cast(bindparam(None, texts, type_=ARRAY(Text())), ARRAY(Text()))
            picked.append(f"CAST(c{i} AS JSONB)")
        elif isinstance(c.type, NullType):  # as text, like :class:`Comparable`
            array = cast(bindparam(None, values, type_=ARRAY(Text())), ARRAY(Text()))
            picked.append(f"c{i}")
        else:
            array = cast(bindparam(None, values, type_=ARRAY(c.type)), ARRAY(c.type))
            picked.append(f"c{i}")
        arrays.append(compiler.process(array, **kw))
    columns = ", ".join(compiler.process(Comparable(c), **kw) for c in element.columns)
    names = ", ".join(f"c{i}" for i in range(len(element.columns)))
    return (
        f"({columns}) IN (SELECT {', '.join(picked)} "
        f"FROM unnest({', '.join(arrays)}) AS u({names}))"
    )


@compiles(RowKeySet, "sqlite")
def _row_key_set_sqlite(element: RowKeySet, compiler: Any, **kw: Any) -> str:
    dialect = compiler.dialect
    processors = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in element.columns]
    keys = [
        [v if p is None else p(v) for v, p in zip(key, processors, strict=True)]
        for key in element.keys
    ]
    if not all(isinstance(v, int | float | str) for key in keys for v in key):
        return _row_key_set(element, compiler, **kw)
    payload = compiler.process(bindparam(None, json.dumps(keys), type_=Text()), **kw)
    columns = ", ".join(compiler.process(c, **kw) for c in element.columns)
    parts = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(element.columns)))
    return f"({columns}) IN (SELECT {parts} FROM json_each({payload}))"


def in_values(column: ColumnElement[Any], values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN (values)``, as one server-side value when there are many."""
    if len(values) > MANY_VALUES:
        return KeySet(column, values)
    if isinstance(column.type, NullType):  # compared as text on PostgreSQL
        return Comparable(column).in_([TypedValue(v, column.type) for v in values])
    return column.in_([typed(column, v) for v in values])


def typed(column: ColumnElement[Any], value: Any) -> Any:
    """``value`` as compared with ``column``: in the column's own type when it is a binary
    floating point one. A single-precision column (PostgreSQL ``real``, MySQL ``FLOAT``) holds
    the value rounded to 24 bits, which no double parameter equals: 684.589 is stored as
    684.58898925…, so the ledgered value matched nothing, and a rollback called the rows gone."""
    if value is None:
        return value
    if not isinstance(column.type, Float):  # bound as the column's type (JSON serialised, …)
        return bindparam(None, value, type_=column.type)
    return TypedValue(value, column.type)


def _balanced_or(parts: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    """OR of ``parts`` as a balanced tree: SQLite limits the depth of an expression to 1000."""
    if len(parts) <= FEW_RANGES:
        return or_(*parts)
    middle = len(parts) // 2
    return or_(_balanced_or(parts[:middle]), _balanced_or(parts[middle:]))


def _gaps(ranges: list[tuple[int, int]], limit: int) -> list[int] | None:
    """The integers between sorted, disjoint ``ranges``; None when more than ``limit``."""
    gaps: list[int] = []
    for (_, end), (start, _) in pairwise(ranges):
        if len(gaps) + (start - end - 1) > limit:
            return None
        gaps.extend(range(end + 1, start))
    return gaps


def match_column(column: Column[Any], entry: Entry) -> ColumnElement[bool]:
    """``column`` equals one of a single-column entry's keys (or lies in one of its ranges)."""
    ranges = sorted(entry.ranges)
    parts: list[ColumnElement[bool]] = []
    gaps = _gaps(ranges, GAP_KEYS) if len(ranges) > FEW_RANGES else None
    if gaps is not None:
        span = column.between(ranges[0][0], ranges[-1][1])
        parts.append(and_(span, not_(in_values(column, gaps))) if gaps else span)
    elif len(ranges) * 2 > MANY_VALUES:
        parts.extend(column.between(a, b) for a, b in ranges if b - a + 1 >= LONG_RANGE)
        short = [k for a, b in ranges if b - a + 1 < LONG_RANGE for k in range(a, b + 1)]
        if short:
            parts.append(in_values(column, short))
    else:
        parts.extend(column.between(a, b) for a, b in ranges)
    if entry.keys:
        parts.append(in_values(column, [decode(column, k[0]) for k in entry.keys]))
    return _balanced_or(parts) if parts else false()


def _rows_by_value(columns: list[Column[Any]], rows: list[tuple[Any, ...]]) -> ColumnElement[bool]:
    """Many rows matched by all their values: the rows with NULLs in the same columns as one
    key set over their other columns (so as many conditions as there are such patterns)."""
    groups: dict[tuple[bool, ...], list[tuple[Any, ...]]] = {}
    for row in rows:
        values = tuple(decode(c, v) for c, v in zip(columns, row, strict=True))
        pattern = tuple(v is None for v in values)
        groups.setdefault(pattern, []).append(tuple(v for v in values if v is not None))
    parts: list[ColumnElement[bool]] = []
    for pattern, keys in groups.items():
        present = [c for c, null in zip(columns, pattern, strict=True) if not null]
        conditions: list[ColumnElement[bool]] = [
            c.is_(None) for c, null in zip(columns, pattern, strict=True) if null
        ]
        if len(present) == 1:
            conditions.append(in_values(present[0], [k[0] for k in keys]))
        elif present:
            conditions.append(RowKeySet(present, keys))
        parts.append(and_(*conditions))
    return _balanced_or(parts)


def match(table: Table, entry: Entry) -> ColumnElement[bool]:
    """Rows of ``table`` that ``entry`` describes (by key, or by all values)."""
    columns = [table.c[name] for name in entry.columns]
    if len(columns) == 1 and not entry.by_value:
        return match_column(columns[0], entry)
    if entry.by_value:
        rows = distinct_rows(entry.keys)
        if len(rows) * len(columns) > MANY_VALUES:
            return _rows_by_value(columns, rows)
        parts = [
            and_(
                *(
                    Comparable(c).is_not_distinct_from(TypedValue(decode(c, v), c.type))
                    for c, v in zip(columns, key, strict=True)
                )
            )
            for key in rows
        ]
        return _balanced_or(parts) if parts else false()
    keys = [tuple(decode(c, v) for c, v in zip(columns, key, strict=True)) for key in entry.keys]
    if len(keys) * len(columns) > MANY_VALUES:
        return RowKeySet(columns, keys)
    return typed_tuples_in(columns, keys) if keys else false()
