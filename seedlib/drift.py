"""Drift: the database's schema revision against the migrations' heads, and the live schema
against the application's models. Differences are returned as data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Table
from sqlalchemy.exc import NoSuchTableError

from seedlib.exceptions import DriftDetected
from seedlib.integrations.alembic import include_object

if TYPE_CHECKING:
    from sqlalchemy import MetaData
    from sqlalchemy.engine import Connection

    from seedlib.project import Project

_WORDS = {
    "add": "is in the models but missing from the database",
    "remove": "is in the database but not in the models",
}


@dataclass(frozen=True)
class RevisionState:
    """The schema revision(s) the database is at, and the migrations' head(s)."""

    current: tuple[str, ...]
    heads: tuple[str, ...]

    @property
    def in_sync(self) -> bool:
        return set(self.current) == set(self.heads)

    def as_dict(self) -> dict[str, Any]:
        return {"current": list(self.current), "heads": list(self.heads), "in_sync": self.in_sync}


def schema_revision_state(conn: Connection, project: Project) -> RevisionState:
    """Read the application's version table and the application's migration heads."""
    context = MigrationContext.configure(conn, opts={"version_table": project.schema_version_table})
    return RevisionState(tuple(sorted(context.get_current_heads())), project.schema_heads())


def _show(revisions: Sequence[str]) -> str:
    return ", ".join(revisions) if revisions else "none (empty database)"


def check_schema_revision(conn: Connection, project: Project) -> RevisionState:
    """Refuse unless the database's schema revision equals the schema migrations' head(s).

    Raises:
        DriftDetected: the revisions differ; the message shows both.
    """
    state = schema_revision_state(conn, project)
    if project.schema_config is not None and not state.in_sync:
        raise DriftDetected(
            f"schema drift: the database is at schema revision {_show(state.current)} but the "
            f"migrations' head is {_show(state.heads)}; migrate the schema first "
            f"(alembic -c {project.schema_config.config_file_name} upgrade head)",
            [{"op": "schema_revision", **state.as_dict()}],
        )
    return state


def check_requires_schema(
    project: Project, state: RevisionState, requirements: dict[str, str | None]
) -> None:
    """Refuse seed revisions written for a schema revision the database has not reached.

    Args:
        requirements: ``{seed revision: requires_schema}`` for the revisions about to run.

    Raises:
        DriftDetected: a required schema revision is not among the applied ones.
    """
    script = project.schema_script
    if script is None or not state.current:
        return
    applied = {rev.revision for rev in script.iterate_revisions(state.current, "base")}
    for seed_revision, required in requirements.items():
        if required and required not in applied:
            raise DriftDetected(
                f"seed revision {seed_revision} requires schema revision {required}, which this "
                f"database has not applied (it is at {_show(state.current)}); migrate the schema",
                [{"op": "requires_schema", "revision": seed_revision, "requires": required}],
            )


def _name(obj: Any) -> str:
    if isinstance(obj, Table):
        return obj.fullname
    if isinstance(obj, Column):
        return f"{obj.table.fullname}.{obj.name}" if obj.table is not None else str(obj.name)
    table = getattr(obj, "table", None)
    label = getattr(obj, "name", None) or type(obj).__name__
    return f"{table.fullname}.{label}" if table is not None else str(label)


def render_diff(diff: Any) -> list[dict[str, Any]]:
    """Alembic's autogenerate diff tuples as plain dicts with a readable ``message``."""
    if isinstance(diff, list):
        return [item for sub in diff for item in render_diff(sub)]
    op = str(diff[0])
    if op.startswith("modify_"):
        _op, schema, table, column, _kw, old, new = diff
        what = op.removeprefix("modify_")
        full = f"{schema}.{table}" if schema else table
        return [
            {
                "op": op,
                "object": f"{full}.{column}",
                "database": str(old),
                "models": str(new),
                "message": f"{full}.{column}: {what} is {old} in the database, {new} in the models",
            }
        ]
    verb, _sep, kind = op.partition("_")
    name = _name(diff[-1])
    return [
        {
            "op": op,
            "object": name,
            "message": f"{kind} {name} {_WORDS.get(verb, verb)}",
        }
    ]


