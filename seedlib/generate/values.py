"""Generators: small callables with one signature, ``(ordinal, h, row) -> value``.

``ordinal`` is the row's position in its table (0-based), ``h`` 64 bits that depend only on
(seed, table, column, ordinal), ``row`` the values of the columns generated before this one.
Seed revisions use these constructors to override what inference chose.

Generators that do not look at the row are :class:`Columnar`: besides being called per row they
fill a whole column of a batch at once (``batch``), which is how the engine calls them — several
times faster than one call per cell.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeAlias

Generator: TypeAlias = Callable[[int, int, Mapping[str, Any]], Any]
Batch: TypeAlias = Callable[[range, list[int]], list[Any]]


class Columnar:
    """A generator that ignores the row, so a batch's column can be made in one go."""

    __slots__ = ("_many", "_one")

    def __init__(self, one: Callable[[int, int], Any], many: Batch | None = None) -> None:
        self._one = one
        self._many = many

    def __call__(self, ordinal: int, h: int, _row: Mapping[str, Any]) -> Any:
        return self._one(ordinal, h)

    def batch(self, ordinals: range, hs: list[int]) -> list[Any]:
        """Values for ``ordinals`` whose cell hashes are ``hs``."""
        if self._many is not None:
            return self._many(ordinals, hs)
        one = self._one
        return [one(o, h) for o, h in zip(ordinals, hs, strict=True)]


EPOCH = dt.datetime(2024, 1, 1)
EPOCH_DATE = EPOCH.date()


def constant(value: Any) -> Generator:
    """Always ``value``."""
    return Columnar(lambda _o, _h: value, lambda ordinals, _hs: [value] * len(ordinals))


def choice(values: Sequence[Any]) -> Generator:
    """One of ``values``, uniformly."""
    options = tuple(values)
    n = len(options)
    return Columnar(lambda _o, h: options[h % n], lambda _o, hs: [options[h % n] for h in hs])


def weighted(weights: Mapping[Any, float]) -> Generator:
    """One of the keys of ``weights``, in proportion to its weight (zero weights never)."""
    items = [(value, float(w)) for value, w in weights.items() if w > 0]
    if not items:
        raise ValueError("weighted() needs at least one positive weight")
    total = sum(w for _, w in items)
    # Cumulative thresholds on the top 53 bits of h (what ``unit`` uses), as integers.
    thresholds: list[int] = []
    acc = 0.0
    for _value, weight in items:
        acc += weight / total
        thresholds.append(int(acc * (1 << 53)))
    thresholds[-1] = 1 << 53
    picks = [value for value, _ in items]

    def one(_o: int, h: int) -> Any:
        return picks[bisect_right(thresholds, h >> 11)]

    return Columnar(one, lambda _o, hs: [picks[bisect_right(thresholds, h >> 11)] for h in hs])


def sequence(template: str, start: int = 1) -> Generator:
    """``template.format(ordinal + start)``, e.g. ``sequence("WHL{:04d}")`` → WHL0001, WHL0002…"""
    fmt = template.format
    return Columnar(
        lambda o, _h: fmt(o + start), lambda ordinals, _hs: [fmt(o + start) for o in ordinals]
    )


def integers(low: int, high: int) -> Generator:
    """A whole number in ``[low, high]``."""
    span = high - low + 1
    return Columnar(lambda _o, h: low + h % span, lambda _o, hs: [low + h % span for h in hs])


def decimals(low: float | str | Decimal, high: float | str | Decimal, scale: int = 2) -> Generator:
    """A decimal in ``[low, high]`` with ``scale`` digits after the point."""
    factor = 10**scale
    lo = math.ceil(Decimal(str(low)) * factor)
    hi = math.floor(Decimal(str(high)) * factor)
    if hi < lo:
        raise ValueError(f"no decimal with {scale} digits lies in [{low}, {high}]")
    span = hi - lo + 1

    def one(_o: int, h: int) -> Decimal:
        return Decimal(lo + h % span).scaleb(-scale)

    return Columnar(one, lambda _o, hs: [Decimal(lo + h % span).scaleb(-scale) for h in hs])


def timestamps(start: dt.datetime = EPOCH, days: int = 730) -> Generator:
    """A timestamp within ``days`` after ``start``, to the second."""
    seconds = days * 86400
    delta = dt.timedelta

    def one(_o: int, h: int) -> dt.datetime:
        return start + delta(seconds=h % seconds)

    return Columnar(one, lambda _o, hs: [start + delta(seconds=h % seconds) for h in hs])


def dates(start: dt.date = EPOCH_DATE, days: int = 730) -> Generator:
    """A date within ``days`` after ``start``."""
    delta = dt.timedelta
    return Columnar(
        lambda _o, h: start + delta(days=h % days),
        lambda _o, hs: [start + delta(days=h % days) for h in hs],
    )


def after(column: str, max_days: int = 30) -> Generator:
    """A date or timestamp at most ``max_days`` after the row's ``column`` (None if it is None)."""

    def pick(_o: int, h: int, row: Mapping[str, Any]) -> Any:
        base = row.get(column)
        if base is None:
            return None
        if isinstance(base, dt.datetime):
            return base + dt.timedelta(seconds=h % (max_days * 86400 + 1))
        return base + dt.timedelta(days=h % (max_days + 1))

    return pick


def derived(function: Callable[[Mapping[str, Any]], Any]) -> Generator:
    """A value computed from the row's other columns (generated before this one)."""
    return lambda _o, _h, row: function(row)
