"""Settings: environment detection, sizes, database URL and production authorisation."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from seedlib.exceptions import ConfigurationError, Refused

ENVIRONMENTS = ("development", "test", "staging", "production")
DEFAULT_ENV = "development"
#: Named sizes and the factor they apply to the row counts a seed revision declares.
SIZES: dict[str, float] = {"small": 1.0, "medium": 10.0, "large": 500.0}
#: An explicit ``--size N`` gives a table declared with this many rows exactly N rows.
SIZE_UNIT = 100
DEFAULT_SIZE = {"development": "small", "test": "small", "staging": "medium", "production": "small"}
DEFAULT_SEED = 0
DEFAULT_LOCK_TIMEOUT = 30.0
#: A revision of at least this many rows commits every this many rows and can resume.
DEFAULT_CHUNK_ROWS = 50_000
ALLOW_PRODUCTION_VAR = "SEEDLIB_ALLOW_PRODUCTION"


#: The largest ``--size`` taken as a number of rows.
MAX_SIZE = 10**12


def same_size(recorded: str, size: Size) -> bool:
    """Whether a run's recorded size is ``size`` (``small`` and ``100`` are one size)."""
    if recorded == size.name:  # a direct seed records a fingerprint ("1500": not 15 x small)
        return True
    try:
        return Size.parse(recorded).factor == size.factor
    except ConfigurationError:  # a direct seed's fingerprint of its row counts
        return recorded == size.name


@dataclass(frozen=True)
class Size:
    """A dataset size: a name (``small``, ``medium``, ``large``) or an explicit number."""

    name: str
    factor: float

    @classmethod
    def parse(cls, text: str) -> Size:
        """Parse ``small|medium|large`` or a positive integer; raise ``ConfigurationError``."""
        value = text.strip().lower()
        if value in SIZES:
            return cls(value, SIZES[value])
        if re.fullmatch(r"[0-9]+(?:_[0-9]+)*", value) and 0 < int(value) <= MAX_SIZE:
            return cls(str(int(value)), int(value) / SIZE_UNIT)
        if re.fullmatch(r"[0-9]+(?:_[0-9]+)*", value) and int(value) > MAX_SIZE:
            raise ConfigurationError(f"size {text!r} is too large: at most {MAX_SIZE:,} rows")
        raise ConfigurationError(
            f"invalid size {text!r}: use small, medium, large or a positive whole number"
        )

    def rows(self, declared: int) -> int:
        """Rows for a table declared with ``declared`` rows at size small (at least one)."""
        if declared <= 0:
            return 0
        return max(1, round(declared * self.factor))


@dataclass(frozen=True)
class Settings:
    """Everything one run needs to know; resolved once, then passed around."""

    env: str
    size: Size
    seed: int
    database_url: str
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    allow_production: bool = False
    dry_run: bool = False
    assume_yes: bool = False
    strict: bool = False
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    audit_file: str | None = None
    #: Processes generating rows (PostgreSQL; see :mod:`seedlib.load.parallel`); ``None``
    #: chooses per table segment (:func:`seedlib.load.parallel.workers_for`).
    workers: int | None = None
    #: Build secondary indexes and check foreign keys after a bulk load instead of during it
    #: (PostgreSQL, and indexes on SQLite; see :func:`seedlib.load.postgresql.indexes_built_after`,
    #: :func:`seedlib.load.sqlite.indexes_built_after` and
    #: :func:`seedlib.load.postgresql.foreign_keys_checked_after`).
    defer_indexes: bool = True

    @property
    def safe_url(self) -> str:
        """The database URL with any password masked, fit for logs and messages."""
        return mask_url(self.database_url)

    @property
    def database_name(self) -> str:
        """The target database's name (for SQLite the file's name)."""
        return database_name(self.database_url)


