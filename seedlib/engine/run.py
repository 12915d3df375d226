"""Execute a plan: reserve keys, generate rows, load them, ledger them, verify foreign keys.

Small revisions run in one transaction. A revision of at least ``chunk_rows`` rows commits every
``chunk_rows`` rows (through ``checkpoint``), recording its progress with each chunk, so that a run
killed at any point resumes where it stopped and ends with the same data as an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    and_,
    bindparam,
    exists,
    func,
    not_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.types import NullType

from seedlib.config import same_size
from seedlib.db import server_table
from seedlib.exceptions import ConfigurationError, DataError, Refused
from seedlib.generate.checks import Check, Domain, domains, table_checks
from seedlib.generate.infer import infer, is_unique
from seedlib.generate.rng import cell, hashes, stable_hash
from seedlib.generate.validate import RowValidator
from seedlib.generate.values import (
    ChildTotal,
    Columnar,
    Generator,
    ParentValue,
    Skewed,
    constant,
)
from seedlib.load import indexes_built_after, open_writer, reserve_keys
from seedlib.load import mysql as mysql_load
from seedlib.load import postgresql as postgresql_load
from seedlib.load import sqlite as sqlite_load
from seedlib.load.generic import bind_processors, driver_rows
from seedlib.load.parallel import FORKED_LOADERS, load_batches, workers_for
from seedlib.load.postgresql import deferrable_foreign_keys, foreign_keys_checked_after
from seedlib.log import get_logger
from seedlib.plan import feasibility
from seedlib.plan.spec import SeedSpec, build_plan, constraint_name
from seedlib.track import ledger
from seedlib.track import progress as progress_store

if TYPE_CHECKING:
    from sqlalchemy import MetaData, Table
    from sqlalchemy.engine import Connection

    from seedlib.config import Settings

from seedlib.engine.filters import _Filters
from seedlib.engine.own import OwnValue, _Own
from seedlib.engine.references import _References
from seedlib.engine.shapes import (
    BATCH_ROWS,
    DEFAULT_CHUNK_ROWS,
    HASH_BLOCK,
    HASH_MOD,
    Checkpoint,
    KeyShape,
    Progress,
    TableReport,
    UniqueGroup,
    block_hashes,
    first_line,
    is_int,
    key_shape,
    natural_keys,
    rejected_by_database,
    repoint_self_references,
    single_pk,
    unique_groups,
)
from seedlib.engine.sources import open_sources

#: Rows of a batch; their ordinals (None: each row is a list ending with its ordinal); their
#: content hash when already taken.
Batch = tuple[Sequence[Sequence[Any]], Sequence[int] | None, int | None]

#: Draws for a cycle-closing value that would repeat a UNIQUE, before it is left NULL.
FILL_ATTEMPTS = 8
#: Draws of a row's values again when they repeat a unique value, before the row is skipped.
REDRAWS = 3


class _Seeding(_References, _Filters, _Own):
    """Generates, loads and ledgers the tables of one plan."""

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
        # Columns pointing at other rows of this table, set after loading: NULL meanwhile, or
        # the row's own referred value when NOT NULL.
        own = self.own_generators(table)
        chosen: dict[str, Generator] = {}
        for fk in table.foreign_key_constraints:
            names = [c.name for c in fk.columns]
            if len(names) > 1 and not set(names) & (set(spec.columns) | deferred | set(own)):
                chosen.update(zip(names, self.composite_fk(table, fk, count), strict=True))
        taken = set(spec.columns) | deferred | set(own) | set(chosen)
        chosen.update(self.junction_pairs(table, fks, taken))
        out: list[tuple[str, Generator | None]] = []
        reserved = key_shape(table).reserved
        for column in table.columns:
            if column.primary_key and reserved:
                continue
            if column.name in deferred:
                out.append((column.name, None))
            elif column.name in own:
                out.append((column.name, own[column.name]))
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
            elif (sourced := self.source_generator(table, column)) is not None:
                out.append((column.name, sourced))
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
                if (
                    domain is not None
                    and domain.choices
                    and is_unique(column, table, alone=True)
                    and self.has_rows(table)
                ):
                    # A unique column with few allowed values: leave out those already taken.
                    taken = self.existing_values(column, list(domain.choices))
                    domain = replace(
                        domain, choices=tuple(c for c in domain.choices if c not in taken)
                    )
                generator = self.after_existing(table, column, domain)
                out.append((column.name, generator or infer(table, column, self.pools, domain)))
        return out

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
        pk = single_pk(table)
        count = self.plan.counts[name]
        saved = self.saved.get(name)
        if not is_int(pk):
            gen = infer(table, pk, self.pools)
            base = stable_hash(self.settings.seed, name, pk.name)
            first = 0 if name in self.sources else self.ordinal_offset(name)
            self.keys[name] = [gen(o, cell(base, o), {}) for o in range(first, first + count)]
            distinct = len(set(self.keys[name]))
            if distinct < count:  # rows are told apart by their keys
                raise ConfigurationError(
                    f"cannot seed {count} rows into {name}: its key {pk.name} "
                    f"({pk.type}) gets only {distinct} distinct values; ask for at most "
                    f"{distinct} rows"
                )
        elif saved is not None:
            self.keys[name] = saved.keys()
        else:
            self.keys[name] = reserve_keys(self.conn, table, pk, count)

    def save(self, name: str, done: int, content_sum: int) -> None:
        keys = self.keys.get(name, [])
        progress_store.save(
            self.conn,
            self.revision,
            name,
            keys=keys if len(keys) and isinstance(keys[0], int) else [],
            done=done,
            content_sum=content_sum,
            size=self.settings.size.name,
            seed=self.settings.seed,
        )

    def commit_if_due(self, rows: int, force: bool = False) -> None:
        self.since_commit += rows
        if (
            self.chunked
            and not self.hold_commits
            and (force or self.since_commit >= self.chunk_rows)
        ):
            assert self.checkpoint is not None
            if self.checkpoint():
                self.since_commit = 0
                self.without_jit()  # the commit restored it

    def without_jit(self) -> str | None:
        """No JIT compilation for the seeding's statements on PostgreSQL (see
        :func:`seedlib.load.postgresql.without_jit`); the setting it had."""
        if self.conn.dialect.name != "postgresql":
            return None
        return postgresql_load.without_jit(self.conn)

    def seed_table(self, table: Table, deferred: set[str], log: Any) -> TableReport:
        """Load ``table``'s rows; on PostgreSQL a large load checks its foreign keys once at the
        end (see :func:`seedlib.load.postgresql.foreign_keys_checked_after`). A row that breaks
        one fails that check, and the table is loaded again with the constraints in place, so
        the database refuses exactly the rows it would have refused."""
        foreign_keys = self.deferred_foreign_keys(table)
        if not foreign_keys:
            return self.load_table(table, deferred, log)
        log.info(
            "foreign_keys_deferred", table=table.fullname, constraints=[f[0] for f in foreign_keys]
        )
        totals = len(self.totals)
        self.hold_commits = True  # a commit now would publish the table without them
        try:
            with (
                self.conn.begin_nested(),
                foreign_keys_checked_after(self.conn, table, foreign_keys),
            ):
                report = self.load_table(table, deferred, log)
        except Exception as exc:
            if not rejected_by_database(exc):
                raise
            log.warning(
                "foreign_keys_broken", table=table.fullname, error=first_line(exc), retry=True
            )
            del self.totals[totals:]  # registered again by the second load
            report = None
        finally:
            self.hold_commits = False
        if report is None:
            return self.load_table(table, deferred, log)
        self.commit_if_due(0)
        return report

    def deferred_foreign_keys(self, table: Table) -> list[tuple[str, str, int]]:
        """The foreign keys to check once after loading ``table`` (PostgreSQL, a fresh large
        load made in this run: not resumed, not read from a source), among those to tables this
        run or an earlier seed revision seeds (dropping a foreign key locks the table it
        references: never one of the application's own tables)."""
        dialect = self.conn.dialect
        name = table.fullname
        if (
            not self.settings.defer_indexes
            or (dialect.name, dialect.driver) != ("postgresql", "psycopg")
            or (name in self.saved and self.saved[name].done > 0)
            or name in self.sources
            or self.plan.counts[name] < postgresql_load.DEFER_FOREIGN_KEYS_ROWS
        ):
            return []
        seeded_tables = {t for t, n in self.plan.counts.items() if n > 0}
        for counts in ledger.counts_by_revision(self.conn).values():  # earlier revisions'
            seeded_tables.update(t for t, n in counts.items() if n > 0)
        seeded = {
            str(fk.name)
            for fk in table.foreign_key_constraints
            if fk.name and fk.referred_table.fullname in seeded_tables
        }
        return deferrable_foreign_keys(self.conn, table, self.plan.counts[name], seeded)

    def load_table(self, table: Table, deferred: set[str], log: Any) -> TableReport:
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
        if total == 0:  # nothing to make: its parents need no rows either
            self.inserted[name] = []
            self.left_out[name] = set()
            return TableReport(name, 0, time.perf_counter() - started, f"{0:032x}")
        gens = self.generators(table, deferred)
        # Read here: forked generators cannot use the connection.
        offset = 0 if name in self.sources else self.ordinal_offset(name)
        bases = [stable_hash(self.settings.seed, name, column) for column, _ in gens]
        columns = list(shape.columns[:1] if shape.reserved else ()) + [c for c, _ in gens]
        key_at = [columns.index(c) for c in shape.columns] or list(range(len(columns)))
        self_refs = [  # to the reserved key (the others are set after loading)
            (columns.index(fk.elements[0].parent.name), bool(fk.elements[0].parent.nullable))
            for fk in table.foreign_key_constraints
            if fk.referred_table is table
            and shape.reserved
            and [e.column.name for e in fk.elements] == [*shape.columns]
            and fk.elements[0].parent.name in columns
        ]
        checks = [(columns.index(c.name), c) for c in natural_keys(table) if c.name in columns]
        validator = RowValidator(
            table,
            columns,
            self.checks(table),
            {c: g.longest for c, g in gens if isinstance(g, Columnar) and g.longest is not None},
            self.numbers_within(shape, gens, keys),
        )
        reasons: Counter[str] = Counter()
        uniques = [
            UniqueGroup(tuple(group), tuple(columns.index(c) for c in group), set())
            for group in unique_groups(table)
            if all(c in columns for c in group)
        ]
        if not shape.reserved and not shape.by_value:
            uniques.append(UniqueGroup(shape.columns, tuple(key_at), set()))
        # Batches start at multiples of HASH_BLOCK, so hashes agree however a run was chunked.
        batch_rows = min(BATCH_ROWS, -(-self.chunk_rows // HASH_BLOCK) * HASH_BLOCK)
        loaded = 0
        composite_keys: list[Any] = []
        # Natural and composite keys can only clash with rows that were there before.
        had_rows = (bool(checks) or bool(uniques)) and self.has_rows(table)
        needs_rows = any(
            g is not None and not isinstance(g, Columnar | ParentValue) for _, g in gens
        )
        reading = [g for _, g in gens if isinstance(g, ParentValue)]
        # Batches that query parent rows cannot be made while a COPY is open, nor forked.
        reads_parents = bool(reading) and not self.read_parents_whole(
            table, reading, total - start > batch_rows
        )
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
        # A large load into a table holding fewer rows builds the table's secondary indexes
        # once at the end, so it is one segment even when the run commits in chunks (an
        # interrupted run then redoes this table from where the last chunk left it).
        indexes = (
            []
            if had_rows or reads_parents
            else self.deferred_indexes(
                table,
                total - start,
                # A source is read once, in order (its masking audit counts each row once).
                lambda: (
                    set()
                    if name in self.sources
                    else self.ascending_columns(
                        lambda part: self.make_columns(
                            table, shape, gens, bases, columns, keys, part, needs_rows
                        ),
                        columns,
                        range(start, total),
                    )
                ),
            )
        )
        if had_rows or reads_parents:
            segment = batch_rows
        elif self.chunked and not indexes:
            segment = -(-self.chunk_rows // batch_rows) * batch_rows
        else:
            segment = max(total - start, 1)
        if indexes:
            log.debug("indexes_deferred", table=name, indexes=[i[0] for i in indexes])

        # Nothing but a failed column test can drop or change a row of such a table.
        plain = not (may_skip or orphans or had_rows or uniques or self_refs or validator.checks)

        def prepared(seg_start: int, seg_end: int, told: Any = log) -> Iterator[Batch]:
            """Batches of rows, with their content hash when it could be taken from the
            columns (no row left out, none to repoint). ``told``: where skips are logged."""
            for first in range(seg_start, seg_end, batch_rows):
                ordinals = range(first, min(first + batch_rows, seg_end))
                made = self.make_columns(
                    table, shape, gens, bases, columns, keys, ordinals, needs_rows
                )
                # Rows left out by a rule are counted as omitted, not invalid: then the
                # columns are checked after leaving them out, as rows.
                found = (
                    validator.column_rejections(made)
                    if validator.tests and not (may_skip or orphans)
                    else None
                )
                digest = None if self_refs else block_hashes(ordinals, made)
                if plain and not found:
                    # Nothing can drop or change a row: tuples, the ordinals beside them.
                    yield list(zip(*made, strict=True)), ordinals, digest
                    continue
                rows = list(map(list, zip(*made, ordinals, strict=True)))
                if may_skip or orphans:
                    before = len(rows)
                    rows = self.drop_left_out(rows, may_skip, orphans, skipped, shape.reserved)
                    omitted_rows[0] += before - len(rows)
                if validator:
                    rows, changed = self.drop_invalid(
                        table, rows, validator, skipped, reasons, told, found
                    )
                    if changed:
                        digest = None
                if had_rows or uniques:
                    rows, clashed, replaced = self.clashes(
                        table,
                        rows,
                        checks,
                        uniques,
                        ask_database=had_rows,
                        remake=remake,
                        redraws=redraws,
                        fixed=fixed,
                    )
                    if replaced:
                        digest = None
                    for clash in clashed:
                        column = clash.columns[0] if len(clash.columns) == 1 else None
                        self.skip_row(
                            table, clash.values, clash.reason, column, skipped, reasons, told
                        )
                yield rows, None, (digest if len(rows) == len(ordinals) else None)

        # A row whose unique value the database already holds, or an earlier row took, is
        # drawn again (see ``make_columns``): values from spare row numbers, past every row
        # number of the run, so they repeat none of its own; up to REDRAWS times. Its
        # reserved key stays, so children still point at it.
        fixed = frozenset(shape.columns[:1] if shape.reserved else ())
        redraws = 0 if name in self.sources else REDRAWS

        def remake(values: list[Any], attempt: int) -> list[Any] | None:
            """Row ``values`` made again (draw ``attempt``), or None when a rule leaves it out
            or it is invalid."""
            part = range(values[-1], values[-1] + 1)
            made = self.make_columns(
                table, shape, gens, bases, columns, keys, part, needs_rows, attempt * total
            )
            again = [column[0] for column in made] + [values[-1]]
            if (may_skip or orphans) and not self.drop_left_out(
                [again], may_skip, orphans, set(), False
            ):
                return None
            if validator:
                kept, _changed = self.drop_invalid(
                    table, [again], validator, set(), Counter(), _SILENT
                )
                return kept[0] if kept else None
            return again

        def account(
            rows: Sequence[Sequence[Any]],
            totals: list[Any],
            ords: Sequence[int] | None = None,
            digest: int | None = None,
        ) -> None:
            """Count, hash (unless ``digest`` is the rows' hash already) and collect the keys
            of ``rows``; without ``ords`` each row ends with its ordinal, which is taken off."""
            if ords is None:
                ords = [values.pop() for values in rows]  # type: ignore[attr-defined]
            totals[0] += len(rows)
            if digest is None and rows:
                digest = block_hashes(ords, list(zip(*rows, strict=True)))
            totals[1] += digest or 0
            if shape.integer:
                # Integer keys as ranges: constant memory however many rows a segment has.
                ranges = totals[2]
                found: Iterable[tuple[int, int]]
                if (
                    shape.reserved
                    and rows
                    and isinstance(ords, range)
                    and isinstance(keys, range)
                    and keys.step == 1
                ):  # every row of the batch, keys reserved in one run: one range
                    found = [(keys[ords.start], keys[ords.stop - 1])]
                else:
                    found = ledger.to_ranges(r[0] for r in rows)
                _append_ranges(ranges, found)
            else:
                totals[2].extend(tuple(r[i] for i in key_at) for r in rows)

        def write_segment(batches: Iterator[Batch]) -> list[Any]:
            totals: list[Any] = [0, 0, []]
            with open_writer(self.conn, table, columns) as write:
                for rows, ords, digest in batches:
                    if self_refs:
                        repoint_self_references(rows, self_refs, skipped)  # type: ignore[arg-type]
                    account(rows, totals, ords, digest)
                    write(rows)
            return totals

        # Forked processes may make the batches when a batch needs nothing but its ordinals:
        # no look-ups in the database, no values remembered across batches. (Rows pointing at
        # rows of their own table skipped in another batch are checked here, see ``again``.)
        forkable = (
            (self.conn.dialect.name, self.conn.dialect.driver) in FORKED_LOADERS
            and not (had_rows or reads_parents or uniques)
            and name not in self.sources
            and (
                self.conn.dialect.name != "postgresql"
                or postgresql_load.copy_allowed(self.conn, table)
            )
        )
        processors = bind_processors(self.conn, table, columns) if forkable else []
        sqlite = self.conn.dialect.name == "sqlite"  # the database works in this process

        seen_skips = [False]  # a self-referencing table skipped rows: not forked any more

        def write_forked(seg_start: int, seg_end: int, workers: int) -> list[Any]:
            """The segment's batches made by ``workers`` forked processes and copied here in
            order (see :mod:`seedlib.load.parallel`): the same rows and totals."""

            def make(ordinals: range) -> tuple[Sequence[Sequence[Any]], Any]:
                # Runs in a child: its skipped/reasons/omitted are its own copies. The reasons
                # keep counting across the child's batches (they limit the skips it logs);
                # the batch's own counts are what changed.
                skipped.clear()
                omitted_rows[0] = 0
                before = Counter(reasons)
                ((rows, ords, digest),) = prepared(ordinals.start, ordinals.stop)
                pointed: set[Any] = set()
                if self_refs:  # at the rows this batch skipped; the others are checked here
                    repoint_self_references(rows, self_refs, skipped)  # type: ignore[arg-type]
                    pointed = {values[p] for values in rows for p, _ in self_refs} - {None}
                totals: list[Any] = [0, 0, []]
                account(rows, totals, ords, digest)
                loaded = driver_rows(rows, processors) if any(processors) else rows
                counted = Counter(reasons)
                counted.subtract(before)
                return loaded, (totals, list(skipped), dict(+counted), omitted_rows[0], pointed)

            def again(ordinals: range, summary: Any) -> Any:
                """Here, in batch order: a batch whose rows point at rows of their own table
                that an earlier batch skipped (which its child did not know) is made again
                here, as one process would have made it. Its skips do not depend on other
                batches: they, their reasons and the rows omitted are the child's."""
                gone, pointed = summary[1], summary[4]
                if not pointed or pointed.isdisjoint(skipped):
                    skipped.update(gone)
                    return None
                log.debug("batch_made_again", table=name, first=ordinals.start)
                rows, ords, digest = quietly(ordinals)
                repoint_self_references(rows, self_refs, skipped)  # type: ignore[arg-type]
                totals: list[Any] = [0, 0, []]
                account(rows, totals, ords, digest)
                loaded = driver_rows(rows, processors) if any(processors) else rows
                return loaded, (totals, *summary[1:4], set())

            def quietly(ordinals: range) -> Batch:
                """The batch made here, its skips added to ``skipped`` and nothing else
                counted or logged (the child did)."""
                reasons_before, omitted_before = Counter(reasons), omitted_rows[0]
                try:
                    ((rows, ords, digest),) = prepared(ordinals.start, ordinals.stop, _SILENT)
                finally:
                    reasons.clear()
                    reasons.update(reasons_before)
                    omitted_rows[0] = omitted_before
                return rows, ords, digest

            tasks = [
                range(first, min(first + batch_rows, seg_end))
                for first in range(seg_start, seg_end, batch_rows)
            ]
            if self_refs and not seen_skips[0]:
                # A first batch that skips rows foretells batches pointing at rows other
                # batches skipped, each made twice: such a segment is made here instead.
                before = set(skipped)
                quietly(tasks[0])
                seen_skips[0] = len(skipped) > len(before)
                skipped.intersection_update(before)
            if self_refs and seen_skips[0]:
                return write_segment(prepared(seg_start, seg_end))
            merged: list[Any] = [0, 0, []]
            log.debug("segment_forked", table=name, batches=len(tasks), workers=workers)
            made = load_batches(
                self.conn,
                table,
                columns,
                tasks,
                make,
                workers=workers,
                again=again if self_refs else None,
            )
            for (count, digest, keys), gone, why, omitted, _pointed in made:
                merged[0] += count
                merged[1] += digest
                if shape.integer:
                    _append_ranges(merged[2], keys)
                else:
                    merged[2].extend(keys)
                skipped.update(gone)
                reasons.update(why)
                omitted_rows[0] += omitted
            return merged

        for seg_start in range(start, total, segment):
            seg_end = min(seg_start + segment, total)
            # Before any row of the segment is made: a retry counts its skips again.
            reasons_before = Counter(reasons)
            omitted_before = omitted_rows[0]
            source = prepared(seg_start, seg_end)
            for unique in uniques:
                unique.journal.clear()
            if had_rows or reads_parents:  # no query may run while a COPY is open
                source = iter(list(source))
            workers = (
                workers_for(self.settings.workers, seg_end - seg_start, loads_here=sqlite)
                if forkable
                else 0
            )
            try:
                with self.conn.begin_nested(), indexes_built_after(self.conn, table, indexes):
                    if workers:
                        count, digest, new_keys = write_forked(seg_start, seg_end, workers)
                    else:
                        count, digest, new_keys = write_segment(source)
            except Exception as exc:
                if not rejected_by_database(exc):
                    raise
                log.warning(
                    "batch_rejected", table=name, rows=seg_end - seg_start, error=first_line(exc)
                )
                # Generate the segment again (it is deterministic), batch by batch, and load
                # what the database accepts, halving the failing parts down to single rows.
                for unique in uniques:
                    unique.seen.difference_update(unique.journal)
                    unique.journal.clear()
                reasons.clear()
                reasons.update(reasons_before)
                omitted_rows[0] = omitted_before
                totals: list[Any] = [0, 0, []]
                for made, ords, _digest in prepared(seg_start, seg_end):
                    batch = (
                        [[*row, o] for row, o in zip(made, ords, strict=True)]
                        if ords is not None  # as lists, each ending with its ordinal
                        else list(map(list, made))
                    )
                    good = self.bisect(table, columns, batch, skipped, self_refs, reasons, log)
                    account(good, totals)
                count, digest, new_keys = totals
            loaded += count
            content_sum = (content_sum + digest) % HASH_MOD
            if not shape.reserved and not shape.by_value:
                composite_keys.extend(new_keys)
            self.ledger_rows(name, shape, columns, new_keys)
            if self.chunked and seg_start == start:
                # Before the first commit of the table: rows a trigger moved would stay.
                verify_ledgered(self.conn, [table], self.revision)
            if self.chunked:
                self.save(name, seg_end, content_sum)
            if self.progress:
                self.progress(name, seg_end, total)
            self.commit_if_due(seg_end - seg_start)
            if self.chunked and self.since_commit == 0:
                log.info("chunk_committed", table=name, done=seg_end, total=total)
        self.parents_read.clear()
        if shape.reserved:
            self.inserted[name] = keys if not skipped else [k for k in keys if k not in skipped]
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
            # Spare numbers included whether or not they were used (a resumed run cannot
            # know), so the next revision's rows never depend on this run's history.
            row_numbers=(offset, offset + total * (1 + (redraws if uniques or checks else 0))),
        )
        if report.skipped:
            log.warning("rows_skipped", table=name, rows=report.skipped, reasons=dict(reasons))
        return report

    @staticmethod
    def ascending_columns(
        make: Callable[[range], list[Sequence[Any]]], columns: list[str], ordinals: range
    ) -> set[str]:
        """The columns whose values rise strictly over ``ordinals``, judged from the first and
        the last ``HASH_BLOCK`` rows as ``make`` makes them (a guess that only costs speed when
        wrong)."""
        parts = [
            ordinals[:HASH_BLOCK],
            ordinals[max(HASH_BLOCK, len(ordinals) - HASH_BLOCK) :],
        ]
        made = [make(part) for part in parts if part]
        rising = set()
        for position, name in enumerate(columns):
            values = [v for sample in made for v in sample[position]]
            try:
                if all(a < b for a, b in itertools.pairwise(values)):
                    rising.add(name)
            except (TypeError, ArithmeticError):  # NULLs, mixed types, NaN
                pass
        return rising

    @staticmethod
    def numbers_within(
        shape: KeyShape, gens: Sequence[tuple[str, Any]], keys: Sequence[Any]
    ) -> dict[str, tuple[Any, Any]]:
        """Columns whose values are numbers in a known range by construction: what generators
        promise, and an integer key reserved as one run of numbers."""
        found = {c: g.bounds for c, g in gens if isinstance(g, Columnar) and g.bounds is not None}
        if shape.reserved and shape.integer and isinstance(keys, range) and len(keys):
            found[shape.columns[0]] = (min(keys[0], keys[-1]), max(keys[0], keys[-1]))
        return found

    def make_columns(
        self,
        table: Table,
        shape: KeyShape,
        gens: list[tuple[str, Generator | None]],
        bases: list[int],
        columns: list[str],
        keys: Sequence[Any],
        ordinals: range,
        needs_rows: bool,
        shift: int = 0,
    ) -> list[Sequence[Any]]:
        """The values of ``columns`` for the rows ``ordinals``, one sequence per column.
        ``shift`` draws them again: value columns from row numbers moved by ``shift``, foreign
        keys by another hash of the same row numbers (their pickers keep the row's share of
        the parents); reserved keys stay."""
        first, last = ordinals.start, ordinals.stop
        filled: dict[str, Sequence[Any]] = {}
        if shape.reserved:
            filled[shape.columns[0]] = keys[first:last]
        # Values continue after the rows other revisions made (see ``ordinal_offset``); keys
        # of foreign keys pick this run's parent rows by row number, and a source's rows are
        # read by it: those start at 0.
        offset = shift + (
            0 if table.fullname in self.sources else self.ordinal_offset(table.fullname)
        )
        shifted = range(first + offset, last + offset)
        pointing = {c.name for fk in table.foreign_key_constraints for c in fk.columns}
        row_view = (
            [{c: v[i] for c, v in filled.items()} for i in range(len(ordinals))]
            if needs_rows
            else []
        )
        # Columns that ignore the row first, then foreign keys computed from the row that
        # parent values are read through, then those values, then the other columns computed
        # from the row, so those see every other column.
        reading = [g for _, g in gens if isinstance(g, ParentValue)]
        read_through = {g.fk_column for g in reading}
        ordered = sorted(
            zip(gens, bases, strict=True),
            key=lambda item: (
                0
                if item[0][1] is None or isinstance(item[0][1], Columnar)
                else 2
                if isinstance(item[0][1], ParentValue)
                else 1
                if item[0][0] in read_through
                else 4
                if isinstance(item[0][1], OwnValue)
                else 3
            ),
        )
        read: dict[str, dict[int, list[Any]]] = {}
        for (column, gen), base in ordered:
            if gen is None:
                filled[column] = [None] * len(ordinals)
                continue
            fixed_rows = column in pointing and not (isinstance(gen, Columnar) and gen.any_row)
            rows = ordinals if fixed_rows else shifted
            if shift and fixed_rows:  # another draw among the same parents
                base = cell(base, shift)
            hs = hashes(base, rows.start, rows.stop)
            if isinstance(gen, Columnar):
                filled[column] = gen.batch(rows, hs)
            elif isinstance(gen, ParentValue):
                if gen.fk_column not in read:  # one query for every column read through it
                    through = [g for g in reading if g.fk_column == gen.fk_column]
                    values = self.parent_values(table, through, filled[gen.fk_column])
                    read[gen.fk_column] = dict(zip(map(id, through), values, strict=True))
                found = read[gen.fk_column][id(gen)]
                then = gen.then
                filled[column] = (
                    found
                    if then is None
                    else [None if v is None else then(v, h) for v, h in zip(found, hs, strict=True)]
                )
            else:
                filled[column] = [gen(o, h, r) for o, h, r in zip(rows, hs, row_view, strict=True)]
            if needs_rows:
                for r, v in zip(row_view, filled[column], strict=True):
                    r[column] = v
        return [filled[c] for c in columns]

    def ledger_rows(self, name: str, shape: KeyShape, columns: list[str], keys: list[Any]) -> None:
        """Ledger the keys a segment loaded: ``(first, last)`` ranges for integer keys."""
        if shape.integer:
            ledger.record(
                self.conn,
                revision=self.revision,
                run_id=self.run_id,
                table=name,
                key_columns=list(shape.columns),
                int_ranges=keys,
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

    def fill_deferred(self, table: Table, column_name: str) -> None:
        pk = single_pk(table)
        fk = next(
            fk
            for fk in table.foreign_key_constraints
            if [c.name for c in fk.columns] == [column_name]
        )
        keys = self.keys[table.fullname]
        inserted = set(self.inserted[table.fullname])
        gen = self.fk_generator(table, fk, len(keys))
        base = stable_hash(self.settings.seed, table.fullname, column_name)
        filled = [(o, key) for o, key in enumerate(keys) if key in inserted]
        values = self.unique_fill(table, column_name, filled, gen, base)
        pairs = [(key, v) for (_o, key), v in zip(filled, values, strict=True)]
        known = not isinstance(pk.type, NullType) and not isinstance(
            table.c[column_name].type, NullType
        )
        if self.conn.dialect.name == "postgresql" and known:
            # One statement per batch, joined to the keys and values sent as two arrays: the
            # reference ERP's 150,000 orders take 6.3 s instead of 7.8 s row by row (the
            # rest is the server writing each row anew, with its index entries).
            from sqlalchemy.dialects.postgresql import ARRAY

            column = table.c[column_name]
            given = select(
                func.unnest(bindparam("_ks", type_=ARRAY(pk.type))).label("k"),
                func.unnest(bindparam("_vs", type_=ARRAY(column.type))).label("v"),
            ).subquery()
            stmt = update(table).where(pk == given.c.k).values({column_name: given.c.v})
            with self.rewriting(table, len(pairs), [column_name]):
                for start in range(0, len(pairs), BATCH_ROWS):
                    part = pairs[start : start + BATCH_ROWS]
                    self.conn.execute(
                        stmt, {"_ks": [k for k, _ in part], "_vs": [v for _, v in part]}
                    )
            return
        stmt = update(table).where(pk == bindparam("_k")).values({column_name: bindparam("_v")})
        with self.rewriting(table, len(pairs), [column_name]):
            for start in range(0, len(pairs), BATCH_ROWS):
                part = pairs[start : start + BATCH_ROWS]
                self.conn.execute(stmt, [{"_k": k, "_v": v} for k, v in part])

    def unique_fill(
        self,
        table: Table,
        column_name: str,
        filled: list[tuple[int, Any]],
        gen: Generator,
        base: int,
    ) -> list[Any]:
        """The values of a cycle-closing column for ``filled`` ``(ordinal, key)`` rows.

        When the column is UNIQUE, alone or with other columns, a value that would repeat a
        tuple of the table (seeded now, by the application, or earlier) is drawn again, up to
        :data:`FILL_ATTEMPTS` times, then left NULL: the edge is nullable, and a NULL never
        clashes.
        """
        groups = [g for g in unique_groups(table) if column_name in g]
        if is_unique(table.c[column_name], table, alone=True):
            groups.append([column_name])
        if not groups:
            return [gen(o, cell(base, o), {}) for o, _key in filled]
        pk = single_pk(table)
        others = sorted({c for g in groups for c in g} - {column_name})
        current: dict[Any, dict[str, Any]] = {}
        for start in range(0, len(filled), BATCH_ROWS):
            chunk = [key for _o, key in filled[start : start + BATCH_ROWS]]
            found = select(pk, *(table.c[c] for c in others)).where(ledger.in_values(pk, chunk))
            for key, *rest in self.conn.execute(found):
                current[key] = dict(zip(others, rest, strict=True))
        taken: list[set[tuple[Any, ...]]] = []
        for group in groups:
            held = select(*(table.c[c] for c in group)).where(table.c[column_name].is_not(None))
            taken.append({tuple(r) for r in self.conn.execute(held) if None not in tuple(r)})
        bases = [base] + [
            stable_hash(self.settings.seed, table.fullname, column_name, attempt)
            for attempt in range(1, FILL_ATTEMPTS)
        ]
        out: list[Any] = []
        for o, key in filled:
            row = current.get(key, {})
            for attempt_base in bases:
                value = gen(o, cell(attempt_base, o), {})
                tuples = [
                    tuple(value if c == column_name else row.get(c) for c in g) for g in groups
                ]
                if all(None in t or t not in seen for t, seen in zip(tuples, taken, strict=True)):
                    break
            else:
                value, tuples = None, []
            for t, seen in zip(tuples, taken, strict=False):
                if None not in t:
                    seen.add(t)
            out.append(value)
        return out


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
    # Sources are opened, validated and masked before anything is written.
    sources = open_sources(metadata, spec, settings, revision)
    counts = {name: s.count for name, s in sources.items()}
    plan = build_plan(metadata, spec, settings.size, settings.seed, counts)
    run = _Seeding(conn, plan, settings, revision, run_id, progress, checkpoint, chunk_rows)
    run.sources.update(sources)
    jit = run.without_jit()  # before any chunk commit, which gives it back (and re-applies it)
    run.saved = progress_store.load(conn, revision)
    for saved in run.saved.values():
        if not same_size(saved.size, settings.size) or saved.seed != settings.seed:
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
        overridden=lambda t: set(plan.specs[t.fullname].columns) | run.source_columns(t),
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
    with fewer_collections():
        for name in plan.order.tables:
            report = run.seed_table(tables[name], deferred.get(name, set()), log)
            report = run.finish_source(tables[name], report, log)
            log.info("table_seeded", **report.as_dict())
            reports.append(report)
            run.apply_totals(name)
    for name, columns in deferred.items():
        for column in sorted(columns):
            run.fill_deferred(tables[name], column)
    for name in plan.order.tables:
        for fk in run.own_references(tables[name]):
            run.fill_own_references(tables[name], fk)
    # A resumed revision holds rows an earlier session wrote, under checks it cannot know.
    verify_foreign_keys(
        conn, [tables[n] for n in plan.order.tables], revision, trust_database=not run.saved
    )
    verify_ledgered(conn, [tables[n] for n in plan.order.tables], revision)
    run.audit_sources()
    progress_store.clear(conn, revision)
    if conn.dialect.name == "postgresql":
        postgresql_load.restore_jit(conn, jit)
    return reports


def _append_ranges(ranges: list[tuple[int, int]], more: Iterable[tuple[int, int]]) -> None:
    """Append ascending ``(first, last)`` key ranges, joining one that continues the last."""
    for first, last in more:
        if ranges and ranges[-1][1] + 1 == first:
            ranges[-1] = (ranges[-1][0], last)
        else:
            ranges.append((first, last))


#: Allocations between the garbage collector's youngest-generation passes while seeding.
GC_THRESHOLD = 50_000


_GC_LOCK = threading.Lock()
#: Runs seeding at the moment (in any thread), then the thresholds from before the first.
_GC_USERS: list[int] = [0, 0, 0, 0]


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often while batches are made.

    Every batch allocates a list per row; with the default threshold (700) the collector runs
    every few hundred rows and scans the batch each time: 13 % of a 200,000-row seed's CPU.
    Batches hold no reference cycles, so they are freed as soon as they are loaded either way;
    collection still runs, every ``GC_THRESHOLD`` allocations. The threshold is restored after.
    """
    with _GC_LOCK:
        _GC_USERS[0] += 1
        if _GC_USERS[0] == 1:
            _GC_USERS[1:] = gc.get_threshold()
            # A threshold of 0 means the application switched collection off: leave it off.
            if gc.isenabled() and 0 < _GC_USERS[1] < GC_THRESHOLD:
                gc.set_threshold(GC_THRESHOLD, *_GC_USERS[2:])
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_USERS[0] -= 1
            if _GC_USERS[0] == 0:
                gc.set_threshold(*_GC_USERS[1:])


class _Silent:
    """A logger that says nothing: for batches made a second time."""

    def __getattr__(self, _name: str) -> Callable[..., None]:
        return lambda *_args, **_kwargs: None


_SILENT = _Silent()


#: Whether a table has a row trigger on INSERT: it may change the keys (or, without a primary
#: key, the values) seedlib ledgered for the rows it inserted.
_INSERT_TRIGGERS = {
    "postgresql": "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = "
    "CAST(:table AS regclass) AND NOT tgisinternal AND tgenabled <> 'D' "
    "AND tgtype & 1 = 1 AND tgtype & 4 = 4)",
    "mysql": "SELECT EXISTS (SELECT 1 FROM information_schema.TRIGGERS WHERE "
    "EVENT_OBJECT_SCHEMA = COALESCE(:schema, DATABASE()) AND EVENT_OBJECT_TABLE = :name "
    "AND EVENT_MANIPULATION = 'INSERT')",
    "sqlite": "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'trigger' "
    "AND tbl_name = :name COLLATE NOCASE)",
}


def verify_ledgered(conn: Connection, tables: Sequence[Table], revision: str) -> None:
    """Every row the ledger holds for ``revision`` in a table with an INSERT trigger is found
    under its ledgered key: a trigger that rewrites the key (``NEW.id := nextval(…)``) or a
    ledgered value would leave rows no rollback could find.

    Raises:
        DataError: some ledgered rows are not in their table under their keys.
    """
    query = _INSERT_TRIGGERS.get("mysql" if conn.dialect.name == "mariadb" else conn.dialect.name)
    if query is None:
        return
    entries = {e.table: e for e in ledger.entries(conn, revision)}
    for table in tables:
        entry = entries.get(table.fullname)
        if entry is None or not entry.row_count:
            continue
        params = {
            "table": server_table(conn, table),
            "schema": table.schema,
            "name": table.name,
        }
        if not conn.execute(text(query), params).scalar():
            continue
        found = conn.execute(
            select(func.count()).select_from(table).where(ledger.match(table, entry))
        ).scalar_one()
        if found < entry.row_count:  # (more: identical rows the application holds)
            raise DataError(
                f"a trigger on {table.fullname} changed the key or values of the rows seedlib "
                f"inserted ({entry.row_count - found} of {entry.row_count} are not where the "
                "ledger says), so no rollback could find them; the revision was rolled back: "
                f"seed {table.fullname} with 0 rows, or disable the trigger while seeding"
            )


def verify_foreign_keys(
    conn: Connection, tables: Sequence[Table], revision: str, *, trust_database: bool = True
) -> None:
    """Anti-join every single-column foreign key of the rows ``revision`` inserted; with
    ``trust_database`` (all the rows were written by this session), not those PostgreSQL,
    MariaDB/MySQL or SQLite enforce on every row themselves (see ``enforced_foreign_key`` in
    :mod:`seedlib.load.postgresql`, :mod:`seedlib.load.mysql` and :mod:`seedlib.load.sqlite`):
    the keys the schema declares that the database does not hold, or does not check now, are
    the ones this finds broken. (A key whose checks another session turned off between two
    chunk commits of this run, and on again, is trusted: that takes the table owner's DDL
    while seeding.)

    Raises:
        DataError: some seeded row points at a row that does not exist.
    """
    entries = {e.table: e for e in ledger.entries(conn, revision)}
    problems: list[dict[str, Any]] = []
    enforced = {
        "postgresql": postgresql_load.enforced_foreign_key,
        "mysql": mysql_load.enforced_foreign_key,
        "mariadb": mysql_load.enforced_foreign_key,
        "sqlite": sqlite_load.enforced_foreign_key,
    }.get(conn.dialect.name)
    if not trust_database:
        enforced = None
    for table in tables:
        entry = entries.get(table.fullname)
        if entry is None:
            continue
        for fk in table.foreign_key_constraints:
            if len(fk.elements) != 1:
                continue
            child = fk.elements[0].parent
            target = fk.elements[0].column
            if enforced is not None and enforced(
                conn, table, child.name, target.table, target.name
            ):
                continue
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


def reflect(conn: Connection, tables: Iterable[str] = (), schemas: Iterable[str] = ()) -> MetaData:
    """The live database's tables: the default schema's, plus those of ``schemas`` and of the
    schemas that the schema-qualified names in ``tables`` (e.g. ledger entries,
    ``sales.orders``) mention."""
    from sqlalchemy import MetaData

    from seedlib.db import reflect_into

    metadata = MetaData()
    reflect_into(metadata, conn)
    named = {name.rsplit(".", 1)[0] for name in tables if "." in name} | set(schemas)
    for schema in sorted(named):
        if schema not in {t.schema for t in metadata.tables.values()}:
            reflect_into(metadata, conn, schema)
    return metadata
