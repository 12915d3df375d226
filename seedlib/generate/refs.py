"""Generators for foreign-key columns: which parent row each child row points at.

All pickers are pure functions of the row ordinal and its cell hash, so they need no I/O and the
same inputs always give the same picks.

*Prefix-stable* picking: when parent and child are seeded together, child ``o`` chooses among
the first ``(o + 1) * parents_declared / children_declared`` parents. That share does not depend
on the size, so the ``small`` dataset is exactly the first rows of the ``medium`` one, foreign
keys included; as a side effect early parents get more children (a few "big customers").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from seedlib.generate.rng import cell, hashes
from seedlib.generate.values import Columnar, Generator


def available(ordinal: int, share: float | None, n: int) -> int:
    """How many of the ``n`` parents child ``ordinal`` may choose from."""
    if share is None:
        return n
    return max(1, min(n, int((ordinal + 1) * share)))


def pick(parents: Sequence[Any], share: float | None = None, power: float = 1.0) -> Generator:
    """A parent among those available to the row: uniformly, or with ``power`` > 1 skewed
    towards the first ones (index = available * u ** power, u uniform in [0, 1))."""
    n = len(parents)
    if power != 1.0:
        scale = float(1 << 53)

        def skewed(o: int, h: int) -> Any:
            room = available(o, share, n)
            return parents[min(room - 1, int(room * ((h >> 11) / scale) ** power))]

        return Columnar(
            skewed, lambda ordinals, hs: [skewed(o, h) for o, h in zip(ordinals, hs, strict=True)]
        )
    if share is None:
        return Columnar(lambda _o, h: parents[h % n], lambda _o, hs: [parents[h % n] for h in hs])

    def one(o: int, h: int) -> Any:
        return parents[h % max(1, min(n, int((o + 1) * share)))]

    return Columnar(
        one,
        lambda ordinals, hs: [one(o, h) for o, h in zip(ordinals, hs, strict=True)],
    )


def one_to_one(parents: Sequence[Any], *, rest_null: bool = False) -> Generator:
    """Row ``o`` gets parent ``o`` (a unique foreign key); with ``rest_null``, rows beyond the
    parents get NULL (a nullable unique foreign key with more rows than parents)."""
    n = len(parents)
    if rest_null:
        return Columnar(
            lambda o, _h: parents[o] if o < n else None,
            lambda ordinals, _hs: [parents[o] if o < n else None for o in ordinals],
        )
    return Columnar(
        lambda o, _h: parents[o],
        lambda ordinals, _hs: list(parents[ordinals.start : ordinals.stop]),
    )


def tree(own_keys: Sequence[Any], *, nullable: bool) -> Generator:
    """A self-reference: row ``o`` points at an earlier row (a root when NULL is allowed and
    for ``o == 0``), so the rows form trees of depth greater than one."""
    if nullable:
        return Columnar(lambda o, h: None if o == 0 or h % 3 == 0 else own_keys[h % o])
    return Columnar(lambda o, h: own_keys[h % (o + 1)])


def tuple_parts(rows: Sequence[tuple[Any, ...]], base: int, *, unique: bool) -> list[Generator]:
    """One generator per column of a composite foreign key: all columns of a row take the same
    parent row (chosen by ``base``, the constraint's hash, not the columns' own hashes)."""

    def index(o: int) -> int:
        return o if unique else cell(base, o) % len(rows)

    def part(i: int) -> Generator:
        def batch(ordinals: range, _hs: list[int]) -> list[Any]:
            if unique:
                return [rows[o][i] for o in ordinals]
            n = len(rows)
            return [rows[h % n][i] for h in hashes(base, ordinals.start, ordinals.stop)]

        return Columnar(lambda o, _h: rows[index(o)][i], batch)

    return [part(i) for i in range(len(rows[0]))]


def distinct_pairs(
    first: Sequence[Any], second: Sequence[Any], base: int
) -> tuple[Generator, Generator]:
    """Two foreign keys under one composite UNIQUE (a junction table): pairs that never repeat
    while there are fewer rows than ``len(first) * len(second)``."""
    n1, n2 = len(first), len(second)

    def left(o: int, _h: int) -> Any:
        return first[o % n1]

    def right(o: int, _h: int) -> Any:
        a = o % n1
        return second[(o // n1 + cell(base, a)) % n2]

    return Columnar(left, any_row=True), Columnar(right, any_row=True)
