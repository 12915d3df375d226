"""One exception root; each subclass carries data and maps to one documented exit code."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class SeedError(Exception):
    """Root of every error seedlib raises on purpose.

    ``exit_code`` is what ``seedctl`` exits with; the message is one readable line that says what
    is wrong and what to do.
    """

    exit_code = 1


class ConfigurationError(SeedError):
    """Settings or configuration files are missing or invalid (a usage error)."""

    exit_code = 2


class DriftDetected(SeedError):
    """The live schema does not match what the seeds were written for."""

    exit_code = 3

    def __init__(self, message: str, diffs: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(message)
        self.diffs = list(diffs)


class LockBusy(SeedError):
    """Another run holds the database's seeding lock."""

    exit_code = 4

    def __init__(self, message: str, holder: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.holder = holder or {}


class Refused(SeedError):
    """The run was refused: production not authorised, or confirmation declined."""

    exit_code = 5


class RollbackBlocked(SeedError):
    """Application rows reference seeded rows; deleting would break or change them."""

    exit_code = 6

    def __init__(self, message: str, blockers: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(message)
        self.blockers = list(blockers)


class DataError(SeedError):
    """Generated data failed validation or the integrity check after loading."""

    exit_code = 7

    def __init__(self, message: str, problems: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


class RowsRefused(DataError):
    """The database refused or changed rows of a load without an error of its own (MySQL's
    ``LOAD DATA LOCAL`` reports them as warnings): the rows are looked for like rows an error
    refused, and skipped; ``detail`` is the server's first warning."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


class UnmaskedPII(DataError):
    """Personal data would reach, or was found in, a non-production database unmasked.

    Raised when a PII column has no masking strategy (``problems`` names the columns) and when
    ``seedctl pii verify`` finds original source values in the target (``problems`` are the
    findings: table, column, count — never the values).
    """


#: Exit codes, as documented in ``docs/cli.md``.
EXIT_CODES: dict[int, str] = {
    0: "ok",
    1: "unexpected error",
    2: "usage error (unknown option, bad value, bad configuration)",
    3: "schema drift",
    4: "lock busy or timed out",
    5: "refused (production not authorised, confirmation declined)",
    6: "rollback blocked by application rows",
    7: "data validation or integrity failure",
}
