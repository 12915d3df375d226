"""Rows that are not loaded, and why: rules, validation, duplicates, existing natural keys,
and rows the database refuses (found by bisection)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import select, tuple_

from seedlib.engine.shapes import (
    SKIPS_LOGGED,
    UniqueGroup,
    attempt,
    first_line,
    key_shape,
    rejected_by_database,
    repoint_self_references,
)
from seedlib.engine.state import _State
from seedlib.generate.validate import Rejection, RowValidator
from seedlib.generate.values import SKIP
from seedlib.load import open_writer
from seedlib.track.ledger import in_values

if TYPE_CHECKING:
    from sqlalchemy import Column, Table


def rows_key(values: list[Any], unique: UniqueGroup) -> tuple[Any, ...]:
    """The values of ``unique``'s columns in a row."""
    return tuple(values[p] for p in unique.positions)


class Clash(NamedTuple):
    """A row that repeats a unique value: the row, why, and the columns of the value."""

    values: list[Any]
    reason: str
    columns: tuple[str, ...]


class _Filters(_State):
    """Rows that must not be loaded: left out by rules, invalid, duplicate, or refused."""

    def drop_left_out(
        self,
        rows: list[list[Any]],
        may_skip: list[int],
        orphans: list[tuple[int, str]],
        skipped: set[Any],
        reserved: bool,
    ) -> list[list[Any]]:
        """Rows a rule leaves out (``values.SKIP``) and rows whose parent row was left out."""
        gone: set[int] = set()  # a column at a time: no generator made per row
        for i in may_skip:
            gone.update(k for k, values in enumerate(rows) if values[i] is SKIP)
        for position, parent in orphans:
            out = self.left_out[parent]
            if out:
                gone.update(k for k, values in enumerate(rows) if values[position] in out)
        if not gone:
            return rows
        if reserved:
            skipped.update(rows[k][0] for k in gone)
        return [values for k, values in enumerate(rows) if k not in gone]

    @staticmethod
    def skip_row(
        table: Table,
        values: list[Any],
        reason: str,
        column: str | None,
        skipped: set[Any],
        reasons: Counter[str],
        log: Any,
    ) -> None:
        """Count a skipped row under ``reason``, remember its reserved key (so no child points
        at it) and log the first few of a table one by one."""
        reasons[reason] += 1
        if key_shape(table).reserved:
            skipped.add(values[0])
        if sum(reasons.values()) <= SKIPS_LOGGED:
            log.warning(
                "row_skipped",
                table=table.fullname,
                ordinal=values[-1],
                column=column,
                reason=reason,
            )

    def drop_invalid(
        self,
        table: Table,
        rows: list[list[Any]],
        validator: RowValidator,
        skipped: set[Any],
        reasons: Counter[str],
        log: Any,
        found: dict[int, Rejection] | None = None,
    ) -> tuple[list[list[Any]], bool]:
        """Rows that break the table's types or understood CHECKs are made valid with NULLs
        where a CHECK allows it (see :meth:`RowValidator.repaired`), or skipped and logged.
        ``found``: the column tests' rejections, when already made on the batch's columns.
        Also says whether a row was changed."""
        rejections = validator.rejections(rows, found)
        if not rejections:
            return rows, False
        bad = set()
        changed = False
        for rejection in rejections:
            values = rows[rejection.index]
            fixed = validator.repaired(values, rejection, values[-1])
            if fixed is not None:
                rows[rejection.index] = fixed
                changed = True
                continue
            bad.add(rejection.index)
            self.skip_row(
                table,
                values,
                f"{rejection.column}: {rejection.reason}",
                rejection.column,
                skipped,
                reasons,
                log,
            )
        return [values for i, values in enumerate(rows) if i not in bad], changed

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
        good: list[list[Any]] = []
        pending = [rows]
        while pending:
            part = pending.pop()
            repoint_self_references(part, self_refs, skipped)
            try:
                with attempt(self.conn), open_writer(self.conn, table, columns) as write:
                    write([values[:-1] for values in part])
            except Exception as exc:
                if not rejected_by_database(exc):
                    raise
                if len(part) > 1:
                    middle = len(part) // 2
                    pending.extend([part[middle:], part[:middle]])
                    continue
                # Numbers vary per row (keys, values); without them the reasons group.
                reason = "rejected by the database: " + re.sub(r"\d+", "N", first_line(exc))
                self.skip_row(table, part[0], reason, None, skipped, reasons, log)
                continue
            good.extend(part)
        return good

    def clashes(
        self,
        table: Table,
        rows: list[list[Any]],
        naturals: list[tuple[int, Column[Any]]],
        uniques: list[UniqueGroup],
        *,
        ask_database: bool,
        remake: Callable[[list[Any], int], list[Any] | None] | None = None,
        redraws: int = 0,
        fixed: frozenset[str] = frozenset(),
    ) -> tuple[list[list[Any]], list[Clash], bool]:
        """Split ``rows`` into those that repeat no unique value and those that do (a natural
        key or a composite UNIQUE the database already holds, or one an earlier row of the run
        took), row by row in order: a clashing row is first made again by ``remake(row,
        attempt)`` up to ``redraws`` times (unless only ``fixed`` columns clash), and the first
        version that clashes with nothing takes its place before the next row is looked at,
        so the outcome does not depend on how the rows were cut into batches. Kept rows' values
        count as taken; rows with a NULL in a group never clash. Also says whether a row was
        replaced."""
        taken: list[set[Any]] = []
        if ask_database:
            for position, column in naturals:
                asked = {values[position] for values in rows if values[position] is not None}
                taken.append(self.existing_values(column, list(asked)) if asked else set())
        held = [
            self.held_tuples(table, unique, [rows_key(values, unique) for values in rows])
            if ask_database
            else set()
            for unique in uniques
        ]
        kept: list[list[Any]] = []
        clashed: list[Clash] = []
        replaced = False
        for values in rows:
            clash = self.clash(values, naturals if ask_database else [], taken, uniques, held)
            if clash is not None and remake is not None and not fixed.issuperset(clash.columns):
                for attempt in range(1, redraws + 1):
                    again = remake(values, attempt)
                    if again is None:
                        continue
                    fresh = (
                        [
                            self.existing_values(column, [again[position]])
                            if again[position] is not None
                            else set()
                            for position, column in naturals
                        ]
                        if ask_database
                        else []
                    )
                    near = [
                        self.held_tuples(table, unique, [rows_key(again, unique)])
                        if ask_database
                        else set()
                        for unique in uniques
                    ]
                    if self.clash(again, naturals if ask_database else [], fresh, uniques, near):
                        continue
                    values, clash, replaced = again, None, True
                    break
            if clash is not None:
                clashed.append(clash)
                continue
            for unique in uniques:
                key = rows_key(values, unique)
                if None not in key:
                    unique.seen.add(key)
                    unique.journal.append(key)
            kept.append(values)
        return kept, clashed, replaced

    @staticmethod
    def clash(
        values: list[Any],
        naturals: list[tuple[int, Column[Any]]],
        taken: list[set[Any]],
        uniques: list[UniqueGroup],
        held: list[set[tuple[Any, ...]]],
    ) -> Clash | None:
        """Why ``values`` repeats a unique value, or None (``taken``: each natural key's values
        the database holds; ``held``: each group's)."""
        for (position, column), values_held in zip(naturals, taken, strict=True):
            if values[position] is not None and values[position] in values_held:
                return Clash(values, f"{column.name}: already exists", (column.name,))
        for unique, tuples in zip(uniques, held, strict=True):
            key = rows_key(values, unique)
            if None not in key and (key in unique.seen or key in tuples):
                reason = f"{','.join(unique.names)}: duplicate value for a unique key"
                return Clash(values, reason, unique.names)
        return None

    def held_tuples(
        self, table: Table, unique: UniqueGroup, keys: list[tuple[Any, ...]]
    ) -> set[tuple[Any, ...]]:
        """The ``keys`` of ``unique`` the database already holds."""
        wanted = list(dict.fromkeys(k for k in keys if None not in k and k not in unique.seen))
        if not wanted:
            return set()
        columns = [table.c[name] for name in unique.names]
        query = select(*columns).where(tuple_(*columns).in_(wanted))
        return {tuple(r) for r in self.conn.execute(query)}

    def existing_values(self, column: Column[Any], wanted: list[Any]) -> set[Any]:
        return set(self.conn.execute(select(column).where(in_values(column, wanted))).scalars())
