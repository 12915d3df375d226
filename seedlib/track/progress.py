"""Progress of a seed revision that has not finished: reserved keys and rows done per table.

A revision that commits in chunks records here, in the same transaction as each chunk, how far
each table got. An interrupted run leaves these rows behind; the next run reads them, reuses the
same keys and skips the rows already loaded, so the result equals an uninterrupted run.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from seedlib.track.ledger import bookkeeping, bookkeeping_exists, to_ranges

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


@dataclass(frozen=True)
class TableProgress:
    """How far one table of an unfinished revision got."""

    table: str
    reserved: tuple[tuple[int, int], ...]
    done: int
    content_sum: int
    size: str
    seed: int

    def keys(self) -> list[int]:
        return [k for first, last in self.reserved for k in range(first, last + 1)]


def load(conn: Connection, revision: str) -> dict[str, TableProgress]:
    """The saved progress of ``revision``, per table (empty when it never started)."""
    if not bookkeeping_exists(conn):
        return {}
    table = bookkeeping(conn.dialect.name).progress
    out = {}
    for row in conn.execute(select(table).where(table.c.revision == revision)).mappings():
        out[row["table_name"]] = TableProgress(
            table=row["table_name"],
            reserved=tuple(tuple(r) for r in json.loads(row["reserved"])),
            done=int(row["done"]),
            content_sum=int(row["content_sum"]),
            size=row["size"],
            seed=int(row["seed"]),
        )
    return out


def save(
    conn: Connection,
    revision: str,
    table_name: str,
    *,
    keys: Sequence[int],
    done: int,
    content_sum: int,
    size: str,
    seed: int,
) -> None:
    """Record (replace) the progress of one table."""
    table = bookkeeping(conn.dialect.name).progress
    conn.execute(
        delete(table).where(table.c.revision == revision, table.c.table_name == table_name)
    )
    conn.execute(
        table.insert().values(
            revision=revision,
            table_name=table_name,
            reserved=json.dumps(to_ranges(keys)),
            done=done,
            content_sum=str(content_sum),
            size=size,
            seed=seed,
            updated_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
        )
    )


def clear(conn: Connection, revision: str) -> None:
    """Forget ``revision``'s progress (it finished, or its rows were removed)."""
    if not bookkeeping_exists(conn):
        return
    table = bookkeeping(conn.dialect.name).progress
    conn.execute(delete(table).where(table.c.revision == revision))


def unfinished(conn: Connection) -> list[str]:
    """Revisions with saved progress, i.e. interrupted after committing some rows."""
    if not bookkeeping_exists(conn):
        return []
    table = bookkeeping(conn.dialect.name).progress
    return sorted(set(conn.execute(select(table.c.revision)).scalars()))
