"""Peak memory does not grow with the number of rows loaded (peak RSS of fresh processes).

Never timed: each case seeds N and 10·N rows in two subprocesses and compares their peak RSS
(``VmHWM``), which only grows when something keeps per-row state.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from seedlib.load.sqlite import CACHE_KIB

ROOT = Path(__file__).resolve().parents[3]
SMALL, LARGE = 20_000, 200_000
#: Allowed growth of peak RSS from SMALL to LARGE rows, plus a little slack for allocator noise.
GROWTH, SLACK_KB = 0.10, 3_000

LOADER = """
import sys
from decimal import Decimal
from sqlalchemy import Column, Integer, MetaData, Numeric, String, Table
from seedlib.db import engine_for
from seedlib.load import open_writer

url, rows = sys.argv[1], int(sys.argv[2])
metadata = MetaData()
table = Table(
    "memory_rows", metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(80), unique=True),
    Column("amount", Numeric(12, 2)),
)
engine = engine_for(url)
metadata.drop_all(engine)
metadata.create_all(engine)
with engine.begin() as conn, open_writer(conn, table, ["id", "email", "amount"]) as write:
    for first in range(0, rows, 5000):
        write([(i + 1, f"user.{i}@example.com", Decimal(i % 1000) / 4)
               for i in range(first, min(first + 5000, rows))])
with engine.connect() as conn:
    assert conn.exec_driver_sql("SELECT COUNT(*) FROM memory_rows").scalar() == rows
print(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1])
"""

SEED = """
import sys
from sqlalchemy import Column, Integer, MetaData, Numeric, String, Table
from seedlib.config import resolve_settings
from seedlib.db import engine_for
from seedlib.engine import seed_tables
from seedlib.track.ledger import ensure_bookkeeping

url, rows = sys.argv[1], int(sys.argv[2])
metadata = MetaData()
table = Table(
    "memory_clients", metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(255), unique=True, nullable=False),
    Column("city", String(100), nullable=False),
    Column("credit_limit", Numeric(12, 2), nullable=False),
)
engine = engine_for(url)
with engine.begin() as conn:
    metadata.drop_all(conn)
    metadata.create_all(conn)
    ensure_bookkeeping(conn)
settings = resolve_settings(database_url=url, size=str(rows), environ={})
with engine.begin() as conn:
    seed_tables(conn, metadata, {table.name: 100}, settings=settings, revision=f"m{rows}",
                run_id=f"m{rows}")
print(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1])
"""


def peak_kb(script: str, url: str, rows: int) -> int:
    done = subprocess.run(
        [sys.executable, "-c", script, url, str(rows)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.split()[-1])


def assert_flat(script: str, url: str, bounded_kb: int = 0) -> None:
    """``bounded_kb``: a cache that may fill up to that size and then stays that size."""
    small, large = peak_kb(script, url, SMALL), peak_kb(script, url, LARGE)
    assert large <= small * (1 + GROWTH) + SLACK_KB + bounded_kb, (
        f"peak RSS {small} kB for {SMALL:,} rows, {large} kB for {LARGE:,}"
    )


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def any_url(request: pytest.FixtureRequest) -> str:
    fixture = {"sqlite": "sqlite_url", "postgresql": "postgres_url", "mysql": "mysql_url"}
    return str(request.getfixturevalue(fixture[request.param]))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_writers_load_in_constant_memory(any_url: str) -> None:
    # SQLite's page cache is raised to CACHE_KIB for the seed transaction: bounded, not flat.
    assert_flat(LOADER, any_url, CACHE_KIB if any_url.startswith("sqlite") else 0)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_seeding_a_table_in_one_transaction_takes_constant_memory(postgres_url: str) -> None:
    assert_flat(SEED, postgres_url)
