"""Per-cell randomness: a value is a pure function of (seed, table, column, row ordinal).

No global or shared RNG state: adding a column or a call elsewhere never shifts other values.
"""

from __future__ import annotations

import hashlib
import sys

MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def stable_hash(*parts: object) -> int:
    """A 64-bit hash of ``parts`` that is the same in every process and Python version."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def cell(base: int, ordinal: int) -> int:
    """64 well-mixed bits for row ``ordinal`` of the column whose key is ``base`` (splitmix64)."""
    z = (base + (ordinal + 1) * _GOLDEN) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def unit(h: int) -> float:
    """``h`` as a float in [0, 1)."""
    return (h >> 11) / float(1 << 53)


_C1 = 0xBF58476D1CE4E5B9
_C2 = 0x94D049BB133111EB


#: Below this many values, and until numpy is imported anyway, ``hashes`` stays in Python: a
#: small run then never pays numpy's import (about 50 ms, a tenth of a short CLI run).
SMALL_RANGE = 2048


def hashes(base: int, start: int, stop: int) -> list[int]:
    """``[cell(base, o) for o in range(start, stop)]``, computed on arrays (same values)."""
    if stop - start < SMALL_RANGE and "numpy" not in sys.modules:
        return [cell(base, o) for o in range(start, stop)]
    import numpy as np

    with np.errstate(over="ignore"):
        z = np.arange(start + 1, stop + 1, dtype=np.uint64) * np.uint64(_GOLDEN)
        z += np.uint64(base)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(_C1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(_C2)
        z ^= z >> np.uint64(31)
    values: list[int] = z.tolist()
    return values
