"""Check generated rows against their table before loading: type, length, precision,
nullability, enum domain and the CHECK constraints that were understood.

Work is done column by column over a whole batch (cheap), and row by row only for CHECKs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import types

from seedlib.generate.checks import failing, holds_between

if TYPE_CHECKING:
    from sqlalchemy import Column, Table

    from seedlib.generate.checks import Check

#: Bits of the integer types, by type name (MySQL's names included).
_INT_BITS = {"TINYINT": 8, "SMALLINT": 16, "MEDIUMINT": 24, "BIGINT": 64}


def int_range(kind: types.TypeEngine[Any]) -> tuple[int, int]:
    """The smallest and largest value an integer type holds (MySQL's UNSIGNED included)."""
    bits = _INT_BITS.get(type(kind).__name__.upper())
    if bits is None:
        if isinstance(kind, types.BigInteger):
            bits = 64
        elif isinstance(kind, types.SmallInteger):
            bits = 16
        else:
            bits = 32
    if getattr(kind, "unsigned", False):
        return 0, 2**bits - 1
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


@dataclass(frozen=True)
class Rejection:
    """Why the row at ``index`` of a batch cannot be loaded."""

    index: int
    column: str
    reason: str


ColumnTest = Callable[[Sequence[Any]], list[tuple[int, str]]]


def _kind(column: Column[Any]) -> types.TypeEngine[Any]:
    kind = column.type
    return kind.impl_instance if isinstance(kind, types.TypeDecorator) else kind


def _not_null(values: Sequence[Any]) -> list[tuple[int, str]]:
    if None not in values:
        return []
    return [(i, "NULL in a NOT NULL column") for i, v in enumerate(values) if v is None]


def _max_length(length: int, *, not_null: bool = False) -> ColumnTest:
    """Values longer than ``length``; and NULLs when ``not_null`` (one pass finds both: a
    column of text is measured in C, and a NULL among it stops the measuring)."""

    def test(values: Sequence[Any]) -> list[tuple[int, str]]:
        try:  # every value is usually a str: measure them all in C
            if max(map(len, values), default=0) <= length:
                return []
        except TypeError:  # a None or a number among them
            if not (not_null and None in values) and (
                max((len(v) for v in values if type(v) is str), default=0) <= length
            ):
                return []
        return [
            (
                i,
                "NULL in a NOT NULL column"
                if v is None
                else f"{len(v)} characters, the column holds {length}",
            )
            for i, v in enumerate(values)
            if (v is None and not_null) or (type(v) is str and len(v) > length)
        ]

    return test


def _within(values: Sequence[Any], low: Any, high: Any) -> bool:
    """Whether every value is strictly between ``low`` and ``high``, decided in C when the
    values compare with each other (no NULL, no text, no float that could be NaN); False means
    "look row by row"."""
    if not values or float in set(map(type, values)):
        return not values
    try:
        return bool(low < min(values) and max(values) < high)
    except (TypeError, ArithmeticError):  # mixed types, Decimal("NaN")
        return False


def _finite_within(value: float | Decimal, limit: Decimal) -> bool:
    try:
        return bool(-limit < value < limit)  # False for a float NaN
    except ArithmeticError:  # Decimal("NaN") refuses to compare
        return False


def _digits(precision: int, scale: int) -> ColumnTest:
    limit = Decimal(10) ** (precision - scale)

    def test(values: Sequence[Any]) -> list[tuple[int, str]]:
        if _within(values, -limit, limit):
            return []
        return [
            (i, f"{v} does not fit NUMERIC({precision},{scale})")
            for i, v in enumerate(values)
            if isinstance(v, int | float | Decimal) and not _finite_within(v, limit)
        ]

    return test


def _int_range(low: int, high: int) -> ColumnTest:
    def test(values: Sequence[Any]) -> list[tuple[int, str]]:
        if _within(values, low - 1, high + 1):
            return []
        return [
            (i, f"{v} is outside the integer type's range [{low}, {high}]")
            for i, v in enumerate(values)
            if type(v) is int and not low <= v <= high
        ]

    return test


def _enum(options: Sequence[str]) -> ColumnTest:
    allowed = set(options)

    def test(values: Sequence[Any]) -> list[tuple[int, str]]:
        if allowed.issuperset(v for v in values if v is not None):
            return []
        return [
            (i, f"{v!r} is not one of the enum's values")
            for i, v in enumerate(values)
            if v is not None and v not in allowed
        ]

    return test


def _holds(kind: types.TypeEngine[Any], low: Any, high: Any) -> bool:
    """Whether every number from ``low`` to ``high`` fits a column of type ``kind`` (the
    tests :func:`column_tests` would run could find nothing)."""
    try:
        if not low <= high:
            return False
    except (TypeError, ArithmeticError):
        return False
    if isinstance(kind, types.Integer):
        smallest, largest = int_range(kind)
        return type(low) is int and type(high) is int and smallest <= low and high <= largest
    if isinstance(kind, types.Numeric) and not isinstance(kind, types.Float):
        if kind.precision is None:
            return True
        scale = kind.scale or 0
        limit = Decimal(10) ** (kind.precision - scale)
        # The server rounds to the column's scale: 99.999 becomes 100.00 in NUMERIC(4,2).
        margin = Decimal(5).scaleb(-(scale + 1))
        return _finite_within(abs(low) + margin, limit) and _finite_within(
            abs(high) + margin, limit
        )
    return False


def _failing_check(op: str, constant: Any, name: str) -> ColumnTest:
    reason = f"fails CHECK {name}"

    def test(values: Sequence[Any]) -> list[tuple[int, str]]:
        return [(i, reason) for i in failing(values, op, constant)]

    return test


def column_tests(column: Column[Any], *, has_default: bool) -> list[ColumnTest]:
    """The batch tests for one column's values."""
    kind = _kind(column)
    tests: list[ColumnTest] = []
    not_null = not column.nullable and not has_default
    # A MySQL SET's length is its longest member's; its value lists several ("a,b").
    length = kind.length if isinstance(kind, types.String) and type(kind).__name__ != "SET" else 0
    if not_null and length and not isinstance(kind, types.Enum):
        return [_max_length(length, not_null=True)]
    if not_null:
        tests.append(_not_null)
    if isinstance(kind, types.Enum) and kind.enums:
        tests.append(_enum(kind.enums))
    elif length:
        tests.append(_max_length(length))
    elif isinstance(kind, types.Numeric) and not isinstance(kind, types.Float):
        if kind.precision is not None:
            tests.append(_digits(kind.precision, kind.scale or 0))
    elif isinstance(kind, types.Integer):
        tests.append(_int_range(*int_range(kind)))
    return tests


class RowValidator:
    """Validates batches of rows whose values are in ``columns`` order."""

    def __init__(
        self,
        table: Table,
        columns: Sequence[str],
        checks: Sequence[Check],
        text_within: Mapping[str, int] | None = None,
        numbers_within: Mapping[str, tuple[Any, Any]] | None = None,
    ) -> None:
        """``text_within``: columns whose values are all ``str`` of at most that many
        characters by construction; a text column they fit needs no test. ``numbers_within``:
        columns whose values are all numbers (never NULL) from low to high by construction; a
        numeric column that holds that range needs no test."""
        self.columns = list(columns)
        # What a column may be set to when that makes a CHECK pass: NULL where allowed, else
        # zero for a number that is no key (``debit = 0 OR credit = 0``).
        from seedlib.generate.infer import is_unique

        self.blank: dict[str, Any] = {}
        for name in self.columns:
            column = table.c[name]
            kind = _kind(column)
            if column.nullable and not column.primary_key:
                self.blank[name] = None
            elif column.primary_key or column.foreign_keys or is_unique(column, table):
                continue  # (a unique zero would repeat)
            elif isinstance(kind, types.Float):
                self.blank[name] = 0.0
            elif isinstance(kind, types.Integer):
                self.blank[name] = 0
            elif isinstance(kind, types.Numeric):
                self.blank[name] = Decimal(0)
        self.tests: list[tuple[int, str, ColumnTest]] = []
        fits = text_within or {}
        numbers = numbers_within or {}
        for position, name in enumerate(self.columns):
            column = table.c[name]
            kind = _kind(column)
            if (
                name in fits
                and isinstance(kind, types.String)
                and not isinstance(kind, types.Enum)
                and (kind.length is None or fits[name] <= kind.length)
            ):
                continue
            if name in numbers and _holds(kind, *numbers[name]):
                continue
            has_default = column.server_default is not None or column.default is not None
            for test in column_tests(column, has_default=has_default):
                self.tests.append((position, name, test))
        present = set(self.columns)
        # Only checks on columns we write: the others see server defaults we do not know.
        self.checks = []
        for check in checks:
            if not (check.understood and check.columns <= present):
                continue
            if check.rest is not None:
                # The parts not tested column-wise, row by row (the whole check if none is).
                self.checks.append(replace(check, predicate=check.rest, parts=()))
            # Parts comparing one column with constants: tested on a batch's column at once,
            # after the type tests, and not at all when the generator's range satisfies them
            # at both ends.
            for name, op, constant in check.parts:
                if name in numbers and holds_between(op, constant, *numbers[name]):
                    continue
                self.tests.append(
                    (self.columns.index(name), name, _failing_check(op, constant, check.name))
                )

    def __bool__(self) -> bool:
        return bool(self.tests or self.checks)

    def repaired(self, row: Sequence[Any], rejection: Rejection, turn: int) -> list[Any] | None:
        """``row`` with columns of the CHECK it fails set to NULL (nullable ones) or zero (NOT
        NULL numbers), when that makes it valid (``slug LIKE 'k-%'``, ``status = 'closed' OR
        closed_at IS NULL``, ``(a IS NULL) <> (b IS NULL)``, ``debit = 0 OR credit = 0``);
        else None. ``turn`` picks which column is tried first, so that rows spread over the
        columns."""
        values = list(row)
        # One CHECK at a time: a row may fail several that NULLs or zeros satisfy.
        for _ in range(len(self.checks) + len(self.tests) + 1):
            fixed = self._repair_one(values, rejection, turn)
            if fixed is None:
                return None
            left = self.rejections([fixed])
            if not left:
                return fixed
            if (left[0].column, left[0].reason) == (rejection.column, rejection.reason):
                return None
            values, rejection = fixed, left[0]
        return None

    def _repair_one(self, row: list[Any], rejection: Rejection, turn: int) -> list[Any] | None:
        """``row`` with the columns of ``rejection``'s CHECK blanked so that it passes (the
        others may still fail), or None."""
        if not rejection.reason.startswith("fails CHECK"):
            return None
        named = rejection.column.split(",")
        # Zero only where it picks among columns (``debit = 0 OR credit = 0``): a CHECK on
        # one number (``amount >= 0``) it would pass by flattening the values.
        names = [n for n in named if n in self.blank and (len(named) > 1 or self.blank[n] is None)]
        if not names:
            return None
        first = turn % len(names)
        trials = [[name] for name in names[first:] + names[:first]]
        if len(names) > 1:
            trials.append(names)
        for trial in trials:
            values = list(row)
            for name in trial:
                values[self.columns.index(name)] = self.blank[name]
            left = self.rejections([values])
            if not left or (left[0].column, left[0].reason) != (rejection.column, rejection.reason):
                return values
        return None

    def column_rejections(self, columns: Sequence[Sequence[Any]]) -> dict[int, Rejection]:
        """The column tests' rejections of a batch given as one sequence per column (in
        ``columns`` order), by row index."""
        found: dict[int, Rejection] = {}
        for position, name, test in self.tests:
            for index, reason in test(columns[position]):
                found.setdefault(index, Rejection(index, name, reason))
        return found

    def rejections(
        self, rows: Sequence[Sequence[Any]], found: dict[int, Rejection] | None = None
    ) -> list[Rejection]:
        """Why rows of the batch are invalid (at most one reason per row); ``found`` is
        :meth:`column_rejections` of the same rows when it is known already."""
        if found is None:
            found = (
                self.column_rejections(list(zip(*rows, strict=True))) if self.tests and rows else {}
            )
        else:
            found = dict(found)
        if self.checks:
            names = self.columns
            for index, row in enumerate(rows):
                if index in found:
                    continue
                view = dict(zip(names, row, strict=False))
                for check in self.checks:
                    if not check.passes(view):
                        found[index] = Rejection(
                            index, ",".join(sorted(check.columns)), f"fails CHECK {check.name}"
                        )
                        break
        return [found[i] for i in sorted(found)]
