"""One run of the seeds environment: settings, guards, lock, drift gate, then Alembic.

``seed_migrations/env.py`` and ``seedctl`` share this code path: ``seedctl`` puts a
:class:`RunState` into ``config.attributes``; plain ``alembic`` builds one from ``-x`` options.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import signal
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from seedlib import log
from seedlib.config import Settings, check_production, resolve_settings, same_size
from seedlib.db import cannot_connect, engine_for, require_existing
from seedlib.drift import (
    RevisionState,
    check_models,
    check_present,
    check_requires_schema,
    check_schema_revision,
)
from seedlib.exceptions import ConfigurationError, Refused, SeedError
from seedlib.lock import database_lock
from seedlib.rollback import assert_not_blocked
from seedlib.track import progress
from seedlib.track.ledger import VERSION_TABLE, ensure_bookkeeping
from seedlib.track.runs import last_upgrade, library_versions

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.runtime.environment import EnvironmentContext
    from sqlalchemy import MetaData
    from sqlalchemy.engine import Connection, Engine

    from seedlib.engine import Progress
    from seedlib.project import Project

STATE = "seedlib.state"
#: Set by seedctl: it reports errors itself.
OWNED = "seedlib.owned"


class Interrupted(SeedError):
    """The run was stopped by Ctrl-C or SIGTERM; the current revision was rolled back."""

    exit_code = 130


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C: database drivers cancel the running statement on a
    ``KeyboardInterrupt`` and SQLAlchemy discards the connection instead of wrapping it."""


@dataclass
class RevisionResult:
    """What one revision did in this run."""

    revision: str
    direction: str
    tables: list[dict[str, Any]]
    seconds: float
    problems: list[str] = field(default_factory=list)


@dataclass
class RunState:
    """Shared between the environment and the revisions it runs."""

    project: Project
    settings: Settings
    direction: str = "upgrade"
    run_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    progress: Progress | None = None
    results: list[RevisionResult] = field(default_factory=list)
    schema_state: RevisionState | None = None
    metadata: MetaData | None = None
    audits: list[dict[str, Any]] = field(default_factory=list)

    def schema(self, conn: Connection) -> MetaData:
        """The application's models, or the live database reflected once per run."""
        if self.metadata is None:
            self.metadata = self.project.models
        if self.metadata is None:
            from seedlib.engine import reflect

            self.metadata = reflect(conn)
        return self.metadata


def settings_from_x(config: Config, x: dict[str, str], default_url: str | None) -> Settings:
    """Settings for a plain ``alembic`` run: ``-x env=… -x size=… -x seed=…`` and so on."""
    known = {"env", "size", "seed", "database_url", "lock_timeout", "allow_production"}
    unknown = set(x) - known
    if unknown:
        raise ConfigurationError(
            f"unknown -x option(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}"
        )
    try:
        seed = int(x["seed"]) if "seed" in x else None
        timeout = float(x["lock_timeout"]) if "lock_timeout" in x else None
    except ValueError:
        raise ConfigurationError("-x seed and -x lock_timeout take numbers") from None
    return resolve_settings(
        env=x.get("env"),
        size=x.get("size"),
        seed=seed,
        database_url=x.get("database_url"),
        default_url=default_url,
        lock_timeout=timeout,
        allow_production=x.get("allow_production", "").lower() in {"1", "true", "yes"},
    )


def _direction(config: Config) -> str:
    cmd = getattr(getattr(config, "cmd_opts", None), "cmd", None)
    name = getattr(cmd[0], "__name__", "") if cmd else ""
    return name or "upgrade"


@contextlib.contextmanager
def signals_raise() -> Iterator[None]:
    """Turn SIGTERM into an exception so locks and transactions unwind as on Ctrl-C."""

    def on_term(signum: int, _frame: Any) -> None:
        raise Terminated(signum)

    try:
        previous = signal.signal(signal.SIGTERM, on_term)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def state_of(config: Config) -> RunState:
    """The run state the seeds environment set up; raises if a revision runs outside it."""
    state = config.attributes.get(STATE)
    if not isinstance(state, RunState):
        raise ConfigurationError(
            "seed revisions must run through the seeds environment (seedctl or alembic with "
            "seedlib's env.py)"
        )
    return state


