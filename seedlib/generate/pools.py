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
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from seedlib.generate import rng
from seedlib.generate.rng import stable_hash

if TYPE_CHECKING:  # imported when a pool is first built: a run served from the cache never is
    from faker import Faker

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
    """What a kept list depends on besides its name: the code that builds lists (this file, the
    seeding of Faker in ``rng``, the maskers' vocabulary), the installed Faker, Python's
    ``random`` (by version) and the pool size. None where the sources cannot be read (then
    nothing is kept)."""
    from seedlib.mask import maskers

    digest = hashlib.blake2b(digest_size=10)
    try:
        for module in (sys.modules[__name__], rng, maskers):
            digest.update(Path(getattr(module, "__file__", None) or "").read_bytes())
        faker_version = metadata.version("Faker")
    except (OSError, ImportError):  # no sources, or no Faker metadata (a bundled install)
        return None
    digest.update(f"\0{faker_version}\0{sys.version_info[:2]}\0{POOL_SIZE}".encode())
    return digest.hexdigest()


def kept(name: str, build: Callable[[], Iterable[str]], size: int | None = None) -> tuple[str, ...]:
    """``build()``'s strings, read from the cache folder when an earlier process kept them
    under ``name`` (a list of ``size`` strings, when given), else built and kept. Building
    needs Faker; a process served from the cache never imports it (about 0.1 s)."""
    folder = cache_dir()
    fingerprint = _fingerprint() if folder is not None else None
    path = folder / f"{fingerprint}-{name}.json" if folder and fingerprint else None
    if path is not None:
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            values = None
        if (
            isinstance(values, list)
            and (size is None or len(values) == size)
            and all(isinstance(v, str) for v in values)
        ):
            return tuple(values)
    built = tuple(build())  # missing or damaged: built again and replaced
    if path is not None:
        _keep(path, built)
    return built


def _keep(path: Path, values: tuple[str, ...]) -> None:
    """Write ``values`` to ``path`` whole or not at all (a cache: failing to write costs only
    the next process the build)."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False
        ) as out:
            try:
                json.dump(list(values), out)
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
        from faker import Faker

        return Faker(self.locale)

    def get(self, kind: str) -> tuple[str, ...]:
        """The pool named ``kind`` (see ``_BUILDERS``)."""
        pool = self._pools.get(kind)
        if pool is None:
            pool = _built(self.seed, self.locale, kind)
            if pool is None:
                build = _BUILDERS[kind]

                def made() -> Iterator[str]:
                    fake = self._faker
                    fake.seed_instance(stable_hash(self.seed, "pool", kind))
                    return (build(fake) for _ in range(POOL_SIZE))

                pool = kept(f"{self.seed}-{self.locale}-{kind}", made, POOL_SIZE)
                if len(_BUILT) >= BUILT_KEPT:  # a service seeding with many seeds
                    _BUILT.clear()
                _BUILT[self.seed, self.locale, kind] = pool
            self._pools[kind] = pool
        return pool

    def pick(self, kind: str, h: int) -> str:
        pool = self.get(kind)
        return pool[h % len(pool)]
