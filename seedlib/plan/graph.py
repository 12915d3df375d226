"""Insertion order from foreign keys, with cycles broken at nullable edges.

Pure graph logic: no database access, so it can be tested on random graphs.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from seedlib.exceptions import DataError


@dataclass(frozen=True, order=True)
class Edge:
    """A foreign key: rows of ``child`` point at rows of ``parent``."""

    child: str
    parent: str
    name: str
    nullable: bool


@dataclass(frozen=True)
class Order:
    """Tables parents-first; ``deferred`` edges are inserted as NULL and filled in afterwards."""

    tables: tuple[str, ...]
    deferred: tuple[Edge, ...]
    self_references: tuple[Edge, ...]


class CycleError(DataError):
    """A foreign-key cycle in which every edge is NOT NULL: no insertion order exists."""


def strongly_connected(nodes: Sequence[str], edges: Sequence[Edge]) -> list[list[str]]:
    """Tarjan's strongly connected components (iterative), in a deterministic order."""
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for edge in edges:
        succ[edge.child].append(edge.parent)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            recurse = False
            for j in range(i, len(succ[node])):
                nxt = succ[node][j]
                if nxt not in index:
                    work.append((node, j + 1))
                    work.append((nxt, 0))
                    recurse = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if recurse:
                continue
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def insertion_order(nodes: Sequence[str], edges: Sequence[Edge]) -> Order:
    """Order ``nodes`` so every parent precedes its children.

    Self-references are kept apart (rows of one table reference earlier rows). Each cycle
    between tables is broken by deferring one nullable edge, chosen deterministically.

    Raises:
        CycleError: a cycle has no nullable edge; the message names its tables.
    """
    known = set(nodes)
    self_refs = tuple(sorted(e for e in edges if e.child == e.parent))
    live = sorted(e for e in edges if e.child != e.parent and {e.child, e.parent} <= known)
    deferred: list[Edge] = []
    while True:
        cyclic = [c for c in strongly_connected(nodes, live) if len(c) > 1]
        if not cyclic:
            break
        members = set(cyclic[0])
        inside = [e for e in live if e.child in members and e.parent in members]
        breakable = [e for e in inside if e.nullable]
        if not breakable:
            names = " -> ".join(cyclic[0] + [cyclic[0][0]])
            raise CycleError(
                f"foreign-key cycle with no nullable column: {names}; make one column "
                "nullable (a DEFERRABLE key does not help: its rows are inserted with NULL "
                "first), or seed these tables yourself"
            )
        deferred.append(breakable[0])
        live.remove(breakable[0])
    position = {n: i for i, n in enumerate(nodes)}
    indegree = dict.fromkeys(nodes, 0)
    children: dict[str, list[str]] = {n: [] for n in nodes}
    for edge in live:
        indegree[edge.child] += 1
        children[edge.parent].append(edge.child)
    ready = [(position[n], n) for n in nodes if indegree[n] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, node = heapq.heappop(ready)
        order.append(node)
        for child in children[node]:
            indegree[child] -= 1
            if indegree[child] == 0:
                heapq.heappush(ready, (position[child], child))
    return Order(tables=tuple(order), deferred=tuple(deferred), self_references=self_refs)
