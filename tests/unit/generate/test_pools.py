"""Value pools: built from a seeded Faker, identical for equal seeds, independent of call order,
and kept on disk for the next process exactly as built."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from seedlib.generate import pools as pools_module
from seedlib.generate.pools import POOL_SIZE, Pools


@pytest.fixture(autouse=True)
def no_disk_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests build from Faker (the cache tests below name a folder of their own)."""
    monkeypatch.setenv("SEEDLIB_CACHE_DIR", "")


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


def test_a_pool_kept_on_disk_is_the_one_faker_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = fresh(21).get("company")  # no cache: from Faker
    monkeypatch.setenv("SEEDLIB_CACHE_DIR", str(tmp_path))
    assert fresh(21).get("company") == built  # built again, and kept
    [kept] = tmp_path.glob("*-21-en_US-company.json")
    assert tuple(json.loads(kept.read_text())) == built
    # another process, with its own hash seed, reads it back
    script = (
        "from seedlib.generate.pools import Pools; import json; "
        "print(json.dumps(Pools(21).get('company')))"
    )
    env = {"SEEDLIB_CACHE_DIR": str(tmp_path), "PYTHONHASHSEED": "random", "PATH": ""}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert tuple(json.loads(out.stdout)) == built
    kept.write_text(json.dumps(["doctored"] * POOL_SIZE))  # read back, not built again
    assert fresh(21).get("company") == ("doctored",) * POOL_SIZE


def test_a_damaged_cache_file_is_built_again_and_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = fresh(22).get("city")
    monkeypatch.setenv("SEEDLIB_CACHE_DIR", str(tmp_path))
    fresh(22).get("city")
    [kept] = tmp_path.glob("*-22-en_US-city.json")
    for damage in ('["cut short"', '["too", "few"]', "[1, 2, 3]"):
        kept.write_text(damage)
        assert fresh(22).get("city") == built
        assert tuple(json.loads(kept.read_text())) == built
    assert [p.name for p in tmp_path.iterdir()] == [kept.name]  # no temporary files left


def test_an_unwritable_cache_costs_only_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("SEEDLIB_CACHE_DIR", str(blocked / "pools"))
    assert fresh(23).get("word") == fresh(23).get("word")


def test_no_cache_without_a_home_or_with_a_relative_cache_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SEEDLIB_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # ignored, as the spec says
    monkeypatch.setenv("HOME", str(tmp_path))
    assert pools_module.cache_dir() == tmp_path / ".cache" / "seedlib" / "pools"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert pools_module.cache_dir() == tmp_path / "xdg" / "seedlib" / "pools"


def test_masking_names_are_kept_on_disk_with_the_pools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from faker.providers.person.en_US import Provider

    from seedlib.mask.maskers import Vocabulary

    monkeypatch.setenv("SEEDLIB_CACHE_DIR", str(tmp_path))
    names = Vocabulary().last_names
    assert names == tuple(sorted(Provider.last_names))
    [kept] = tmp_path.glob("*-vocabulary-last_names.json")
    assert tuple(json.loads(kept.read_text())) == names
    kept.write_text(json.dumps(["Doctored"]))  # read back, not built again
    assert Vocabulary().last_names == ("Doctored",)


def test_a_process_served_from_the_cache_never_imports_faker(tmp_path: Path) -> None:
    """What keeps a short run short: Faker's import (about 0.1 s) happens only to build."""
    script = (
        "import sys; from seedlib.generate.pools import Pools; "
        "from seedlib.mask.maskers import Vocabulary; "
        "Pools(31).get('city'); Vocabulary().first_names; Vocabulary().last_names; "
        "print('faker' in sys.modules)"
    )
    env = {"SEEDLIB_CACHE_DIR": str(tmp_path), "PATH": ""}
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    ]
    assert runs == ["True", "False"]  # built (and kept) by the first, read by the second
