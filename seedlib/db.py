"""Engines with the settings seeding needs: SQLite foreign keys on, transactions that lock early."""

from __future__ import annotations

import string
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import SAWarning
from sqlalchemy.pool import NullPool

from seedlib.exceptions import ConfigurationError

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection


def normalise_url(url: str | URL) -> URL:
    """Pick the drivers seedlib ships: psycopg 3 for ``postgresql://``, PyMySQL for
    ``mysql://``/``mariadb://`` (with ``utf8mb4`` unless a charset is given)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif parsed.drivername in ("mysql", "mariadb"):
        parsed = parsed.set(drivername=f"{parsed.drivername}+pymysql")
    if parsed.get_backend_name() in ("mysql", "mariadb") and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    return parsed


def engine_for(url: str | URL, *, read_only: bool = False) -> Engine:
    """An engine for ``url``; on SQLite, with foreign keys enforced and ``BEGIN IMMEDIATE``.

    ``BEGIN IMMEDIATE`` takes SQLite's write lock when a transaction starts, so keys read at the
    start of a seed revision cannot be taken by another writer before the rows land.
    ``read_only`` (``status``, ``check``, ``plan``, previews) begins as SQLite does by default,
    taking no write lock: those commands then read while a run is writing (they failed with
    "database is locked").
    """
    parsed = normalise_url(url)
    if parsed.get_backend_name() in ("mysql", "mariadb") and parsed.get_driver_name() == "pymysql":
        # Allows LOAD DATA LOCAL INFILE of seedlib's own temporary files (see load/mysql.py).
        return create_engine(parsed, poolclass=NullPool, connect_args={"local_infile": True})
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, poolclass=NullPool)
    engine = create_engine(parsed, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below be the only one
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 5000")
        cursor.close()

    begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


def require_existing(database_url: str) -> None:
    """Refuse an SQLite file that does not exist: connecting would create an empty database
    (or fail on its missing folder), and a typo would seed, or remove, nothing."""
    url = make_url(database_url)
    path = url.database if url.get_backend_name() == "sqlite" else None
    if path not in (None, "", ":memory:") and not Path(str(path)).exists():
        raise ConfigurationError(
            f"no SQLite database at {path}; check the path, or create the database (migrate it) "
            "first"
        )


def server_table(conn: Connection, table: Table) -> str:
    """``table``'s quoted name as the server reads it, for statements sent to the driver without
    parameters (COPY, DDL) and for bind values (``CAST(:table AS regclass)``). SQLAlchemy's own
    quoting doubles a ``%`` for drivers whose parameters are ``%s``, which only a statement
    with parameters undoes: ``"Qty%%"`` named no column."""
    return _undoubled(conn, conn.dialect.identifier_preparer.format_table(table))


def server_name(conn: Connection, name: str) -> str:
    """A quoted column name as the server reads it (see :func:`server_table`)."""
    return _undoubled(conn, conn.dialect.identifier_preparer.quote(name))


def _undoubled(conn: Connection, quoted: str) -> str:
    return (
        quoted.replace("%%", "%") if conn.dialect.identifier_preparer._double_percents else quoted
    )


_REFLECTING = threading.RLock()


def reflect_into(metadata: MetaData, conn: Connection, schema: str | None = None) -> None:
    """``metadata.reflect``, without SQLAlchemy's warning for each column of a type it does not
    know (``xml``, ``ltree``, ``hstore``): seedlib compares such values as text, and a warning
    per column would bury the one line a command prints."""
    with (
        _REFLECTING,  # the dialect's methods are swapped for the block: one thread at a time
        warnings.catch_warnings(),
        _mysql_names_unescaped(conn),
        _sqlite_references_resolved(conn),
    ):
        warnings.filterwarnings("ignore", message="Did not recognize type", category=SAWarning)
        metadata.reflect(conn, schema=schema)
    for table in metadata.tables.values():  # (also those another schema's keys brought in)
        if not table.info.get("db_types_read"):
            _name_unknown_types(conn, table)
            _unwrap_domains(table)
            if conn.dialect.name == "sqlite":
                _inline_uniques(conn, table)
                _declared_types(conn, table)


@contextmanager
def _dialect_method(conn: Connection, name: str, wrap: Callable[[Any], Any]) -> Iterator[None]:
    """Replace the dialect's method ``name`` by ``wrap(original)`` for the block (on this
    dialect object only), where SQLAlchemy's reflection offers no hook."""
    dialect = conn.dialect
    if not callable(getattr(dialect, name, None)):
        yield
        return
    shadowed = vars(dialect).get(name)
    setattr(dialect, name, wrap(getattr(dialect, name)))
    try:
        yield
    finally:
        if shadowed is None:
            delattr(dialect, name)
        else:
            setattr(dialect, name, shadowed)


