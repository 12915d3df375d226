"""seedlib: versioned, reversible database seeding for Alembic projects.

Seed revisions call :func:`seed_revision` in ``upgrade()`` and :func:`unseed_revision` in
``downgrade()``; applications add :func:`include_object` to their own ``env.py``. Any database
can also be seeded directly, without revisions: :func:`seed` and :func:`unseed` with a label.
A table can load real rows instead of generated ones: ``TableSpec(source=Source(...))``, masked
outside production.
"""

from seedlib.direct import SeedResult, labels, seed, unseed
from seedlib.exceptions import (
    ConfigurationError,
    DataError,
    DriftDetected,
    LockBusy,
    Refused,
    RollbackBlocked,
    SeedError,
)
from seedlib.generate import values
from seedlib.integrations.alembic import include_object, seed_revision, unseed_revision
from seedlib.mask.declared import Source
from seedlib.plan.spec import TableSpec

__all__ = [
    "ConfigurationError",
    "DataError",
    "DriftDetected",
    "LockBusy",
    "Refused",
    "RollbackBlocked",
    "SeedError",
    "SeedResult",
    "Source",
    "TableSpec",
    "include_object",
    "labels",
    "seed",
    "seed_revision",
    "unseed",
    "unseed_revision",
    "values",
]
