"""Real databases for the tests.

SQLite needs nothing. PostgreSQL comes from ``SEEDLIB_TEST_POSTGRES_URL`` (a URL of any database
on the server; each test creates and drops its own), else from testcontainers when Docker runs,
MariaDB/MySQL from ``SEEDLIB_TEST_MYSQL_URL``; a missing server skips its tests — unless
``SEEDLIB_REQUIRE_SERVERS=1`` (CI), which turns a missing server into a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from seedlib.cli import app
from seedlib.db import engine_for, normalise_url

ROOT = Path(__file__).resolve().parent.parent
SEEDS_INI = ROOT / "alembic.ini"
APP_INI = ROOT / "examples" / "terp" / "alembic.ini"
REQUIRE_SERVERS = os.environ.get("SEEDLIB_REQUIRE_SERVERS") == "1"
# Value pools kept on disk go to a folder of this test run's, not to the user's cache (the
# processes the tests start inherit it).
os.environ.setdefault("SEEDLIB_CACHE_DIR", tempfile.mkdtemp(prefix="seedlib-test-pools-"))


def _docker_postgres() -> Iterator[str] | None:
    try:
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:
        try:
            from testcontainers.postgres import PostgresContainer
        except ImportError:
            return None
    try:
        container = PostgresContainer("postgres:16-alpine", driver="psycopg")
        container.start()
    except Exception:  # no Docker engine here
        return None

    def gen() -> Iterator[str]:
        try:
            yield container.get_connection_url()
        finally:
            container.stop()

    return gen()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A URL on a PostgreSQL server where tests may create databases."""
    url = os.environ.get("SEEDLIB_TEST_POSTGRES_URL")
    if url:
        yield str(normalise_url(url).render_as_string(hide_password=False))
        return
    docker = _docker_postgres()
    if docker is not None:
        yield from docker
        return
    if REQUIRE_SERVERS:
        pytest.fail("SEEDLIB_REQUIRE_SERVERS=1 but no PostgreSQL: set SEEDLIB_TEST_POSTGRES_URL")
    pytest.skip("no PostgreSQL server (set SEEDLIB_TEST_POSTGRES_URL)")


@contextmanager
def _postgres_database(server: str) -> Iterator[str]:
    name = f"seedlib_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, uniquely named PostgreSQL database, dropped afterwards."""
    with _postgres_database(postgres_server) as url:
        yield url


@pytest.fixture
def other_db_url(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A second empty database of the same kind as ``db_url``."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'other.sqlite3'}"
        return
    if db_url.startswith("mysql"):
        with _mysql_database(request.getfixturevalue("mysql_server")) as url:
            yield url
        return
    with _postgres_database(request.getfixturevalue("postgres_server")) as url:
        yield url


@pytest.fixture(scope="session")
def mysql_server() -> str:
    """A URL on a MariaDB/MySQL server where tests may create databases."""
    url = os.environ.get("SEEDLIB_TEST_MYSQL_URL")
    if url:
        return str(normalise_url(url).render_as_string(hide_password=False))
    if REQUIRE_SERVERS:
        pytest.fail("SEEDLIB_REQUIRE_SERVERS=1 but no MariaDB/MySQL: set SEEDLIB_TEST_MYSQL_URL")
    pytest.skip("no MariaDB/MySQL server (set SEEDLIB_TEST_MYSQL_URL)")


@contextmanager
def _mysql_database(server: str) -> Iterator[str]:
    name = f"seedlib_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


@pytest.fixture
def mysql_url(mysql_server: str) -> Iterator[str]:
    """A fresh, uniquely named MariaDB/MySQL database, dropped afterwards."""
    with _mysql_database(mysql_server) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'seedlib-test.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty database of each kind."""
    return str(request.getfixturevalue(f"{request.param.replace('postgresql', 'postgres')}_url"))


def migrate_app(url: str, revision: str = "head") -> None:
    """Run the reference ERP's own schema migrations, on a plain engine as the app would."""
    config = Config(str(APP_INI))
    engine = create_engine(normalise_url(url))
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def downgrade_app(url: str, revision: str) -> None:
    config = Config(str(APP_INI))
    engine = create_engine(normalise_url(url))
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, revision)
    finally:
        engine.dispose()


@pytest.fixture
def app_db(db_url: str) -> str:
    """A database of each kind with the reference ERP's schema at head."""
    migrate_app(db_url)
    return db_url


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


class Seedctl:
    """Runs ``seedctl`` in this process (for coverage) against one database."""

    def __init__(self, url: str, config: Path = SEEDS_INI) -> None:
        self.url = url
        self.config = config
        self.runner = CliRunner()

    def __call__(
        self,
        *args: str,
        url: bool = True,
        env: dict[str, str] | None = None,
        input: str | None = None,
    ) -> Result:
        argv = ["--config", str(self.config), "--log-format", "json", *args]
        if url:
            argv += ["--database-url", self.url]
        merged = {
            "SEEDLIB_ENV": None,
            "SEEDLIB_DATABASE_URL": None,
            "DATABASE_URL": None,
            "SEEDLIB_ALLOW_PRODUCTION": None,
            **(env or {}),
        }
        result = self.runner.invoke(app, argv, env=merged, input=input, catch_exceptions=False)
        return Result(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def seedctl(app_db: str) -> Seedctl:
    return Seedctl(app_db)


def run_process(
    args: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a command from the repository root with a clean seedlib environment."""
    full_env = {
        k: v for k, v in os.environ.items() if not k.startswith("SEEDLIB_") and k != "DATABASE_URL"
    }
    full_env.update(env or {})
    return subprocess.run(
        list(args),
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def seedctl_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "seedlib", "--log-format", "json", *args]


def table_counts(url: str, tables: Sequence[str]) -> dict[str, int]:
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return {
                t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in tables
            }
    finally:
        engine.dispose()


TERP_TABLES = (
    "users",
    "clients",
    "supplier_profiles",
    "accounts",
    "ledger_entries",
    "brands",
    "strains",
    "products",
    "lots",
    "batches",
    "orders",
    "order_line_items",
    "sales_sheets",
    "invoices",
    "payments",
)
#: Tables where s003's business rules leave rows out (only confirmed and fulfilled orders are
#: invoiced; draft and void invoices get no payment): the plan gives their upper bound.
RULE_TABLES = ("invoices", "payments")


def fits_plan(actual: dict[str, int], planned: dict[str, int]) -> bool:
    """Every table has its planned rows, except that rule tables may have fewer (but some)."""
    if set(actual) != set(planned):
        return False
    return all(
        0 < actual[t] <= planned[t] if t in RULE_TABLES and planned[t] else actual[t] == planned[t]
        for t in planned
    )


def rows(url: str, query: str) -> list[tuple[Any, ...]]:
    """The rows ``query`` returns at ``url``, as tuples (a connection of its own)."""
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(query))]
    finally:
        engine.dispose()


def sorted_rows(url: str, query: str) -> list[tuple[Any, ...]]:
    """:func:`rows`, in an order that does not depend on the database's (NULLs included)."""
    return sorted(rows(url, query), key=repr)


def execute(url: str, *statements: str) -> None:
    """Run ``statements`` at ``url`` in one transaction (a connection of its own)."""
    engine = engine_for(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()
