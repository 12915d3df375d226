"""Row validation before loading: types, lengths, precision, NULLs, enums, CHECKs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import (
    CheckConstraint,
    Column,
    Enum,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
)
from sqlalchemy.dialects.mysql import TINYINT

from seedlib import values
from seedlib.generate.checks import _compare, failing, table_checks
from seedlib.generate.validate import RowValidator, int_range

TABLE = Table(
    "t",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("code", String(4), nullable=False),
    Column("price", Numeric(5, 2)),
    Column("kind", Enum("a", "b", native_enum=False, create_constraint=False)),
    Column("small", SmallInteger),
    Column("qty", Integer),
    CheckConstraint("qty > 0"),
)
COLUMNS = ["id", "code", "price", "kind", "small", "qty"]


def _reasons(rows: list[list[object]]) -> dict[int, str]:
    validator = RowValidator(TABLE, COLUMNS, table_checks(TABLE))
    return {r.index: f"{r.column}: {r.reason}" for r in validator.rejections(rows)}


def test_valid_rows_pass() -> None:
    assert _reasons([[1, "ab", Decimal("999.99"), "a", 5, 1]]) == {}


def test_each_kind_of_bad_value_is_named() -> None:
    found = _reasons(
        [
            [1, None, None, None, None, None],
            [2, "abcde", None, None, None, None],
            [3, "ok", Decimal("1000.00"), None, None, None],
            [4, "ok", None, "z", None, None],
            [5, "ok", None, None, 40000, None],
            [6, "ok", None, None, None, 0],
            [7, "ok", None, None, None, 3],
        ]
    )
    assert found[0].startswith("code: NULL")
    assert found[1].startswith("code: 5 characters")
    assert found[2].startswith("price: 1000.00 does not fit NUMERIC(5,2)")
    assert found[3].startswith("kind: 'z'")
    assert found[4].startswith("small: 40000 is outside")
    assert found[5].startswith("qty: fails CHECK")
    assert 6 not in found


def test_mysql_integer_ranges() -> None:
    assert int_range(TINYINT()) == (-128, 127)
    assert int_range(TINYINT(unsigned=True)) == (0, 255)
    assert int_range(SmallInteger()) == (-32768, 32767)


def test_column_tests_on_whole_columns_agree_with_rows() -> None:
    """The batch path (one sequence per column, extremes compared in C) finds the same rows
    as the row path, with NULLs, NaN and values on both sides of the limits."""
    validator = RowValidator(TABLE, COLUMNS, [])
    rows: list[list[object]] = [
        [1, "ab", Decimal("999.99"), "a", -32768, 1],
        [2, "ab", Decimal("-999.99"), "a", 32767, 1],
        [3, "ab", Decimal("-1000"), "a", 32768, 1],
        [4, "ab", Decimal("1000.001"), "a", -32769, 1],
        [5, "ab", None, "a", None, 1],
    ]
    by_rows = {(r.index, r.column) for r in validator.rejections(rows)}
    by_columns = validator.column_rejections(list(zip(*rows, strict=True)))
    assert {(r.index, r.column) for r in by_columns.values()} == by_rows
    assert by_rows == {(2, "price"), (3, "price")}
    # each row is named once, by its first failing column; the small ints fail next
    only_small = [[i, "ab", None, "a", v, 1] for i, v in enumerate([1, 32768, -32769, 5])]
    assert sorted(validator.column_rejections(list(zip(*only_small, strict=True)))) == [1, 2]
    assert {r.index for r in validator.rejections([[1, "ab", Decimal("NaN"), "a", 1, 1]])} == {0}


def test_text_columns_that_fit_by_construction_are_not_tested() -> None:
    """A generator that promises text of at most N characters (``Columnar.longest``) makes the
    NULL and length tests of a text column that holds N redundant; a longer promise does not."""
    columns = ["id", "code"]
    bad = [[1, None], [2, "abcdef"]]
    assert {r.index for r in RowValidator(TABLE, columns, []).rejections(bad)} == {0, 1}
    assert RowValidator(TABLE, columns, [], {"code": 4}).rejections(bad) == []
    assert len(RowValidator(TABLE, columns, [], {"code": 5}).rejections(bad)) == 2
    # an enum's domain is checked whatever the lengths
    assert len(RowValidator(TABLE, ["kind"], [], {"kind": 1}).rejections([["z"]])) == 1


def test_numeric_columns_that_hold_a_promised_range_are_not_tested() -> None:
    """A generator that promises numbers from low to high (``Columnar.bounds``) makes the
    NULL and range tests of a column that holds them redundant; a wider promise does not."""
    columns = ["id", "price", "small"]
    bad = [[None, Decimal("1000.00"), 40_000], [2, Decimal("1.00"), 1]]
    assert {r.index for r in RowValidator(TABLE, columns, []).rejections(bad)} == {0}
    fits = {"id": (1, 2), "price": (Decimal("0.00"), Decimal("999.99")), "small": (0, 32767)}
    assert RowValidator(TABLE, columns, [], numbers_within=fits).rejections(bad) == []
    for name, wider in [
        ("price", (Decimal("0.00"), Decimal("1000.00"))),  # NUMERIC(5,2) stops below 1000
        ("small", (0, 32768)),  # SMALLINT stops at 32767
        ("small", (Decimal(0), Decimal(1))),  # an integer column promised decimals
    ]:
        promised = {**fits, name: wider}
        validator = RowValidator(TABLE, columns, [], numbers_within=promised)
        assert {r.column for r in validator.rejections(bad)} == {name}


def test_promises_that_cannot_hold_keep_the_tests() -> None:
    """Bounds given the wrong way round, or decimals the server would round up past the
    column's precision (99.999 is stored as 100.00, too large for NUMERIC(4,2)), keep the
    column tests."""
    table = Table("m", MetaData(), Column("n", Numeric(4, 2)), Column("s", SmallInteger))
    for name, bounds in [
        ("n", (Decimal("0"), Decimal("99.999"))),
        ("n", (Decimal("50"), Decimal("1"))),
        ("s", (40_000, 5)),
    ]:
        validator = RowValidator(table, ["n", "s"], [], numbers_within={name: bounds})
        assert any(test[1] == name for test in validator.tests)
    fits = RowValidator(table, ["n", "s"], [], numbers_within={"n": (Decimal(0), Decimal("99.99"))})
    assert not any(test[1] == "n" for test in fits.tests)
    with pytest.raises(ValueError, match="below the lower"):
        values.integers(40_000, 5)


@pytest.mark.parametrize(
    "sql",
    [
        "qty > 0",
        "0 < qty",
        "(qty >= -5)",
        "qty <= (10)::numeric",
        "qty <> 3",
        "qty = 2.5",
        "CAST(qty AS INTEGER) >= 0",  # a cast column: left to the row path
        "qty > 0 AND qty < 9",  # two comparisons, each on the column
        "qty >= -5 AND (qty = 2.5 OR qty > 3)",  # one on the column, the rest row by row
        "(qty = 2.5 OR qty > 3) AND qty <> 9 AND (qty < 10 OR qty = 11)",  # two row by row
        "qty > 0 OR qty = -5",  # row path
        "qty IN (1, 2, 3)",
        "(qty) IN ('3', 2.5, -6)",
        "qty IN (1, NULL)",  # a miss is unknown, not false: row path
        "qty NOT IN (1, 2)",  # row path
        "CAST(qty AS INTEGER) IN (2, 3)",  # row path
    ],
)
def test_a_check_on_one_column_tests_the_batch_as_the_rows_would(sql: str) -> None:
    """A check comparing one column with a constant runs on the batch's column at once; it
    rejects exactly the rows its predicate rejects, whatever the values' types."""
    table = Table("c", MetaData(), Column("qty", Numeric(8, 2)), CheckConstraint(sql, name="k"))
    [check] = table_checks(table, "postgresql")
    values: list[object] = [None, 0, 1, 2, 3, 9, -5, -6, 10, 11, 2.5, Decimal("2.50"), "3", "x"]
    expected = {i for i, v in enumerate(values) if check.predicate({"qty": v}) is False}
    validator = RowValidator(table, ["qty"], [check])
    assert bool(validator.checks) == (check.rest is not None)
    assert {r.index for r in validator.rejections([[v] for v in values])} == expected
    by_column = {
        i for i, r in validator.column_rejections([values]).items() if "CHECK k" in r.reason
    }
    assert by_column == (expected if check.rest is None else by_column & expected)
    assert bool(check.parts) == ("AND" in sql or check.comparison is not None)


