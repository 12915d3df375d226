"""Pools of realistic values, built once from a seeded Faker and picked by cell hash.

Picking from a pool costs about a microsecond; calling Faker per value costs 10–100 µs. Building
the pools a run needs costs about 0.4 s (the reference ERP's), a fifth of a small ``seedctl``
run, so built pools are also kept on disk (see :func:`cache_dir`) and read back by later
processes, keyed by everything a pool depends on.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

import faker
from faker import Faker

from seedlib.generate import rng
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


def cache_dir() -> Path | None:
    """Where built pools are kept between processes: ``SEEDLIB_CACHE_DIR`` (empty: nowhere),
    else ``seedlib/pools`` in the user's cache directory (``XDG_CACHE_HOME`` or ``~/.cache``)."""
    configured = os.environ.get("SEEDLIB_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured.strip() else None
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    try:
        base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    except RuntimeError:  # no home directory
        return None
    return base / "seedlib" / "pools"


@functools.cache
def _fingerprint() -> str | None:
    """What a pool depends on besides seed, locale and kind: the builders (this file) and the
    seeding of Faker (``rng``), the installed Faker, Python's ``random`` (by version) and the
    pool size. None where the sources cannot be read (then nothing is kept)."""
    digest = hashlib.blake2b(digest_size=10)
    try:
        for source in (Path(__file__), Path(rng.__file__ or "")):
            digest.update(source.read_bytes())
    except OSError:
        return None
    digest.update(f"\0{faker.VERSION}\0{sys.version_info[:2]}\0{POOL_SIZE}".encode())
    return digest.hexdigest()


def _cached(seed: int, locale: str, kind: str) -> tuple[Path | None, tuple[str, ...] | None]:
    folder = cache_dir()
    fingerprint = _fingerprint()
    if folder is None or fingerprint is None:
        return None, None
    path = folder / f"{fingerprint}-{seed}-{locale}-{kind}.json"
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return path, None
    if (
        isinstance(values, list)
        and len(values) == POOL_SIZE
        and all(isinstance(v, str) for v in values)
    ):
        return path, tuple(values)
    return path, None  # damaged: built again and replaced


def _keep(path: Path, pool: tuple[str, ...]) -> None:
    """Write ``pool`` to ``path`` whole or not at all (a cache: failing to write costs only the
    next process the build)."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False
        ) as out:
            try:
                json.dump(list(pool), out)
                out.close()
                os.replace(out.name, path)
            except OSError:
                os.unlink(out.name)
                raise


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
                path, pool = _cached(self.seed, self.locale, kind)
                if pool is None:
                    fake = self._faker
                    fake.seed_instance(stable_hash(self.seed, "pool", kind))
                    pool = tuple(build(fake) for _ in range(POOL_SIZE))
                    if path is not None:
                        _keep(path, pool)
                if len(_BUILT) >= BUILT_KEPT:  # a service seeding with many seeds
                    _BUILT.clear()
                _BUILT[self.seed, self.locale, kind] = pool
            self._pools[kind] = pool
        return pool

    def pick(self, kind: str, h: int) -> str:
        pool = self.get(kind)
        return pool[h % len(pool)]
