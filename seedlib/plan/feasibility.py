"""Before inserting anything: can the requested row counts satisfy the constraints at all?

A unique boolean cannot take 3 rows, a unique enum no more rows than it has values, a one-to-one
foreign key no more rows than its parent, a NOT NULL foreign key needs a parent row. Saying so
up front, with the numbers, beats a constraint violation halfway through a run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import types
from sqlalchemy.schema import UniqueConstraint

from seedlib.generate.infer import unique_indexes

if TYPE_CHECKING:
    from sqlalchemy import Column, Table

    from seedlib.generate.checks import Domain


def _kind(column: Column[Any]) -> types.TypeEngine[Any]:
    kind = column.type
    return kind.impl_instance if isinstance(kind, types.TypeDecorator) else kind


def capacity(
    column: Column[Any], domain: Domain | None, parent_rows: Callable[[Table], int]
) -> int | None:
    """How many distinct values ``column`` can take (None: practically unlimited)."""
    for fk in column.foreign_keys:
        if fk.constraint is not None and len(fk.constraint.columns) == 1:
            if fk.column.table is column.table:
                return None
            return parent_rows(fk.column.table)
    if domain is not None and domain.choices is not None:
        return len(set(domain.choices))
    kind = _kind(column)
    if isinstance(kind, types.Boolean) or getattr(kind, "display_width", None) == 1:
        return 2
    if isinstance(kind, types.Enum) and kind.enums:
        return len(kind.enums)
    if (
        isinstance(kind, types.Integer)
        and domain is not None
        and domain.low is not None
        and domain.high is not None
    ):
        low = math.floor(domain.low) + 1 if domain.low_open else math.ceil(domain.low)
        high = math.ceil(domain.high) - 1 if domain.high_open else math.floor(domain.high)
        return int(max(0, high - low + 1))
    return None


def _unique_groups(table: Table) -> list[list[Column[Any]]]:
    groups = [list(c.columns) for c in table.constraints if isinstance(c, UniqueConstraint)]
    groups += [list(i.columns) for i in unique_indexes(table)]
    groups += [[c] for c in table.columns if c.unique]
    if len(table.primary_key.columns) > 1:
        groups.append(list(table.primary_key.columns))
    return groups


def problems(
    tables: Mapping[str, Table],
    counts: Mapping[str, int],
    *,
    domains: Callable[[Table], Mapping[str, Domain]],
    parent_rows: Callable[[Table], int],
    overridden: Callable[[Table], set[str]],
) -> list[str]:
    """Why the requested ``counts`` cannot be seeded (empty when they can).

    Args:
        domains: the CHECK-derived domain of each column of a table.
        parent_rows: rows a parent table will have (seeded now or already there).
        overridden: columns of a table whose values the seed revision sets itself.
    """
    found: list[str] = []
    for name, table in tables.items():
        count = counts.get(name, 0)
        if count == 0:
            continue
        table_domains = domains(table)
        mine = overridden(table)
        for fk in table.foreign_key_constraints:
            parent = fk.referred_table
            columns = list(fk.columns)
            if parent is table or any(c.name in mine for c in columns):
                continue
            if not all(c.nullable for c in columns) and parent_rows(parent) == 0:
                found.append(
                    f"{name}.{', '.join(c.name for c in columns)} must reference "
                    f"{parent.fullname}, which has no rows and is not seeded; seed it too"
                )
        seen: set[tuple[str, ...]] = set()
        for group in _unique_groups(table):
            names = tuple(sorted(c.name for c in group))
            if names in seen or any(c.name in mine for c in group):
                continue
            seen.add(names)
            if len(group) == 1 and group[0].primary_key:
                continue
            sizes = [capacity(c, table_domains.get(c.name), parent_rows) for c in group]
            if any(s is None for s in sizes):
                continue
            room = math.prod(s for s in sizes if s is not None)
            if any(c.nullable for c in group):
                continue  # NULLs never collide
            if count > room:
                what = (
                    f"{group[0].name} is unique"
                    if len(group) == 1
                    else f"({', '.join(c.name for c in group)}) is unique"
                )
                found.append(
                    f"{name}: {what} and can take only {room:,} distinct value(s), but "
                    f"{count:,} rows were asked for; ask for at most {room:,}"
                )
    return found
