"""``seedctl``: parses options, calls :mod:`seedlib.commands`, renders results, maps errors to
exit codes (documented in docs/cli.md)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from seedlib import commands, log
from seedlib.cli import direct, pii
from seedlib.cli._common import (
    DryOpt,
    EnvOpt,
    JsonOpt,
    LockOpt,
    LogFormat,
    ProdOpt,
    SeedOpt,
    SizeOpt,
    UrlOpt,
    WorkersOpt,
    _confirm,
    _errors,
    _progress,
    _render_previews,
    _state,
    err,
    out,
)
from seedlib.config import Settings, resolve_settings
from seedlib.project import Project

app = typer.Typer(
    name="seedctl",
    help="Versioned, reversible database seeding for Alembic projects.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(pii.app, name="pii")


@app.callback()
def _main(
    config: Annotated[
        str | None,
        typer.Option(
            "--config", "-c", help="seeds alembic.ini [default: $SEEDLIB_CONFIG or ./alembic.ini]"
        ),
    ] = None,
    log_format: Annotated[
        LogFormat | None,
        typer.Option("--log-format", help="[default: json unless stderr is a terminal]"),
    ] = None,
) -> None:
    """Seed revisions live in their own Alembic environment; `seedctl` drives it."""
    _state["config"] = config
    log.configure(None if log_format is None else log_format.value)


def _project() -> Project:
    return Project.load(_state.get("config"))


def _settings(project: Project, **options: Any) -> Settings:
    return resolve_settings(default_url=project.default_url, **options)


def _render_runs(result: commands.RunResult) -> None:
    if not result.revisions:
        out.print(
            "Nothing to do: every seed revision is already applied."
            if result.direction == "upgrade"
            else "Nothing to remove."
        )
        return
    table = Table(title=f"seedctl {result.direction}")
    timed = result.direction == "upgrade"  # a rollback is not timed per table
    columns = (
        ("revision", "table", "rows", "skipped", "seconds", "rows/s")
        if timed
        else ("revision", "table", "rows")
    )
    for column in columns:
        table.add_column(column, justify="right" if column not in ("revision", "table") else "left")
    skips: list[str] = []
    for rev in result.revisions:
        for t in rev.tables:
            cells = [rev.revision, str(t["table"]), f"{t['rows']:,}"]
            if timed:
                cells += [
                    f"{t.get('skipped', 0):,}",
                    f"{t.get('seconds', 0):.3f}",
                    f"{t.get('rows_per_s', 0):,.0f}",
                ]
            table.add_row(*cells)
            if timed and t.get("skipped"):
                reasons: dict[str, int] = t.get("skip_reasons") or {}
                first = max(reasons, key=lambda r: reasons[r]) if reasons else "see the log"
                skips.append(
                    f"{rev.revision} {t['table']}: {t['skipped']:,} rows skipped (most: {first})"
                )
        for problem in rev.problems:
            err.print(f"seedctl: warning: {rev.revision}: {problem}", markup=False)
    out.print(table)
    for skip in skips:  # the JSON log's row_skipped events name the rows
        out.print(skip, markup=False, highlight=False, soft_wrap=True)
    verb = "inserted" if result.direction == "upgrade" else "deleted"
    out.print(f"{result.total_rows:,} rows {verb} by {len(result.revisions)} revision(s).")


def _render_plan(revisions: list[dict[str, Any]], title: str) -> None:
    table = Table(title=title)
    for column in ("revision", "order", "table", "rows"):
        table.add_column(column, justify="right" if column in ("order", "rows") else "left")
    for rev in revisions:
        for i, t in enumerate(rev["tables"], 1):
            mark = " (applied)" if rev.get("applied") else ""
            table.add_row(f"{rev['revision']}{mark}", str(i), t["table"], f"{t['rows']:,}")
    out.print(table)
    total = sum(t["rows"] for rev in revisions for t in rev["tables"])
    out.print(f"{total:,} rows in {len(revisions)} revision(s).")


@app.command(epilog="Example: seedctl upgrade --env staging --size medium --seed 7")
def upgrade(
    env: EnvOpt = None,
    size: SizeOpt = None,
    seed: SeedOpt = None,
    database_url: UrlOpt = None,
    lock_timeout: LockOpt = None,
    allow_production: ProdOpt = False,
    dry_run: DryOpt = False,
    workers: WorkersOpt = None,
    target: Annotated[str, typer.Option("--target", help="seed revision to stop at")] = "heads",
    chunk_rows: Annotated[
        int | None,
        typer.Option(
            "--chunk-rows",
            min=1,
            help="revisions this large commit every N rows and can resume "
            "after a crash [default: $SEEDLIB_CHUNK_ROWS or 50000]",
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="also refuse when the live schema differs from the models"),
    ] = False,
    audit_file: Annotated[
        str | None,
        typer.Option(
            "--audit-file",
            help="also append the masking audit records (JSON lines) of sourced tables to "
            "this file [default: $SEEDLIB_AUDIT_FILE]",
        ),
    ] = None,
) -> None:
    """Apply pending seed revisions (the same as `alembic upgrade seeds@head`)."""
    with _errors():
        project = _project()
        settings = _settings(
            project,
            env=env,
            size=size,
            seed=seed,
            database_url=database_url,
            lock_timeout=lock_timeout,
            allow_production=allow_production,
            dry_run=dry_run,
            strict=strict,
            chunk_rows=chunk_rows,
            audit_file=audit_file,
            workers=workers,
        )
        if dry_run:
            planned = commands.upgrade(project, settings, target=target).planned
            _render_plan(planned, "seedctl upgrade --dry-run: would insert")
            return
        with _progress() as progress:
            result = commands.upgrade(project, settings, target=target, progress=progress)
        _render_runs(result)


@app.command(
    epilog="Example: seedctl downgrade base --dry-run; seedctl downgrade -1 --yes",
    context_settings={"ignore_unknown_options": True},
)
def downgrade(
    target: Annotated[str, typer.Argument(help="base, -N, or a seed revision id")] = "base",
    env: EnvOpt = None,
    database_url: UrlOpt = None,
    lock_timeout: LockOpt = None,
    allow_production: ProdOpt = False,
    dry_run: DryOpt = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")] = False,
    audit_file: Annotated[
        str | None,
        typer.Option(
            "--audit-file",
            help="also append the audit records (JSON lines) to this file "
            "[default: $SEEDLIB_AUDIT_FILE]",
        ),
    ] = None,
) -> None:
    """Remove seed revisions, deleting exactly the rows they inserted."""
    with _errors():
        project = _project()
        settings = _settings(
            project,
            env=env,
            database_url=database_url,
            lock_timeout=lock_timeout,
            allow_production=allow_production,
            dry_run=dry_run,
            assume_yes=yes,
            audit_file=audit_file,
        )
        result = commands.downgrade(project, settings, target=target, confirm=_confirm)
        if dry_run:
            _render_previews(result.previews, out)
            out.print("Dry run: nothing was deleted.")
            return
        _render_runs(result)


@app.command(epilog="Example: seedctl status --database-url postgresql://localhost/terp")
def status(database_url: UrlOpt = None, as_json: JsonOpt = False) -> None:
    """Applied and pending seed revisions, schema revision, and seeded rows per table."""
    with _errors():
        project = _project()
        result = commands.status(project, _settings(project, database_url=database_url))
        if as_json:
            out.print_json(json.dumps(result.as_dict(), default=str))
            return
        out.print(
            f"schema revision: {', '.join(result.schema.current) or 'none'} "
            f"(head {', '.join(result.schema.heads) or 'not configured'})"
            f"{'' if result.schema.in_sync else '  DRIFT'}"
        )
        out.print(f"seed revision:   {', '.join(result.applied) or 'none'}")
        out.print(f"pending:         {', '.join(result.pending) or 'none'}")
        holder = result.lock_holder
        if holder is not None:
            running = ", ".join(result.unfinished) or "no revision has committed rows yet"
            out.print(
                f"running:         {running} (a seeding run holds the lock: {holder.describe()})",
                markup=False,
            )
        for revision in [] if holder is not None else result.unfinished:
            out.print(
                f"interrupted:     {revision} (seedctl upgrade resumes it; seedctl "
                "downgrade removes its rows)"
            )
        for mismatch in result.mismatches:
            out.print(f"mismatch:        {mismatch}", markup=False)
        table = Table(title="seeded rows (ledger)")
        for column in ("revision", "table", "rows", "env", "size", "seed"):
            table.add_column(column, justify="right" if column in ("rows", "seed") else "left")
        for revision, tables in sorted(result.ledger.items()):
            params = result.parameters.get(revision, {})
            for name, count in tables.items():
                table.add_row(
                    revision,
                    name,
                    f"{count:,}",
                    str(params.get("env", "")),
                    str(params.get("size", "")),
                    str(params.get("seed", "")),
                )
        out.print(table)


@app.command(epilog="Example: seedctl check --json   (exit 0 when clean, 3 on drift)")
def check(database_url: UrlOpt = None, as_json: JsonOpt = False) -> None:
    """CI gate: the schema revision is at head and the live schema matches the models."""
    with _errors():
        project = _project()
        result = commands.check(project, _settings(project, database_url=database_url))
        if as_json:
            out.print_json(json.dumps(result.as_dict(), default=str))
        else:
            state = result.schema
            out.print(
                f"schema revision: {', '.join(state.current) or 'none'}; head: "
                f"{', '.join(state.heads) or 'not configured'} "
                f"({'in sync' if state.in_sync else 'DRIFT'})"
            )
            for diff in result.diffs:
                out.print(f"  - {diff['message']}", markup=False)
            if result.clean:
                out.print(
                    "No drift: the database matches the schema head"
                    f"{' and the models' if result.models_checked else ''}."
                )
        if not result.clean:
            err.print(
                "seedctl: error: schema drift detected; migrate the database (or fix the "
                "models) and run seedctl check again",
                markup=False,
            )
            raise typer.Exit(3)


@app.command(epilog="Example: seedctl plan --size large")
def plan(
    size: SizeOpt = None, env: EnvOpt = None, database_url: UrlOpt = None, as_json: JsonOpt = False
) -> None:
    """Every seed revision's tables in insertion order with their row counts."""
    with _errors():
        project = _project()
        settings = _settings(project, size=size, env=env, database_url=database_url)
        revisions = commands.plan(project, settings)
        if as_json:
            out.print_json(json.dumps({"size": settings.size.name, "revisions": revisions}))
            return
        _render_plan(revisions, f"seedctl plan (size {settings.size.name})")