def mask_url(url: str) -> str:
    """Render ``url`` with its password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable database URL>"


def database_name(url: str) -> str:
    """The database named by ``url``; for SQLite the file name without directories."""
    parsed = make_url(url)
    name = parsed.database or ""
    if parsed.get_backend_name() == "sqlite":
        return Path(name).name if name else ":memory:"
    return name


def resolve_settings(
    *,
    env: str | None = None,
    size: str | None = None,
    seed: int | None = None,
    database_url: str | None = None,
    default_url: str | None = None,
    lock_timeout: float | None = None,
    allow_production: bool = False,
    dry_run: bool = False,
    assume_yes: bool = False,
    strict: bool = False,
    chunk_rows: int | None = None,
    audit_file: str | None = None,
    workers: int | None = None,
    defer_indexes: bool | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve settings from explicit values, then environment variables, then defaults.

    Environment: ``env`` or ``SEEDLIB_ENV`` or ``development``. Size: ``size`` or ``SEEDLIB_SIZE``
    or the environment's default. Seed: ``seed`` or ``SEEDLIB_SEED`` or 0. Database URL:
    ``database_url`` or ``SEEDLIB_DATABASE_URL`` or ``DATABASE_URL`` or ``default_url``.

    Raises:
        ConfigurationError: a value is invalid or no database URL can be found.
    """
    environ = os.environ if environ is None else environ
    env_name = (env or environ.get("SEEDLIB_ENV") or DEFAULT_ENV).strip().lower()
    if env_name not in ENVIRONMENTS:
        raise ConfigurationError(
            f"unknown environment {env_name!r}: use one of {', '.join(ENVIRONMENTS)}"
        )
    size_text = size or environ.get("SEEDLIB_SIZE") or DEFAULT_SIZE[env_name]
    seed_value = seed if seed is not None else _int_var(environ, "SEEDLIB_SEED", DEFAULT_SEED)
    if not 0 <= seed_value < 2**63:  # the runs table keeps it in a BIGINT
        raise ConfigurationError(f"seed {seed_value} is out of range: use 0 to {2**63 - 1}")
    url = (
        database_url
        or environ.get("SEEDLIB_DATABASE_URL")
        or environ.get("DATABASE_URL")
        or default_url
    )
    if not url:
        raise ConfigurationError(
            "no database URL: pass --database-url or set SEEDLIB_DATABASE_URL or DATABASE_URL"
        )
    try:
        make_url(url)
    except ArgumentError:
        raise ConfigurationError(
            f"invalid database URL {mask_url(url)!r}: expected dialect+driver://user@host/db"
        ) from None
    chunk = (
        chunk_rows
        if chunk_rows is not None
        else _int_var(environ, "SEEDLIB_CHUNK_ROWS", DEFAULT_CHUNK_ROWS)
    )
    if chunk < 1:
        raise ConfigurationError("the chunk size (SEEDLIB_CHUNK_ROWS) must be at least 1 row")
    processes = workers
    if processes is None and environ.get("SEEDLIB_WORKERS", "").strip().lower() not in ("", "auto"):
        try:
            processes = int(environ["SEEDLIB_WORKERS"])
        except ValueError:
            raise ConfigurationError(
                f"SEEDLIB_WORKERS={environ['SEEDLIB_WORKERS']!r} is not a whole number or 'auto'"
            ) from None
    if processes is not None and processes < 1:
        raise ConfigurationError("--workers (SEEDLIB_WORKERS) must be at least 1, or 'auto'")
    if defer_indexes is None:
        flag = environ.get("SEEDLIB_DEFER_INDEXES", "1").strip().lower()
        if flag not in ("0", "1", "true", "false", "yes", "no", ""):
            raise ConfigurationError(
                f"SEEDLIB_DEFER_INDEXES must be 1 or 0, not {environ['SEEDLIB_DEFER_INDEXES']!r}"
            )
        defer_indexes = flag not in ("0", "false", "no")
    timeout = DEFAULT_LOCK_TIMEOUT if lock_timeout is None else lock_timeout
    if timeout < 0:
        raise ConfigurationError("--lock-timeout must be 0 or more seconds")
    return Settings(
        env=env_name,
        size=Size.parse(size_text),
        seed=seed_value,
        database_url=url,
        lock_timeout=timeout,
        allow_production=allow_production,
        dry_run=dry_run,
        assume_yes=assume_yes,
        strict=strict,
        chunk_rows=chunk,
        audit_file=audit_file or environ.get("SEEDLIB_AUDIT_FILE") or None,
        workers=processes,
        defer_indexes=defer_indexes,
    )


def _int_var(environ: Mapping[str, str], name: str, default: int) -> int:
    text = environ.get(name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise ConfigurationError(f"{name}={text!r} is not a whole number") from None


def check_production(settings: Settings, environ: Mapping[str, str] | None = None) -> None:
    """Refuse a production run unless it is authorised twice.

    Production needs the ``--allow-production`` flag **and** ``SEEDLIB_ALLOW_PRODUCTION`` set to
    the name of the target database, so a flag pasted into the wrong shell cannot seed the wrong
    database.

    Raises:
        Refused: production is not authorised for this database.
    """
    if settings.env != "production":
        return
    environ = os.environ if environ is None else environ
    target = settings.database_name
    if not target:
        raise Refused(
            "refusing to touch production: the database URL names no database, so "
            f"{ALLOW_PRODUCTION_VAR} cannot name it; put the database name in the URL"
        )
    if not settings.allow_production:
        raise Refused(
            "refusing to touch production: pass --allow-production (plain alembic: -x "
            f"allow_production=1) and set {ALLOW_PRODUCTION_VAR}={target}"
        )
    named = environ.get(ALLOW_PRODUCTION_VAR, "")
    if named != target:
        got = f"it names {named!r}" if named else "it is not set"
        raise Refused(
            f"refusing to touch production database {target!r}: {ALLOW_PRODUCTION_VAR} must name "
            f"it ({got}); set {ALLOW_PRODUCTION_VAR}={target}"
        )
