"""``seedctl pii``: suggest PII columns (``scan``), prove none reached a database (``verify``)."""

from __future__ import annotations

import json
import os
from typing import Annotated

import typer
from rich.table import Table

from seedlib.cli._common import JsonOpt, UrlOpt, _errors, out
from seedlib.exceptions import ConfigurationError, UnmaskedPII
from seedlib.mask.scan import scan
from seedlib.mask.sources import DatabaseSource, open_source, reader
from seedlib.mask.verify import verify

app = typer.Typer(
    name="pii",
    help="Find personal data: suggest PII columns, verify none reached a database.",
    no_args_is_help=True,
)


def _url(database_url: str | None) -> str:
    url = database_url or os.environ.get("SEEDLIB_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        raise ConfigurationError(
            "no database URL: pass --database-url or set SEEDLIB_DATABASE_URL or DATABASE_URL"
        )
    return url


@app.command("scan")
def scan_command(
    database_url: UrlOpt = None,
    sample: Annotated[
        int, typer.Option("--sample", min=0, help="values to sample per text column")
    ] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Suggest columns that look like PII, by name and by sampled values. Changes nothing."""
    with _errors():
        engine = reader(_url(database_url))
        try:
            with engine.connect() as conn:
                suggestions = scan(conn, sample=sample)
        finally:
            engine.dispose()
        if as_json:
            out.print_json(json.dumps([s.as_dict() for s in suggestions]))
            return
        if not suggestions:
            out.print("No column looks like PII.")
            return
        table = Table(title="PII suggestions (confirm each in Column.info['pii'])")
        for name in ("table", "column", "kind", "reason", "declared"):
            table.add_column(name)
        for s in suggestions:
            table.add_row(s.table, s.column, s.kind, s.reason, s.declared or "")
        out.print(table)


@app.command("verify")
def verify_command(
    source: Annotated[
        str, typer.Option("--source", help="the original data: a .csv/.jsonl file or a URL")
    ],
    table: Annotated[
        str | None, typer.Option("--table", help="the table to read when --source is a URL")
    ] = None,
    column: Annotated[
        list[str] | None,
        typer.Option(
            "--column",
            help="SOURCE_COLUMN=KIND to check (repeatable) [default: suggested by name/values]",
        ),
    ] = None,
    schema: Annotated[
        list[str] | None,
        typer.Option(
            "--schema",
            help="a schema of the database to read (repeatable) [default: the default schema]",
        ),
    ] = None,
    database_url: UrlOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Exit 7 if any original PII value of the source is found in the database."""
    with _errors():
        columns: dict[str, str] | None = None
        if column:
            columns = {}
            for item in column:
                name, sep, kind = item.partition("=")
                if not sep or not name or not kind:
                    raise ConfigurationError(f"--column {item!r}: use SOURCE_COLUMN=KIND")
                columns[name] = kind
        if "://" in source and table is None:
            raise ConfigurationError("--table is required when --source is a database URL")
        original = open_source(source, source_table=table)
        try:
            schemas: list[str | None] = list(schema) if schema else [None]
            report = verify(original, _url(database_url), columns=columns, schemas=schemas)
        finally:
            if isinstance(original, DatabaseSource):
                original.dispose()
        if as_json:
            out.print_json(json.dumps(report.as_dict()))
        else:
            checked = ", ".join(f"{c} ({k})" for c, k in report.checked_columns.items())
            out.print(f"Checked source columns: {checked or 'none'}")
            out.print(
                f"Scanned {sum(report.scanned.values())} values in "
                f"{len(report.scanned)} text columns."
            )
            if report.ok:
                out.print("No original PII value found.")
            else:
                found = Table(title="Original PII found (values not shown)")
                for name in ("table", "column", "kind", "how", "count"):
                    found.add_column(name)
                for f in report.findings:
                    found.add_row(f.table, f.column, f.kind, f.how, str(f.count))
                out.print(found)
        if not report.checked_columns:
            raise ConfigurationError(
                "no PII column found in the source: name them with --column SOURCE_COLUMN=KIND"
            )
        if not report.ok:
            total = sum(f.count for f in report.findings)
            raise UnmaskedPII(
                f"{total} original PII value(s) found in {len(report.findings)} place(s)",
                [f.as_dict() for f in report.findings],
            )
