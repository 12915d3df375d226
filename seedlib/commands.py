"""The verbs: each is a typed function that returns data; the CLI only renders it.

``upgrade`` and ``downgrade`` run the seeds Alembic environment (the same code path as plain
``alembic upgrade seeds@head``); ``status``, ``check`` and ``plan`` only read.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from alembic import command
from sqlalchemy import inspect

from seedlib.config import Settings, check_production
from seedlib.db import engine_for, require_existing
from seedlib.drift import RevisionState, model_diffs, schema_revision_state
from seedlib.exceptions import ConfigurationError, Refused
from seedlib.lock import Holder, current_holder
from seedlib.plan.spec import build_plan
from seedlib.rollback import RollbackReport, assert_not_blocked, preview
from seedlib.runtime import (
    OWNED,
    STATE,
    RevisionResult,
    RunState,
    applied_head_first,
    applied_seed_revisions,
    revisions_to_remove,
    unfinished_revisions,
)
from seedlib.track import ledger, progress
from seedlib.track.runs import last_upgrade

if TYPE_CHECKING:
    from alembic.script import Script
    from sqlalchemy import MetaData
    from sqlalchemy.engine import Connection

    from seedlib.engine import Progress
    from seedlib.project import Project

BRANCH = "seeds"


@dataclass
class RunResult:
    """What an upgrade or downgrade did (or, with ``dry_run``, would do)."""

    direction: str
    dry_run: bool
    revisions: list[RevisionResult] = field(default_factory=list)
    planned: list[dict[str, Any]] = field(default_factory=list)
    previews: list[RollbackReport] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(int(t.get("rows", 0)) for r in self.revisions for t in r.tables)


@dataclass
class StatusResult:
    #: The seed version table's head(s).
    applied: tuple[str, ...]
    pending: list[str]
    schema: RevisionState
    ledger: dict[str, dict[str, int]]
    parameters: dict[str, dict[str, Any]]
    unfinished: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    #: Who holds the seeding lock right now (a run in progress), or None.
    lock_holder: Holder | None = None
    #: Every applied seed revision, base first.
    applied_revisions: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "applied": list(self.applied),
            "applied_revisions": self.applied_revisions,
            "pending": self.pending,
            "unfinished": self.unfinished,
            "lock_holder": self.lock_holder.as_dict() if self.lock_holder else None,
            "schema_revision": self.schema.as_dict(),
            "ledger": self.ledger,
            "parameters": self.parameters,
            "mismatches": self.mismatches,
        }


@dataclass
class CheckResult:
    schema: RevisionState
    diffs: list[dict[str, Any]]
    models_checked: bool

    @property
    def clean(self) -> bool:
        return self.schema.in_sync and not self.diffs

    def as_dict(self) -> dict[str, Any]:
        return {
            "clean": self.clean,
            "schema_revision": self.schema.as_dict(),
            "models_checked": self.models_checked,
            "diffs": self.diffs,
        }


@contextlib.contextmanager
def _connect(settings: Settings) -> Iterator[Connection]:
    require_existing(settings.database_url)
    engine = engine_for(settings.database_url, read_only=True)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def _schema(project: Project, conn: Connection | None) -> MetaData:
    metadata = project.models
    if metadata is not None:
        return metadata
    if conn is None:
        raise ConfigurationError("seedlib.models is not set and no database to reflect")
    from seedlib.engine import reflect

    return reflect(conn)


def _revisions_base_first(project: Project) -> list[Script]:
    return list(reversed(list(project.script.walk_revisions())))


def _run(project: Project, state: RunState, fn: Callable[[], None]) -> None:
    project.config.attributes[STATE] = state
    project.config.attributes[OWNED] = True
    try:
        fn()
    finally:
        project.config.attributes.pop(STATE, None)
        project.config.attributes.pop(OWNED, None)


def upgrade(
    project: Project,
    settings: Settings,
    *,
    target: str = "heads",
    progress: Progress | None = None,
) -> RunResult:
    """Apply pending seed revisions up to ``target`` (default: all).

    With ``settings.dry_run`` nothing is written: the result lists what each pending revision
    would insert.

    Raises:
        Refused, LockBusy, DriftDetected, DataError: see :mod:`seedlib.exceptions`.
    """
    check_production(settings)
    if settings.dry_run:
        return RunResult("upgrade", True, planned=plan(project, settings, pending_only=True))
    state = RunState(project=project, settings=settings, direction="upgrade", progress=progress)
    destination = f"{BRANCH}@head" if target in ("head", "heads") else target
    _run(project, state, lambda: command.upgrade(project.config, destination))
    return RunResult("upgrade", False, revisions=state.results)


def downgrade_target(target: str) -> str:
    """``base`` → ``seeds@base``; ``-1`` → ``seeds@-1``; revision ids stay as they are."""
    if target in ("base", "") or target.startswith("-"):
        return f"{BRANCH}@{target or 'base'}"
    return target


def downgrade(
    project: Project,
    settings: Settings,
    *,
    target: str = "base",
    confirm: Callable[[list[RollbackReport]], bool] | None = None,
) -> RunResult:
    """Remove seed revisions down to ``target``, deleting exactly the rows they inserted.

    ``confirm`` sees what would be deleted and returns whether to go on; it is skipped with
    ``settings.assume_yes``. With ``settings.dry_run`` nothing is deleted.

    Raises:
        Refused: production not authorised, or the confirmation was declined.
        RollbackBlocked: application rows reference seeded rows; nothing is deleted.
    """
    check_production(settings)
    with _connect(settings) as conn:
        removing = revisions_to_remove(project, conn, target)
        partial = unfinished_revisions(project, conn)
        previews = [preview(conn, rev) for rev in partial + removing]
        # Before asking, and in a dry run too: a blocked rollback would delete nothing.
        assert_not_blocked(conn, partial + removing)
    if settings.dry_run or not previews:
        return RunResult("downgrade", settings.dry_run, previews=previews)
    if not settings.assume_yes:
        if confirm is None:
            raise Refused("downgrade deletes rows: confirm it or pass --yes")
        if not confirm(previews):
            raise Refused("downgrade not confirmed; nothing was deleted")
    state = RunState(project=project, settings=settings, direction="downgrade")
    _run(project, state, lambda: command.downgrade(project.config, downgrade_target(target)))
    return RunResult("downgrade", False, revisions=state.results, previews=previews)


def status(project: Project, settings: Settings) -> StatusResult:
    """Applied and pending seed revisions, the schema revision, and the ledger's counts."""
    with _connect(settings) as conn:
        applied = applied_seed_revisions(conn)
        done = set(applied_head_first(project, conn))
        base_first = [r.revision for r in _revisions_base_first(project)]
        pending = [r for r in base_first if r not in done]
        params: dict[str, dict[str, Any]] = {}
        for revision in done:
            run = last_upgrade(conn, revision)
            if run is not None:
                params[revision] = {
                    k: run[k] for k in ("env", "size", "seed", "run_id", "finished_at")
                }
        counts = ledger.counts_by_revision(conn)
        return StatusResult(
            applied=applied,
            pending=pending,
            schema=schema_revision_state(conn, project),
            ledger=counts,
            parameters=params,
            unfinished=progress.unfinished(conn),
            mismatches=ledger_mismatches(conn, list(counts)),
            lock_holder=current_holder(conn.engine),
            applied_revisions=[r for r in base_first if r in done],
        )


