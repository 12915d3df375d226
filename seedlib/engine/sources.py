"""Tables whose rows come from real data: open, validate and mask the sources, read them by
ordinal, and rewrite foreign keys from source keys to the keys seedlib reserved.

A sourced table is seeded like any other: its columns become generators, here generators that
read the (masked) source row of each ordinal. The source's own primary-key value is not loaded;
it is the row's *source key*, and ``keys[name][ordinal]`` is the row's new key. A foreign-key
column that points at a table sourced in the same revision holds source keys, so its generator
maps each one to the parent's ordinal, then to the parent's new key. A row whose parent key is
not in the parent's source is left out (``values.SKIP``) and counted as omitted. A
self-reference to a later row is loaded as NULL and set once the table is loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, update

from seedlib.engine.shapes import BATCH_ROWS, TableReport, key_shape, single_pk
from seedlib.engine.state import _State
from seedlib.exceptions import ConfigurationError, DataError
from seedlib.generate.values import SKIP, Columnar

if TYPE_CHECKING:
    from sqlalchemy import Column, MetaData, Table

    from seedlib.config import Settings
    from seedlib.generate.values import Generator
    from seedlib.mask.declared import Source
    from seedlib.mask.masked import Prepared
    from seedlib.mask.sources import RowSource
    from seedlib.plan.spec import SeedSpec

#: Rows read from a source at a time when the engine asks for single rows.
READ_ROWS = 1000


@dataclass(frozen=True)
class SourcedReport(TableReport):
    """A :class:`TableReport` of a sourced table, with what masking did (never a value)."""

    source: str = ""
    #: Per column: kind, strategy and values masked; or, in authorised production,
    #: ``{"skipped": <who, when, which revision>}``.
    masking: dict[str, Any] = field(default_factory=dict)
    #: Rows left out because their parent's key is not in the parent's source.
    unmatched: int = 0

    def as_dict(self) -> dict[str, Any]:
        out = super().as_dict()
        out.update(source=self.source, masking=self.masking, unmatched_parents=self.unmatched)
        return out


@dataclass
class SourcedTable:
    """One table's prepared source, its source keys, and a cursor over the current batch."""

    table: Table
    declared: Source
    prepared: Prepared
    count: int
    #: Source key → ordinal (only for tables with a single-column primary key in the source).
    ordinals: dict[Any, int] | None = None
    #: (row ordinal, column) → parent ordinal, for self-references to later rows.
    forward: dict[tuple[int, str], int] = field(default_factory=dict)
    #: Ordinals of rows left out because their parent key is not in the parent's source (a
    #: set: a rejected batch is generated twice).
    unmatched: set[int] = field(default_factory=set)
    #: The sourced tables seeded before this one (plan order), masked with the same session.
    before: list[SourcedTable] = field(default_factory=list)
    _start: int = 0
    _rows: list[dict[str, Any]] = field(default_factory=list)
    _high: int = 0

    @property
    def columns(self) -> list[str]:
        return list(self.prepared.source.columns)

    def raw(self) -> RowSource:
        """The source before masking (for keys, which are never PII)."""
        masked = self.prepared.masked
        return masked.source if masked is not None else self.prepared.source

    def rows(self, start: int, stop: int) -> list[dict[str, Any]]:
        """Rows ``start`` to ``stop``, from the cached batch when it holds them."""
        cached_stop = self._start + len(self._rows)
        if not (self._start <= start and stop <= cached_stop):
            self._rows = self._read(start, stop)
            self._start = start
        return self._rows[start - self._start : stop - self._start]

    def row(self, ordinal: int) -> dict[str, Any]:
        cached_stop = self._start + len(self._rows)
        if not self._start <= ordinal < cached_stop:
            self._rows = self._read(ordinal, min(self.count, ordinal + READ_ROWS))
            self._start = ordinal
        return self._rows[ordinal - self._start]

    def _read(self, start: int, stop: int) -> list[dict[str, Any]]:
        """Read through the masking source; rows read again (a rejected batch is generated
        again) are not counted twice in the audit."""
        source = self.prepared.source
        masked = self.prepared.masked
        if masked is not None and self._high == 0:
            # A resumed run does not read the sourced tables it finished before the
            # interruption: mask them again first (uncounted), so the session holds their
            # outputs and re-probes collisions exactly as an uninterrupted run.
            for earlier in self.before:
                earlier.catch_up()
        if masked is not None and self._high == 0 < start:
            # A resumed run: mask the rows loaded before the interruption again (uncounted),
            # so collisions are re-probed exactly as in an uninterrupted run.
            before = dict(masked.masked_counts)
            for first in range(0, start, BATCH_ROWS):
                source.rows(first, min(start, first + BATCH_ROWS))
            masked.masked_counts.update(before)
            self._high = start
        if masked is None or start >= self._high:
            out = source.rows(start, stop)
        else:
            before = dict(masked.masked_counts)
            out = source.rows(start, min(stop, self._high))
            masked.masked_counts.update(before)
            if stop > self._high:
                out += source.rows(self._high, stop)
        self._high = max(self._high, start + len(out))
        return out

    def catch_up(self) -> None:
        """Mask the rows not read yet (uncounted in the audit), as if the table were loaded."""
        masked = self.prepared.masked
        if masked is None or self._high >= self.count:
            return
        before = dict(masked.masked_counts)
        for first in range(self._high, self.count, BATCH_ROWS):
            self.prepared.source.rows(first, min(self.count, first + BATCH_ROWS))
        masked.masked_counts.update(before)
        self._high = self.count

    def source_value(self, ordinal: int, name: str) -> Any:
        """``name``'s value in row ``ordinal`` as the source holds it, before masking."""
        row = self.row(ordinal)
        masked = self.prepared.masked
        kept = masked.kept.get(name) if masked is not None else None
        return kept[ordinal] if kept is not None else row.get(name)

    def masking(self) -> dict[str, Any]:
        if self.prepared.skipped is not None:
            return {"skipped": self.prepared.skipped.as_dict()}
        return self.prepared.masked.audit() if self.prepared.masked is not None else {}


