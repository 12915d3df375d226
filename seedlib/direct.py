"""Seed any database directly, without seed revisions: reflect it, seed every table, ledger
the rows under a label, and remove exactly those rows later.

This is the path for a database that has no seeds environment (a test database, a copy of a
schema someone else wrote). The same lock, ledger, verification and audit trail apply as for
seed revisions; the label plays the part of the revision id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData

from seedlib import log
from seedlib.config import MAX_SIZE, Settings, Size, check_production, resolve_settings
from seedlib.db import engine_for, reflect_into, require_existing, server_table
from seedlib.exceptions import ConfigurationError, Refused, SeedError
from seedlib.integrations.alembic import SEEDLIB_SCHEMA
from seedlib.lock import database_lock
from seedlib.plan.spec import TableSpec, build_plan
from seedlib.track import ledger
from seedlib.track.ledger import VERSION_TABLE, ensure_bookkeeping

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from seedlib.engine import Progress, TableReport
    from seedlib.rollback import RollbackReport

#: Ledger entries of direct seeding are stored under this prefix plus the label.
LABEL_PREFIX = "label:"
DEFAULT_LABEL = "default"
DEFAULT_ROWS = 100
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,56}")
#: Tables never seeded: Alembic version tables and seedlib's own bookkeeping.
_SKIPPED_TABLES = {"alembic_version", VERSION_TABLE}


@dataclass
class SeedResult:
    """What :func:`seed` did (or, with ``dry_run``, would do)."""

    label: str
    dry_run: bool
    tables: list[dict[str, Any]] = field(default_factory=list)
    already_seeded: bool = False
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(int(t.get("rows", 0)) for t in self.tables)

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "dry_run": self.dry_run,
            "already_seeded": self.already_seeded,
            "rows": self.total_rows,
            "seconds": round(self.seconds, 3),
            "tables": self.tables,
        }


def ledger_key(label: str) -> str:
    """The ledger's revision id for ``label``.

    Raises:
        ConfigurationError: the label is not 1-57 letters, digits, ``_``, ``.`` or ``-``.
    """
    if not _LABEL.fullmatch(label):
        raise ConfigurationError(
            f"invalid label {label!r}: use 1-57 letters, digits, '_', '.' or '-', starting "
            "with a letter or digit"
        )
    return LABEL_PREFIX + label


def reflect_tables(conn: Connection, schemas: Sequence[str] = ()) -> MetaData:
    """The live tables of ``schemas`` (default: the connection's default schema), without
    Alembic's and seedlib's own tables."""
    metadata = MetaData()
    # The default schema goes by unqualified names, as the foreign keys of the other schemas'
    # tables name it: reflected as "public", its tables came twice (``customer`` and
    # ``public.customer``) and were seeded twice.
    default = conn.dialect.default_schema_name
    targets = list(dict.fromkeys(None if s == default else s for s in schemas)) or [None]
    for schema in targets:
        reflect_into(metadata, conn, schema)
    if conn.dialect.name in ("mysql", "mariadb"):
        _column_checks(conn, metadata)
    if conn.dialect.name == "postgresql":
        _partitions(conn, metadata)
    for table in list(metadata.tables.values()):
        if (
            table.name in _SKIPPED_TABLES
            or table.name.startswith("seedlib_")
            or table.schema == SEEDLIB_SCHEMA
        ):
            metadata.remove(table)
    return metadata


#: PostgreSQL partitions, and the partition key and bounds of partitioned tables.
_PARTITIONS = """
SELECT CAST(CAST(c.oid AS regclass) AS text), c.relispartition, c.relkind = 'p',
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
       CASE WHEN c.relkind = 'p' THEN ARRAY(
           SELECT pg_get_expr(p.relpartbound, p.oid) FROM pg_inherits AS i
           JOIN pg_class AS p ON p.oid = i.inhrelid WHERE i.inhparent = c.oid) END
FROM pg_class AS c
WHERE c.oid = ANY(CAST(CAST(:tables AS text[]) AS regclass[]))
  AND (c.relispartition OR c.relkind = 'p')
"""
_BOUND = re.compile(
    r"FOR VALUES (?:IN \((?P<values>.*)\)|FROM \((?P<low>.*)\) TO \((?P<high>.*)\))"
)


def _partitions(conn: Connection, metadata: MetaData) -> None:
    """Seed a partitioned table, never its partitions (each row lands in the partition its key
    picks; seeding the partitions as tables of their own doubled the rows), and keep the
    partition key within the partitions' bounds, as a CHECK would (rows outside every bound
    were refused). A DEFAULT partition takes any key; hash partitions any value."""
    from sqlalchemy import CheckConstraint, text

    by_name = {server_table(conn, t): t for t in metadata.tables.values()}
    rows = conn.execute(text(_PARTITIONS), {"tables": list(by_name)}).all()
    for name, is_partition, partitioned, key, bounds in rows:
        table = by_name.get(name)
        if table is None:
            continue
        if is_partition:
            metadata.remove(table)
        if not partitioned or "DEFAULT" in bounds:
            continue
        method, _, column = str(key).partition(" ")
        column = column.strip("()")
        if "," in column or column.strip('"') not in table.c or not bounds:
            continue  # several columns, an expression, or no partition yet
        matches = [_BOUND.fullmatch(str(bound)) for bound in bounds]
        if None in matches:
            continue
        clause = _partition_clause(method, column, [m for m in matches if m is not None])
        if clause:
            table.append_constraint(CheckConstraint(text(clause), name=f"{table.name}_partitions"))


def _partition_clause(method: str, column: str, bounds: list[re.Match[str]]) -> str | None:
    """The partitions' bounds as one condition on ``column``: an IN list of every LIST
    partition's values; a range of RANGE partitions (those that meet joined into one)."""
    if method == "LIST":
        values = [b["values"] for b in bounds if b["values"]]
        return f"{column} IN ({', '.join(values)})" if values else None
    if method != "RANGE":
        return None
    spans = [[b["low"], b["high"]] for b in bounds if b["low"] is not None]
    joined = True
    while joined:  # a partition ending where another starts: one span
        joined = False
        for first in spans:
            following = next((s for s in spans if s is not first and s[0] == first[1]), None)
            if following is not None:
                first[1] = following[1]
                spans.remove(following)
                joined = True
                break
    if not spans:
        return None
    # Values are drawn within one span: a closed one if any (generation narrows a column to
    # one range, not to a union of them), so rows fit a partition rather than none.
    low, high = next((s for s in spans if "MINVALUE" not in s and "MAXVALUE" not in s), spans[0])
    sides = [f"{column} >= {low}"] if low != "MINVALUE" else []
    if high != "MAXVALUE":
        sides.append(f"{column} < {high}")
    return " AND ".join(sides) or None


