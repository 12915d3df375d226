"""Execute a plan: allocate keys, generate rows, load them, ledger them, verify foreign keys."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, exists, func, not_, or_, select, update

from seedlib.exceptions import ConfigurationError, DataError
from seedlib.generate.infer import infer, is_unique
from seedlib.generate.pools import Pools
from seedlib.generate.rng import cell, stable_hash
from seedlib.generate.values import Generator, constant
from seedlib.load import allocate_keys, write_rows
from seedlib.log import get_logger
from seedlib.plan.spec import Plan, SeedSpec, build_plan, constraint_name
from seedlib.track import ledger

if TYPE_CHECKING:
    from sqlalchemy import Column, ColumnElement, MetaData, Table
    from sqlalchemy.engine import Connection
    from sqlalchemy.schema import ForeignKeyConstraint

    from seedlib.config import Settings

BATCH_ROWS = 5000
#: At most this many existing parent keys are read when a parent table is not seeded.
EXISTING_PARENT_KEYS = 100_000
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class TableReport:
    """What happened to one table in one run."""

    table: str
    rows: int
    seconds: float
    content_hash: str

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float(self.rows)

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "rows": self.rows,
            "seconds": round(self.seconds, 4),
            "rows_per_s": round(self.rows_per_second, 1),
            "content_hash": self.content_hash,
        }


def _single_pk(table: Table) -> Column[Any]:
    columns = list(table.primary_key.columns)
    if len(columns) != 1:
        raise ConfigurationError(
            f"table {table.fullname} has {'no' if not columns else 'a composite'} primary key; "
            "seedlib seeds tables with a single-column primary key"
        )
    return columns[0]


def _is_int(column: Column[Any]) -> bool:
    try:
        return column.type.python_type is int
    except NotImplementedError:
        return False


@dataclass
class _Seeding:
    conn: Connection
    plan: Plan
    settings: Settings
    revision: str
    run_id: str
    progress: Progress | None
    pools: Pools = field(init=False)
    keys: dict[str, list[Any]] = field(default_factory=dict)
    existing: dict[str, list[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.pools = Pools(self.settings.seed)

    # -- foreign keys ---------------------------------------------------------------------
    def parent_keys(self, fk: ForeignKeyConstraint) -> list[Any]:
        parent = fk.referred_table
        if parent.fullname in self.keys:
            return self.keys[parent.fullname]
        if parent.fullname not in self.existing:
            column = fk.elements[0].column
            self.existing[parent.fullname] = list(
                self.conn.execute(
                    select(column).order_by(column).limit(EXISTING_PARENT_KEYS)
                ).scalars()
            )
        return self.existing[parent.fullname]

    def fk_generator(self, table: Table, fk: ForeignKeyConstraint, count: int) -> Generator:
        if len(fk.columns) != 1:
            raise ConfigurationError(
                f"{table.fullname}: composite foreign key {constraint_name(fk)} is not supported "
                "yet; override its columns in the seed revision"
            )
        column = next(iter(fk.columns))
        nullable = bool(column.nullable)
        if fk.referred_table is table:
            own = self.keys[table.fullname]
            if nullable:
                return lambda o, h, _r: None if o == 0 or h % 3 == 0 else own[h % o]
            return lambda o, h, _r: own[h % (o + 1)]
        parents = self.parent_keys(fk)
        if not parents:
            if nullable:
                return constant(None)
            raise DataError(
                f"cannot seed {table.fullname}: {column.name} must reference "
                f"{fk.referred_table.fullname}, which has no rows; seed it in this revision"
            )
        if is_unique(column, table, alone=True):
            if count > len(parents):
                raise DataError(
                    f"cannot seed {count} rows into {table.fullname}: {column.name} is unique "
                    f"and {fk.referred_table.fullname} has only {len(parents)} rows"
                )
            return lambda o, _h, _r: parents[o]
        return lambda _o, h, _r: parents[h % len(parents)]

    # -- generation -----------------------------------------------------------------------
    def generators(self, table: Table, deferred: set[str]) -> list[tuple[str, Generator | None]]:
        """(column, generator) in table order; ``None`` generator = NULL now, filled later."""
        spec = self.plan.specs[table.fullname]
        count = self.plan.counts[table.fullname]
        unknown = set(spec.columns) - set(table.columns.keys())
        if unknown:
            raise ConfigurationError(
                f"override for unknown column(s) {', '.join(sorted(unknown))} of {table.fullname}"
            )
        fks = {
            next(iter(fk.columns)).name: fk
            for fk in table.foreign_key_constraints
            if len(fk.columns) == 1
        }
        out: list[tuple[str, Generator | None]] = []
        for column in table.columns:
            if column.primary_key:
                continue
            if column.name in deferred:
                out.append((column.name, None))
            elif column.name in spec.columns:
                value = spec.columns[column.name]
                out.append((column.name, value if callable(value) else constant(value)))
            elif column.name in fks:
                out.append((column.name, self.fk_generator(table, fks[column.name], count)))
            elif column.computed is not None:
                continue
            else:
                out.append((column.name, infer(table, column, self.pools)))
        return out

    def seed_table(self, table: Table, deferred: set[str]) -> TableReport:
        started = time.perf_counter()
        name = table.fullname
        pk = _single_pk(table)
        keys = self.keys[name]
        gens = self.generators(table, deferred)
        bases = [stable_hash(self.settings.seed, name, column) for column, _ in gens]
        columns = [pk.name] + [column for column, _ in gens]
        digest = hashlib.sha256()
        batch: list[tuple[Any, ...]] = []
        total = len(keys)
        for ordinal, key in enumerate(keys):
            row: dict[str, Any] = {pk.name: key}
            for (column, gen), base in zip(gens, bases, strict=True):
                row[column] = None if gen is None else gen(ordinal, cell(base, ordinal), row)
            values = tuple(row[c] for c in columns)
            digest.update(repr(values).encode())
            batch.append(values)
            if len(batch) >= BATCH_ROWS:
                write_rows(self.conn, table, columns, batch)
                batch.clear()
                if self.progress:
                    self.progress(name, ordinal + 1, total)
        write_rows(self.conn, table, columns, batch)
        if self.progress:
            self.progress(name, total, total)
        if _is_int(pk):
            ledger.record(
                self.conn,
                revision=self.revision,
                run_id=self.run_id,
                table=name,
                key_columns=[pk.name],
                int_keys=keys,
            )
        else:
            ledger.record(
                self.conn,
                revision=self.revision,
                run_id=self.run_id,
                table=name,
                key_columns=[pk.name],
                other_keys=[(k,) for k in keys],
            )
        return TableReport(name, total, time.perf_counter() - started, digest.hexdigest()[:16])

    def fill_deferred(self, table: Table, column_name: str) -> None:
        pk = _single_pk(table)
        fk = next(
            fk
            for fk in table.foreign_key_constraints
            if [c.name for c in fk.columns] == [column_name]
        )
        keys = self.keys[table.fullname]
        gen = self.fk_generator(table, fk, len(keys))
        base = stable_hash(self.settings.seed, table.fullname, column_name)
        params = [{"_k": key, "_v": gen(o, cell(base, o), {})} for o, key in enumerate(keys)]
        stmt = update(table).where(pk == bindparam("_k")).values({column_name: bindparam("_v")})
        for start in range(0, len(params), BATCH_ROWS):
            self.conn.execute(stmt, params[start : start + BATCH_ROWS])


def key_condition(column: Column[Any], entry: ledger.Entry) -> ColumnElement[bool]:
    """SQL condition matching ``column`` against a ledger entry's ranges and keys."""
    parts: list[ColumnElement[bool]] = [column.between(a, b) for a, b in entry.ranges]
    if entry.keys:
        parts.append(column.in_([k[0] for k in entry.keys]))
    return or_(*parts) if parts else column.is_(None) & column.isnot(None)