def ledger_mismatches(conn: Connection, revisions: list[str]) -> list[str]:
    """Where the database no longer holds what the ledger says the seeds inserted."""
    from sqlalchemy import func, select

    from seedlib.engine import reflect

    by_revision = {revision: ledger.entries(conn, revision) for revision in revisions}
    live = reflect(conn, [e.table for entries in by_revision.values() for e in entries])
    found: list[str] = []
    for revision, entries in by_revision.items():
        for entry in entries:
            table = live.tables.get(entry.table)
            if table is None:
                found.append(f"{revision}: table {entry.table} no longer exists")
                continue
            missing_columns = [c for c in entry.columns if c not in table.c]
            if missing_columns:
                found.append(
                    f"{revision}: {entry.table} lost key column(s) {', '.join(missing_columns)}"
                )
                continue
            condition = ledger.match(table, entry)
            present = conn.execute(select(func.count()).select_from(table).where(condition))
            count = int(present.scalar_one())
            if count != entry.row_count:
                found.append(
                    f"{revision}: {entry.table} holds {count:,} of the "
                    f"{entry.row_count:,} rows the seeds inserted"
                )
    return found


def check(project: Project, settings: Settings) -> CheckResult:
    """The CI gate: schema revision at head and live schema equal to the models."""
    with _connect(settings) as conn:
        state = schema_revision_state(conn, project)
        metadata = project.models
        diffs = model_diffs(conn, metadata) if metadata is not None else []
        return CheckResult(schema=state, diffs=diffs, models_checked=metadata is not None)


def plan(
    project: Project, settings: Settings, *, pending_only: bool = False
) -> list[dict[str, Any]]:
    """Per seed revision, the tables in insertion order with the rows they get at this size,
    and whether it is applied (None when the models make the plan and the database cannot be
    read: a plan needs no database)."""
    with contextlib.ExitStack() as stack:
        conn: Connection | None = None
        done: set[str] | None = set()
        if pending_only or project.models is None:
            conn = stack.enter_context(_connect(settings))
        else:
            try:
                conn = stack.enter_context(_connect(settings))
            except Exception:
                done = None
        if conn is not None and _has_seed_versions(conn):
            done = set(applied_head_first(project, conn))
        metadata = _schema(project, conn)
        out = []
        for script in _revisions_base_first(project):
            if pending_only and done and script.revision in done:
                continue
            spec = getattr(script.module, "SEEDS", None)
            if spec is None:
                continue
            seed_plan = build_plan(metadata, spec, settings.size, settings.seed)
            out.append(
                {
                    "revision": script.revision,
                    "message": (script.doc or "").splitlines()[0] if script.doc else "",
                    "applied": None if done is None else script.revision in done,
                    "tables": seed_plan.as_rows(),
                    "deferred": [
                        f"{e.child}.{e.name} -> {e.parent}" for e in seed_plan.order.deferred
                    ],
                }
            )
        return out


def _has_seed_versions(conn: Connection) -> bool:
    from seedlib.track.ledger import VERSION_TABLE, bookkeeping

    schema = bookkeeping(conn.dialect.name).schema
    return inspect(conn).has_table(VERSION_TABLE, schema=schema)