app.command(
    "seed",
    epilog="Example: seedctl seed --database-url sqlite:///app.db --rows 1000 --table orders=5000",
)(direct.seed)
app.command(
    "unseed", epilog="Example: seedctl unseed --database-url sqlite:///app.db --label default --yes"
)(direct.unseed)


def main() -> None:
    """Console-script entry point. A mistyped command line is one line on stderr, exit 2,
    like every other failure (the parser would print a framed usage box)."""
    try:
        code = app(standalone_mode=False, prog_name="seedctl")
    except typer.Abort:  # EOF or Ctrl-C at a prompt
        err.print("seedctl: error: aborted; nothing was changed", markup=False, highlight=False)
        raise SystemExit(130) from None
    except Exception as exc:
        message = getattr(exc, "format_message", None)
        if message is None or not isinstance(getattr(exc, "exit_code", None), int):
            raise
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `seedctl`: the help
            exc.show()  # type: ignore[attr-defined]
            raise SystemExit(exc.exit_code) from None  # type: ignore[attr-defined]
        context = getattr(exc, "ctx", None)
        where = context.command_path if context is not None else "seedctl"
        text = " ".join(str(message()).split()).rstrip(".")
        err.print(f"seedctl: error: {text}; see {where} --help", markup=False, highlight=False)
        raise SystemExit(exc.exit_code) from None  # type: ignore[attr-defined]
    raise SystemExit(code if isinstance(code, int) else 0)
