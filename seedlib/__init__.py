"""seedlib: versioned, reversible database seeding for Alembic projects.

Seed revisions call :func:`seed` in ``upgrade()`` and :func:`unseed` in ``downgrade()``;
applications add :func:`include_object` to their own ``env.py``.
"""

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
from seedlib.integrations.alembic import include_object, seed, unseed
from seedlib.plan.spec import TableSpec

__all__ = [
    "ConfigurationError",
    "DataError",
    "DriftDetected",
    "LockBusy",
    "Refused",
    "RollbackBlocked",
    "SeedError",
    "TableSpec",
    "include_object",
    "seed",
    "unseed",
    "values",
]