def declared_sources(metadata: MetaData, spec: SeedSpec) -> list[tuple[Table, Source]]:
    """The tables of ``spec`` that load from a source, with their sources.

    Raises:
        ConfigurationError: a sourced table is not in the schema.
    """
    from seedlib.plan.spec import TableSpec

    declared: list[tuple[Table, Source]] = []
    for name, value in spec.items():
        if isinstance(value, TableSpec) and value.source is not None:
            table = metadata.tables.get(name)
            if table is None:
                raise ConfigurationError(f"table {name!r} is not in the schema")
            declared.append((table, value.source))
    return declared


def check_sources(metadata: MetaData, spec: SeedSpec, settings: Settings) -> None:
    """What can be checked about ``spec``'s sources without reading them: the tables exist,
    every PII column has a masking strategy, a staging run has its masking key, a source file
    exists. Run for every pending revision before the first one writes anything.

    Raises:
        UnmaskedPII: a PII column has no masking strategy (exit 7).
        ConfigurationError: an unknown table or column, a missing file, staging without a key.
    """
    from pathlib import Path

    from seedlib.mask.keys import KEY_REQUIRED, masking_key
    from seedlib.mask.policy import resolve_policy

    declared = declared_sources(metadata, spec)
    if declared and settings.env in KEY_REQUIRED and settings.env != "production":
        masking_key(settings.env)
    for table, source in declared:
        if settings.env != "production":
            resolve_policy(table, source.masking)
        if "://" not in str(source.location) and not Path(source.location).is_file():
            raise ConfigurationError(f"source file {source.where} for {table.name} does not exist")