def _column_checks(conn: Connection, metadata: MetaData) -> None:
    """MariaDB keeps column-level CHECKs (``JSON`` is text with ``CHECK (json_valid(c))``) out
    of ``SHOW CREATE TABLE``'s table constraints, so reflection misses them: add them."""
    from sqlalchemy import CheckConstraint, text
    from sqlalchemy.exc import DBAPIError

    try:
        rows = conn.execute(
            text(
                "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM "
                "information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() "
                "AND LEVEL = 'Column'"
            )
        ).all()
    except DBAPIError:  # MySQL has no LEVEL column and reflects these itself
        conn.rollback()
        return
    for table_name, name, clause in rows:
        table = metadata.tables.get(table_name)
        if table is None:
            continue
        known = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
        if name not in known:
            table.append_constraint(CheckConstraint(text(clause), name=name))


def _parameters(rows: int, tables: Mapping[str, int | TableSpec]) -> str:
    """A short fingerprint of what was asked for, stored as the run's size."""
    if not tables:
        return str(rows)
    asked = sorted(
        (name, value if isinstance(value, int) else value.rows) for name, value in tables.items()
    )
    return f"{rows}/{hashlib.blake2b(repr(asked).encode(), digest_size=4).hexdigest()}"


@contextmanager
def _locked(settings: Settings) -> Iterator[Connection]:
    from seedlib.runtime import signals_raise

    check_production(settings)
    require_existing(settings.database_url)
    engine = engine_for(settings.database_url)
    try:
        with (
            signals_raise(),
            database_lock(engine, settings.lock_timeout),
            engine.connect() as conn,
        ):
            yield conn
    finally:
        engine.dispose()


