"""Per-cell randomness: stable across processes, well mixed, no shared state."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedlib.generate.rng import MASK64, SMALL_RANGE, cell, hashes, stable_hash, unit


def test_stable_hash_is_deterministic_and_sensitive_to_every_part() -> None:
    h = stable_hash(0, "clients", "email")
    assert h == stable_hash(0, "clients", "email")
    assert 0 <= h <= MASK64
    others = {
        stable_hash(1, "clients", "email"),
        stable_hash(0, "vendors", "email"),
        stable_hash(0, "clients", "phone"),
        stable_hash(0, "clients"),
    }
    assert h not in others
    assert len(others) == 4


def test_stable_hash_is_the_same_in_another_process() -> None:
    # Unlike hash(), it must not depend on PYTHONHASHSEED.
    code = "from seedlib.generate.rng import stable_hash; print(stable_hash(7, 'orders', 'total'))"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert int(out.stdout) == stable_hash(7, "orders", "total")


def test_cell_is_deterministic_and_distinct_per_ordinal() -> None:
    base = stable_hash(0, "t", "c")
    first = [cell(base, o) for o in range(10_000)]
    assert first == [cell(base, o) for o in range(10_000)]
    assert len(set(first)) == 10_000
    assert all(0 <= h <= MASK64 for h in first)


def test_cell_depends_on_the_base() -> None:
    a = [cell(stable_hash(1, "t", "c"), o) for o in range(100)]
    b = [cell(stable_hash(2, "t", "c"), o) for o in range(100)]
    assert sum(x == y for x, y in zip(a, b, strict=True)) == 0


def test_cell_bits_are_well_mixed() -> None:
    base = stable_hash(0, "t", "c")
    draws = [unit(cell(base, o)) for o in range(10_000)]
    assert abs(statistics.fmean(draws) - 0.5) < 0.02
    low_bits = [cell(base, o) & 1 for o in range(10_000)]
    assert abs(statistics.fmean(low_bits) - 0.5) < 0.03


@settings(max_examples=200, deadline=None)
@given(st.integers(0, MASK64))
def test_unit_is_in_the_half_open_unit_interval(h: int) -> None:
    assert 0.0 <= unit(h) < 1.0


def test_unit_extremes() -> None:
    assert unit(0) == 0.0
    assert unit(MASK64) < 1.0
    assert unit(1 << 63) == 0.5


def test_hashes_are_the_cells_whether_numpy_makes_them_or_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import numpy  # noqa: F401  (loaded: every range goes through numpy)

    base = stable_hash(0, "t", "c")
    for start, stop in ((0, 5), (7, SMALL_RANGE + 9), (3, 3)):
        assert hashes(base, start, stop) == [cell(base, o) for o in range(start, stop)]
    monkeypatch.delitem(sys.modules, "numpy")  # not loaded: small ranges stay in Python
    assert hashes(base, 7, 7 + SMALL_RANGE - 1) == [
        cell(base, o) for o in range(7, SMALL_RANGE + 6)
    ]
    assert "numpy" not in sys.modules
