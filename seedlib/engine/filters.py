"""Rows that are not loaded, and why: rules, validation, duplicates, existing natural keys,
and rows the database refuses (found by bisection)."""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any

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
    ) -> list[list[Any]]:
        """Rows that break the table's types or understood CHECKs are skipped and logged.
        ``found``: the column tests' rejections, when already made on the batch's columns."""
        rejections = validator.rejections(rows, found)
        if not rejections:
            return rows
        for rejection in rejections:
            self.skip_row(
                table,
                rows[rejection.index],
                f"{rejection.column}: {rejection.reason}",
                rejection.column,
                skipped,
                reasons,
                log,
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

    def drop_duplicates(
        self,
        table: Table,
        rows: list[list[Any]],
        unique: UniqueGroup,
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
            unique.journal.append(key)
            kept.append(values)
        if len(kept) < len(rows):
            reason = f"{','.join(unique.names)}: duplicate value for a unique key"
            reasons[reason] += len(rows) - len(kept)
            log.info(
                "rows_skipped", table=table.fullname, rows=len(rows) - len(kept), reason=reason
            )
        return kept

    def existing_values(self, column: Column[Any], wanted: list[Any]) -> set[Any]:
        return set(self.conn.execute(select(column).where(in_values(column, wanted))).scalars())

    def drop_existing(
        self,
        table: Table,
        batch: list[list[Any]],
        naturals: list[tuple[int, Column[Any]]],
        skipped: set[Any],
        first: int,
        log: Any,
        reasons: Counter[str] | None = None,
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
                    if reasons is not None:
                        reasons[f"{column.name}: already exists"] += 1
                    if len(skipped) + len(clash) <= SKIPS_LOGGED:
                        log.warning(
                            "row_skipped",
                            table=table.fullname,
                            ordinal=first + i,
                            column=column.name,
                            reason="already exists",
                        )
        if key_shape(table).reserved:
            for i in clash:
                skipped.add(batch[i][0])
        return [values for i, values in enumerate(batch) if i not in clash]