def seed(
    database_url: str,
    *,
    rows: int = DEFAULT_ROWS,
    tables: Mapping[str, int | TableSpec] | None = None,
    schemas: Sequence[str] = (),
    seed: int = 0,
    label: str = DEFAULT_LABEL,
    env: str | None = None,
    allow_production: bool = False,
    lock_timeout: float | None = None,
    chunk_rows: int | None = None,
    dry_run: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
) -> SeedResult:
    """Reflect the database at ``database_url`` and seed every table, ledgered under ``label``.

    Args:
        rows: rows per table, unless ``tables`` says otherwise.
        tables: rows (or a :class:`TableSpec` with column overrides) for particular tables, by
            name (``schema.table`` outside the default schema).
        schemas: schemas to reflect and seed (PostgreSQL); default: the default schema.
        seed: the RNG seed; the same seed gives the same rows on a fresh database.
        label: names this seeding for :func:`unseed`. Seeding a label again with the same
            parameters does nothing; with other parameters it is refused.
        dry_run: return the plan (tables in insertion order, rows) and write nothing.
        workers: processes generating rows while PostgreSQL or SQLite loads them (default
            ``SEEDLIB_WORKERS`` or automatic, see :func:`seedlib.load.parallel.workers_for`;
            1 makes every row in this process); the rows are the same for any number.

    Raises:
        ConfigurationError: an unknown table, a bad label or row count.
        Refused: the label was seeded with other parameters, or production is not authorised.
        LockBusy: another seeding run holds the database's lock.
        CycleError: the foreign keys form a cycle of NOT NULL columns.
        DataError: rows cannot be generated, or a foreign key is broken after loading; nothing
            of this run stays (chunks already committed are resumed by running again).
    """
    log.ensure_configured()
    if rows < 0:
        raise ConfigurationError("--rows must be 0 or more")
    for name, value in [("--rows", rows), *(tables or {}).items()]:
        count = value if isinstance(value, int) else value.rows
        if count > MAX_SIZE:
            where = "--rows" if name == "--rows" else f"--table {name}"
            raise ConfigurationError(f"{where} {count:,} is too large: at most {MAX_SIZE:,} rows")
    key = ledger_key(label)
    asked = dict(tables or {})
    settings = resolve_settings(
        env=env,
        size="1",
        seed=seed,
        database_url=database_url,
        lock_timeout=lock_timeout,
        allow_production=allow_production,
        chunk_rows=chunk_rows,
        dry_run=dry_run,
        workers=workers,
    )
    settings = _with_size(settings, Size(_parameters(rows, asked), 1.0))
    run_id = str(uuid.uuid4())
    logger = log.get_logger(run_id=run_id, label=label)
    result = SeedResult(label=label, dry_run=dry_run)
    started = time.perf_counter()
    with _locked(settings) as conn:
        metadata = reflect_tables(conn, schemas)
        if not metadata.tables:
            where = f"schema(s) {', '.join(schemas)}" if schemas else "its default schema"
            raise ConfigurationError(
                f"no tables to seed in {settings.safe_url} ({where}); check the URL and --schema"
            )
        spec: dict[str, int | TableSpec] = {name: rows for name in metadata.tables}
        for name, value in asked.items():
            spec[_table_named(metadata, name, conn.dialect.default_schema_name)] = value
        check_storage_engines(conn, metadata, spec, "--table {table}=0")
        if dry_run:
            plan = build_plan(metadata, spec, settings.size, settings.seed)
            result.tables = plan.as_rows()
            return result
        ensure_bookkeeping(conn)
        conn.commit()
        if _already_seeded(conn, key, settings):
            result.already_seeded = True
            result.tables = [
                {"table": t, "rows": n}
                for t, n in ledger.counts_by_revision(conn).get(key, {}).items()
            ]
            logger.info("nothing_to_do", label=label)
            return result
        reports = _seed(conn, metadata, spec, settings, key, run_id, progress)
        result.tables = [r.as_dict() for r in reports]
    result.seconds = time.perf_counter() - started
    logger.info("seeded", label=label, rows=result.total_rows, seconds=round(result.seconds, 3))
    return result