def open_sources(
    metadata: MetaData,
    spec: SeedSpec,
    settings: Settings,
    revision: str,
) -> dict[str, SourcedTable]:
    """Open, validate and prepare every source ``spec`` declares, before anything is written.

    One masking session masks every table (so a value shared by two files masks to one value),
    and every source's originals are reserved before any row is read, so no masked value can
    land on an original of any table.

    Raises:
        SourceError: a source is malformed (file and line); nothing of its revision was loaded.
        UnmaskedPII: a PII column has no masking strategy (exit 7).
        Refused: production without authorisation (exit 5).
        ConfigurationError: a missing file, an unknown column, staging without a masking key.
    """
    from seedlib.mask.masked import prepare_source

    declared = declared_sources(metadata, spec)
    if not declared:
        return {}
    session = None
    if settings.env != "production":
        from seedlib.mask.keys import masking_key
        from seedlib.mask.session import MaskingSession

        session = MaskingSession(masking_key(settings.env))
    out: dict[str, SourcedTable] = {}
    for table, source in declared:
        opened = source.open(table)
        prepared = prepare_source(
            opened, table, settings, overrides=source.masking, session=session, revision=revision
        )
        out[table.fullname] = SourcedTable(table, source, prepared, opened.count())
    for sourced in out.values():
        sourced.ordinals = _source_keys(sourced)
        masked = sourced.prepared.masked
        if masked is None:
            continue
        # A masked foreign key to another source's key is looked up by its value before
        # masking, as the parent's source keys are; one to another source's masked unique
        # column takes the value the parent row with the same original value was masked to.
        for fk in sourced.table.foreign_key_constraints:
            name = fk.column_keys[0] if len(fk.column_keys) == 1 else None
            parent = out.get(fk.referred_table.fullname)
            if name not in masked.policy.rules or parent is None:
                continue
            masked.keep_originals(name)
            referred = fk.elements[0].column.name
            parent_masked = parent.prepared.masked
            if (
                parent_masked is not None
                and referred in parent_masked.policy.rules
                and key_shape(parent.table).columns != (referred,)
            ):
                masked.refer(name, parent_masked, referred)
    for sourced in out.values():
        if sourced.prepared.masked is not None:
            sourced.prepared.masked.reserve_originals()
    return out


def _source_keys(sourced: SourcedTable) -> dict[Any, int] | None:
    """Source key → ordinal, from the source's value of the single-column primary key."""
    shape = key_shape(sourced.table)
    if not shape.reserved or shape.columns[0] not in sourced.columns:
        return None
    key = shape.columns[0]
    raw = sourced.raw()
    ordinals: dict[Any, int] = {}
    for start in range(0, sourced.count, BATCH_ROWS):
        for offset, row in enumerate(raw.rows(start, start + BATCH_ROWS)):
            value = row.get(key)
            if value is None:
                continue
            if value in ordinals:
                raise DataError(
                    f"{sourced.declared.where}: source key {key}={value!r} appears in rows "
                    f"{ordinals[value] + 1} and {start + offset + 1}; nothing of its revision "
                    "was loaded",
                    [{"source": sourced.declared.where, "column": key}],
                )
            ordinals[value] = start + offset
    return ordinals


