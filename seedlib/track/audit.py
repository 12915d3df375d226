"""The audit trail of deletions: who removed which seeded rows, when, from which database."""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedlib.track.ledger import bookkeeping
from seedlib.track.runs import os_user

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from seedlib.config import Settings
    from seedlib.rollback import RollbackReport


def rollback_record(
    *, run_id: str, revision: str, settings: Settings, report: RollbackReport, action: str
) -> dict[str, Any]:
    """One audit record for the rows ``report`` says were deleted (never a password)."""
    return {
        "run_id": run_id,
        "revision": revision,
        "action": action,
        "os_user": os_user(),
        "host": socket.gethostname(),
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "env": settings.env,
        "database": settings.safe_url,
        "tables": {
            table: {
                "deleted": report.deleted.get(table, 0),
                "ledgered": count,
                "keys": report.key_ranges.get(table, []),
            }
            for table, count in report.ledgered.items()
        },
        "problems": report.problems,
    }


#: Keys (or key ranges) per table a log line shows; the audit table and file hold them all.
KEYS_LOGGED = 20


def for_log(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with at most :data:`KEYS_LOGGED` keys per table (and how many more)."""
    tables = {}
    for table, entry in record["tables"].items():
        keys = entry["keys"]
        shown = {**entry, "keys": keys[:KEYS_LOGGED]}
        if len(keys) > KEYS_LOGGED:
            shown["keys_more"] = len(keys) - KEYS_LOGGED
        tables[table] = shown
    return {**record, "tables": tables}


def store(conn: Connection, record: dict[str, Any]) -> None:
    """Insert ``record`` into seedlib's audit table, in the deleting transaction."""
    table = bookkeeping(conn.dialect.name).audit
    conn.execute(
        table.insert().values(
            run_id=record["run_id"],
            revision=record["revision"],
            action=record["action"],
            os_user=record["os_user"],
            host=record["host"],
            env=record["env"],
            database=record["database"],
            tables=json.dumps(record["tables"], sort_keys=True),
            at=dt.datetime.fromisoformat(record["at"]).replace(tzinfo=None),
        )
    )


def append_file(path: str, records: Iterable[dict[str, Any]]) -> None:
    """Append ``records`` to ``path`` as JSON lines."""
    lines = [json.dumps(r, sort_keys=True, default=str) + "\n" for r in records]
    if lines:
        with Path(path).open("a", encoding="utf-8") as out:
            out.writelines(lines)
