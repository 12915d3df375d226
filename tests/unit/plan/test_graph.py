"""Foreign-key graph ordering and cycle breaking, on known and random graphs."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedlib.exceptions import DataError
from seedlib.plan.graph import CycleError, Edge, insertion_order, strongly_connected

BOUNDED = settings(max_examples=200, deadline=None)


def names(n: int) -> list[str]:
    # Two digits so that no table name is a substring of another.
    return [f"n{i:02d}" for i in range(n)]


def reaches(nodes: Sequence[str], edges: Sequence[Edge]) -> dict[str, set[str]]:
    """Brute-force reachability along child -> parent (reflexive)."""
    succ: dict[str, set[str]] = {n: set() for n in nodes}
    for e in edges:
        succ[e.child].add(e.parent)
    out: dict[str, set[str]] = {}
    for start in nodes:
        seen = {start}
        todo = [start]
        while todo:
            for nxt in succ[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        out[start] = seen
    return out


def assert_respects(order: Sequence[str], edges: Sequence[Edge]) -> None:
    position = {t: i for i, t in enumerate(order)}
    for e in edges:
        assert position[e.parent] < position[e.child], f"{e} breaks order {order}"


# --- strategies -------------------------------------------------------------------------------


@st.composite
def dags(draw: st.DrawFn) -> tuple[list[str], list[Edge]]:
    """A random DAG: edges only point from later to earlier tables of a hidden ranking."""
    nodes = names(draw(st.integers(1, 9)))
    rank = draw(st.permutations(nodes))
    pairs = [(rank[j], rank[i]) for i in range(len(rank)) for j in range(i + 1, len(rank))]
    chosen = draw(st.lists(st.sampled_from(pairs), max_size=20)) if pairs else []
    edges = [Edge(c, p, f"fk{k}", draw(st.booleans())) for k, (c, p) in enumerate(chosen)]
    return list(draw(st.permutations(nodes))), edges


@st.composite
def breakable_graphs(draw: st.DrawFn) -> tuple[list[str], list[Edge]]:
    """Random graphs with cycles, where every cycle has at least one nullable edge.

    Edges that agree with a hidden ranking may be NOT NULL; edges against it (the only way to
    close a cycle) are always nullable. Self-references of either kind are sprinkled in.
    """
    nodes = names(draw(st.integers(2, 9)))
    rank = draw(st.permutations(nodes))
    where = {t: i for i, t in enumerate(rank)}
    raw = draw(
        st.lists(
            st.tuples(st.sampled_from(nodes), st.sampled_from(nodes), st.booleans()),
            min_size=1,
            max_size=25,
        )
    )
    edges = []
    for k, (child, parent, nullable) in enumerate(raw):
        backwards = where[parent] > where[child]
        edges.append(Edge(child, parent, f"fk{k}", nullable or backwards))
    return list(draw(st.permutations(nodes))), edges


# --- strongly_connected -----------------------------------------------------------------------


def test_strongly_connected_known_graph() -> None:
    nodes = ["a", "b", "c", "d", "e", "f"]
    edges = [
        Edge("a", "b", "ab", False),
        Edge("b", "c", "bc", False),
        Edge("c", "a", "ca", True),
        Edge("d", "e", "de", False),
        Edge("e", "d", "ed", True),
        Edge("d", "a", "da", False),
    ]
    components = strongly_connected(nodes, edges)
    assert sorted(components) == [["a", "b", "c"], ["d", "e"], ["f"]]
    # Parents' components come before their children's (d/e point at a).
    assert components.index(["a", "b", "c"]) < components.index(["d", "e"])


def test_strongly_connected_without_edges_gives_singletons() -> None:
    assert sorted(strongly_connected(["x", "y", "z"], [])) == [["x"], ["y"], ["z"]]


def test_strongly_connected_self_loop_is_a_singleton() -> None:
    assert strongly_connected(["a"], [Edge("a", "a", "aa", True)]) == [["a"]]


def test_strongly_connected_handles_deep_chains_without_recursion() -> None:
    nodes = [f"t{i}" for i in range(5000)]
    edges = [Edge(nodes[i], nodes[i + 1], f"fk{i}", False) for i in range(4999)]
    edges.append(Edge(nodes[-1], nodes[0], "back", True))
    assert strongly_connected(nodes, edges) == [sorted(nodes)]


@BOUNDED
@given(breakable_graphs())
def test_strongly_connected_matches_brute_force(graph: tuple[list[str], list[Edge]]) -> None:
    nodes, edges = graph
    components = strongly_connected(nodes, edges)
    assert sorted(n for c in components for n in c) == sorted(nodes)
    reach = reaches(nodes, edges)
    expected = {frozenset(m for m in nodes if m in reach[n] and n in reach[m]) for n in nodes}
    assert {frozenset(c) for c in components} == expected
    assert all(c == sorted(c) for c in components)
    # Reverse topological order of the condensation: parents' components first.
    index = {n: i for i, c in enumerate(components) for n in c}
    for e in edges:
        assert index[e.parent] <= index[e.child]


# --- insertion_order: known graphs ------------------------------------------------------------


def test_chain_is_ordered_parents_first_whatever_the_input_order() -> None:
    edges = [Edge("lines", "orders", "fk1", False), Edge("orders", "clients", "fk2", False)]
    order = insertion_order(["lines", "orders", "clients"], edges)
    assert order.tables == ("clients", "orders", "lines")
    assert order.deferred == ()
    assert order.self_references == ()


def test_independent_tables_keep_input_order() -> None:
    assert insertion_order(["b", "a", "c"], []).tables == ("b", "a", "c")


def test_two_table_cycle_defers_the_nullable_edge() -> None:
    nullable = Edge("departments", "employees", "head", True)
    required = Edge("employees", "departments", "dept", False)
    order = insertion_order(["employees", "departments"], [nullable, required])
    assert order.deferred == (nullable,)
    assert order.tables == ("departments", "employees")


def test_edges_to_unknown_tables_are_ignored() -> None:
    order = insertion_order(["a", "b"], [Edge("a", "elsewhere", "x", False)])
    assert order.tables == ("a", "b")


def test_not_null_cycle_raises_cycle_error_naming_tables() -> None:
    edges = [
        Edge("alpha", "beta", "ab", False),
        Edge("beta", "gamma", "bg", False),
        Edge("gamma", "alpha", "ga", False),
    ]
    with pytest.raises(CycleError) as info:
        insertion_order(["alpha", "beta", "gamma", "delta"], edges)
    message = str(info.value)
    for table in ("alpha", "beta", "gamma"):
        assert table in message
    assert "delta" not in message
    # It said "make one column nullable or deferrable", but a DEFERRABLE NOT NULL key is no way
    # out: cycles are broken by inserting NULL first.
    assert "make one column nullable (a DEFERRABLE key does not help" in message
    assert isinstance(info.value, DataError)
    assert info.value.exit_code == 7


def test_not_null_self_reference_does_not_raise() -> None:
    loop = Edge("employees", "employees", "manager", False)
    order = insertion_order(["employees"], [loop])
    assert order.tables == ("employees",)
    assert order.self_references == (loop,)
    assert order.deferred == ()


# --- insertion_order: properties --------------------------------------------------------------


@BOUNDED
@given(dags())
def test_dag_orders_every_parent_before_its_child(graph: tuple[list[str], list[Edge]]) -> None:
    nodes, edges = graph
    order = insertion_order(nodes, edges)
    assert sorted(order.tables) == sorted(nodes)
    assert order.deferred == ()
    assert_respects(order.tables, edges)


@BOUNDED
@given(breakable_graphs())
def test_breakable_cycles_never_raise_and_defer_only_nullable_cycle_edges(
    graph: tuple[list[str], list[Edge]],
) -> None:
    nodes, edges = graph
    order = insertion_order(nodes, edges)
    assert sorted(order.tables) == sorted(nodes)
    self_refs = [e for e in edges if e.child == e.parent]
    between = [e for e in edges if e.child != e.parent]
    assert sorted(order.self_references) == sorted(self_refs)
    assert all(e.nullable for e in order.deferred)
    assert not Counter(order.deferred) - Counter(between), "deferred an edge it was not given"
    # A deferred edge must lie on a cycle: its parent can reach its child.
    reach = reaches(nodes, between)
    for e in order.deferred:
        assert e.child in reach[e.parent]
    live = list((Counter(between) - Counter(order.deferred)).elements())
    assert_respects(order.tables, live)


@BOUNDED
@given(dags(), st.data())
def test_not_null_cycle_raises_and_names_its_tables(
    graph: tuple[list[str], list[Edge]], data: st.DataObject
) -> None:
    nodes, edges = graph
    extra = [f"c{i:02d}" for i in range(data.draw(st.integers(2, 5)))]
    cycle = [
        Edge(extra[i], extra[(i + 1) % len(extra)], f"cyc{i}", False) for i in range(len(extra))
    ]
    # Tie the cycle into the rest of the graph with edges that keep it acyclic elsewhere.
    link = data.draw(st.sampled_from(nodes))
    edges = [*edges, *cycle, Edge(extra[0], link, "link", data.draw(st.booleans()))]
    with pytest.raises(CycleError) as info:
        insertion_order(nodes + extra, edges)
    named = set(re.findall(r"\b[nc]\d\d\b", str(info.value)))
    assert named == set(extra)


@BOUNDED
@given(breakable_graphs(), st.data())
def test_self_references_do_not_change_the_order(
    graph: tuple[list[str], list[Edge]], data: st.DataObject
) -> None:
    nodes, edges = graph
    edges = [e for e in edges if e.child != e.parent]
    loops = [
        Edge(t, t, f"self{i}", data.draw(st.booleans()))
        for i, t in enumerate(data.draw(st.lists(st.sampled_from(nodes), max_size=4)))
    ]
    plain = insertion_order(nodes, edges)
    with_loops = insertion_order(nodes, edges + loops)
    assert with_loops.tables == plain.tables
    assert with_loops.deferred == plain.deferred
    assert with_loops.self_references == tuple(sorted(loops))


@BOUNDED
@given(breakable_graphs(), st.randoms(use_true_random=False))
def test_order_is_deterministic_and_ignores_edge_order(
    graph: tuple[list[str], list[Edge]], rnd: object
) -> None:
    nodes, edges = graph
    first = insertion_order(nodes, edges)
    assert insertion_order(list(nodes), list(edges)) == first
    shuffled = list(edges)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert insertion_order(nodes, shuffled) == first
