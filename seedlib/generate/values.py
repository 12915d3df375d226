"""Generators: small callables with one signature, ``(ordinal, h, row) -> value``.

``ordinal`` is the row's position in its table (0-based), ``h`` 64 bits that depend only on
(seed, table, column, ordinal), ``row`` the values of the columns generated before this one.
Seed revisions use these constructors to override what inference chose.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeAlias

from seedlib.generate.rng import unit

Generator: TypeAlias = Callable[[int, int, Mapping[str, Any]], Any]

EPOCH = dt.datetime(2024, 1, 1)
EPOCH_DATE = EPOCH.date()


def constant(value: Any) -> Generator:
    """Always ``value``."""
    return lambda _o, _h, _r: value


def choice(values: Sequence[Any]) -> Generator:
    """One of ``values``, uniformly."""
    options = tuple(values)
    return lambda _o, h, _r: options[h % len(options)]


def weighted(weights: Mapping[Any, float]) -> Generator:
    """One of the keys of ``weights``, in proportion to its weight (zero weights never)."""
    items = [(value, float(w)) for value, w in weights.items() if w > 0]
    if not items:
        raise ValueError("weighted() needs at least one positive weight")
    total = sum(w for _, w in items)
    bounds: list[tuple[float, Any]] = []
    acc = 0.0
    for value, weight in items:
        acc += weight / total
        bounds.append((acc, value))

    def pick(_o: int, h: int, _r: Mapping[str, Any]) -> Any:
        u = unit(h)
        for bound, value in bounds:
            if u < bound:
                return value
        return bounds[-1][1]

    return pick


def sequence(template: str, start: int = 1) -> Generator:
    """``template.format(ordinal + start)``, e.g. ``sequence("WHL{:04d}")`` → WHL0001, WHL0002…"""
    return lambda o, _h, _r: template.format(o + start)


def integers(low: int, high: int) -> Generator:
    """A whole number in ``[low, high]``."""
    span = high - low + 1
    return lambda _o, h, _r: low + h % span


def decimals(low: float | str | Decimal, high: float | str | Decimal, scale: int = 2) -> Generator:
    """A decimal in ``[low, high]`` with ``scale`` digits after the point."""
    factor = 10**scale
    lo = math.ceil(Decimal(str(low)) * factor)
    hi = math.floor(Decimal(str(high)) * factor)
    if hi < lo:
        raise ValueError(f"no decimal with {scale} digits lies in [{low}, {high}]")
    span = hi - lo + 1
    quantum = Decimal(1).scaleb(-scale)
    return lambda _o, h, _r: (Decimal(lo + h % span) / factor).quantize(quantum)


def timestamps(start: dt.datetime = EPOCH, days: int = 730) -> Generator:
    """A timestamp within ``days`` after ``start``, to the second."""
    seconds = days * 86400
    return lambda _o, h, _r: start + dt.timedelta(seconds=h % seconds)


def dates(start: dt.date = EPOCH_DATE, days: int = 730) -> Generator:
    """A date within ``days`` after ``start``."""
    return lambda _o, h, _r: start + dt.timedelta(days=h % days)


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
