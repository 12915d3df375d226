"""Execute a plan: reserve keys, generate rows, validate and load them, ledger them, verify
foreign keys. See :mod:`seedlib.engine.run`."""

from seedlib.engine.run import _Seeding, reflect, seed_tables, verify_foreign_keys
from seedlib.engine.shapes import (
    BATCH_ROWS,
    DEFAULT_CHUNK_ROWS,
    HASH_MOD,
    Checkpoint,
    KeyShape,
    Progress,
    TableReport,
    block_hashes,
    first_line,
    key_shape,
    rejected_by_database,
)

__all__ = [
    "BATCH_ROWS",
    "DEFAULT_CHUNK_ROWS",
    "HASH_MOD",
    "Checkpoint",
    "KeyShape",
    "Progress",
    "TableReport",
    "_Seeding",
    "block_hashes",
    "first_line",
    "key_shape",
    "reflect",
    "rejected_by_database",
    "seed_tables",
    "verify_foreign_keys",
]
