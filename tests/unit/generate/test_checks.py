"""CHECK constraints: parsing with sqlglot, evaluation with SQL's NULL logic, domains."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import CheckConstraint, Column, Date, Integer, MetaData, Numeric, String, Table

from seedlib.generate.checks import domains, parse, table_checks


def _table(*checks: str) -> Table:
    return Table(
        "t",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("status", String(10)),
        Column("qty", Integer),
        Column("total", Numeric(10, 2)),
        Column("name", String(40)),
        Column("starts", Date),
        Column("ends", Date),
        *(CheckConstraint(c) for c in checks),
    )


@pytest.mark.parametrize(
    ("sql", "good", "bad"),
    [
        ("status IN ('a', 'b')", {"status": "a"}, {"status": "c"}),
        ("qty BETWEEN 1 AND 5", {"qty": 5}, {"qty": 6}),
        ("qty > 0 AND qty <= 10", {"qty": 10}, {"qty": 0}),
        ("total >= 0", {"total": Decimal("0.00")}, {"total": Decimal("-0.01")}),
        ("char_length(name) <= 3", {"name": "abc"}, {"name": "abcd"}),
        ("length(name) > 0", {"name": "a"}, {"name": ""}),
        ("name <> ''", {"name": "x"}, {"name": ""}),
        (
            "starts <= ends",
            {"starts": dt.date(2024, 1, 1), "ends": dt.date(2024, 1, 1)},
            {"starts": dt.date(2024, 1, 2), "ends": dt.date(2024, 1, 1)},
        ),
        ("qty IS NULL OR qty > 2", {"qty": None}, {"qty": 1}),
        ("NOT (status = 'x')", {"status": "y"}, {"status": "x"}),
        ("name = lower(name)", {"name": "abc"}, {"name": "Abc"}),
        ("name LIKE 'A%'", {"name": "Apple"}, {"name": "Pear"}),
        ("qty * 2 < 10", {"qty": 4}, {"qty": 5}),
        ("ends > '2024-01-01'", {"ends": dt.date(2024, 1, 2)}, {"ends": dt.date(2024, 1, 1)}),
    ],
)
def test_understood_checks_accept_and_reject(sql: str, good: dict, bad: dict) -> None:
    (check,) = table_checks(_table(sql))
    assert check.understood
    assert check.passes(good)
    assert not check.passes(bad)


def test_null_passes_a_check_as_in_sql() -> None:
    (check,) = table_checks(_table("qty > 2"))
    assert check.passes({"qty": None})


def test_postgresql_rewrite_of_in_lists_is_understood() -> None:
    sql = "(status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])"
    (check,) = table_checks(_table(sql), "postgresql")
    assert check.passes({"status": "b"})
    assert not check.passes({"status": "z"})
    assert domains([check], "postgresql")["status"].choices == ("a", "b")


def test_unknown_functions_are_left_to_the_database() -> None:
    (check,) = table_checks(_table("my_function(name)"))
    assert not check.understood
    assert check.passes({"name": "not json"})  # the database judges it


def test_domains_from_and_ed_parts() -> None:
    checks = table_checks(
        _table(
            "status IN ('a', 'b', 'c') AND status <> 'zz'",
            "qty BETWEEN 1 AND 5 OR qty IS NULL",
            "total > 0 AND total < 100",
            "char_length(name) BETWEEN 2 AND 8",
            "starts <= ends",
            "name = upper(name)",
        )
    )
    found = domains(checks)
    assert found["status"].choices == ("a", "b", "c")
    assert (found["qty"].low, found["qty"].high) == (1, 5)
    assert (found["total"].low, found["total"].low_open, found["total"].high) == (0, True, 100)
    assert found["name"].case == "upper"
    assert ("<=", "ends") in found["starts"].relations
    assert (">=", "starts") in found["ends"].relations


def test_a_nullable_column_compared_with_another_is_related_to_it() -> None:
    """ "ends IS NULL OR ends >= starts" was not used: half the rows broke it."""
    found = domains(table_checks(_table("ends IS NULL OR ends >= starts", "qty > 0")))
    assert (">=", "starts") in found["ends"].relations


def test_unparsable_sql_is_not_understood() -> None:
    assert parse("this is ((( not sql") is None


def test_negated_forms_and_json_valid() -> None:
    both = table_checks(_table("name IS NOT NULL OR qty IS NOT NULL"), "postgresql")[0]
    assert both.passes({"name": "x", "qty": None})
    assert not both.passes({"name": None, "qty": None})
    (not_like,) = table_checks(_table("name NOT LIKE 'x%'"))
    assert not_like.passes({"name": "abc"})
    assert not not_like.passes({"name": "xyz"})
    (json_check,) = table_checks(_table("json_valid(name)"), "mysql")
    assert json_check.passes({"name": '{"a": 1}'})
    assert not json_check.passes({"name": "v1"})
    assert domains([json_check], "mysql")["name"].json
