"""Value pools: built from a seeded Faker, identical for equal seeds, independent of call order."""

from __future__ import annotations

import pytest

from seedlib.generate import pools as pools_module
from seedlib.generate.pools import POOL_SIZE, Pools


def fresh(seed: int) -> Pools:
    """Pools that build from Faker, not from the ones this process built already."""
    pools_module._BUILT.clear()
    return Pools(seed)


def test_same_seed_same_pools() -> None:
    assert fresh(3).get("first_name") == fresh(3).get("first_name")
    assert fresh(3).get("sentence") == fresh(3).get("sentence")


def test_different_seed_different_pools() -> None:
    assert fresh(3).get("company") != fresh(4).get("company")
    assert Pools(3).get("company") != Pools(4).get("company")  # built once each, then reused


def test_pool_is_independent_of_which_pools_were_built_before() -> None:
    busy = fresh(11)
    busy.get("city")
    busy.get("word")
    assert busy.get("last_name") == fresh(11).get("last_name")


def test_a_reused_pool_is_the_one_a_fresh_build_makes() -> None:
    built = fresh(12).get("street_address")
    assert Pools(12).get("street_address") is built  # reused within the process
    assert fresh(12).get("street_address") == built
    assert Pools(12, locale="de_DE").get("street_address") != built


def test_pools_have_the_documented_size_and_real_content() -> None:
    pools = Pools(0)
    for kind in ("first_name", "last_name", "company", "city", "state_abbr", "word"):
        pool = pools.get(kind)
        assert len(pool) == POOL_SIZE
        assert all(isinstance(v, str) and v for v in pool)
        assert len(set(pool)) > 20, kind  # real variety, not one repeated value
    assert all(len(v) == 2 and v.isupper() for v in pools.get("state_abbr"))


def test_pick_indexes_the_pool_by_hash() -> None:
    pools = Pools(5)
    pool = pools.get("city")
    assert pools.pick("city", 0) == pool[0]
    assert pools.pick("city", POOL_SIZE + 7) == pool[7]


def test_unknown_pool_raises_key_error() -> None:
    with pytest.raises(KeyError):
        Pools(0).get("no_such_pool")
