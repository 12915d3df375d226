"""What a seed revision asks for, and the plan derived from it and the schema (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from seedlib.exceptions import ConfigurationError
from seedlib.plan.graph import Edge, Order, insertion_order

if TYPE_CHECKING:
    from sqlalchemy import MetaData, Table
    from sqlalchemy.schema import ForeignKeyConstraint

    from seedlib.config import Size
    from seedlib.mask.declared import Source


@dataclass(frozen=True)
class PerParent:
    """Between ``low`` and ``high`` rows for every row of the parent that ``fk_column`` refers
    to (e.g. 1-5 line items per order); the table's row count follows from the parent's."""

    fk_column: str
    low: int
    high: int

    def __post_init__(self) -> None:
        if not 0 <= self.low <= self.high:
            raise ConfigurationError(
                f"per_parent ({self.fk_column}, {self.low}, {self.high}): need 0 <= low <= high"
            )


@dataclass(frozen=True)
class TableSpec:
    """Rows for one table at size ``small``, and per-column overrides.

    An override is a generator ``(ordinal, h, row) -> value`` (see :mod:`seedlib.generate.values`)
    or any other value, used as a constant. ``per_parent`` (a :class:`PerParent` or a tuple
    ``(fk_column, low, high)``) sets the rows per parent row instead of ``rows``. ``source``
    (a :class:`~seedlib.mask.declared.Source`) loads real rows instead: the table gets the
    source's rows, ``columns`` still override, and columns the source lacks are generated.
    """

    rows: int = 0
    columns: Mapping[str, Any] = field(default_factory=dict)
    per_parent: PerParent | tuple[str, int, int] | None = None
    source: Source | None = None

    @property
    def children(self) -> PerParent | None:
        if self.per_parent is None or isinstance(self.per_parent, PerParent):
            return self.per_parent
        return PerParent(*self.per_parent)


SeedSpec: TypeAlias = Mapping[str, "int | TableSpec"]


def as_table_spec(value: int | TableSpec) -> TableSpec:
    return value if isinstance(value, TableSpec) else TableSpec(rows=int(value))


@dataclass(frozen=True)
class Plan:
    """Tables in insertion order with their row counts; printable before anything runs."""

    order: Order
    counts: Mapping[str, int]
    specs: Mapping[str, TableSpec]
    #: For tables with ``per_parent``: the first child ordinal of each parent ordinal.
    offsets: Mapping[str, list[int]] = field(default_factory=dict)

    def as_rows(self) -> list[dict[str, Any]]:
        return [{"table": t, "rows": self.counts[t]} for t in self.order.tables]

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())


def foreign_key_edges(tables: Mapping[str, Table]) -> list[Edge]:
    """One edge per foreign key among ``tables`` (keyed by full name)."""
    edges = []
    for name, table in tables.items():
        for fk in table.foreign_key_constraints:
            parent = fk.referred_table.fullname
            if parent in tables:
                edges.append(Edge(name, parent, constraint_name(fk), nullable=_nullable(fk)))
    return edges


def constraint_name(fk: ForeignKeyConstraint) -> str:
    if isinstance(fk.name, str) and fk.name:
        return fk.name
    return f"{fk.table.name}({', '.join(fk.column_keys)})->{fk.referred_table.name}"


def _nullable(fk: ForeignKeyConstraint) -> bool:
    return all(column.nullable for column in fk.columns)


def build_plan(
    metadata: MetaData,
    spec: SeedSpec,
    size: Size,
    seed: int = 0,
    source_counts: Mapping[str, int] | None = None,
) -> Plan:
    """Resolve ``spec`` against ``metadata`` and order the tables parents-first.

    A sourced table gets its source's row count: from ``source_counts`` when the caller has
    opened the sources already, else by reading the source (the only I/O here).

    Raises:
        ConfigurationError: a table in ``spec`` is not in the schema.
        CycleError: the foreign keys form a cycle with no nullable edge.
    """
    tables: dict[str, Table] = {}
    specs: dict[str, TableSpec] = {}
    for name, value in spec.items():
        table = metadata.tables.get(name)
        if table is None:
            raise ConfigurationError(
                f"table {name!r} is not in the schema; known tables: "
                f"{', '.join(sorted(metadata.tables)) or 'none'}"
            )
        tables[table.fullname] = table
        specs[table.fullname] = as_table_spec(value)
    ordered_names = [name for name in metadata.tables if name in tables]
    order = insertion_order(ordered_names, foreign_key_edges(tables) + _total_edges(tables, specs))
    counts: dict[str, int] = {}
    offsets: dict[str, list[int]] = {}
    for name in order.tables:
        children = specs[name].children
        source = specs[name].source
        if source is not None:
            if children is not None:
                raise ConfigurationError(f"{name}: a sourced table cannot also use per_parent")
            known = source_counts or {}
            counts[name] = known[name] if name in known else source.count(tables[name])
            continue
        if children is None:
            counts[name] = size.rows(specs[name].rows)
            continue
        parent = _per_parent_parent(tables[name], children, counts)
        offsets[name] = child_offsets(seed, name, children, counts[parent])
        counts[name] = offsets[name][-1]
    return Plan(order=order, counts=counts, specs=specs, offsets=offsets)


def _total_edges(tables: Mapping[str, Table], specs: Mapping[str, TableSpec]) -> list[Edge]:
    """Tables that read a parent's ``values.total_of`` column come after the children summed
    into it (the total is set once those are loaded)."""
    from seedlib.generate.values import ChildTotal, ParentValue

    summed: dict[str, set[str]] = {}
    for name, spec in specs.items():
        for value in spec.columns.values():
            if isinstance(value, ChildTotal) and value.child_table in tables:
                summed.setdefault(name, set()).add(tables[value.child_table].fullname)
    edges = []
    for name, spec in specs.items():
        for value in spec.columns.values():
            if not isinstance(value, ParentValue):
                continue
            column = tables[name].c.get(value.fk_column)
            for fk in column.foreign_keys if column is not None else ():
                for summed_child in summed.get(fk.column.table.fullname, ()):
                    if summed_child != name:
                        edges.append(Edge(name, summed_child, "values.total_of", nullable=False))
    return edges


def _per_parent_parent(table: Table, children: PerParent, counts: Mapping[str, int]) -> str:
    column = table.c.get(children.fk_column)
    fks = list(column.foreign_keys) if column is not None else []
    if not fks:
        raise ConfigurationError(
            f"{table.fullname}: per_parent names {children.fk_column!r}, which is not a "
            "foreign-key column of the table"
        )
    parent = fks[0].column.table.fullname
    if parent not in counts:
        raise ConfigurationError(
            f"{table.fullname}: per_parent needs its parent {parent} seeded before it in the "
            "same revision"
        )
    return parent


def child_offsets(seed: int, table: str, children: PerParent, parents: int) -> list[int]:
    """``offsets[p]`` = first child ordinal of parent ``p``; ``offsets[-1]`` = child count.
    Each parent's count depends only on its ordinal, so small is a prefix of medium."""
    from seedlib.generate.rng import hashes, stable_hash

    span = children.high - children.low + 1
    base = stable_hash(seed, table, "per_parent", children.fk_column)
    offsets = [0]
    total = 0
    for h in hashes(base, 0, parents):
        total += children.low + h % span
        offsets.append(total)
    return offsets
