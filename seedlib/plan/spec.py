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


@dataclass(frozen=True)
class TableSpec:
    """Rows for one table at size ``small``, and per-column overrides.

    An override is a generator ``(ordinal, h, row) -> value`` (see :mod:`seedlib.generate.values`)
    or any other value, used as a constant.
    """

    rows: int
    columns: Mapping[str, Any] = field(default_factory=dict)


SeedSpec: TypeAlias = Mapping[str, "int | TableSpec"]


def as_table_spec(value: int | TableSpec) -> TableSpec:
    return value if isinstance(value, TableSpec) else TableSpec(rows=int(value))


@dataclass(frozen=True)
class Plan:
    """Tables in insertion order with their row counts; printable before anything runs."""

    order: Order
    counts: Mapping[str, int]
    specs: Mapping[str, TableSpec]

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


def build_plan(metadata: MetaData, spec: SeedSpec, size: Size) -> Plan:
    """Resolve ``spec`` against ``metadata`` and order the tables parents-first.

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
    order = insertion_order(ordered_names, foreign_key_edges(tables))
    counts = {name: size.rows(specs[name].rows) for name in order.tables}
    return Plan(order=order, counts=counts, specs=specs)
