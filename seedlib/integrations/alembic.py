"""Helpers for Alembic: the application's ``include_object`` filter and the seeds environment."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic.config import Config

    from seedlib.engine import TableReport
    from seedlib.plan.spec import SeedSpec

#: Schema that holds seedlib's bookkeeping tables on PostgreSQL.
SEEDLIB_SCHEMA = "seedlib"
#: Names of seedlib's bookkeeping tables where the database has no schemas (SQLite, MySQL).
SEEDLIB_TABLES = frozenset(
    {
        "alembic_seed_version",
        "seedlib_ledger",
        "seedlib_runs",
        "seedlib_progress",
        "seedlib_audit",
        "seedlib_lock_holders",
    }
)


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Hide seedlib's own tables from an application's autogenerate and ``alembic check``.

    Pass it as ``context.configure(..., include_object=include_object)`` in the application's
    ``env.py``: without it, autogenerate proposes to drop the seeds' version table and ledger.
    """
    table = obj if type_ == "table" else getattr(obj, "table", None)
    if table is None:
        return True
    table_name = name if type_ == "table" else getattr(table, "name", None)
    if getattr(table, "schema", None) == SEEDLIB_SCHEMA:
        return False
    return table_name not in SEEDLIB_TABLES


def run_env() -> None:
    """The whole body of a seeds environment's ``env.py``."""
    from alembic import context

    from seedlib.runtime import run_environment

    run_environment(context)  # type: ignore[arg-type]


def seed_revision(revision: str, spec: SeedSpec) -> list[TableReport]:
    """Generate and load the rows ``spec`` asks for; call it from a seed revision's ``upgrade()``.

    Args:
        revision: the revision's id (its module-level ``revision``); rows are ledgered under it.
        spec: ``{table: rows at size small}`` or ``{table: TableSpec(rows, columns={...})}``.

    Raises:
        DataError: rows cannot be generated or break a foreign key; the revision rolls back.
    """
    import datetime as dt
    import time

    from alembic import context, op

    from seedlib.engine import seed_tables
    from seedlib.runtime import RevisionResult, state_of
    from seedlib.track.runs import record_run

    state = state_of(context.config)
    conn = op.get_bind()
    migration = context.get_context()

    def checkpoint() -> bool:
        # Commit the chunk and open the transaction Alembic will stamp the revision in. Alembic
        # keeps its per-migration transaction in ``_transaction`` (no public hook exists); when it
        # is absent (an external transaction) the revision simply stays one transaction.
        current = getattr(migration, "_transaction", None)
        if current is None or not current.is_active:
            return False
        current.commit()
        migration._transaction = conn.begin()
        return True

    started_at = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    reports = seed_tables(
        conn,
        state.schema(conn),
        spec,
        settings=state.settings,
        revision=revision,
        run_id=state.run_id,
        progress=state.progress,
        checkpoint=checkpoint,
        chunk_rows=state.settings.chunk_rows,
    )
    tables = [r.as_dict() for r in reports]
    record_run(
        conn,
        run_id=state.run_id,
        revision=revision,
        direction="upgrade",
        settings=state.settings,
        tables=tables,
        row_count=sum(r.rows for r in reports),
        started_at=started_at,
    )
    state.results.append(RevisionResult(revision, "upgrade", tables, time.perf_counter() - started))
    return reports


def unseed_revision(revision: str) -> None:
    """Delete exactly the rows ``revision`` inserted; call it from a seed revision's
    ``downgrade()``.

    Raises:
        RollbackBlocked: rows the seeds did not insert reference seeded rows; nothing is deleted.
    """
    from alembic import context, op

    from seedlib.runtime import remove_revision, state_of

    remove_revision(state_of(context.config), op.get_bind(), revision, action="downgrade")


def schema_head(config: Config) -> str | None:
    """The application's schema head, for ``requires_schema`` in new seed revisions."""
    from seedlib.project import Project

    heads = Project(config).schema_heads()
    if len(heads) > 1:
        raise ValueError(f"the schema migrations have several heads ({', '.join(heads)})")
    return heads[0] if heads else None