@contextmanager
def _sqlite_references_resolved(conn: Connection) -> Iterator[None]:
    """SQLite: the tables and columns foreign keys refer to, by their own names. SQLite folds
    the case of names (``REFERENCES parent(ID)`` refers to ``parent.id``); SQLAlchemy took the
    key's spelling and failed with ``NoReferencedColumnError``, or reflected ``PARENT`` as a
    table of its own."""
    if conn.dialect.name != "sqlite":
        yield
        return

    def wrap(original: Callable[..., list[dict[str, Any]]]) -> Callable[..., Any]:
        def get_foreign_keys(
            connection: Connection, table_name: str, schema: str | None = None, **kw: Any
        ) -> list[dict[str, Any]]:
            keys = original(connection, table_name, schema=schema, **kw)
            dialect = connection.dialect
            for key in keys:
                where = key.get("referred_schema") or schema
                tables = dialect.get_table_names(connection, schema=where, **kw)
                referred = _folded(key["referred_table"], tables)
                if referred is None:
                    continue
                key["referred_table"] = referred
                if not key["referred_columns"]:  # ``REFERENCES Parent``: its primary key
                    primary = dialect.get_pk_constraint(connection, referred, schema=where, **kw)
                    key["referred_columns"] = list(primary["constrained_columns"])
                columns = [
                    str(c["name"])
                    for c in dialect.get_columns(connection, referred, schema=where, **kw)
                ]
                key["referred_columns"] = [
                    _folded(c, columns) or c for c in key["referred_columns"]
                ]
            return keys

        return get_foreign_keys

    with _dialect_method(conn, "get_foreign_keys", wrap):
        yield


def _folded(name: str, names: Sequence[str]) -> str | None:
    """The one of ``names`` SQLite takes ``name`` for: itself, else the one equal to it but for
    the case of ASCII letters (the only case SQLite folds in names)."""
    if name in names:
        return name
    fold = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
    found = [n for n in names if n.translate(fold) == name.translate(fold)]
    return found[0] if len(found) == 1 else None


#: What MySQL's ``SHOW CREATE TABLE`` writes for characters in ENUM and SET members.
_MYSQL_ESCAPES = {"\\\\": "\\", "\\0": "\0", "\\n": "\n", "\\r": "\r", "\\Z": "\x1a"}


@contextmanager
def _mysql_names_unescaped(conn: Connection) -> Iterator[None]:
    """MySQL/MariaDB: column names and ENUM/SET members as the server holds them. SQLAlchemy
    reads them from ``SHOW CREATE TABLE`` as written there: a backtick in a column name
    doubled (every statement then named an unknown column), a backslash or a newline in a
    member escaped (every row holding it was refused)."""
    if conn.dialect.name not in ("mysql", "mariadb"):
        yield
        return

    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        def parsed_state(
            connection: Connection, table_name: str, schema: str | None = None, **kw: Any
        ) -> Any:
            state = original(connection, table_name, schema, **kw)
            if not getattr(state, "seedlib_unescaped", False):  # (cached per reflection)
                _unescape_state(connection, state)
                state.seedlib_unescaped = True
            return state

        return parsed_state

    with _dialect_method(conn, "_parsed_state_or_create", wrap):
        yield


