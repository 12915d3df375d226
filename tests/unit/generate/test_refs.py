"""Foreign-key pickers: prefix-stable picks, trees, composite keys, distinct pairs."""

from __future__ import annotations

from seedlib.generate import refs
from seedlib.generate.rng import cell, hashes


def _column(gen: refs.Generator, count: int, base: int = 7) -> list[object]:
    return [gen(o, cell(base, o), {}) for o in range(count)]


def test_prefix_stable_picks_do_not_depend_on_the_parent_count() -> None:
    small_parents = list(range(100, 110))  # 10 parents, 40 children at "small"
    medium_parents = list(range(100, 200))  # ten times as many
    small = _column(refs.pick(small_parents, share=10 / 40), 40)
    medium = _column(refs.pick(medium_parents, share=10 / 40), 400)
    assert medium[:40] == small
    assert set(medium) <= set(medium_parents)


def test_batch_and_single_picks_agree() -> None:
    gen = refs.pick(list(range(50)), share=0.5)
    ordinals = range(10, 60)
    assert gen.batch(ordinals, hashes(7, 10, 60)) == [gen(o, cell(7, o), {}) for o in ordinals]


def test_self_reference_builds_trees_deeper_than_one() -> None:
    keys = list(range(1, 201))
    parents = _column(refs.tree(keys, nullable=True), 200)
    parent_of = {keys[o]: p for o, p in enumerate(parents)}
    assert parent_of[1] is None

    def depth(key: int) -> int:
        d = 0
        while parent_of[key] is not None:
            key = parent_of[key]
            d += 1
        return d

    assert max(depth(k) for k in keys) > 1
    assert all(p is None or p < k for k, p in parent_of.items())  # always an earlier row


def test_composite_parts_take_columns_of_the_same_parent_row() -> None:
    rows = [(i, f"r{i}") for i in range(30)]
    first, second = refs.tuple_parts(rows, base=99, unique=False)
    pairs = list(zip(_column(first, 100), _column(second, 100), strict=True))
    assert set(pairs) <= set(rows)
    assert first.batch(range(0, 100), hashes(1, 0, 100)) == _column(first, 100)


def test_distinct_pairs_never_repeat_until_the_product_is_used_up() -> None:
    left, right = refs.distinct_pairs(list(range(7)), list(range(5)), base=3)
    pairs = list(zip(_column(left, 35), _column(right, 35), strict=True))
    assert len(set(pairs)) == 35
