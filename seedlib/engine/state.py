"""The state of one seeding run, shared by the engine's parts."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    literal,
    select,
)

from seedlib.generate.checks import Check
from seedlib.generate.pools import Pools
from seedlib.generate.values import (
    ChildTotal,
)
from seedlib.load import deferrable_indexes, indexes_built_after
from seedlib.plan.spec import Plan
from seedlib.track import ledger
from seedlib.track import progress as progress_store
from seedlib.track.runs import row_numbers_used

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection

    from seedlib.config import Settings

from seedlib.engine.shapes import (
    Checkpoint,
    Progress,
)


@dataclass
class _State:
    """What one seeding run knows; the engine's parts are mixins over it."""

    conn: Connection
    plan: Plan
    settings: Settings
    revision: str
    run_id: str
    progress: Progress | None
    checkpoint: Checkpoint | None
    chunk_rows: int
    pools: Pools = field(init=False)
    #: Reserved keys by ordinal: a ``range`` when contiguous (constant memory).
    keys: dict[str, Sequence[Any]] = field(default_factory=dict)
    inserted: dict[str, Sequence[Any]] = field(default_factory=dict)
    existing: dict[str, list[Any]] = field(default_factory=dict)
    saved: dict[str, progress_store.TableProgress] = field(default_factory=dict)
    since_commit: int = 0
    #: No chunk commits while a table's foreign keys are dropped.
    hold_commits: bool = False
    _checks: dict[str, list[Check]] = field(default_factory=dict)
    #: Parent columns set to the sum of their children's once those are loaded.
    totals: list[tuple[Table, str, ChildTotal]] = field(default_factory=list)
    #: Keys of rows left out, per table: their children are left out too.
    left_out: dict[str, set[Any]] = field(default_factory=dict)
    plan_tables: dict[str, Table] = field(default_factory=dict)
    #: Parent rows read whole for the table being loaded, by foreign-key column: the names of
    #: the columns read, and their values by parent key.
    parents_read: dict[str, tuple[dict[str, int], dict[Any, tuple[Any, ...]]]] = field(
        default_factory=dict
    )
    #: Where each table's row numbers start: after the rows other seed revisions and labels
    #: ledgered for it (see :meth:`ordinal_offset`).
    offsets: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.pools = Pools(self.settings.seed)

    def ordinal_offset(self, name: str) -> int:
        """The first row number of ``name`` for this run: 0 on a table no other revision or
        label has rows in, else past the row numbers they made values from (or, for runs
        recorded before those were kept, the rows they ledgered). A second revision of the
        same table then makes rows 16, 17, … where the first made 1 to 15: row numbers pick
        the values (a unique name's suffix, a code), so starting again from 1 made the same
        unique values, which the database already held, and nothing was inserted. This
        revision's own rows do not count, so a resumed run starts where it first did (unless
        other revisions were seeded or removed in between)."""
        if not self.offsets:  # read once, for every table
            self.offsets[""] = 0
            # The revisions whose rows are in the database now, save this one: a revision
            # removed since leaves its row numbers free again (a downgrade to base and an
            # upgrade make the same rows as the first time).
            live = {
                revision: tables
                for revision, tables in ledger.counts_by_revision(self.conn).items()
                if revision != self.revision
            }
            ends = row_numbers_used(self.conn, live)
            unrecorded: dict[str, int] = {}
            for revision, tables in live.items():
                for table, rows in tables.items():
                    end = ends.get(revision, {}).get(table)
                    if end is None:  # recorded before row numbers were kept: its row count
                        unrecorded[table] = unrecorded.get(table, 0) + rows
                    else:
                        self.offsets[table] = max(self.offsets.get(table, 0), end)
            for table, rows in unrecorded.items():
                self.offsets[table] = max(self.offsets.get(table, 0), rows)
        return self.offsets.get(name, 0)

    @property
    def chunked(self) -> bool:
        return self.checkpoint is not None and self.plan.total_rows >= self.chunk_rows

    def deferred_indexes(
        self,
        table: Table,
        rows: int,
        ascending: Callable[[], Collection[str]] = frozenset,
        columns: Collection[str] | None = None,
    ) -> list[Any]:
        """The indexes to build after writing ``rows`` rows of ``table`` in one piece
        (PostgreSQL and SQLite; see :func:`seedlib.load.deferrable_indexes`)."""
        if not self.settings.defer_indexes:
            return []
        return deferrable_indexes(self.conn, table, rows, ascending, columns)

    @contextlib.contextmanager
    def rewriting(self, table: Table, rows: int, columns: Collection[str]) -> Iterator[None]:
        """A block that UPDATEs ``columns`` of ``rows`` rows of ``table`` (totals, cycle-closing
        keys): its secondary indexes are built once afterwards, as after a large load (on
        SQLite only those over ``columns``, the only entries it rewrites).

        An UPDATE writes each row anew, with a new entry in every index (the rows a COPY packed
        leave no room on their page for an update in place): the reference ERP's totals over
        150,000 orders took 5.5–8.6 s with the indexes in place, 2.3 s plus 1.1 s to build
        them afterwards (psql, the same rows)."""
        indexes = self.deferred_indexes(table, rows, columns=columns)
        if not indexes:
            yield
            return
        with self.conn.begin_nested(), indexes_built_after(self.conn, table, indexes):
            yield

    def has_rows(self, table: Table) -> bool:
        return self.conn.execute(select(literal(1)).select_from(table).limit(1)).first() is not None