class _Sources(_State):
    """Generators that read sourced tables, and what is left to do once one is loaded."""

    @property
    def sources(self) -> dict[str, SourcedTable]:
        found: dict[str, SourcedTable] | None = self.__dict__.get("_sources")
        if found is None:
            found = self.__dict__["_sources"] = {}
        return found

    def source_columns(self, table: Table) -> set[str]:
        """Columns of ``table`` whose values come from its source."""
        sourced = self.sources.get(table.fullname)
        return set(sourced.columns) if sourced is not None else set()

    def source_generator(self, table: Table, column: Column[Any]) -> Generator | None:
        """The generator reading ``column`` from ``table``'s source, if it provides it."""
        sourced = self.sources.get(table.fullname)
        if sourced is None or column.name not in sourced.columns or column.computed is not None:
            return None
        if not self.__dict__.get("_sources_ordered"):
            ordered = [self.sources[n] for n in self.plan.order.tables if n in self.sources]
            for i, each in enumerate(ordered):
                each.before = ordered[:i]
            self.__dict__["_sources_ordered"] = True
        name = column.name
        fk = next(
            (f for f in table.foreign_key_constraints if [c.name for c in f.columns] == [name]),
            None,
        )
        parent = self.sources.get(fk.referred_table.fullname) if fk is not None else None
        if fk is not None and parent is not None:
            referred = fk.elements[0].column
            if key_shape(parent.table).columns == (referred.name,):
                return self._remapped(sourced, parent, name, bool(column.nullable))

        def many(ordinals: range, _hs: list[int]) -> list[Any]:
            return [row.get(name) for row in sourced.rows(ordinals.start, ordinals.stop)]

        return Columnar(lambda o, _h: sourced.row(o).get(name), many)

    def _remapped(
        self, sourced: SourcedTable, parent: SourcedTable, name: str, nullable: bool
    ) -> Generator:
        """Source key → the parent's new key; unknown keys leave the row out."""
        ordinals = parent.ordinals
        if ordinals is None:
            raise ConfigurationError(
                f"{sourced.table.fullname}.{name} refers to {parent.table.fullname}, whose "
                f"source has no {', '.join(key_shape(parent.table).columns)} column: map the "
                "parent's key column so the references can be rewritten"
            )
        self_reference = parent is sourced
        parent_name = parent.table.fullname

        def remap(o: int, _h: int, _row: Mapping[str, Any]) -> Any:
            value = sourced.source_value(o, name)
            if value is None:
                return None
            p = ordinals.get(value)
            if p is None:
                sourced.unmatched.add(o)
                return SKIP
            if self_reference and p >= o:
                if not nullable:
                    raise DataError(
                        f"{sourced.declared.where}: row {o + 1} refers to row {p + 1} through "
                        f"{name}, which is NOT NULL; order the source so rows come after the "
                        "rows they refer to"
                    )
                sourced.forward[o, name] = p
                return None
            return self.keys[parent_name][p]

        return remap

    def finish_source(self, table: Table, report: TableReport, log: Any) -> TableReport:
        """Set self-references to later rows, and report what the source and masking did."""
        sourced = self.sources.get(table.fullname)
        if sourced is None:
            return report
        if sourced.forward:
            self._set_forward(sourced)
        if sourced.unmatched:
            log.warning(
                "source_rows_left_out",
                table=table.fullname,
                rows=len(sourced.unmatched),
                reason="the parent key is not in the parent's source",
            )
        fields = {k: v for k, v in vars(report).items() if k in TableReport.__dataclass_fields__}
        return SourcedReport(
            **fields,
            source=sourced.declared.where,
            masking=sourced.masking(),
            unmatched=len(sourced.unmatched),
        )

    def _set_forward(self, sourced: SourcedTable) -> None:
        name = sourced.table.fullname
        keys = self.keys[name]
        gone = self.left_out.get(name, set())
        pk = single_pk(sourced.table)
        by_column: dict[str, list[dict[str, Any]]] = {}
        for (o, column), p in sorted(sourced.forward.items()):
            if keys[o] in gone or keys[p] in gone:
                continue
            by_column.setdefault(column, []).append({"_k": keys[o], "_v": keys[p]})
        for column, params in by_column.items():
            stmt = (
                update(sourced.table).where(pk == bindparam("_k")).values({column: bindparam("_v")})
            )
            for start in range(0, len(params), BATCH_ROWS):
                self.conn.execute(stmt, params[start : start + BATCH_ROWS])
        sourced.forward.clear()

    def audit_sources(self) -> None:
        """Log the masking audit record (and append it to ``--audit-file``), then close."""
        if not self.sources:
            return
        from seedlib.mask.audit import emit, masking_record
        from seedlib.mask.sources import DatabaseSource

        prepared = [s.prepared for s in self.sources.values()]
        record = masking_record(
            [p.masked for p in prepared if p.masked is not None],
            settings=self.settings,
            revision=self.revision,
            run_id=self.run_id,
            skipped=[p.skipped for p in prepared if p.skipped is not None],
        )
        emit(record, self.settings.audit_file)
        for sourced in self.sources.values():
            raw = sourced.raw()
            if isinstance(raw, DatabaseSource):
                raw.dispose()
