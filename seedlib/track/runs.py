"""A record of every seed revision applied or removed: who, when, with which parameters."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import socket
from collections.abc import Collection, Mapping, Sequence
from functools import cache
from importlib import metadata as importlib_metadata
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from seedlib.track.ledger import bookkeeping, bookkeeping_exists

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from seedlib.config import Settings

#: Libraries whose versions decide the generated values.
VERSIONED = ("alembic-seeds", "SQLAlchemy", "alembic", "Faker", "mimesis", "psycopg")


@cache
def library_versions() -> dict[str, str]:
    """Installed versions of the libraries that determine the data."""
    versions: dict[str, str] = {}
    for name in VERSIONED:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def record_run(
    conn: Connection,
    *,
    run_id: str,
    revision: str,
    direction: str,
    settings: Settings,
    tables: Sequence[Mapping[str, Any]],
    row_count: int,
    started_at: dt.datetime,
) -> None:
    """Store one revision's run record in the same transaction as its rows."""
    runs = bookkeeping(conn.dialect.name).runs
    conn.execute(
        runs.insert().values(
            run_id=run_id,
            revision=revision,
            direction=direction,
            env=settings.env,
            size=settings.size.name,
            seed=settings.seed,
            os_user=os_user(),
            host=socket.gethostname(),
            versions=json.dumps(library_versions(), sort_keys=True),
            tables=json.dumps(tables, sort_keys=True, default=str),
            row_count=row_count,
            started_at=started_at.replace(tzinfo=None),
            finished_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
        )
    )


def last_upgrade(conn: Connection, revision: str) -> dict[str, Any] | None:
    """The parameters ``revision`` was last applied with, or None."""
    if not bookkeeping_exists(conn):
        return None
    runs = bookkeeping(conn.dialect.name).runs
    row = (
        conn.execute(
            select(runs)
            .where(runs.c.revision == revision, runs.c.direction == "upgrade")
            .order_by(runs.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return None if row is None else dict(row)


def row_numbers_used(conn: Connection, revisions: Collection[str]) -> dict[str, dict[str, int]]:
    """Per revision of ``revisions``, the end of the row numbers its last upgrade made each
    table's values from (``row_numbers`` in its record; runs recorded before they were kept
    have none)."""
    if not bookkeeping_exists(conn) or not revisions:
        return {}
    runs = bookkeeping(conn.dialect.name).runs
    ends: dict[str, dict[str, int]] = {}
    found = conn.execute(
        select(runs.c.revision, runs.c.tables)
        .where(runs.c.direction == "upgrade", runs.c.revision.in_(sorted(revisions)))
        .order_by(runs.c.id)
    )
    for revision, tables in found:  # the last upgrade of each revision wins
        ends[revision] = {}
        for report in json.loads(tables or "[]"):
            numbers = report.get("row_numbers") if isinstance(report, dict) else None
            if numbers:
                ends[revision][str(report["table"])] = int(numbers[1])
    return ends