def _unescape_state(conn: Connection, state: Any) -> None:
    import re

    from sqlalchemy.dialects.mysql import ENUM, SET

    unquote = conn.dialect.identifier_preparer._unescape_identifier
    escape = re.compile(r"\\[\\0nrZ]")

    def member(value: str) -> str:
        return escape.sub(lambda m: _MYSQL_ESCAPES[m.group(0)], value)

    for column in state.columns:
        column["name"] = unquote(column["name"])
        kind = column["type"]
        if isinstance(kind, ENUM):
            column["type"] = ENUM(
                *(member(v) for v in kind.enums), charset=kind.charset, collation=kind.collation
            )
        elif isinstance(kind, SET):
            column["type"] = SET(
                *(member(v) for v in kind.values),
                charset=kind.charset,
                collation=kind.collation,
                retrieve_as_bitwise=kind.retrieve_as_bitwise,
            )
    for key in state.keys:
        key["columns"] = [(unquote(name), *rest) for name, *rest in key["columns"]]
    for constraint in state.fk_constraints:
        constraint["local"] = [unquote(c) for c in constraint["local"]]
        constraint["foreign"] = [unquote(c) for c in constraint["foreign"]]


def _inline_uniques(conn: Connection, table: Table) -> None:
    """SQLite: add the UNIQUE constraints SQLAlchemy's reflection misses. It parses the table's
    SQL, and a column's own ``UNIQUE`` after ``NOT NULL`` or a type with a length
    (``code VARCHAR(3) NOT NULL UNIQUE``) goes unseen; the index SQLite made for it
    (``sqlite_autoindex_…``) says it all the same. Unseen, the column got repeated values,
    and the rows repeating one were refused."""
    from sqlalchemy import UniqueConstraint, inspect

    known = {
        frozenset(c.name for c in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    }
    known.add(frozenset(c.name for c in table.primary_key.columns))
    indexes = inspect(conn).get_indexes(table.name, schema=table.schema, include_auto_indexes=True)
    for index in indexes:
        columns = [str(c) for c in index["column_names"] if c is not None]
        if (
            str(index["name"] or "").startswith("sqlite_autoindex_")
            and index["unique"]
            and columns
            and frozenset(columns) not in known
            and all(c in table.c for c in columns)
        ):
            table.append_constraint(UniqueConstraint(*columns))
            known.add(frozenset(columns))


def _declared_types(conn: Connection, table: Table) -> None:
    """SQLite: a declared type SQLAlchemy does not know falls back to NUMERIC (SQLite's
    affinity), so ``UUID``, ``TIMESTAMP WITH TIME ZONE`` or ``TIMESTAMPTZ`` columns got
    numbers. Read them by their declared names instead."""
    from sqlalchemy import types

    numeric = [c for c in table.columns if type(c.type) is types.NUMERIC]
    if not numeric:
        return
    prefix = f"{conn.dialect.identifier_preparer.quote(table.schema)}." if table.schema else ""
    quoted = conn.dialect.identifier_preparer.quote(table.name)
    declared = {
        str(row[1]): str(row[2]).upper()
        for row in conn.exec_driver_sql(f"PRAGMA {prefix}table_info({quoted})")
    }
    for column in numeric:
        name = declared.get(column.name, "")
        if name.startswith(("NUMERIC", "DECIMAL")):
            continue
        zoned = "ZONE" in name or name.endswith("TZ")
        if "UUID" in name or "GUID" in name:
            # Text as the application stores it (SQLAlchemy's Uuid would write 32 hex digits,
            # and keys would match no dashed row).
            column.type = types.String(36)
            column.info["uuid_text"] = True
        elif name.startswith("TIMESTAMP") or "DATETIME" in name:
            column.type = types.DateTime(timezone=zoned)
        elif name.startswith("DATE"):
            column.type = types.Date()
        elif name.startswith("TIME"):
            column.type = types.Time(timezone=zoned)
        elif name.startswith("BOOL"):
            column.type = types.Boolean()


def _unwrap_domains(table: Table) -> None:
    """A column typed with a PostgreSQL DOMAIN gets the domain's base type, its NOT NULL and
    its CHECK (``VALUE`` read as the column), which say what values fit: as a type of its own
    it got placeholder text, and every row was refused."""
    import re

    from sqlalchemy import CheckConstraint, text
    from sqlalchemy.dialects.postgresql import DOMAIN

    for column in list(table.columns):
        kind = column.type
        if not isinstance(kind, DOMAIN):
            continue
        column.type = kind.data_type
        if kind.not_null:
            column.nullable = False
        if kind.check is not None:
            quoted = '"' + column.name.replace('"', '""').replace("\\", "\\\\") + '"'
            clause = re.sub(r"\bVALUE\b", quoted, str(kind.check), flags=re.I)
            table.append_constraint(
                CheckConstraint(text(clause), name=f"{table.name}_{column.name}_domain")
            )


#: The catalogs' names of column types, by column, for one table.
_TYPE_NAMES = {
    "postgresql": "SELECT a.attname, t.typname FROM pg_attribute AS a "
    "JOIN pg_type AS t ON t.oid = a.atttypid "
    "WHERE a.attrelid = CAST(:table AS regclass) AND a.attnum > 0 AND NOT a.attisdropped",
    "mysql": "SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS "
    "WHERE TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND TABLE_NAME = :name",
}


def _name_unknown_types(conn: Connection, table: Table) -> None:
    """Record in ``column.info["db_type"]`` the catalog's name (``inet6``, ``hstore``) of each
    column type SQLAlchemy reflected as ``NullType``, which says nothing of what values fit."""
    from sqlalchemy import text
    from sqlalchemy.sql.sqltypes import NullType

    table.info["db_types_read"] = True
    if not any(isinstance(c.type, NullType) for c in table.columns):
        return
    query = _TYPE_NAMES.get("mysql" if conn.dialect.name == "mariadb" else conn.dialect.name)
    if query is None:
        return
    target = server_table(conn, table)
    found = conn.execute(text(query), {"table": target, "schema": table.schema, "name": table.name})
    names: dict[str, str] = {str(name): str(kind).lower() for name, kind in found}
    for column in table.columns:
        if isinstance(column.type, NullType) and column.name in names:
            column.info["db_type"] = names[column.name]
            if conn.dialect.name != "postgresql" and names[column.name] in MYSQL_SPATIAL:
                column.info["spatial"] = True


#: MySQL/MariaDB spatial types: values go in and out through ``ST_GeomFromText``/``ST_AsText``,
#: which seedlib's loaders and ledger do not use, so it does not generate them.
MYSQL_SPATIAL = frozenset(
    (
        "geometry",
        "point",
        "linestring",
        "polygon",
        "multipoint",
        "multilinestring",
        "multipolygon",
        "geometrycollection",
    )
)


def cannot_connect(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not be reached or logged into, as opposed to an
    error it raised on a statement or at COMMIT (which come with no statement too)."""
    from sqlalchemy import exc as sa_exc

    if not isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return False
    if exc.statement is not None:
        return False
    orig = exc.orig
    state = getattr(orig, "sqlstate", None)
    if state is not None:  # PostgreSQL: connection exception, authorization, no such database
        return str(state)[:2] in ("08", "28") or state == "3D000"
    code = orig.args[0] if orig is not None and orig.args else None
    if isinstance(code, int):  # MySQL: the client's own errors, access, no such database
        return 2000 <= code < 3000 or code in (1044, 1045, 1049) or code == 0
    return True  # no code at all: the driver failed before the server answered
