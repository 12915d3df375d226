"""Foreign keys and parent rows: picking parents, composite keys, rows per parent, values
read from parents, totals of children."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Float,
    Numeric,
    and_,
    func,
    literal,
    select,
    update,
)

from seedlib.exceptions import ConfigurationError, DataError
from seedlib.generate import refs
from seedlib.generate.checks import Domain
from seedlib.generate.infer import is_unique
from seedlib.generate.rng import stable_hash
from seedlib.generate.values import (
    SKIP,
    Columnar,
    Generator,
    ParentValue,
    constant,
)
from seedlib.plan.spec import constraint_name
from seedlib.track.ledger import in_values

if TYPE_CHECKING:
    from sqlalchemy import Column, Table
    from sqlalchemy.schema import ForeignKeyConstraint


from seedlib.engine.shapes import (
    BATCH_ROWS,
    EXISTING_PARENT_KEYS,
    PARENTS_READ_WHOLE,
    is_int,
    key_shape,
    single_pk,
    unique_groups,
)
from seedlib.engine.state import _State


class _References(_State):
    """Foreign keys: which parent rows the rows point at, and values read from them."""

    def parent_keys(self, fk: ForeignKeyConstraint) -> Sequence[Any]:
        parent = fk.referred_table
        column = fk.elements[0].column
        if key_shape(parent).columns == (column.name,) and self.seeds_rows(parent):
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

    def seeds_rows(self, table: Table) -> bool:
        """Whether this run seeds rows into ``table``: its children then point at those (a
        table asked for 0 rows lends them the rows it already holds)."""
        return self.plan.counts.get(table.fullname, 0) > 0

    def planned_rows(self, table: Table) -> int:
        """Rows ``table`` will have: seeded in this run, or already in the database."""
        if self.seeds_rows(table):
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
        if specs[parent.fullname].source is not None:  # a sourced parent's size is fixed
            return None
        if specs[parent.fullname].rows <= 0:  # it lends the rows it has: all of them
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
            if self.seeds_rows(fk.referred_table):
                # Every row of the parent was skipped: its children are left out too.
                return lambda _o, _h, _row: SKIP
            raise DataError(
                f"cannot seed {table.fullname}: {column.name} must reference "
                f"{fk.referred_table.fullname}, which has no rows; seed it in this revision"
            )
        if is_unique(column, table, alone=True):
            if count > len(parents) and nullable:
                return refs.one_to_one(parents, rest_null=True)
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
        if (
            parent.fullname in self.inserted
            and self.seeds_rows(parent)
            and set(referred) == set(shape.columns)
        ):
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
            if self.seeds_rows(fk.referred_table):
                return [lambda _o, _h, _row: SKIP for _ in names]
            raise DataError(
                f"cannot seed {table.fullname}: ({', '.join(names)}) must reference "
                f"{fk.referred_table.fullname}, which has no rows; seed it in this revision"
            )
        unique = any(set(group) == set(names) for group in unique_groups(table))
        if unique and count > len(rows):
            raise DataError(
                f"cannot seed {count} rows into {table.fullname}: ({', '.join(names)}) is "
                f"unique and {fk.referred_table.fullname} has only {len(rows)} rows"
            )
        base = stable_hash(self.settings.seed, table.fullname, constraint_name(fk))
        return refs.tuple_parts(rows, base, unique=unique)

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

    def parent_columns(
        self, table: Table, gens: Sequence[ParentValue]
    ) -> tuple[Column[Any], dict[str, int]]:
        """The parent key column that ``gens`` (all reading through the same foreign-key
        column) read through, and the parent columns they read, each with its position."""
        fk_column = gens[0].fk_column
        column = table.c.get(fk_column)
        fk = next(iter(column.foreign_keys), None) if column is not None else None
        if fk is None:
            raise ConfigurationError(
                f"{table.fullname}: values.parent({fk_column!r}, ...) needs a foreign-key column"
            )
        parent = fk.column.table
        wanted_names: dict[str, int] = {}
        for gen in gens:
            for name in (gen.column,) if isinstance(gen.column, str) else gen.column:
                wanted_names.setdefault(name, len(wanted_names))
        missing = [n for n in wanted_names if n not in parent.c]
        if missing:
            raise ConfigurationError(
                f"{table.fullname}: values.parent(): {parent.fullname} has no column "
                f"{', '.join(missing)}"
            )
        return fk.column, wanted_names

    def read_parents_whole(
        self, table: Table, gens: Sequence[ParentValue], in_batches: bool = True
    ) -> bool:
        """Read, once for a load of ``table`` made ``in_batches`` (several), every parent row its
        ``values.parent`` columns read, when each parent table holds at most
        :data:`PARENTS_READ_WHOLE` rows and is not ``table`` itself: then making a batch asks
        the database nothing (one scan instead of a query per batch, and the batches can be
        made while a COPY is open, or by forked processes). False when the parents are to be
        queried batch by batch (a load of one batch: one query either way)."""
        self.parents_read.clear()
        if not in_batches:
            return False
        by_column: dict[str, list[ParentValue]] = {}
        for gen in gens:
            by_column.setdefault(gen.fk_column, []).append(gen)
        plans = []
        for through in by_column.values():
            key, wanted_names = self.parent_columns(table, through)
            parent = key.table
            if parent is table or (
                self.conn.execute(
                    select(func.count()).select_from(
                        select(literal(1))
                        .select_from(parent)
                        .limit(PARENTS_READ_WHOLE + 1)
                        .subquery()
                    )
                ).scalar_one()
                > PARENTS_READ_WHOLE
            ):
                return False
            plans.append((through[0].fk_column, key, wanted_names))
        for fk_column, key, wanted_names in plans:
            parent = key.table
            # A NULL key names no parent (as in a query's IN list), even where a nullable
            # unique parent column holds NULLs.
            self.parents_read[fk_column] = (
                wanted_names,
                {
                    k: tuple(values)
                    for k, *values in self.conn.execute(
                        select(key, *(parent.c[n] for n in wanted_names)).where(key.isnot(None))
                    )
                },
            )
        return True

    def parent_values(
        self, table: Table, gens: Sequence[ParentValue], keys: Sequence[Any]
    ) -> list[list[Any]]:
        """For each of ``gens`` (all reading through the same foreign-key column, whose values
        for the batch are ``keys``), its ``column`` of the parent rows those keys name: from
        the parent rows read whole, else with one query per batch for all of them."""
        read = self.parents_read.get(gens[0].fk_column)
        if read is not None:
            wanted_names, found = read
        else:
            key, wanted_names = self.parent_columns(table, gens)
            parent = key.table
            wanted = list({k for k in keys if k is not None})
            found = {}
            for start in range(0, len(wanted), BATCH_ROWS):
                part = wanted[start : start + BATCH_ROWS]
                rows = self.conn.execute(
                    select(key, *(parent.c[n] for n in wanted_names)).where(in_values(key, part))
                )
                for k, *values in rows:
                    found[k] = tuple(values)
        out = []
        for gen in gens:
            if isinstance(gen.column, str):
                at = wanted_names[gen.column]
                out.append([None if (r := found.get(k)) is None else r[at] for k in keys])
            else:
                ats = [wanted_names[n] for n in gen.column]
                out.append(
                    [
                        None if (r := found.get(k)) is None else tuple(r[a] for a in ats)
                        for k in keys
                    ]
                )
        return out

    def apply_totals(self, child: str) -> None:
        """Set the parent columns declared with ``values.total_of`` over ``child``: one UPDATE
        per parent table and chunk of its keys sets all of that table's totals over ``child``
        (each UPDATE writes every parent row anew, so one pass instead of one per column)."""
        assignments: dict[str, tuple[Table, dict[str, Any]]] = {}
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
            assignments.setdefault(table.fullname, (table, {}))[1][column_name] = summed
        for table, sums in assignments.values():
            # The parent's seeded keys in chunks: one indexed look-up per key, never a
            # condition over the whole ledger (rows left out fragment it into many ranges).
            keys = self.inserted.get(table.fullname, [])
            pk = single_pk(table)
            # (Totals over the table itself need its indexes for the sums.)
            with self.rewriting(table, 0 if table.fullname == child else len(keys), sums):
                for start in range(0, len(keys), BATCH_ROWS):
                    chunk = keys[start : start + BATCH_ROWS]
                    where = (
                        pk.between(chunk[0], chunk[-1])
                        if isinstance(chunk, range) and chunk.step == 1
                        else in_values(pk, list(chunk))
                    )
                    self.conn.execute(update(table).where(where).values(sums))

    def junction_pairs(
        self, table: Table, fks: dict[str, ForeignKeyConstraint], taken: set[str]
    ) -> dict[str, Generator]:
        """Two foreign keys under one composite UNIQUE get pairs that never repeat."""
        chosen: dict[str, Generator] = {}
        key = [c.name for c in table.primary_key.columns]
        for group in [*unique_groups(table), *([key] if len(key) == 2 else [])]:
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
        kind = column.type
        numeric = isinstance(kind, Numeric) and not isinstance(kind, Float)
        if (
            domain is not None
            or column.primary_key
            or not (is_int(column) or numeric)
            or not is_unique(column, table, alone=True)
            or not self.has_rows(table)
        ):
            return None
        largest = self.conn.execute(select(func.max(column))).scalar()
        # Past the largest value already: the run's row numbers start at 0 here, not after
        # the rows other revisions made (see ``ordinal_offset``).
        start = math.floor(largest or 0) + 1 - self.ordinal_offset(table.fullname)
        if numeric:
            scale = Decimal(1).scaleb(-(getattr(kind, "scale", None) or 0))
            return Columnar(lambda o, _h: Decimal(start + o).quantize(scale))
        return Columnar(lambda o, _h: start + o, lambda r, _hs: [start + o for o in r])
