"""Content hashes: the same rows give the same hash however they were batched or held."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from seedlib.engine.shapes import HASH_BLOCK, block_hashes

VALUES = st.one_of(
    st.none(),
    st.text(max_size=6),
    st.integers(),
    st.decimals(allow_nan=False, places=2),
    st.dates(),
    st.booleans(),
)


def _columns(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return list(zip(*rows, strict=True))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.text(max_size=5), VALUES), min_size=1, max_size=3 * HASH_BLOCK),
    st.data(),
)
def test_hash_ignores_batching_and_containers(
    rows: list[tuple[Any, ...]], data: st.DataObject
) -> None:
    ordinals = list(range(len(rows)))
    whole = block_hashes(ordinals, _columns(rows))
    # batches, chunks and workers' slices start at multiples of HASH_BLOCK
    cut = data.draw(st.integers(0, len(rows) // HASH_BLOCK)) * HASH_BLOCK
    parts = sum(
        block_hashes(ordinals[a:b], _columns(rows[a:b]))
        for a, b in ((0, cut), (cut, len(rows)))
        if b > a
    )
    as_lists = block_hashes(range(len(rows)), [list(c) for c in _columns(rows)])
    assert whole == parts == as_lists


def test_every_value_and_its_place_count() -> None:
    base = [
        ("a", 1, Decimal("1.50"), dt.date(2026, 1, 1), None),
        ("b", 2, Decimal("2.00"), dt.date(2026, 1, 2), True),
    ]
    ordinals = [0, 1]
    seen = {block_hashes(ordinals, _columns(base))}
    variants = [
        [("a", 1, Decimal("1.5"), dt.date(2026, 1, 1), None), base[1]],  # 1.5 is not 1.50
        [("a", 1, 1.5, dt.date(2026, 1, 1), None), base[1]],  # float is not Decimal
        [("a", "1", Decimal("1.50"), dt.date(2026, 1, 1), None), base[1]],  # text is not int
        [("a\x1fb", 1, Decimal("1.50"), dt.date(2026, 1, 1), None), ("", *base[1][1:])],
        [("ab", 1, Decimal("1.50"), dt.date(2026, 1, 1), None), ("", *base[1][1:])],
        [base[1], base[0]],  # order within a block
        [("a", True, *base[0][2:]), ("b", 2, *base[1][2:])],  # a boolean is not an integer
        [("a", 1, *base[0][2:]), ("b", True, *base[1][2:])],  # nor after an integer
        [("a", 2**70, *base[0][2:]), base[1]],  # beyond 64 bits
        [("a", 1, *base[0][2:4], False), ("b", 2, *base[1][2:4], None)],  # NULLs
    ]
    for rows in variants:
        seen.add(block_hashes(ordinals, _columns(rows)))
    # separators inside values do not make two different blocks read the same
    seen.add(block_hashes(ordinals, _columns([("a", 1), ("b\x1f", 2)])))
    seen.add(block_hashes(ordinals, _columns([("a\x1f", 1), ("b", 2)])))
    # a column of NULLs reads its length, which tells blocks of different sizes apart
    seen.add(block_hashes([0], [[None]]))
    seen.add(block_hashes([0, 1], [[None, None]]))
    assert len(seen) == len(variants) + 5
    # a row's block is set by its ordinal: the same rows at other ordinals hash differently
    # only when they fall into other blocks together
    assert block_hashes([0, 1], _columns(base)) != block_hashes(
        [HASH_BLOCK - 1, HASH_BLOCK], _columns(base)
    )


def test_only_the_database_refusing_rows_is_bisected() -> None:
    """Rows are bisected when the database refuses them, never for seedlib's own errors (a
    failed worker process, rebuilt indexes that differ), even those named ``DataError``."""
    import psycopg.errors
    from sqlalchemy.exc import IntegrityError, OperationalError

    from seedlib.engine.shapes import rejected_by_database
    from seedlib.exceptions import DataError

    refused = psycopg.errors.UniqueViolation("duplicate key value")
    assert rejected_by_database(IntegrityError("COPY", {}, refused))
    assert rejected_by_database(psycopg.errors.CheckViolation("check"))
    assert not rejected_by_database(DataError("a row generator process failed"))
    assert not rejected_by_database(OperationalError("COPY", {}, Exception("server closed")))
