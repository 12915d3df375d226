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
    """A generator that ignores the row, so a batch's column can be made in one go.

    ``longest``, when known, promises that every value is a ``str`` of at most that many
    characters: then neither a cut to the column's length nor the NOT NULL and length tests
    before loading can find anything, and they are not run. ``bounds`` likewise promises that
    every value is a number (an ``int``, or a ``Decimal`` for :func:`decimals`) from ``low`` to
    ``high``: a numeric column that holds that range needs no NOT NULL or range test.
    """

    __slots__ = ("_many", "_one", "any_row", "bounds", "longest")

    def __init__(
        self,
        one: Callable[[int, int], Any],
        many: Batch | None = None,
        *,
        longest: int | None = None,
        bounds: tuple[int | Decimal, int | Decimal] | None = None,
        any_row: bool = False,
    ) -> None:
        self._one = one
        self._many = many
        self.longest = longest
        self.bounds = bounds
        #: For a foreign key: a valid pick for any row number, so its row numbers may continue
        #: past other revisions' like a value column's (pairs of a junction table).
        self.any_row = any_row

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


def text_bound(values: Sequence[Any]) -> int | None:
    """The longest of ``values`` when they are all ``str`` (a :class:`Columnar` ``longest``)."""
    if values and all(type(v) is str for v in values):
        return max(map(len, values))
    return None


def constant(value: Any) -> Generator:
    """Always ``value``."""
    return Columnar(
        lambda _o, _h: value,
        lambda ordinals, _hs: [value] * len(ordinals),
        longest=text_bound([value]),
    )


def choice(values: Sequence[Any]) -> Generator:
    """One of ``values``, uniformly."""
    options = tuple(values)
    n = len(options)
    return Columnar(
        lambda _o, h: options[h % n],
        lambda _o, hs: [options[h % n] for h in hs],
        longest=text_bound(options),
    )


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
    if high < low:
        raise ValueError(f"integers({low}, {high}): the upper bound is below the lower one")
    span = high - low + 1
    return Columnar(
        lambda _o, h: low + h % span,
        lambda _o, hs: [low + h % span for h in hs],
        bounds=(low, high),
    )


#: Digits after the point that generated decimals carry at most (``DECIMAL(65,30)`` gets values
#: like 12.345678: realistic, and exact within the default decimal context of 28 digits).
DECIMAL_DIGITS = 6


def decimals(low: float | str | Decimal, high: float | str | Decimal, scale: int = 2) -> Generator:
    """A decimal in ``[low, high]`` with ``scale`` digits after the point (at most
    :data:`DECIMAL_DIGITS`)."""
    scale = min(scale, DECIMAL_DIGITS)
    factor = 10**scale
    lo = math.ceil(Decimal(str(low)) * factor)
    hi = math.floor(Decimal(str(high)) * factor)
    if hi < lo:
        raise ValueError(f"no decimal with {scale} digits lies in [{low}, {high}]")
    span = hi - lo + 1

    def one(_o: int, h: int) -> Decimal:
        return Decimal(lo + h % span).scaleb(-scale)

    return Columnar(
        one,
        lambda _o, hs: [Decimal(lo + h % span).scaleb(-scale) for h in hs],
        bounds=(Decimal(lo).scaleb(-scale), Decimal(hi).scaleb(-scale)),
    )


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


class _Skip:
    """The type of :data:`SKIP`."""

    _instance: _Skip | None = None

    def __new__(cls) -> _Skip:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "SKIP"


#: A generator that returns ``SKIP`` for a row leaves that row out (a business rule, e.g. no
#: payment for a void invoice); it is reported as omitted, not as an error.
SKIP: Any = _Skip()


class ParentValue:
    """A column copied from the parent row that the row's foreign key ``fk_column`` points at
    (e.g. an invoice's amount from its order's total). Resolved by the engine in batches."""

    __slots__ = ("column", "fk_column", "then")

    def __init__(
        self,
        fk_column: str,
        column: str | tuple[str, ...],
        then: Callable[[Any, int], Any] | None = None,
    ) -> None:
        self.fk_column = fk_column
        self.column = column
        self.then = then

    def __call__(self, _ordinal: int, _h: int, _row: Mapping[str, Any]) -> Any:
        raise TypeError("values.parent() is resolved by the seeding engine, not called directly")


