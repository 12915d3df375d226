"""Plans built from a MetaData: order, deferred edges, scaled counts."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, ForeignKey, ForeignKeyConstraint, Integer, MetaData, String, Table

from seedlib.config import Size
from seedlib.exceptions import ConfigurationError
from seedlib.plan.graph import CycleError, Edge
from seedlib.plan.spec import SeedSpec, TableSpec, build_plan, foreign_key_edges


@pytest.fixture
def metadata() -> MetaData:
    """Children declared before parents, a self-reference and a nullable two-table cycle."""
    md = MetaData()
    Table(
        "orders",
        md,
        Column("id", Integer, primary_key=True),
        Column("employee_id", ForeignKey("employees.id"), nullable=False),
    )
    Table(
        "employees",
        md,
        Column("id", Integer, primary_key=True),
        Column("manager_id", ForeignKey("employees.id"), nullable=True),
        Column("department_id", ForeignKey("departments.id"), nullable=False),
    )
    Table(
        "departments",
        md,
        Column("id", Integer, primary_key=True),
        Column("head_id", ForeignKey("employees.id"), nullable=True),
        Column("name", String(50)),
    )
    Table("regions", md, Column("id", Integer, primary_key=True))
    return md


SPEC: SeedSpec = {"orders": 5, "employees": TableSpec(rows=3), "departments": 2}


def test_plan_orders_parents_first_and_defers_the_nullable_edge(metadata: MetaData) -> None:
    plan = build_plan(metadata, SPEC, Size.parse("small"))
    assert plan.order.tables == ("departments", "employees", "orders")
    assert plan.order.deferred == (
        Edge("departments", "employees", "departments(head_id)->employees", nullable=True),
    )
    assert plan.order.self_references == (
        Edge("employees", "employees", "employees(manager_id)->employees", nullable=True),
    )


def test_plan_only_contains_requested_tables(metadata: MetaData) -> None:
    plan = build_plan(metadata, {"orders": 1}, Size.parse("small"))
    assert plan.order.tables == ("orders",)
    assert "regions" not in plan.counts


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ("small", {"departments": 2, "employees": 3, "orders": 5}),
        ("medium", {"departments": 20, "employees": 30, "orders": 50}),
        ("large", {"departments": 1000, "employees": 1500, "orders": 2500}),
        ("1000", {"departments": 20, "employees": 30, "orders": 50}),
        # Scaled below one row still seeds one row.
        ("10", {"departments": 1, "employees": 1, "orders": 1}),
    ],
)
def test_counts_are_scaled_by_size(metadata: MetaData, size: str, expected: dict[str, int]) -> None:
    plan = build_plan(metadata, SPEC, Size.parse(size))
    assert dict(plan.counts) == expected
    assert plan.total_rows == sum(expected.values())
    assert plan.as_rows() == [{"table": t, "rows": expected[t]} for t in plan.order.tables]


def test_specs_keep_column_overrides(metadata: MetaData) -> None:
    spec: SeedSpec = {"departments": TableSpec(rows=2, columns={"name": "Sales"})}
    plan = build_plan(metadata, spec, Size.parse("small"))
    assert plan.specs["departments"].columns == {"name": "Sales"}
    assert plan.specs["departments"].rows == 2


def test_unknown_table_is_a_configuration_error_naming_it(metadata: MetaData) -> None:
    with pytest.raises(ConfigurationError, match="invoices") as info:
        build_plan(metadata, {"orders": 1, "invoices": 3}, Size.parse("small"))
    assert "orders" in str(info.value)  # the known tables are listed


def test_not_null_cycle_in_schema_raises_cycle_error() -> None:
    md = MetaData()
    Table("a", md, Column("id", Integer, primary_key=True), Column("b_id", ForeignKey("b.id")))
    Table("b", md, Column("id", Integer, primary_key=True), Column("a_id", ForeignKey("a.id")))
    md.tables["a"].c.b_id.nullable = False
    md.tables["b"].c.a_id.nullable = False
    with pytest.raises(CycleError, match=r"a -> b -> a"):
        build_plan(md, {"a": 1, "b": 1}, Size.parse("small"))


def test_foreign_key_edges_use_constraint_names_and_composite_nullability() -> None:
    md = MetaData()
    Table(
        "parent",
        md,
        Column("a", Integer, primary_key=True),
        Column("b", Integer, primary_key=True),
    )
    child = Table(
        "child",
        md,
        Column("id", Integer, primary_key=True),
        Column("pa", Integer, nullable=True),
        Column("pb", Integer, nullable=False),
    )
    child.append_constraint(
        ForeignKeyConstraint(["pa", "pb"], ["parent.a", "parent.b"], name="fk_child_parent")
    )
    edges = foreign_key_edges({"parent": md.tables["parent"], "child": child})
    # One NOT NULL column makes the whole key NOT NULL: it cannot be inserted as NULL.
    assert edges == [Edge("child", "parent", "fk_child_parent", nullable=False)]