def writes_rows(value: int | TableSpec) -> bool:
    """Whether a table asked for with ``value`` may get rows (``0`` and ``TableSpec(0)`` get
    none)."""
    if isinstance(value, int):
        return value > 0
    return value.rows > 0 or value.per_parent is not None or value.source is not None


def check_storage_engines(
    conn: Connection, metadata: MetaData, spec: Mapping[str, int | TableSpec], leave_out: str
) -> None:
    """MySQL/MariaDB: refuse, before anything is written, to seed a table whose storage engine
    cannot roll back (see :func:`seedlib.load.mysql.unsafe_engines`); ``leave_out`` says how
    to leave a table out (``{table}`` for its name)."""
    if conn.dialect.name not in ("mysql", "mariadb"):
        return
    from seedlib.load.mysql import refuse_unsafe_engines

    tables = [
        metadata.tables[n] for n, v in spec.items() if n in metadata.tables and writes_rows(v)
    ]
    refuse_unsafe_engines(conn, tables, leave_out)


def _table_named(metadata: MetaData, name: str, default_schema: str | None) -> str:
    """The reflected table ``name`` means: its full name, or a bare name found in exactly one
    of the schemas being seeded (``customer`` for ``billing.customer`` with ``--schema
    billing``)."""
    schema, _, bare = name.rpartition(".")
    if schema and name in metadata.tables:
        return name
    if schema and schema == default_schema and bare in metadata.tables:
        return bare  # ``public.customer``: the default schema's tables go unqualified
    # A bare name: also a default-schema table another schema's foreign key brought in.
    found = [key for key, table in metadata.tables.items() if table.name == name]
    if len(found) == 1:
        return found[0]
    known = ", ".join(sorted(metadata.tables)) or "none"
    if found:
        named = sorted(key if "." in key else f"{default_schema}.{key}" for key in found)
        raise ConfigurationError(
            f"table {name!r} is in more than one schema; name one of: {', '.join(named)}"
        )
    raise ConfigurationError(f"table {name!r} is not in the database; known tables: {known}")


def _with_size(settings: Settings, size: Size) -> Settings:
    from dataclasses import replace

    return replace(settings, size=size)


def _already_seeded(conn: Connection, key: str, settings: Settings) -> bool:
    from seedlib.track import progress as progress_store
    from seedlib.track.runs import last_upgrade

    run = last_upgrade(conn, key)
    held = key in ledger.counts_by_revision(conn)
    if run is None or not held or key in progress_store.unfinished(conn):
        return False
    if (run["size"], int(run["seed"])) == (settings.size.name, settings.seed):
        return True
    label = key.removeprefix(LABEL_PREFIX)
    raise Refused(
        f"label {label!r} was seeded with rows {run['size']} and seed {run['seed']}; this "
        f"run asks for rows {settings.size.name} and seed {settings.seed}; run seedctl unseed "
        f"--database-url … --label {label} first, or use another --label"
    )


def _seed(
    conn: Connection,
    metadata: MetaData,
    spec: Mapping[str, int | TableSpec],
    settings: Settings,
    key: str,
    run_id: str,
    progress: Progress | None,
) -> list[TableReport]:
    from seedlib.engine import seed_tables
    from seedlib.track.runs import record_run

    def checkpoint() -> bool:
        conn.commit()
        conn.begin()
        return True

    started_at = dt.datetime.now(dt.UTC)
    try:
        if not conn.in_transaction():
            conn.begin()
        reports = seed_tables(
            conn,
            metadata,
            spec,
            settings=settings,
            revision=key,
            run_id=run_id,
            progress=progress,
            checkpoint=checkpoint,
            chunk_rows=settings.chunk_rows,
        )
        record_run(
            conn,
            run_id=run_id,
            revision=key,
            direction="upgrade",
            settings=settings,
            tables=[r.as_dict() for r in reports],
            row_count=sum(r.rows for r in reports),
            started_at=started_at,
        )
        conn.commit()
    except BaseException as exc:
        conn.rollback()
        if isinstance(exc, SeedError):
            _say_what_stays(conn, key, exc)
        raise
    return reports