def parent(
    fk_column: str, column: str | tuple[str, ...], then: Callable[[Any, int], Any] | None = None
) -> Any:
    """The value of ``column`` (a tuple of values for a tuple of columns) in the parent row
    referenced by this row's ``fk_column``; ``then`` may return :data:`SKIP`.

    ``then(value, h)`` may transform it (``h``: the cell's 64 random bits), e.g. a price with a
    random markup: ``parent("batch_id", "unit_cost", lambda cost, h: cost * (1 + h % 50 / 100))``.
    """
    return ParentValue(fk_column, column, then)


class ChildTotal:
    """The sum of ``column`` over the rows of ``child_table`` whose ``fk_column`` points at
    this row; inserted as ``start`` and set once the children are loaded."""

    __slots__ = ("child_table", "column", "fk_column", "start")

    def __init__(self, child_table: str, fk_column: str, column: str, start: Any) -> None:
        self.child_table = child_table
        self.fk_column = fk_column
        self.column = column
        self.start = start

    def __call__(self, _ordinal: int, _h: int, _row: Mapping[str, Any]) -> Any:
        return self.start


def total_of(child_table: str, fk_column: str, column: str, start: Any = Decimal(0)) -> Any:
    """A parent column that equals the sum of its children's ``column`` (an order's total as the
    sum of its line items), set after ``child_table`` is seeded in the same revision."""
    return ChildTotal(child_table, fk_column, column, start)


class Skewed:
    """For a foreign-key column: parents picked with a power-law skew (see :func:`skewed`)."""

    __slots__ = ("power",)

    def __init__(self, power: float) -> None:
        if power < 1:
            raise ValueError("skewed() needs a power of at least 1")
        self.power = power

    def __call__(self, _ordinal: int, _h: int, _row: Mapping[str, Any]) -> Any:
        raise TypeError("values.skewed() is resolved by the seeding engine, not called directly")


def skewed(power: float = 3.0) -> Any:
    """For a foreign-key column: pick parents so that a few get most of the children (the
    parent at fraction ``u`` of a uniform draw is chosen at ``u ** power``; 1 is uniform)."""
    return Skewed(power)


def pool(name: str) -> Generator:
    """A value from one of seedlib's pools of realistic values, made by a seeded Faker:
    first_name, last_name, company, street_address, city, state, state_abbr, word, sentence,
    domain_word."""
    from seedlib.generate.pools import Pools

    values = Pools(0).get(name)
    return choice(values)


def faker(
    provider: str, *args: Any, size: int = 1024, locale: str = "en_US", **kwargs: Any
) -> Generator:
    """A value of the Faker provider ``provider`` (e.g. ``"company_email"``), drawn from a pool
    of ``size`` values made once by a Faker seeded from the provider's name: calling Faker per
    value costs 10–100 µs, a pool pick about one."""
    from faker import Faker

    from seedlib.generate.rng import stable_hash

    fake = Faker(locale)
    fake.seed_instance(stable_hash("faker", provider, locale, args, sorted(kwargs.items())))
    method = getattr(fake, provider)
    options = tuple(method(*args, **kwargs) for _ in range(size))
    return choice(options)


def mimesis(provider: str, method: str, *args: Any, size: int = 1024, **kwargs: Any) -> Generator:
    """A value of the Mimesis provider method ``provider.method`` (e.g. ``"finance",
    "company"``), drawn from a pool of ``size`` values made once with a fixed seed."""
    from mimesis import Generic

    from seedlib.generate.rng import stable_hash

    generic = Generic(seed=stable_hash("mimesis", provider, method, args))
    call = getattr(getattr(generic, provider), method)
    options = tuple(call(*args, **kwargs) for _ in range(size))
    return choice(options)


#: Every generator constructor by name, for seed revisions that describe columns as data
#: (``named("weighted", {"PAID": 5, "VOID": 1})``).
REGISTRY: dict[str, Callable[..., Any]] = {
    "after": after,
    "choice": choice,
    "constant": constant,
    "dates": dates,
    "decimals": decimals,
    "derived": derived,
    "faker": faker,
    "integers": integers,
    "mimesis": mimesis,
    "parent": parent,
    "pool": pool,
    "sequence": sequence,
    "skewed": skewed,
    "timestamps": timestamps,
    "total_of": total_of,
    "weighted": weighted,
}


def named(name: str, *args: Any, **kwargs: Any) -> Any:
    """The generator ``REGISTRY[name](*args, **kwargs)``.

    Raises:
        KeyError: with the known names, when ``name`` is not registered.
    """
    try:
        constructor = REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"unknown generator {name!r}; known: {', '.join(sorted(REGISTRY))}"
        ) from None
    return constructor(*args, **kwargs)