def seed_tables(
    conn: Connection,
    metadata: MetaData,
    spec: SeedSpec,
    *,
    settings: Settings,
    revision: str,
    run_id: str,
    progress: Progress | None = None,
) -> list[TableReport]:
    """Generate, load and ledger the rows ``spec`` asks for, inside ``conn``'s transaction.

    Raises:
        ConfigurationError: the spec names unknown tables or columns.
        DataError: rows cannot be generated, or a foreign key is broken after loading.
    """
    log = get_logger(revision=revision, run_id=run_id)
    plan = build_plan(metadata, spec, settings.size)
    run = _Seeding(conn, plan, settings, revision, run_id, progress)
    tables = {name: metadata.tables[name] for name in plan.order.tables}
    for name in plan.order.tables:
        table = tables[name]
        pk = _single_pk(table)
        count = plan.counts[name]
        if _is_int(pk):
            run.keys[name] = allocate_keys(conn, table, pk, count)
        else:
            gen = infer(table, pk, run.pools)
            base = stable_hash(settings.seed, name, pk.name)
            run.keys[name] = [gen(o, cell(base, o), {}) for o in range(count)]
    deferred: dict[str, set[str]] = {}
    for edge in plan.order.deferred:
        fk = next(
            fk
            for fk in tables[edge.child].foreign_key_constraints
            if constraint_name(fk) == edge.name
        )
        deferred.setdefault(edge.child, set()).update(c.name for c in fk.columns)
    reports = []
    for name in plan.order.tables:
        report = run.seed_table(tables[name], deferred.get(name, set()))
        log.info("table_seeded", **report.as_dict())
        reports.append(report)
    for name, columns in deferred.items():
        for column in sorted(columns):
            run.fill_deferred(tables[name], column)
    verify_foreign_keys(conn, [tables[n] for n in plan.order.tables], revision)
    return reports


def verify_foreign_keys(conn: Connection, tables: Sequence[Table], revision: str) -> None:
    """Anti-join every single-column foreign key of the rows ``revision`` inserted.

    Raises:
        DataError: some seeded row points at a row that does not exist.
    """
    entries = {e.table: e for e in ledger.entries(conn, revision)}
    problems: list[dict[str, Any]] = []
    for table in tables:
        entry = entries.get(table.fullname)
        if entry is None:
            continue
        pk = _single_pk(table)
        for fk in table.foreign_key_constraints:
            if len(fk.elements) != 1:
                continue
            child = fk.elements[0].parent
            target = fk.elements[0].column
            parent = target.table.alias("parent")
            orphan = and_(
                child.isnot(None),
                key_condition(pk, entry),
                not_(exists().where(parent.c[target.name] == child)),
            )
            missing = conn.execute(select(func.count()).select_from(table).where(orphan)).scalar()
            if missing:
                problems.append(
                    {
                        "table": table.fullname,
                        "constraint": constraint_name(fk),
                        "rows": int(missing),
                    }
                )
    if problems:
        first = problems[0]
        raise DataError(
            f"{sum(p['rows'] for p in problems)} seeded row(s) break foreign keys (first: "
            f"{first['table']} {first['constraint']}); nothing was kept",
            problems,
        )


def reflect(conn: Connection) -> MetaData:
    """The live database's tables."""
    from sqlalchemy import MetaData

    metadata = MetaData()
    metadata.reflect(conn)
    return metadata