def _say_what_stays(conn: Connection, key: str, exc: SeedError) -> None:
    """A run that failed after committing chunks leaves their rows: say so, and how to go on
    ("the revision was rolled back" alone read as if nothing stayed)."""
    from seedlib.track import progress as progress_store

    try:
        if key not in progress_store.unfinished(conn):
            return
        kept = sum(ledger.counts_by_revision(conn).get(key, {}).values())
        conn.rollback()
    except Exception:  # the connection itself may be what failed
        return
    label = key.removeprefix(LABEL_PREFIX)
    exc.args = (
        f"{exc.args[0]}; {kept:,} rows of chunks committed before it stay: run the same "
        f"command again to finish, or seedctl unseed --database-url … --label {label} to "
        "remove them",
        *exc.args[1:],
    )


def unseed(
    database_url: str,
    *,
    label: str = DEFAULT_LABEL,
    env: str | None = None,
    allow_production: bool = False,
    lock_timeout: float | None = None,
    dry_run: bool = False,
    audit_file: str | None = None,
) -> RollbackReport:
    """Delete exactly the rows :func:`seed` inserted under ``label`` (also an interrupted run's).

    Rows the seeding did not insert are never touched; if any of them references a seeded
    row, nothing is deleted.

    Raises:
        RollbackBlocked: other rows reference seeded rows; nothing was deleted.
        LockBusy: another seeding run holds the database's lock.
    """
    log.ensure_configured()
    from seedlib.rollback import unseed_revision
    from seedlib.track import audit
    from seedlib.track import progress as progress_store
    from seedlib.track.runs import record_run

    key = ledger_key(label)
    settings = resolve_settings(
        env=env,
        database_url=database_url,
        lock_timeout=lock_timeout,
        allow_production=allow_production,
        dry_run=dry_run,
        audit_file=audit_file,
    )
    run_id = str(uuid.uuid4())
    with _locked(settings) as conn:
        if not ledger.bookkeeping_exists(conn):
            return _empty_report(key)
        if dry_run:
            report = unseed_revision(conn, key, dry_run=True)
            conn.rollback()
            return report
        started_at = dt.datetime.now(dt.UTC)
        try:
            report = unseed_revision(conn, key)
            progress_store.clear(conn, key)
            record = audit.rollback_record(
                run_id=run_id, revision=key, settings=settings, report=report, action="unseed"
            )
            audit.store(conn, record)
            record_run(
                conn,
                run_id=run_id,
                revision=key,
                direction="downgrade",
                settings=settings,
                tables=[{"table": t, "rows": n} for t, n in report.deleted.items()],
                row_count=sum(report.deleted.values()),
                started_at=started_at,
            )
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        log.get_logger(run_id=run_id).info("rollback_audit", **audit.for_log(record))
        if settings.audit_file:
            audit.append_file(settings.audit_file, [record])
    return report


def _empty_report(key: str) -> RollbackReport:
    from seedlib.rollback import RollbackReport

    return RollbackReport(key)


def labels(database_url: str) -> dict[str, dict[str, int]]:
    """Labels seeded into the database, with their ledgered rows per table."""
    settings = resolve_settings(database_url=database_url)
    require_existing(settings.database_url)
    engine = engine_for(settings.database_url, read_only=True)
    try:
        with engine.connect() as conn:
            if not ledger.bookkeeping_exists(conn):
                return {}
            return {
                revision.removeprefix(LABEL_PREFIX): counts
                for revision, counts in ledger.counts_by_revision(conn).items()
                if revision.startswith(LABEL_PREFIX)
            }
    finally:
        engine.dispose()
