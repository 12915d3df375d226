"""Foreign keys from a table to its own rows that do not point at its reserved key: to another
unique column (``parent_code → code``), or to a composite key (``(tenant_id, parent_id) →
(tenant_id, id)``).

The values such a key must take are another row's, known only once the database took that row
(a unique column's value may be refused, cut or rewritten). So the rows are loaded pointing at
nothing (NULL), or at themselves when the key is NOT NULL (:class:`OwnValue`), and pointed at
earlier rows afterwards, read back from the table in key order: trees, like a self-reference to
the key, or a chain (each row at the one before) when the pointing columns are unique. Columns
the key shares with the columns it refers to (``tenant_id``) are generated as usual, and a row
points only at rows with the same values in them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, MetaData, Table, and_, bindparam, func, select, update
from sqlalchemy.types import NullType

from seedlib.engine.shapes import (
    BATCH_ROWS,
    attempt,
    key_shape,
    natural_keys,
    rejected_by_database,
    unique_groups,
)
from seedlib.engine.sources import _Sources
from seedlib.generate.rng import hashes, stable_hash
from seedlib.generate.values import Skewed
from seedlib.log import get_logger
from seedlib.plan.spec import constraint_name
from seedlib.track import ledger

if TYPE_CHECKING:
    from sqlalchemy.schema import ForeignKeyConstraint


class OwnValue:
    """A NOT NULL key to the row's own table while loading: the row's own value of the
    ``referred`` column (the row points at itself until :meth:`_Own.fill_own_references`
    points it at an earlier row). Made after every other column of the row."""

    __slots__ = ("referred",)

    def __init__(self, referred: str) -> None:
        self.referred = referred

    def __call__(self, _ordinal: int, _h: int, row: Mapping[str, Any]) -> Any:
        return row[self.referred]


def _nullable(fk: ForeignKeyConstraint) -> bool:
    """Whether NULL in the columns that point elsewhere than the row's own (all of them)
    makes the key point at nothing: unless the key is ``MATCH FULL``, NULL in any column does,
    and the columns it shares with the referred ones then keep their values."""
    moved = [e.parent for e in fk.elements if e.parent.name != e.column.name]
    return all(c.nullable for c in moved) and (fk.match or "").upper() != "FULL"


class _Own(_Sources):
    """Self-references to other columns than the reserved key (see the module)."""

    def own_references(self, table: Table) -> list[ForeignKeyConstraint]:
        """The foreign keys of ``table`` handled here: to its own rows, not to its reserved
        key, with no column an override or a source sets."""
        shape = key_shape(table)
        given = {
            name
            for name, value in self.plan.specs[table.fullname].columns.items()
            if not isinstance(value, Skewed)
        }
        sourced = self.sources.get(table.fullname)
        if sourced is not None:
            given |= set(sourced.columns)
        return [
            fk
            for fk in table.foreign_key_constraints
            if fk.referred_table is table
            and not (shape.reserved and [e.column.name for e in fk.elements] == [*shape.columns])
            and not {c.name for c in fk.columns} & given
        ]

    def own_generators(self, table: Table) -> dict[str, OwnValue | None]:
        """The pointing columns' generators while loading: NULL, or the row's own value."""
        out: dict[str, OwnValue | None] = {}
        for fk in self.own_references(table):
            moved = [e for e in fk.elements if e.parent.name != e.column.name]
            nullable = _nullable(fk)
            for e in moved:  # a shared column is generated as usual
                out[e.parent.name] = None if nullable else OwnValue(e.column.name)
        return out

    def fill_own_references(self, table: Table, fk: ForeignKeyConstraint) -> None:
        """Point the rows this revision seeded into ``table`` at earlier such rows through
        ``fk``. Left as loaded: the rows of a table without a primary key (they are found by
        all their values), a key that is part of the primary key, a NOT NULL key under a
        unique constraint, and rows the database refuses to change (a unique index over an
        expression, say)."""
        shape = key_shape(table)
        pairs = [(e.parent, e.column) for e in fk.elements]
        shared = [p for p, c in pairs if p.name == c.name]
        moved = [(p, c) for p, c in pairs if p.name != c.name]
        names = {p.name for p, _c in moved}
        if shape.by_value or not moved or names & set(shape.columns):
            return
        unique = [
            set(group)
            for group in [*unique_groups(table), *([c.name] for c in natural_keys(table))]
            if set(group) & names
        ]
        nullable = _nullable(fk)
        if unique and not nullable:
            return  # two rows at one row would repeat a value: each keeps pointing at itself
        entry = {e.table: e for e in ledger.entries(self.conn, self.revision)}.get(table.fullname)
        if entry is None:
            return
        key = [table.c[c] for c in shape.columns]
        referred = [c for _p, c in moved]
        # This revision's rows in key order, by the values of the shared columns: key columns,
        # and the values a row pointing at them takes.
        groups: dict[tuple[Any, ...], tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]] = {}
        query = select(*key, *shared, *referred).where(ledger.match(table, entry)).order_by(*key)
        width, middle = len(key), len(key) + len(shared)
        for row in self.conn.execute(query):
            values = tuple(row[middle:])
            if None in values:
                continue  # no row can point at it
            keys, targets = groups.setdefault(tuple(row[width:middle]), ([], []))
            keys.append(tuple(row[:width]))
            targets.append(values)
        base = stable_hash(self.settings.seed, table.fullname, constraint_name(fk))
        changes: list[tuple[tuple[Any, ...], tuple[Any, ...]]] = []
        for keys, targets in groups.values():
            for i, h in enumerate(hashes(base, 0, len(keys))):
                if unique:
                    target = i - 1 if i else None
                elif nullable:
                    target = None if i == 0 or h % 3 == 0 else h % i
                else:
                    target = h % (i + 1)
                if target is not None and target != i:  # else as loaded: NULL, or itself
                    changes.append((keys[i], targets[target]))
        columns = [p for p, _c in moved]
        left = 0
        with self.rewriting(table, len(changes), names):
            for start in range(0, len(changes), BATCH_ROWS):
                left += self.update_rows(table, key, columns, changes[start : start + BATCH_ROWS])
        if left:
            get_logger(revision=self.revision, run_id=self.run_id).warning(
                "own_references_left",
                table=table.fullname,
                constraint=constraint_name(fk),
                rows=left,
                reason="the database refused the change; the rows point as loaded",
            )

    def update_rows(
        self,
        table: Table,
        key: Sequence[Column[Any]],
        columns: Sequence[Column[Any]],
        changes: list[tuple[tuple[Any, ...], tuple[Any, ...]]],
    ) -> int:
        """Set ``columns`` of the rows whose ``key`` values are given, halving the changes
        the database refuses down to single rows, which are left; return their number."""
        left = 0
        pending = [changes]
        while pending:
            part = pending.pop()
            try:
                with attempt(self.conn):
                    self._update(table, key, columns, part)
            except Exception as exc:
                if not rejected_by_database(exc):
                    raise
                if len(part) == 1:
                    left += 1
                    continue
                middle = len(part) // 2
                pending.extend([part[middle:], part[:middle]])
        return left

    def _update(
        self,
        table: Table,
        key: Sequence[Column[Any]],
        columns: Sequence[Column[Any]],
        changes: list[tuple[tuple[Any, ...], tuple[Any, ...]]],
    ) -> None:
        dialect = self.conn.dialect.name
        known = not any(isinstance(c.type, NullType) for c in [*key, *columns])
        if dialect == "postgresql" and known:
            # One statement, joined to the keys and values sent as one array per column.
            from sqlalchemy.dialects.postgresql import ARRAY

            everything = [*key, *columns]
            given = select(
                *(
                    func.unnest(
                        bindparam(f"_a{n}", [c[n] for c in self._flat(changes)], ARRAY(col.type))
                    ).label(f"c{n}")
                    for n, col in enumerate(everything)
                )
            ).subquery()
            stmt = (
                update(table)
                .where(and_(*(k == given.c[f"c{n}"] for n, k in enumerate(key))))
                .values({c.name: given.c[f"c{len(key) + n}"] for n, c in enumerate(columns)})
            )
            self.conn.execute(stmt)
            return
        if dialect in ("mysql", "mariadb") and known and len(changes) > 1:
            self._update_joined(table, key, columns, changes)
            return
        stmt = (
            update(table)
            .where(and_(*(k == bindparam(f"_k{n}") for n, k in enumerate(key))))
            .values({c.name: bindparam(f"_v{n}") for n, c in enumerate(columns)})
        )
        self.conn.execute(
            stmt,
            [
                {
                    **{f"_k{n}": v for n, v in enumerate(row_key)},
                    **{f"_v{n}": v for n, v in enumerate(values)},
                }
                for row_key, values in changes
            ],
        )

    @staticmethod
    def _flat(changes: list[tuple[tuple[Any, ...], tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
        return [(*row_key, *values) for row_key, values in changes]

    def _update_joined(
        self,
        table: Table,
        key: Sequence[Column[Any]],
        columns: Sequence[Column[Any]],
        changes: list[tuple[tuple[Any, ...], tuple[Any, ...]]],
    ) -> None:
        """MySQL: the changes into a temporary table (multi-row INSERTs), then one UPDATE
        joined to it: an UPDATE per row costs a round trip each (13–17 s for 200,000)."""
        given = Table(
            "seedlib_own_changes",
            MetaData(),
            *(Column(f"c{n}", col.type) for n, col in enumerate([*key, *columns])),
            prefixes=["TEMPORARY"],
        )
        given.create(self.conn)
        try:
            self.conn.execute(
                given.insert(),
                [{f"c{n}": v for n, v in enumerate(row)} for row in self._flat(changes)],
            )
            stmt = (
                update(table)
                .where(and_(*(k == given.c[f"c{n}"] for n, k in enumerate(key))))
                .values({c.name: given.c[f"c{len(key) + n}"] for n, c in enumerate(columns)})
            )
            self.conn.execute(stmt)
        finally:  # DROP TABLE without TEMPORARY would commit the transaction
            self.conn.exec_driver_sql("DROP TEMPORARY TABLE seedlib_own_changes")
