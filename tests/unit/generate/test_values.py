"""Generator constructors: ``(ordinal, h, row) -> value``."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedlib.generate import values
from seedlib.generate.rng import MASK64, cell, stable_hash
from seedlib.generate.values import Generator

BOUNDED = settings(max_examples=200, deadline=None)


def draw(gen: Generator, n: int, *, seed: int = 0, row: dict[str, Any] | None = None) -> list[Any]:
    """``n`` values the way the engine draws them: one cell hash per ordinal."""
    base = stable_hash(seed, "table", "column")
    return [gen(o, cell(base, o), row or {}) for o in range(n)]


def test_same_seed_same_values_different_seed_different_values() -> None:
    gen = values.integers(1, 1_000_000)
    assert draw(gen, 200, seed=1) == draw(gen, 200, seed=1)
    assert draw(gen, 200, seed=1) != draw(gen, 200, seed=2)


def test_constant() -> None:
    assert set(draw(values.constant("US"), 50)) == {"US"}


def test_choice_uses_only_and_all_options() -> None:
    options = ["draft", "sent", "paid"]
    assert set(draw(values.choice(options), 500)) == set(options)


def test_weighted_never_picks_zero_weights_and_follows_proportions() -> None:
    gen = values.weighted({"never": 0, "often": 5, "sometimes": 3, "rarely": 2, "nope": 0})
    counts = Counter(draw(gen, 10_000))
    assert set(counts) == {"often", "sometimes", "rarely"}
    assert counts["often"] / 10_000 == pytest.approx(0.5, abs=0.02)
    assert counts["sometimes"] / 10_000 == pytest.approx(0.3, abs=0.02)
    assert counts["rarely"] / 10_000 == pytest.approx(0.2, abs=0.02)


def test_weighted_never_picks_a_trailing_zero_weight_at_the_top_of_the_range() -> None:
    # Seven equal weights accumulate to 0.9999999999999998 in floating point; a hash whose unit
    # value lies above that must still land on a weighted option, not on the zero-weight one.
    gen = values.weighted({**{i: 1 for i in range(7)}, "never": 0})
    assert gen(0, MASK64, {}) != "never"


def test_sequence_formats_from_start() -> None:
    assert draw(values.sequence("WHL{:04d}"), 3) == ["WHL0001", "WHL0002", "WHL0003"]
    assert values.sequence("INV-{}", start=100)(4, 0, {}) == "INV-104"


def test_integers_are_within_bounds_and_reach_both_ends() -> None:
    drawn = draw(values.integers(-3, 3), 2_000)
    assert set(drawn) == set(range(-3, 4))


@BOUNDED
@given(
    scale=st.integers(0, 4),
    low=st.integers(-(10**6), 10**6),
    width=st.integers(0, 10**6),
    h=st.integers(0, MASK64),
)
def test_decimals_within_bounds_and_scale(scale: int, low: int, width: int, h: int) -> None:
    lo = Decimal(low).scaleb(-scale)
    hi = Decimal(low + width).scaleb(-scale)
    value = values.decimals(lo, hi, scale)(0, h, {})
    assert lo <= value <= hi
    assert value.as_tuple().exponent == -scale


def test_decimals_reach_both_ends() -> None:
    drawn = draw(values.decimals("0.01", "0.05", 2), 1_000)
    assert set(drawn) == {Decimal(f"0.0{i}") for i in range(1, 6)}


def test_decimals_accept_floats_and_strings() -> None:
    drawn = draw(values.decimals(1.5, "2.5", 1), 500)
    assert min(drawn) == Decimal("1.5")
    assert max(drawn) == Decimal("2.5")


def test_decimals_stay_within_bounds_finer_than_the_scale() -> None:
    # low=0.015 at scale 2: the smallest allowed value is 0.02, not 0.01.
    drawn = draw(values.decimals("0.015", "0.05", 2), 1_000)
    assert min(drawn) >= Decimal("0.015")


def test_timestamps_are_whole_seconds_within_the_window() -> None:
    start = dt.datetime(2024, 3, 1)
    drawn = draw(values.timestamps(start, days=10), 1_000)
    assert all(start <= t < start + dt.timedelta(days=10) for t in drawn)
    assert all(t.microsecond == 0 for t in drawn)
    assert len(set(drawn)) > 900


def test_dates_are_within_the_window() -> None:
    start = dt.date(2024, 2, 1)
    drawn = draw(values.dates(start, days=29), 1_000)
    assert set(drawn) == {start + dt.timedelta(days=d) for d in range(29)}


@BOUNDED
@given(
    base=st.dates(dt.date(2000, 1, 1), dt.date(2090, 1, 1)),
    max_days=st.integers(0, 400),
    h=st.integers(0, MASK64),
)
def test_after_dates_follow_their_column(base: dt.date, max_days: int, h: int) -> None:
    value = values.after("ordered_on", max_days)(0, h, {"ordered_on": base})
    assert isinstance(value, dt.date)
    assert base <= value <= base + dt.timedelta(days=max_days)


@BOUNDED
@given(
    base=st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2090, 1, 1)),
    max_days=st.integers(0, 400),
    h=st.integers(0, MASK64),
)
def test_after_timestamps_follow_their_column(base: dt.datetime, max_days: int, h: int) -> None:
    value = values.after("created_at", max_days)(0, h, {"created_at": base})
    assert isinstance(value, dt.datetime)
    assert base <= value <= base + dt.timedelta(days=max_days)


def test_after_reaches_the_maximum_and_passes_none_through() -> None:
    base = dt.date(2024, 1, 1)
    drawn = draw(values.after("d", 2), 300, row={"d": base})
    assert set(drawn) == {base, base + dt.timedelta(days=1), base + dt.timedelta(days=2)}
    assert values.after("d")(0, 123, {"d": None}) is None
    assert values.after("d")(0, 123, {}) is None


def test_derived_computes_from_the_row() -> None:
    gen = values.derived(lambda row: row["qty"] * row["price"])
    assert gen(0, 99, {"qty": 3, "price": Decimal("2.50")}) == Decimal("7.50")
