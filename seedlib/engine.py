"""Execute a plan: reserve keys, generate rows, load them, ledger them, verify foreign keys.

Small revisions run in one transaction. A revision of at least ``chunk_rows`` rows commits every
``chunk_rows`` rows (through ``checkpoint``), recording its progress with each chunk, so that a run
killed at any point resumes where it stopped and ends with the same data as an uninterrupted run.
"""

from __future__ import annotations

import hashlib
import re
import time
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    and_,
    bindparam,
    exists,
    func,
    literal,
    not_,
    select,
    text,
    true,
    tuple_,
    update,
)
from sqlalchemy.schema import PrimaryKeyConstraint, UniqueConstraint

from seedlib.exceptions import ConfigurationError, DataError, Refused
from seedlib.generate import refs
from seedlib.generate.checks import Check, Domain, domains, table_checks
from seedlib.generate.infer import infer, is_unique
from seedlib.generate.pools import Pools
from seedlib.generate.rng import cell, hashes, stable_hash
from seedlib.generate.validate import RowValidator
from seedlib.generate.values import (
    SKIP,
    ChildTotal,
    Columnar,
    Generator,
    ParentValue,
    Skewed,
    constant,
)
from seedlib.load import allocate_keys, open_writer
from seedlib.log import get_logger
from seedlib.plan import feasibility
from seedlib.plan.spec import Plan, SeedSpec, build_plan, constraint_name
from seedlib.track import ledger
from seedlib.track import progress as progress_store

if TYPE_CHECKING:
    from sqlalchemy import Column, MetaData, Table
    from sqlalchemy.engine import Connection
    from sqlalchemy.schema import ForeignKeyConstraint

    from seedlib.config import Settings

BATCH_ROWS = 5000
HASH_BLOCK = 100
DEFAULT_CHUNK_ROWS = 50_000
#: At most this many existing parent keys are read when a parent table is not seeded.
EXISTING_PARENT_KEYS = 100_000
#: At most this many skipped rows are logged one by one per table.
SKIPS_LOGGED = 20
_HASH_MOD = 1 << 128
Progress = Callable[[str, int, int], None]
Checkpoint = Callable[[], bool]


@dataclass(frozen=True)
class TableReport:
    """What happened to one table in one run."""

    table: str
    rows: int
    seconds: float
    content_hash: str
    skipped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    #: Rows left out on purpose: a rule returned ``values.SKIP``, or their parent was left out.
    omitted: int = 0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float(self.rows)

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "rows": self.rows,
            "skipped": self.skipped,
            "skip_reasons": self.reasons,
            "omitted": self.omitted,
            "seconds": round(self.seconds, 4),
            "rows_per_s": round(self.rows_per_second, 1),
            "content_hash": self.content_hash,
        }


def block_hashes(ordinals: list[int], rows: list[list[Any]]) -> int:
    """Sum of 128-bit digests of the rows in each block of ``HASH_BLOCK`` ordinals.

    A table's content hash is the sum over its blocks, so it does not depend on how the rows
    were batched, chunked or resumed.
    """
    total = 0
    position = 0
    while position < len(rows):
        block = ordinals[position] // HASH_BLOCK
        end = position
        while end < len(rows) and ordinals[end] // HASH_BLOCK == block:
            end += 1
        digest = hashlib.blake2b(repr(rows[position:end]).encode(), digest_size=16).digest()
        total += int.from_bytes(digest, "big")
        position = end
    return total


@dataclass(frozen=True)
class KeyShape:
    """How rows of a table are identified in the ledger.

    A single-column primary key is chosen before generation (``reserved``: taken from the
    sequence or above the maximum for integers, generated otherwise). A composite key is generated
    like other columns and de-duplicated. A table without a primary key is ledgered by value.
    """

    columns: tuple[str, ...]
    integer: bool

    @property
    def reserved(self) -> bool:
        return len(self.columns) == 1

    @property
    def by_value(self) -> bool:
        return not self.columns


def key_shape(table: Table) -> KeyShape:
    columns = list(table.primary_key.columns)
    integer = len(columns) == 1 and _is_int(columns[0])
    return KeyShape(tuple(c.name for c in columns), integer)


def _single_pk(table: Table) -> Column[Any]:
    columns = list(table.primary_key.columns)
    if len(columns) != 1:
        raise ConfigurationError(
            f"table {table.fullname} has {'no' if not columns else 'a composite'} primary key, "
            "so its rows cannot be updated after loading; make the cycle's edge a column of a "
            "table with a single-column key"
        )
    return columns[0]


def _is_int(column: Column[Any]) -> bool:
    try:
        return column.type.python_type is int
    except NotImplementedError:
        return False


def _unique_groups(table: Table) -> list[list[str]]:
    """Column names of each composite UNIQUE constraint or unique index (not the key)."""
    groups = [
        [c.name for c in constraint.columns]
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
        and not isinstance(constraint, PrimaryKeyConstraint)
    ]
    groups += [[c.name for c in index.columns] for index in table.indexes if index.unique]
    key = {c.name for c in table.primary_key.columns}
    unique: list[list[str]] = []
    for group in groups:
        if len(group) > 1 and set(group) != key and group not in unique:
            unique.append(group)
    return unique


