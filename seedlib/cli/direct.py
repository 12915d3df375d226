"""``seedctl seed`` and ``seedctl unseed``: seed any database directly, under a label."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

import seedlib.direct as direct
from seedlib.cli._common import (
    DryOpt,
    EnvOpt,
    JsonOpt,
    LockOpt,
    ProdOpt,
    SeedOpt,
    WorkersOpt,
    _confirm,
    _errors,
    _progress,
    _render_previews,
    out,
)
from seedlib.exceptions import ConfigurationError, Refused

RequiredUrl = Annotated[
    str,
    typer.Option(
        "--database-url", help="SQLAlchemy URL of the database to seed", show_default=False
    ),
]
LabelOpt = Annotated[
    str,
    typer.Option("--label", help="names the seeded rows, so `seedctl unseed` can remove them"),
]


def _table_counts(values: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        name, sep, number = value.rpartition("=")
        if not sep or not name or not number.isdigit():
            raise ConfigurationError(f"--table {value!r}: expected TABLE=ROWS, e.g. orders=500")
        if name in counts and counts[name] != int(number):
            raise ConfigurationError(
                f"--table {name} is given twice ({counts[name]} and {number}); give it once"
            )
        counts[name] = int(number)
    return counts


def seed(
    database_url: RequiredUrl,
    rows: Annotated[int, typer.Option("--rows", min=0, help="rows per table")] = (
        direct.DEFAULT_ROWS
    ),
    table: Annotated[
        list[str] | None,
        typer.Option("--table", help="TABLE=ROWS for one table (repeatable)"),
    ] = None,
    schema: Annotated[
        list[str] | None,
        typer.Option("--schema", help="schema to seed (repeatable) [default: the default one]"),
    ] = None,
    seed: SeedOpt = None,
    label: LabelOpt = direct.DEFAULT_LABEL,
    env: EnvOpt = None,
    lock_timeout: LockOpt = None,
    allow_production: ProdOpt = False,
    dry_run: DryOpt = False,
    workers: WorkersOpt = None,
    chunk_rows: Annotated[
        int | None,
        typer.Option(
            "--chunk-rows",
            min=1,
            help="a seeding this large commits every N rows and can resume after a crash; "
            "above the total, it is one transaction [default: $SEEDLIB_CHUNK_ROWS or 50000]",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Reflect a database and seed every table; the rows are ledgered under --label."""
    with _errors():
        tables = _table_counts(table or [])
        with _progress() as progress:
            result = direct.seed(
                database_url,
                rows=rows,
                tables=tables,
                schemas=schema or [],
                seed=seed or 0,
                label=label,
                env=env,
                allow_production=allow_production,
                lock_timeout=lock_timeout,
                dry_run=dry_run,
                workers=workers,
                chunk_rows=chunk_rows,
                progress=progress,
            )
        if as_json:
            out.print_json(json.dumps(result.as_dict(), default=str))
            return
        if result.already_seeded:
            out.print(f"Nothing to do: label {label!r} is already seeded with these parameters.")
            return
        title = "would insert (dry run)" if dry_run else f"seeded under label {label!r}"
        view = Table(title=title)
        for column in ("table", "rows", "skipped", "rows/s"):
            view.add_column(column, justify="left" if column == "table" else "right")
        for t in result.tables:
            view.add_row(
                str(t["table"]),
                f"{int(t['rows']):,}",
                f"{int(t.get('skipped', 0)):,}",
                f"{float(t['rows_per_s']):,.0f}" if "rows_per_s" in t else "",
            )
        out.print(view)
        if not dry_run:
            out.print(f"{result.total_rows:,} rows in {result.seconds:.2f} s.")


def unseed(
    database_url: RequiredUrl,
    label: LabelOpt = direct.DEFAULT_LABEL,
    env: EnvOpt = None,
    lock_timeout: LockOpt = None,
    allow_production: ProdOpt = False,
    dry_run: DryOpt = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")] = False,
    audit_file: Annotated[
        str | None,
        typer.Option("--audit-file", help="also append the audit record (JSON line) here"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete exactly the rows `seedctl seed` inserted under --label."""
    with _errors():
        options = {
            "label": label,
            "env": env,
            "lock_timeout": lock_timeout,
            "allow_production": allow_production,
        }
        preview = direct.unseed(database_url, dry_run=True, **options)  # type: ignore[arg-type]
        if dry_run or not preview.ledgered:
            if as_json:
                out.print_json(json.dumps(preview.as_dict(), default=str))
            elif not preview.ledgered:
                out.print(f"Nothing to do: no rows are seeded under label {label!r}.")
            else:
                _render_previews([preview], out)
                out.print("Dry run: nothing was deleted.")
            return
        if not yes and not _confirm([preview]):
            raise Refused("unseed not confirmed; nothing was deleted")
        report = direct.unseed(database_url, audit_file=audit_file, **options)  # type: ignore[arg-type]
        if as_json:
            out.print_json(json.dumps(report.as_dict(), default=str))
            return
        for problem in report.problems:
            out.print(f"warning: {problem}")
        out.print(f"Deleted {sum(report.deleted.values()):,} rows seeded under label {label!r}.")