def model_diffs(conn: Connection, metadata: MetaData) -> list[dict[str, Any]]:
    """Differences between the live database and ``metadata`` (seedlib's tables ignored)."""
    context = MigrationContext.configure(
        conn, opts={"include_object": include_object, "compare_type": True}
    )
    diffs = [item for diff in compare_metadata(context, metadata) for item in render_diff(diff)]
    return diffs + _missing_checks(conn, metadata)


def _missing_checks(conn: Connection, metadata: MetaData) -> list[dict[str, Any]]:
    """Named CHECK constraints of the models that the live table lacks (Alembic does not
    compare CHECKs). Live CHECKs the models lack are not reported: MariaDB adds its own for
    JSON columns."""
    from sqlalchemy import CheckConstraint, inspect

    inspector = inspect(conn)
    preparer = conn.dialect.identifier_preparer
    found: list[dict[str, Any]] = []
    for table in metadata.sorted_tables:
        wanted = {}
        for constraint in table.constraints:
            if isinstance(constraint, CheckConstraint) and constraint.name:
                name = preparer.format_constraint(constraint)
                if isinstance(name, str):
                    wanted[name.strip('"`').lower()] = name.strip('"`')
        if not wanted:
            continue
        try:
            live = inspector.get_check_constraints(table.name, schema=table.schema)
        except (NotImplementedError, NoSuchTableError):
            continue
        have = {str(c.get("name") or "").lower() for c in live}
        found += [
            {
                "op": "remove_check",
                "object": f"{table.fullname}.{name}",
                "message": f"check constraint {table.fullname}.{name} is missing",
            }
            for key, name in sorted(wanted.items())
            if key not in have
        ]
    return found


def check_models(conn: Connection, project: Project) -> None:
    """Refuse when the live schema differs from the application's models (``--strict``).

    Raises:
        DriftDetected: carrying the differences.
    """
    metadata = project.models
    if metadata is None:
        return
    diffs = model_diffs(conn, metadata)
    if diffs:
        raise DriftDetected(
            f"schema drift: {len(diffs)} difference(s) between the database and the models "
            f"(first: {diffs[0]['message']}); run seedctl check for all of them",
            diffs,
        )


def _needs_a_value(column: Mapping[str, Any]) -> bool:
    """A live column (as the inspector reports it) that an INSERT must give a value."""
    return not (
        column.get("nullable", True)
        or column.get("default") is not None
        or column.get("computed")
        or column.get("identity")
        or column.get("autoincrement") is True
    )


def check_present(conn: Connection, project: Project) -> None:
    """Refuse when a table or column of the application's models is missing from the live
    database, though its schema revision is the head (dropped by hand, say), or when the
    database refuses NULL in a column the seeds may leave NULL (one the models lack, or
    declare nullable): the seeds would fail half-way through. Cheap, so always checked;
    ``--strict`` compares everything.

    Raises:
        DriftDetected: naming the first missing table or column.
    """
    metadata = project.models
    if metadata is None:
        return
    from sqlalchemy import inspect

    inspector = inspect(conn)
    missing: list[dict[str, Any]] = []
    names: dict[str | None, set[str]] = {}
    for table in metadata.sorted_tables:
        if table.schema not in names:
            names[table.schema] = set(inspector.get_table_names(schema=table.schema)) | set(
                inspector.get_view_names(schema=table.schema)
            )
        if table.name not in names[table.schema]:
            missing.append({"message": f"table {table.fullname} is missing"})
            continue
        columns = {c["name"]: c for c in inspector.get_columns(table.name, schema=table.schema)}
        missing += [
            {"message": f"column {table.fullname}.{c.name} is missing"}
            for c in table.columns
            if c.name not in columns and c.computed is None
        ]
        # Columns the seeds would leave NULL that the database refuses NULL in.
        missing += [
            {
                "message": f"column {table.fullname}.{name} is NOT NULL without a default "
                "but not in the models"
            }
            for name, c in columns.items()
            if name not in table.c and _needs_a_value(c)
        ]
        missing += [
            {
                "message": f"column {table.fullname}.{c.name} is NOT NULL in the database but "
                "nullable in the models"
            }
            for c in table.columns
            if c.name in columns and c.nullable and _needs_a_value(columns[c.name])
        ]
    if missing:
        raise DriftDetected(
            f"schema drift: the database is at the schema head but {missing[0]['message']}"
            f"{f' (and {len(missing) - 1} more)' if len(missing) > 1 else ''}; migrate it "
            "again or run seedctl check for all differences, nothing was seeded",
            missing,
        )
