"""Pools of realistic values, built once per run from a seeded Faker and picked by cell hash.

Picking from a pool costs about a microsecond; calling Faker per value costs 10–100 µs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from faker import Faker

from seedlib.generate.rng import stable_hash

POOL_SIZE = 512

_BUILDERS: dict[str, Callable[[Faker], str]] = {
    "first_name": lambda f: f.first_name(),
    "last_name": lambda f: f.last_name(),
    "company": lambda f: f.company(),
    "street_address": lambda f: f.street_address(),
    "city": lambda f: f.city(),
    "state_abbr": lambda f: f.state_abbr(include_territories=False),
    "state": lambda f: f.state(),
    "word": lambda f: f.word(),
    "sentence": lambda f: f.sentence(nb_words=8),
    "domain_word": lambda f: f.domain_word(),
}


#: Pools already built in this process, by (seed, locale, kind): a pool is a pure function of
#: those and the installed Faker, and building one costs 2 to 60 ms (a Faker call per value), so
#: runs after the first in a process (tests, a service seeding per tenant) reuse them.
_BUILT: dict[tuple[int, str, str], tuple[str, ...]] = {}
BUILT_KEPT = 256


def _built(seed: int, locale: str, kind: str) -> tuple[str, ...] | None:
    return _BUILT.get((seed, locale, kind))


class Pools:
    """Lazily built value pools for one seed; identical for equal seeds and Faker versions."""

    def __init__(self, seed: int, locale: str = "en_US") -> None:
        self.seed = seed
        self.locale = locale
        self._pools: dict[str, tuple[str, ...]] = {}

    @cached_property
    def _faker(self) -> Faker:
        return Faker(self.locale)

    def get(self, kind: str) -> tuple[str, ...]:
        """The pool named ``kind`` (see ``_BUILDERS``)."""
        pool = self._pools.get(kind)
        if pool is None:
            pool = _built(self.seed, self.locale, kind)
            if pool is None:
                build = _BUILDERS[kind]
                fake = self._faker
                fake.seed_instance(stable_hash(self.seed, "pool", kind))
                pool = tuple(build(fake) for _ in range(POOL_SIZE))
                if len(_BUILT) >= BUILT_KEPT:  # a service seeding with many seeds
                    _BUILT.clear()
                _BUILT[self.seed, self.locale, kind] = pool
            self._pools[kind] = pool
        return pool

    def pick(self, kind: str, h: int) -> str:
        pool = self.get(kind)
        return pool[h % len(pool)]