@pytest.mark.parametrize(
    "sql",
    [
        "status IN ('open', 'paid')",
        # as PostgreSQL shows the same CHECK
        "(status)::text = ANY ((ARRAY['open'::character varying, 'paid'::character varying])"
        "::text[])",
        "CAST(status AS VARCHAR(10)) IN ('open', 'paid')",
    ],
)
def test_an_enum_check_tests_the_batch_as_the_rows_would(sql: str) -> None:
    """SQLAlchemy's non-native Enum makes ``status IN ('open', 'paid')``: tested on the
    batch's column, it rejects exactly what its predicate rejects."""
    table = Table("e", MetaData(), Column("status", String(10)), CheckConstraint(sql, name="st"))
    [check] = table_checks(table, "postgresql")
    assert check.comparison == ("status", "in", ("open", "paid"))
    values: list[object] = [None, "open", "paid", "Open", "closed", "", 1, "paid "]
    expected = {i for i, v in enumerate(values) if check.predicate({"status": v}) is False}
    assert expected == {3, 4, 5, 6, 7}
    validator = RowValidator(table, ["status"], [check])
    assert not validator.checks
    assert {r.index for r in validator.rejections([[v] for v in values])} == expected


def test_a_check_the_promised_range_satisfies_is_not_tested() -> None:
    table = Table(
        "p",
        MetaData(),
        Column("qty", Integer, nullable=False),
        CheckConstraint("qty > 0", name="positive"),
    )
    checks = table_checks(table)
    for bounds, tested in [((1, 50), False), ((0, 50), True), ((-3, -1), True)]:
        validator = RowValidator(table, ["qty"], checks, numbers_within={"qty": bounds})
        assert any(t[1] == "qty" for t in validator.tests) == tested, bounds
    validator = RowValidator(table, ["qty"], checks, numbers_within={"qty": (0, 50)})
    assert [r.reason for r in validator.rejections([[0], [1]])] == ["fails CHECK positive"]