def run_environment(context: EnvironmentContext) -> None:
    """The body of the seeds ``env.py``: guards, lock, drift gate, then the revisions."""
    config = context.config
    try:
        state = _state_for(context)
    except SeedError as refused:
        _fail(config, refused)
    settings = state.settings
    logger = log.get_logger(run_id=state.run_id)
    try:
        check_production(settings)
        given: Connection | None = config.attributes.get("connection")
        if given is None:
            require_existing(settings.database_url)
        engine = given.engine if given is not None else engine_for(settings.database_url)
        started = time.perf_counter()
        logger.info(
            "run_started",
            direction=state.direction,
            env=settings.env,
            size=settings.size.name,
            seed=settings.seed,
            database=settings.safe_url,
            versions=library_versions(),
            time=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        with signals_raise(), database_lock(engine, settings.lock_timeout):
            conn = given if given is not None else engine.connect()
            try:
                _migrate(context, state, conn)
            finally:
                if given is None:
                    conn.close()
                _write_audit_file(state, engine)
        logger.info(
            "run_finished",
            seconds=round(time.perf_counter() - started, 3),
            summary=[
                {
                    "revision": r.revision,
                    "direction": r.direction,
                    "rows": sum(int(t.get("rows", 0)) for t in r.tables),
                    "seconds": round(r.seconds, 3),
                }
                for r in state.results
            ],
        )
    except BaseException as exc:
        interrupt = interrupt_behind(exc)
        if interrupt is not None:
            how = "SIGTERM" if isinstance(interrupt, Terminated) else "Ctrl-C"
            logger.error("run_interrupted", signal=how)
            failure: SeedError = Interrupted(
                f"stopped by {how}; what the running revision had not committed was rolled "
                "back, run again to continue"
            )
        elif isinstance(exc, SeedError):
            logger.error("run_failed", error=str(exc), error_type=type(exc).__name__)
            failure = exc
        elif cannot_connect(exc):
            failure = ConfigurationError(
                f"cannot connect to the database ({_first_line(exc)}); check the URL, that the "
                "server is running and that the database exists"
            )
            logger.error("run_failed", error=str(failure), error_type="ConnectionError")
        else:
            raise
    else:
        return
    _fail(config, failure)


def _state_for(context: EnvironmentContext) -> RunState:
    config = context.config
    if context.is_offline_mode():
        raise ConfigurationError(
            "seed revisions generate data at run time; offline (--sql) mode is not supported: "
            "run without --sql"
        )
    from seedlib.project import Project

    state = config.attributes.get(STATE)
    if not isinstance(state, RunState):
        log.ensure_configured()
        project = Project(config)
        settings = settings_from_x(
            config, context.get_x_argument(as_dictionary=True), project.default_url
        )
        state = RunState(project=project, settings=settings, direction=_direction(config))
        config.attributes[STATE] = state
    return state


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _fail(config: Any, failure: SeedError) -> NoReturn:
    if getattr(config, "cmd_opts", None) is not None and not config.attributes.get(OWNED):
        # Plain `alembic` on the command line: one readable line and the documented exit code,
        # instead of a traceback.
        print(f"seedlib: error: {failure}", file=sys.stderr)
        raise SystemExit(failure.exit_code)
    raise failure


def interrupt_behind(exc: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C or SIGTERM that ``exc`` is, or that it was raised while handling: a driver
    whose connection the signal cut mid-statement (PyMySQL) fails again while the transaction
    is rolled back, and that error would otherwise hide the interrupt."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return None
        if isinstance(seen, KeyboardInterrupt):
            return seen
        seen = seen.__context__
    return None


def _migrate(context: EnvironmentContext, state: RunState, conn: Connection) -> None:
    steps: dict[str, Any] = {}  # Alembic's own steps unless a downgrade must go elsewhere
    if state.direction == "upgrade":
        state.schema_state = check_schema_revision(conn, state.project)
        check_requires_schema(
            state.project, state.schema_state, pending_requirements(state.project, conn)
        )
        if state.settings.strict:
            check_models(conn, state.project)
        else:
            check_present(conn, state.project)
        check_parameters(state, conn)
        destination = str(context.get_revision_argument() or "heads")
        check_pending_sources(state, conn, destination)
        check_pending_engines(state, conn, destination)
    elif state.direction == "downgrade":
        target = context.get_revision_argument()
        removing = revisions_to_remove(state.project, conn, str(target or "base"))
        partial = unfinished_revisions(state.project, conn)
        assert_not_blocked(conn, partial + removing)
        for revision in partial:
            remove_revision(state, conn, revision, action="remove_unfinished")
            conn.commit()
        if partial and str(target or "").removeprefix("seeds@").startswith("-"):
            # Alembic counts ``-N`` in applied revisions only: go to the revision that stays.
            kept = [r for r in applied_head_first(state.project, conn) if r not in removing]
            stop = kept[0] if kept else "base"
            script = state.project.script
            steps = {"fn": lambda heads, _context: script._downgrade_revs(stop, heads)}
    books = ensure_bookkeeping(conn)
    if conn.in_transaction():
        conn.commit()
    context.configure(
        connection=conn,
        version_table=VERSION_TABLE,
        version_table_schema=books.schema,
        transaction_per_migration=True,
        **steps,
    )
    with context.begin_transaction():
        context.run_migrations()


def applied_seed_revisions(conn: Connection) -> tuple[str, ...]:
    """The seeds environment's current head(s) in the database."""
    from alembic.runtime.migration import MigrationContext

    from seedlib.track.ledger import bookkeeping

    schema = bookkeeping(conn.dialect.name).schema
    context = MigrationContext.configure(
        conn, opts={"version_table": VERSION_TABLE, "version_table_schema": schema}
    )
    return tuple(sorted(context.get_current_heads()))


def pending_requirements(project: Project, conn: Connection) -> dict[str, str | None]:
    """``{revision: requires_schema}`` for seed revisions not yet applied."""
    script = project.script
    current = applied_seed_revisions(conn)
    applied = {r.revision for r in script.iterate_revisions(current, "base")} if current else set()
    return {
        rev.revision: getattr(rev.module, "requires_schema", None)
        for rev in script.walk_revisions()
        if rev.revision not in applied
    }


def applied_head_first(project: Project, conn: Connection) -> list[str]:
    """Applied seed revisions, newest first."""
    current = applied_seed_revisions(conn)
    if not current:
        return []
    return [r.revision for r in project.script.iterate_revisions(current, "base")]


def unfinished_revisions(project: Project, conn: Connection) -> list[str]:
    """Seed revisions of ``project`` an interrupted run left unfinished (not ``seedctl seed``
    labels: a downgrade leaves those to ``seedctl unseed``)."""
    applied = set(applied_head_first(project, conn))
    known = {script.revision for script in project.script.walk_revisions()}
    return [r for r in progress.unfinished(conn) if r in known and r not in applied]


def revisions_to_remove(project: Project, conn: Connection, target: str) -> list[str]:
    """Applied revisions a downgrade to ``target`` removes, newest first."""
    applied = applied_head_first(project, conn)
    bare = target.removeprefix("seeds@")
    if bare == "base":
        return applied
    if bare.startswith("-") and bare[1:].isdigit():
        # An interrupted revision is the newest: ``-1`` removes it, and no applied one.
        partial = unfinished_revisions(project, conn)
        return applied[: max(0, int(bare[1:]) - len(partial))]
    try:
        resolved = project.script.get_revision(bare)
    except Exception:  # alembic raises several kinds for unknown or ambiguous ids
        resolved = None
    if resolved is None or resolved.revision not in applied:
        raise ConfigurationError(
            f"downgrade target {target!r} is not an applied seed revision; "
            f"applied: {', '.join(applied) or 'none'}"
        )
    return applied[: applied.index(resolved.revision)]


def check_parameters(state: RunState, conn: Connection) -> None:
    """Refuse to add to revisions that were applied with another size or seed.

    Raises:
        Refused: the message says how to change the dataset (downgrade, then upgrade).
    """
    settings = state.settings
    for revision in applied_head_first(state.project, conn):
        run = last_upgrade(conn, revision)
        if run is None or (
            same_size(run["size"], settings.size) and int(run["seed"]) == settings.seed
        ):
            continue  # ("small" and "100" are one size)
        raise Refused(
            f"seed revision {revision} was applied with size {run['size']} and seed "
            f"{run['seed']}, this run asks for size {settings.size.name} and seed "
            f"{settings.seed}; to change the dataset run seedctl downgrade base --yes, then "
            f"seedctl upgrade --size {settings.size.name} --seed {settings.seed}"
        )


def check_pending_sources(state: RunState, conn: Connection, destination: str) -> None:
    """Check the sources of every revision this upgrade will apply before the first one runs,
    so a PII column without a masking strategy in the last revision stops the run with nothing
    written (each revision is its own transaction).

    Raises:
        UnmaskedPII, ConfigurationError: see :func:`seedlib.engine.sources.check_sources`.
    """
    from seedlib.engine.sources import check_sources

    current = applied_seed_revisions(conn)
    try:
        scripts = list(state.project.script.iterate_revisions(destination, current or "base"))
    except Exception:  # relative targets (+1) are left to each revision's own check
        return
    specs = [getattr(s.module, "SEEDS", None) for s in reversed(scripts)]
    if any(spec for spec in specs):
        metadata = state.schema(conn)
        for spec in specs:
            if spec:
                check_sources(metadata, spec, state.settings)


def check_pending_engines(state: RunState, conn: Connection, destination: str) -> None:
    """MySQL/MariaDB: refuse, before the first revision runs, to seed a table whose storage
    engine cannot roll back (MyISAM, Aria …). The tables are those in the ``SEEDS`` of every
    revision this upgrade applies; a revision without ``SEEDS`` may seed any table of the
    models, so all of them are checked.

    Raises:
        ConfigurationError: see :func:`seedlib.load.mysql.refuse_unsafe_engines`.
    """
    if conn.dialect.name not in ("mysql", "mariadb"):
        return
    from seedlib.direct import writes_rows
    from seedlib.load.mysql import refuse_unsafe_engines

    current = applied_seed_revisions(conn)
    specs: list[object]
    try:
        scripts = list(state.project.script.iterate_revisions(destination, current or "base"))
        specs = [getattr(script.module, "SEEDS", None) for script in scripts]
    except Exception:  # relative targets (+1): every table of the models is checked
        specs = [None]
    if not specs:
        return
    metadata = state.schema(conn)
    names: dict[str, None] = {}
    for spec in reversed(specs):  # (oldest revision first)
        if not isinstance(spec, Mapping):
            names.update(dict.fromkeys(metadata.tables))
            continue
        names.update((name, None) for name, value in spec.items() if writes_rows(value))
    tables = [metadata.tables[n] for n in names if n in metadata.tables]
    refuse_unsafe_engines(conn, tables, "take {table} out of the seed revision's SEEDS")


def remove_revision(state: RunState, conn: Connection, revision: str, *, action: str) -> None:
    """Delete ``revision``'s ledgered rows, audit it, and record the run (one transaction)."""
    from seedlib.rollback import unseed_revision
    from seedlib.track import audit
    from seedlib.track.runs import record_run

    started_at = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    report = unseed_revision(conn, revision)
    progress.clear(conn, revision)
    tables = [{"table": t, "rows": n} for t, n in report.deleted.items()]
    record = audit.rollback_record(
        run_id=state.run_id,
        revision=revision,
        settings=state.settings,
        report=report,
        action=action,
    )
    audit.store(conn, record)
    log.get_logger(run_id=state.run_id).info("rollback_audit", **audit.for_log(record))
    state.audits.append(record)
    record_run(
        conn,
        run_id=state.run_id,
        revision=revision,
        direction="downgrade",
        settings=state.settings,
        tables=tables,
        row_count=sum(report.deleted.values()),
        started_at=started_at,
    )
    state.results.append(
        RevisionResult(
            revision, "downgrade", tables, time.perf_counter() - started, report.problems
        )
    )


def _write_audit_file(state: RunState, engine: Engine) -> None:
    """Append the audit records of deletions that committed to ``--audit-file``."""
    from seedlib.track import audit

    path = state.settings.audit_file
    if not path or not state.audits:
        return
    try:
        with engine.connect() as conn:
            still_applied = set(applied_head_first(state.project, conn))
            unfinished = set(progress.unfinished(conn))
    except Exception as exc:  # never hide the run's own outcome behind the audit file
        log.get_logger(run_id=state.run_id).error("audit_file_failed", error=str(exc))
        return
    audit.append_file(
        path,
        [
            r
            for r in state.audits
            if r["revision"] not in still_applied and r["revision"] not in unfinished
        ],
    )