def _natural_keys(table: Table) -> list[Column[Any]]:
    """Columns that are unique on their own (besides the primary key): natural keys."""
    return [c for c in table.columns if not c.primary_key and is_unique(c, table, alone=True)]


@dataclass(frozen=True)
class _Unique:
    """A composite key or UNIQUE among the written columns, and the values seen so far."""

    names: tuple[str, ...]
    positions: tuple[int, ...]
    seen: set[tuple[Any, ...]]


@dataclass
class _Seeding:
    conn: Connection
    plan: Plan
    settings: Settings
    revision: str
    run_id: str
    progress: Progress | None
    checkpoint: Checkpoint | None
    chunk_rows: int
    pools: Pools = field(init=False)
    keys: dict[str, list[Any]] = field(default_factory=dict)
    inserted: dict[str, list[Any]] = field(default_factory=dict)
    existing: dict[str, list[Any]] = field(default_factory=dict)
    saved: dict[str, progress_store.TableProgress] = field(default_factory=dict)
    since_commit: int = 0
    _checks: dict[str, list[Check]] = field(default_factory=dict)
    #: Parent columns set to the sum of their children's once those are loaded.
    totals: list[tuple[Table, str, ChildTotal]] = field(default_factory=list)
    #: Keys of rows left out, per table: their children are left out too.
    left_out: dict[str, set[Any]] = field(default_factory=dict)
    plan_tables: dict[str, Table] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.pools = Pools(self.settings.seed)

    @property
    def chunked(self) -> bool:
        return self.checkpoint is not None and self.plan.total_rows >= self.chunk_rows

    # -- foreign keys ---------------------------------------------------------------------
    def parent_keys(self, fk: ForeignKeyConstraint) -> list[Any]:
        parent = fk.referred_table
        column = fk.elements[0].column
        if key_shape(parent).columns == (column.name,):
            if parent.fullname in self.inserted:
                return self.inserted[parent.fullname]
            if parent.fullname in self.keys:  # a deferred edge to a table not loaded yet
                return self.keys[parent.fullname]
        # Rows already in the database (parents are loaded before their children).
        cache_key = f"{parent.fullname}.{column.name}"
        if cache_key not in self.existing:
            self.existing[cache_key] = list(
                self.conn.execute(
                    select(column)
                    .where(column.isnot(None))
                    .order_by(column)
                    .limit(EXISTING_PARENT_KEYS)
                ).scalars()
            )
        return self.existing[cache_key]

    def planned_rows(self, table: Table) -> int:
        """Rows ``table`` will have: seeded in this run, or already in the database."""
        if table.fullname in self.plan.counts:
            return self.plan.counts[table.fullname]
        cache_key = f"{table.fullname}.count"
        if cache_key not in self.existing:
            found = self.conn.execute(select(func.count()).select_from(table)).scalar()
            self.existing[cache_key] = [int(found or 0)]
        return int(self.existing[cache_key][0])

    def share(self, table: Table, parent: Table) -> float | None:
        """The prefix-stable share of ``parent``'s rows (see :mod:`seedlib.generate.refs`)."""
        specs = self.plan.specs
        if parent.fullname not in specs or specs[table.fullname].rows <= 0:
            return None
        return specs[parent.fullname].rows / specs[table.fullname].rows

    def fk_generator(
        self, table: Table, fk: ForeignKeyConstraint, count: int, power: float = 1.0
    ) -> Generator:
        column = next(iter(fk.columns))
        nullable = bool(column.nullable)
        if fk.referred_table is table:
            return refs.tree(self.keys[table.fullname], nullable=nullable)
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
            return refs.one_to_one(parents)
        return refs.pick(parents, self.share(table, fk.referred_table), power)

    def parent_rows(self, fk: ForeignKeyConstraint) -> list[tuple[Any, ...]]:
        """Rows of the referred columns of a composite foreign key, in the FK's column order."""
        parent = fk.referred_table
        referred = [e.column.name for e in fk.elements]
        shape = key_shape(parent)
        if parent.fullname in self.inserted and set(referred) == set(shape.columns):
            order = [shape.columns.index(c) for c in referred]
            return [tuple(k[i] for i in order) for k in self.inserted[parent.fullname]]
        cache_key = f"{parent.fullname}.({','.join(referred)})"
        if cache_key not in self.existing:
            columns = [parent.c[c] for c in referred]
            self.existing[cache_key] = [
                tuple(r)
                for r in self.conn.execute(
                    select(*columns)
                    .where(and_(*(c.isnot(None) for c in columns)))
                    .order_by(*columns)
                    .limit(EXISTING_PARENT_KEYS)
                )
            ]
        return self.existing[cache_key]

    def composite_fk(self, table: Table, fk: ForeignKeyConstraint, count: int) -> list[Generator]:
        rows = self.parent_rows(fk)
        names = [c.name for c in fk.columns]
        if not rows:
            if all(c.nullable for c in fk.columns):
                return [constant(None) for _ in names]
            raise DataError(
                f"cannot seed {table.fullname}: ({', '.join(names)}) must reference "
                f"{fk.referred_table.fullname}, which has no rows; seed it in this revision"
            )
        unique = any(set(group) == set(names) for group in _unique_groups(table))
        if unique and count > len(rows):
            raise DataError(
                f"cannot seed {count} rows into {table.fullname}: ({', '.join(names)}) is "
                f"unique and {fk.referred_table.fullname} has only {len(rows)} rows"
            )
        base = stable_hash(self.settings.seed, table.fullname, constraint_name(fk))
        return refs.tuple_parts(rows, base, unique=unique)

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
        children = spec.children
        chosen: dict[str, Generator] = {}
        for fk in table.foreign_key_constraints:
            names = [c.name for c in fk.columns]
            if len(names) > 1 and not set(names) & (set(spec.columns) | deferred):
                chosen.update(zip(names, self.composite_fk(table, fk, count), strict=True))
        chosen.update(self.junction_pairs(table, fks, set(spec.columns) | deferred | set(chosen)))
        out: list[tuple[str, Generator | None]] = []
        reserved = key_shape(table).reserved
        for column in table.columns:
            if column.primary_key and reserved:
                continue
            if column.name in deferred:
                out.append((column.name, None))
            elif column.name in spec.columns:
                value = spec.columns[column.name]
                if isinstance(value, ChildTotal):
                    self.totals.append((table, column.name, value))
                    value = constant(value.start)
                elif isinstance(value, Skewed):
                    if column.name not in fks:
                        raise ConfigurationError(
                            f"{table.fullname}.{column.name}: values.skewed() is for "
                            "foreign-key columns"
                        )
                    value = self.fk_generator(table, fks[column.name], count, value.power)
                out.append((column.name, value if callable(value) else constant(value)))
            elif children is not None and column.name == children.fk_column:
                out.append((column.name, self.per_parent(table, fks[column.name])))
            elif column.name in chosen:
                out.append((column.name, chosen[column.name]))
            elif column.name in fks:
                out.append((column.name, self.fk_generator(table, fks[column.name], count)))
            elif column.computed is not None:
                continue
            else:
                domain = self.domains(table).get(column.name)
                generator = self.after_existing(table, column, domain)
                out.append((column.name, generator or infer(table, column, self.pools, domain)))
        return out

    def per_parent(self, table: Table, fk: ForeignKeyConstraint) -> Generator:
        """Child ``o`` belongs to the parent whose group of ordinals holds ``o``."""
        parent = fk.referred_table.fullname
        keys = self.keys.get(parent)
        if keys is None or fk.referred_table is table:
            raise ConfigurationError(
                f"{table.fullname}: per_parent needs {parent} seeded with a single-column key "
                "earlier in the same revision"
            )
        offsets = self.plan.offsets[table.fullname]

        def one(o: int, _h: int) -> Any:
            return keys[bisect_right(offsets, o) - 1]

        def many(ordinals: range, _hs: list[int]) -> list[Any]:
            if not ordinals:
                return []
            p = bisect_right(offsets, ordinals.start) - 1
            out = []
            for o in ordinals:
                while offsets[p + 1] <= o:
                    p += 1
                out.append(keys[p])
            return out

        return Columnar(one, many)

    def parent_values(self, table: Table, gen: ParentValue, keys: list[Any]) -> list[Any]:
        """``gen.column`` of the parent rows that ``keys`` (values of ``gen.fk_column``) name."""
        column = table.c.get(gen.fk_column)
        fk = next(iter(column.foreign_keys), None) if column is not None else None
        if fk is None:
            raise ConfigurationError(
                f"{table.fullname}: values.parent({gen.fk_column!r}, ...) needs a foreign-key "
                "column"
            )
        parent = fk.column.table
        names = (gen.column,) if isinstance(gen.column, str) else tuple(gen.column)
        missing = [n for n in names if n not in parent.c]
        if missing:
            raise ConfigurationError(
                f"{table.fullname}: values.parent(): {parent.fullname} has no column "
                f"{', '.join(missing)}"
            )
        wanted = list({k for k in keys if k is not None})
        found: dict[Any, Any] = {}
        for start in range(0, len(wanted), BATCH_ROWS):
            part = wanted[start : start + BATCH_ROWS]
            rows = self.conn.execute(
                select(fk.column, *(parent.c[n] for n in names)).where(fk.column.in_(part))
            )
            for key, *values in rows:
                found[key] = values[0] if isinstance(gen.column, str) else tuple(values)
        return [found.get(k) for k in keys]

    def apply_totals(self, child: str) -> None:
        """Set the parent columns declared with ``values.total_of`` over ``child``."""
        for table, column_name, total in self.totals:
            if total.child_table != child:
                continue
            child_table = self.plan_tables[child]
            fk_column = child_table.c[total.fk_column]
            referred = next(iter(fk_column.foreign_keys)).column
            parent_column = table.c[referred.name]
            summed = (
                select(func.coalesce(func.sum(child_table.c[total.column]), total.start))
                .where(fk_column == parent_column)
                .scalar_subquery()
            )
            # The parent's seeded keys in chunks: one indexed look-up per key, never a
            # condition over the whole ledger (rows left out fragment it into many ranges).
            keys = self.inserted.get(table.fullname, [])
            pk = _single_pk(table)
            for start in range(0, len(keys), BATCH_ROWS):
                chunk = list(keys[start : start + BATCH_ROWS])
                self.conn.execute(update(table).where(pk.in_(chunk)).values({column_name: summed}))

    def junction_pairs(
        self, table: Table, fks: dict[str, ForeignKeyConstraint], taken: set[str]
    ) -> dict[str, Generator]:
        """Two foreign keys under one composite UNIQUE get pairs that never repeat."""
        chosen: dict[str, Generator] = {}
        for group in _unique_groups(table):
            names = list(group)
            if len(names) != 2 or set(names) & (taken | set(chosen)):
                continue
            if not all(n in fks and fks[n].referred_table is not table for n in names):
                continue
            first, second = (self.parent_keys(fks[n]) for n in names)
            if not first or not second:
                continue
            base = stable_hash(self.settings.seed, table.fullname, *names)
            chosen.update(zip(names, refs.distinct_pairs(first, second, base), strict=True))
        return chosen

    def after_existing(
        self, table: Table, column: Column[Any], domain: Domain | None
    ) -> Generator | None:
        """A unique integer column of a table that already has rows continues after their
        largest value, so the seeded rows never collide with the application's."""
        if (
            domain is not None
            or column.primary_key
            or not _is_int(column)
            or not is_unique(column, table, alone=True)
            or not self.has_rows(table)
        ):
            return None
        largest = self.conn.execute(select(func.max(column))).scalar()
        start = int(largest or 0) + 1
        return Columnar(lambda o, _h: start + o, lambda r, _hs: [start + o for o in r])

    def checks(self, table: Table) -> list[Check]:
        if table.fullname not in self._checks:
            self._checks[table.fullname] = table_checks(table, self.conn.dialect.name)
        return self._checks[table.fullname]

    def domains(self, table: Table) -> dict[str, Domain]:
        return domains(self.checks(table), self.conn.dialect.name)

    def reserve(self, table: Table) -> None:
        """Keys for ``table``: saved by an interrupted run, or newly allocated."""
        if not key_shape(table).reserved:
            return
        name = table.fullname
        pk = _single_pk(table)
        count = self.plan.counts[name]
        saved = self.saved.get(name)
        if not _is_int(pk):
            gen = infer(table, pk, self.pools)
            base = stable_hash(self.settings.seed, name, pk.name)
            self.keys[name] = [gen(o, cell(base, o), {}) for o in range(count)]
        elif saved is not None:
            self.keys[name] = saved.keys()
        else:
            self.keys[name] = allocate_keys(self.conn, table, pk, count)

    def save(self, name: str, done: int, content_sum: int) -> None:
        keys = self.keys.get(name, [])
        progress_store.save(
            self.conn,
            self.revision,
            name,
            keys=keys if keys and isinstance(keys[0], int) else [],
            done=done,
            content_sum=content_sum,
            size=self.settings.size.name,
            seed=self.settings.seed,
        )

    def commit_if_due(self, rows: int, force: bool = False) -> None:
        self.since_commit += rows
        if self.chunked and (force or self.since_commit >= self.chunk_rows):
            assert self.checkpoint is not None
            if self.checkpoint():
                self.since_commit = 0

    def seed_table(self, table: Table, deferred: set[str], log: Any) -> TableReport:
        started = time.perf_counter()
        name = table.fullname
        shape = key_shape(table)
        keys = self.keys.get(name, [])
        total = self.plan.counts[name]
        saved = self.saved.get(name)
        start = saved.done if saved is not None else 0
        content_sum = saved.content_sum if saved is not None else 0
        skipped: set[Any] = set()
        if shape.reserved and start:
            entry = {e.table: e for e in ledger.entries(self.conn, self.revision)}.get(name)
            landed = set(ledger.iter_keys(entry)) | {k[0] for k in entry.keys} if entry else set()
            skipped = {k for k in keys[:start] if k not in landed}
        gens = self.generators(table, deferred)
        bases = [stable_hash(self.settings.seed, name, column) for column, _ in gens]
        columns = list(shape.columns[:1] if shape.reserved else ()) + [c for c, _ in gens]
        key_at = [columns.index(c) for c in shape.columns] or list(range(len(columns)))
        self_refs = [
            (columns.index(fk.elements[0].parent.name), bool(fk.elements[0].parent.nullable))
            for fk in table.foreign_key_constraints
            if fk.referred_table is table
            and len(fk.elements) == 1
            and shape.reserved
            and fk.elements[0].parent.name in columns
        ]
        checks = [(columns.index(c.name), c) for c in _natural_keys(table) if c.name in columns]
        validator = RowValidator(table, columns, self.checks(table))
        reasons: Counter[str] = Counter()
        uniques = [
            _Unique(tuple(group), tuple(columns.index(c) for c in group), set())
            for group in _unique_groups(table)
            if all(c in columns for c in group)
        ]
        if not shape.reserved and not shape.by_value:
            uniques.append(_Unique(shape.columns, tuple(key_at), set()))
        # Batches start at multiples of HASH_BLOCK, so hashes agree however a run was chunked.
        batch_rows = min(BATCH_ROWS, -(-self.chunk_rows // HASH_BLOCK) * HASH_BLOCK)
        loaded = 0
        composite_keys: list[Any] = []
        # Natural and composite keys can only clash with rows that were there before.
        had_rows = (bool(checks) or bool(uniques)) and self.has_rows(table)
        needs_rows = any(
            g is not None and not isinstance(g, Columnar | ParentValue) for _, g in gens
        )
        reads_parents = any(isinstance(g, ParentValue) for _, g in gens)
        may_skip = [
            columns.index(c) for c, g in gens if g is not None and not isinstance(g, Columnar)
        ]
        orphans = [
            (columns.index(fk.elements[0].parent.name), fk.referred_table.fullname)
            for fk in table.foreign_key_constraints
            if len(fk.elements) == 1
            and fk.referred_table is not table
            and fk.elements[0].parent.name in columns
            and fk.referred_table.fullname in self.left_out
        ]
        omitted_rows = [0]
        # One writer (one COPY) per segment; segments end where a chunk commits, and at every
        # batch when the database must be asked about keys between batches.
        if had_rows or reads_parents:
            segment = batch_rows
        elif self.chunked:
            segment = -(-self.chunk_rows // batch_rows) * batch_rows
        else:
            segment = max(total - start, 1)

        def prepared(seg_start: int, seg_end: int) -> Iterator[list[list[Any]]]:
            for first in range(seg_start, seg_end, batch_rows):
                ordinals = range(first, min(first + batch_rows, seg_end))
                rows = self.make_batch(
                    table, shape, gens, bases, columns, keys, ordinals, needs_rows
                )
                if may_skip or orphans:
                    before = len(rows)
                    rows = self.drop_left_out(rows, may_skip, orphans, skipped, shape.reserved)
                    omitted_rows[0] += before - len(rows)
                if validator:
                    rows = self.drop_invalid(table, rows, validator, skipped, reasons, log)
                if had_rows:
                    rows = self.drop_existing(table, rows, checks, skipped, first, log)
                for unique in uniques:
                    rows = self.drop_duplicates(
                        table,
                        rows,
                        unique,
                        log,
                        ask_database=had_rows,
                        skipped=skipped,
                        reasons=reasons,
                    )
                yield rows

        def account(rows: list[list[Any]], totals: list[Any]) -> None:
            """Strip each row's trailing ordinal; count, hash and collect the keys."""
            ords = [values.pop() for values in rows]
            totals[0] += len(rows)
            totals[1] += block_hashes(ords, rows)
            if shape.integer:
                totals[2].extend(r[0] for r in rows)
            else:
                totals[2].extend(tuple(r[i] for i in key_at) for r in rows)

        def write_segment(batches: Iterator[list[list[Any]]]) -> list[Any]:
            totals: list[Any] = [0, 0, []]
            with open_writer(self.conn, table, columns) as write:
                for rows in batches:
                    for position, nullable in self_refs:
                        for values in rows:
                            if values[position] in skipped:
                                values[position] = None if nullable else values[0]
                    account(rows, totals)
                    write(rows)
            return totals

        for seg_start in range(start, total, segment):
            seg_end = min(seg_start + segment, total)
            source = prepared(seg_start, seg_end)
            if had_rows or reads_parents:  # no query may run while a COPY is open
                source = iter(list(source))
            seen_before = [set(u.seen) for u in uniques]
            reasons_before = Counter(reasons)
            omitted_before = omitted_rows[0]
            try:
                with self.conn.begin_nested():
                    count, digest, new_keys = write_segment(source)
            except Exception as exc:
                if not rejected_by_database(exc):
                    raise
                log.warning(
                    "batch_rejected", table=name, rows=seg_end - seg_start, error=first_line(exc)
                )
                # Generate the segment again (it is deterministic) and load what the database
                # accepts, halving the failing parts down to single rows.
                for unique, before in zip(uniques, seen_before, strict=True):
                    unique.seen.clear()
                    unique.seen.update(before)
                reasons.clear()
                reasons.update(reasons_before)
                omitted_rows[0] = omitted_before
                rows = [r for batch in prepared(seg_start, seg_end) for r in batch]
                good = self.bisect(table, columns, rows, skipped, self_refs, reasons, log)
                totals: list[Any] = [0, 0, []]
                account(good, totals)
                count, digest, new_keys = totals
            loaded += count
            content_sum = (content_sum + digest) % _HASH_MOD
            if not shape.reserved and not shape.by_value:
                composite_keys.extend(new_keys)
            self.ledger_rows(name, shape, columns, new_keys)
            if self.chunked:
                self.save(name, seg_end, content_sum)
            if self.progress:
                self.progress(name, seg_end, total)
            self.commit_if_due(seg_end - seg_start)
            if self.chunked and self.since_commit == 0:
                log.info("chunk_committed", table=name, done=seg_end, total=total)
        if shape.reserved:
            self.inserted[name] = [k for k in keys if k not in skipped]
        elif not shape.by_value and not start:
            # Children with a composite foreign key pick among these (after a resume they are
            # read back from the database instead).
            self.inserted[name] = composite_keys
        self.left_out[name] = skipped
        rows_in_table = total - len(skipped) if shape.reserved else loaded
        not_loaded = total - rows_in_table if shape.reserved else total - start - loaded
        report = TableReport(
            name,
            rows_in_table,
            time.perf_counter() - started,
            f"{content_sum:032x}",
            skipped=not_loaded - omitted_rows[0],
            reasons=dict(reasons),
            omitted=omitted_rows[0],
        )
        if report.skipped:
            log.warning("rows_skipped", table=name, rows=report.skipped, reasons=dict(reasons))
        return report

    def drop_left_out(
        self,
        rows: list[list[Any]],
        may_skip: list[int],
        orphans: list[tuple[int, str]],
        skipped: set[Any],
        reserved: bool,
    ) -> list[list[Any]]:
        """Rows a rule leaves out (``values.SKIP``) and rows whose parent row was left out."""
        gone = [self.left_out[parent] for _, parent in orphans]
        kept = []
        for values in rows:
            if any(values[i] is SKIP for i in may_skip) or any(
                values[position] in out for (position, _), out in zip(orphans, gone, strict=True)
            ):
                if reserved:
                    skipped.add(values[0])
                continue
            kept.append(values)
        return kept

    def drop_invalid(
        self,
        table: Table,
        rows: list[list[Any]],
        validator: RowValidator,
        skipped: set[Any],
        reasons: Counter[str],
        log: Any,
    ) -> list[list[Any]]:
        """Rows that break the table's types or understood CHECKs are skipped and logged."""
        rejections = validator.rejections(rows)
        if not rejections:
            return rows
        shape = key_shape(table)
        for rejection in rejections:
            values = rows[rejection.index]
            reason = f"{rejection.column}: {rejection.reason}"
            reasons[reason] += 1
            if shape.reserved:
                skipped.add(values[0])
            if sum(reasons.values()) <= SKIPS_LOGGED:
                log.warning(
                    "row_skipped",
                    table=table.fullname,
                    ordinal=values[-1],
                    column=rejection.column,
                    reason=rejection.reason,
                )
        bad = {r.index for r in rejections}
        return [values for i, values in enumerate(rows) if i not in bad]

    def bisect(
        self,
        table: Table,
        columns: list[str],
        rows: list[list[Any]],
        skipped: set[Any],
        self_refs: list[tuple[int, bool]],
        reasons: Counter[str],
        log: Any,
    ) -> list[list[Any]]:
        """Load ``rows`` (each ending with its ordinal) in halves inside savepoints until
        every row has either loaded or failed alone; return the rows that loaded (already in
        the table) — the caller only accounts for them."""
        reserved = key_shape(table).reserved
        good: list[list[Any]] = []
        pending = [rows]
        while pending:
            part = pending.pop()
            for position, nullable in self_refs:
                for values in part:
                    if values[position] in skipped:
                        values[position] = None if nullable else values[0]
            try:
                with self.conn.begin_nested(), open_writer(self.conn, table, columns) as write:
                    write([values[:-1] for values in part])
            except Exception as exc:
                if not rejected_by_database(exc):
                    raise
                if len(part) > 1:
                    middle = len(part) // 2
                    pending.extend([part[middle:], part[:middle]])
                    continue
                values = part[0]
                # Numbers vary per row (keys, values); without them the reasons group.
                reason = "rejected by the database: " + re.sub(r"\d+", "N", first_line(exc))
                reasons[reason] += 1
                if reserved:
                    skipped.add(values[0])
                if sum(reasons.values()) <= SKIPS_LOGGED:
                    log.warning(
                        "row_skipped",
                        table=table.fullname,
                        ordinal=values[-1],
                        column=None,
                        reason=reason,
                    )
                continue
            good.extend(part)
        return good

    def make_batch(
        self,
        table: Table,
        shape: KeyShape,
        gens: list[tuple[str, Generator | None]],
        bases: list[int],
        columns: list[str],
        keys: list[Any],
        ordinals: range,
        needs_rows: bool,
    ) -> list[list[Any]]:
        """Rows for ``ordinals``, column by column; each row ends with its ordinal."""
        first, last = ordinals.start, ordinals.stop
        filled: dict[str, list[Any]] = {}
        if shape.reserved:
            filled[shape.columns[0]] = keys[first:last]
        row_view = (
            [{c: v[i] for c, v in filled.items()} for i in range(len(ordinals))]
            if needs_rows
            else []
        )
        # Columns that ignore the row first, then values read from parent rows, then the
        # columns computed from the row, so those see every other column.
        ordered = sorted(
            zip(gens, bases, strict=True),
            key=lambda item: (
                0
                if item[0][1] is None or isinstance(item[0][1], Columnar)
                else 1
                if isinstance(item[0][1], ParentValue)
                else 2
            ),
        )
        for (column, gen), base in ordered:
            if gen is None:
                filled[column] = [None] * len(ordinals)
                continue
            hs = hashes(base, first, last)
            if isinstance(gen, Columnar):
                filled[column] = gen.batch(ordinals, hs)
            elif isinstance(gen, ParentValue):
                found = self.parent_values(table, gen, filled[gen.fk_column])
                then = gen.then
                filled[column] = (
                    found
                    if then is None
                    else [None if v is None else then(v, h) for v, h in zip(found, hs, strict=True)]
                )
            else:
                filled[column] = [
                    gen(o, h, r) for o, h, r in zip(ordinals, hs, row_view, strict=True)
                ]
            if needs_rows:
                for r, v in zip(row_view, filled[column], strict=True):
                    r[column] = v
        rows = [
            [*row, o]
            for o, row in zip(
                ordinals, zip(*(filled[c] for c in columns), strict=True), strict=True
            )
        ]
        return rows

    def ledger_rows(self, name: str, shape: KeyShape, columns: list[str], keys: list[Any]) -> None:
        if shape.integer:
            ledger.record(
                self.conn,
                revision=self.revision,
                run_id=self.run_id,
                table=name,
                key_columns=list(shape.columns),
                int_keys=keys,
            )
            return
        key_columns = list(shape.columns) or [ledger.ALL_COLUMNS, *columns]
        ledger.record(
            self.conn,
            revision=self.revision,
            run_id=self.run_id,
            table=name,
            key_columns=key_columns,
            other_keys=[k if isinstance(k, tuple) else (k,) for k in keys],
        )

    def drop_duplicates(
        self,
        table: Table,
        rows: list[list[Any]],
        unique: _Unique,
        log: Any,
        *,
        ask_database: bool,
        skipped: set[Any],
        reasons: Counter[str],
    ) -> list[list[Any]]:
        """Generated values of a composite key or UNIQUE may repeat: keep the first, and none
        the database already has (rows with a NULL in the group never clash)."""
        keys = [tuple(r[i] for i in unique.positions) for r in rows]
        columns = [table.c[name] for name in unique.names]
        seen = unique.seen
        wanted = list(dict.fromkeys(k for k in keys if k not in seen and None not in k))
        found = set()
        if wanted and ask_database:
            found = {
                tuple(r)
                for r in self.conn.execute(select(*columns).where(tuple_(*columns).in_(wanted)))
            }
        kept = []
        reserved = key_shape(table).reserved
        for key, values in zip(keys, rows, strict=True):
            if None not in key and (key in seen or key in found):
                if reserved:
                    skipped.add(values[0])
                continue
            seen.add(key)
            kept.append(values)
        if len(kept) < len(rows):
            reason = f"{','.join(unique.names)}: duplicate value for a unique key"
            reasons[reason] += len(rows) - len(kept)
            log.info(
                "rows_skipped", table=table.fullname, rows=len(rows) - len(kept), reason=reason
            )
        return kept

    def has_rows(self, table: Table) -> bool:
        return self.conn.execute(select(literal(1)).select_from(table).limit(1)).first() is not None

    def existing_values(self, column: Column[Any], wanted: list[Any]) -> set[Any]:
        if self.conn.dialect.name == "postgresql":
            # One array parameter instead of thousands of placeholders.
            preparer = self.conn.dialect.identifier_preparer
            sql = (
                f"SELECT {preparer.quote(column.name)} FROM "
                f"{preparer.format_table(column.table)} WHERE {preparer.quote(column.name)} = "
                "ANY(:v)"
            )
            return set(self.conn.execute(text(sql), {"v": wanted}).scalars())
        return set(self.conn.execute(select(column).where(column.in_(wanted))).scalars())

    def drop_existing(
        self,
        table: Table,
        batch: list[list[Any]],
        naturals: list[tuple[int, Column[Any]]],
        skipped: set[Any],
        first: int,
        log: Any,
    ) -> list[list[Any]]:
        """Rows whose natural key the database already holds are skipped, never duplicated."""
        if not naturals:
            return batch
        clash: set[int] = set()
        for position, column in naturals:
            wanted = {values[position] for values in batch if values[position] is not None}
            if not wanted:
                continue
            found = self.existing_values(column, list(wanted))
            for i, values in enumerate(batch):
                if values[position] in found and i not in clash:
                    clash.add(i)
                    if len(skipped) + len(clash) <= SKIPS_LOGGED:
                        log.warning(
                            "row_skipped",
                            table=table.fullname,
                            ordinal=first + i,
                            column=column.name,
                            reason="already exists",
                        )
        for i in clash:
            skipped.add(batch[i][0])
        return [values for i, values in enumerate(batch) if i not in clash]

    def fill_deferred(self, table: Table, column_name: str) -> None:
        pk = _single_pk(table)
        fk = next(
            fk
            for fk in table.foreign_key_constraints
            if [c.name for c in fk.columns] == [column_name]
        )
        keys = self.keys[table.fullname]
        inserted = set(self.inserted[table.fullname])
        gen = self.fk_generator(table, fk, len(keys))
        base = stable_hash(self.settings.seed, table.fullname, column_name)
        params = [
            {"_k": key, "_v": gen(o, cell(base, o), {})}
            for o, key in enumerate(keys)
            if key in inserted
        ]
        stmt = update(table).where(pk == bindparam("_k")).values({column_name: bindparam("_v")})
        for start in range(0, len(params), BATCH_ROWS):
            self.conn.execute(stmt, params[start : start + BATCH_ROWS])


def seed_tables(
    conn: Connection,
    metadata: MetaData,
    spec: SeedSpec,
    *,
    settings: Settings,
    revision: str,
    run_id: str,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> list[TableReport]:
    """Generate, load and ledger the rows ``spec`` asks for.

    Args:
        checkpoint: commits the work so far and opens a new transaction; returns False when it
            cannot (then the revision stays one transaction). Called every ``chunk_rows`` rows,
            only for revisions of at least ``chunk_rows`` rows.

    Raises:
        ConfigurationError: the spec names unknown tables or columns.
        Refused: an interrupted earlier run of this revision used another size or seed.
        DataError: rows cannot be generated, or a foreign key is broken after loading.
    """
    log = get_logger(revision=revision, run_id=run_id)
    plan = build_plan(metadata, spec, settings.size, settings.seed)
    run = _Seeding(conn, plan, settings, revision, run_id, progress, checkpoint, chunk_rows)
    run.saved = progress_store.load(conn, revision)
    for saved in run.saved.values():
        if (saved.size, saved.seed) != (settings.size.name, settings.seed):
            raise Refused(
                f"seed revision {revision} was interrupted while running with size {saved.size} "
                f"and seed {saved.seed}; resume it with --size {saved.size} --seed {saved.seed}, "
                "or remove its rows with seedctl downgrade"
            )
    if run.saved:
        log.info("revision_resumed", tables={t: p.done for t, p in run.saved.items()})
    tables = {name: metadata.tables[name] for name in plan.order.tables}
    found = feasibility.problems(
        tables,
        plan.counts,
        domains=run.domains,
        parent_rows=run.planned_rows,
        overridden=lambda t: set(plan.specs[t.fullname].columns),
    )
    if found:
        more = f" (and {len(found) - 1} more problem(s))" if len(found) > 1 else ""
        raise DataError(
            f"cannot seed as asked, nothing was inserted: {found[0]}{more}",
            [{"problem": p} for p in found],
        )
    for name in plan.order.tables:
        run.reserve(tables[name])
    if run.chunked and not run.saved:
        for name in plan.order.tables:
            run.save(name, 0, 0)
        run.commit_if_due(0, force=True)
    deferred: dict[str, set[str]] = {}
    for edge in plan.order.deferred:
        fk = next(
            fk
            for fk in tables[edge.child].foreign_key_constraints
            if constraint_name(fk) == edge.name
        )
        deferred.setdefault(edge.child, set()).update(c.name for c in fk.columns)
    reports = []
    run.plan_tables = tables
    for name in plan.order.tables:
        report = run.seed_table(tables[name], deferred.get(name, set()), log)
        log.info("table_seeded", **report.as_dict())
        reports.append(report)
        run.apply_totals(name)
    for name, columns in deferred.items():
        for column in sorted(columns):
            run.fill_deferred(tables[name], column)
    verify_foreign_keys(conn, [tables[n] for n in plan.order.tables], revision)
    progress_store.clear(conn, revision)
    return reports


def first_line(exc: BaseException) -> str:
    """The first line of a database error, without SQLAlchemy's statement and parameters."""
    original = getattr(exc, "orig", None) or exc
    return (str(original).strip().splitlines() or [type(original).__name__])[0][:300]


#: MySQL/MariaDB error codes for rows the server refuses (not for lost connections).
_MYSQL_ROW_ERRORS = {1048, 1062, 1264, 1265, 1292, 1366, 1406, 1452, 1644, 3819, 4025}


def rejected_by_database(exc: BaseException) -> bool:
    """Whether ``exc`` is the database refusing rows (a constraint, a value, a trigger), as
    opposed to a lost connection or a bug: only those are bisected."""
    original = getattr(exc, "orig", None) or exc
    names = {cls.__name__ for cls in type(original).__mro__}
    if names & {"IntegrityError", "DataError", "RaiseException"}:
        return True
    module = type(original).__module__
    if module.startswith("pymysql") and original.args:
        return original.args[0] in _MYSQL_ROW_ERRORS
    return False


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
        for fk in table.foreign_key_constraints:
            if len(fk.elements) != 1:
                continue
            child = fk.elements[0].parent
            target = fk.elements[0].column
            parent = target.table.alias("parent")
            seeded = ledger.match(table, entry) if not entry.by_value else true()
            orphan = and_(
                child.isnot(None),
                seeded,
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
            f"{first['table']} {first['constraint']}); the revision was rolled back",
            problems,
        )


def reflect(conn: Connection) -> MetaData:
    """The live database's tables."""
    from sqlalchemy import MetaData

    metadata = MetaData()
    metadata.reflect(conn)
    return metadata