def test_values_a_check_cannot_compare_are_left_to_the_other_tests() -> None:
    """NaN (from a source) and text in a numeric column neither pass nor crash a one-column
    check: the type tests name them; a constant that is no number is not a comparison."""
    table = Table(
        "n", MetaData(), Column("qty", Numeric(8, 2)), CheckConstraint("qty > 0", name="pos")
    )
    validator = RowValidator(table, ["qty"], table_checks(table))
    found = validator.rejections([[Decimal("NaN")], [Decimal(-1)], [Decimal(1)]])
    assert [(r.index, r.reason.split(" ")[0]) for r in found] == [(0, "NaN"), (1, "fails")]
    odd = Table("o", MetaData(), Column("qty", Integer), CheckConstraint("qty > 'a' + 1"))
    [check] = table_checks(odd)
    assert check.comparison is None


@pytest.mark.parametrize("op", ["<", "<=", ">", ">=", "=", "<>"])
def test_column_wise_comparison_agrees_with_the_predicate_across_types(op: str) -> None:
    """``failing`` takes Python's own comparison where the predicate's would give the same
    (numbers of different types), and the predicate's elsewhere: the same rows either way."""
    values: list[object] = [
        *(None, 0, 1, -1, 2.5, -0.0, Decimal("0"), Decimal("-0.01"), Decimal("NaN")),
        *(float("nan"), True, False, "3", "x", 10**30, Decimal("1e30"), 1e30),
    ]
    for constant in [0, 1, Decimal("0.5"), 2.5, 10**30, "1"]:
        by_predicate = [
            i for i, v in enumerate(values) if v is not None and _compare(op, v, constant) is False
        ]
        assert failing(values, op, constant) == by_predicate, constant
