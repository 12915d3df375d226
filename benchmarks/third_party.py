"""Seed the third-party schemas of tests/schemas/ (PowerDNS, MLflow, Buildbot) and report.

    python -m benchmarks.third_party [--rows 1000] [--json out.json] [--skip mysql]

For each schema and database: create the schema as its project ships it in a fresh database and
seed every table with ``seedlib.seed(rows=N)``. When a run fails, the table it failed on is
dropped from a new copy of the schema (with the tables that reference it), the error kept as the
reason, and the run is retried, so the report shows how much of the schema seeds and exactly what
does not. Prints a Markdown table per database
(docs/third-party-schemas.md holds the latest one).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import make_url

import seedlib
from seedlib import log
from seedlib.db import engine_for, normalise_url
from tests.schemas import SCHEMAS, create, has_dialect
from tests.schemas.integrity import orphans, user_tables

LABEL = "bench"


@contextmanager
def fresh_database(dialect: str, server: str) -> Iterator[str]:
    """An empty database on ``server`` (a folder for SQLite), dropped afterwards."""
    if dialect == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'third_party.sqlite3'}"
        return
    name = f"seedlib_bench_{uuid.uuid4().hex[:10]}"
    url = normalise_url(server)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    quoted = f'"{name}"' if dialect == "postgresql" else f"`{name}`"
    charset = " CHARACTER SET utf8mb4" if dialect == "mysql" else ""
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {quoted}{charset}"))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        force = " WITH (FORCE)" if dialect == "postgresql" else ""
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {quoted}{force}"))
        admin.dispose()


def _short(error: BaseException) -> str:
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first}"[:300]


def _culprit(error: BaseException, order: list[str], done: set[str]) -> str | None:
    """The table a failed run stopped on: the first not finished, else one the error names."""
    pending = [t for t in order if t not in done]
    if pending:
        return pending[0]
    message = str(error)
    named = [
        (m.start(), t) for t in order for m in [re.search(rf"\b{re.escape(t)}\b", message)] if m
    ]
    return min(named)[1] if named else None


def _with_dependents(metadata: MetaData, tables: set[str]) -> set[str]:
    """``tables`` and every table that references one of them, transitively."""
    found = set(tables)
    while True:
        more = {
            t.name
            for t in metadata.tables.values()
            if t.name not in found
            and any(fk.referred_table.name in found for fk in t.foreign_key_constraints)
        }
        if not more:
            return found
        found |= more


def _drop(url: str, names: set[str]) -> None:
    engine = engine_for(url)
    try:
        with engine.begin() as conn:
            metadata = user_tables(conn)
            metadata.drop_all(conn, tables=[metadata.tables[n] for n in sorted(names)])
    finally:
        engine.dispose()


def seed_schema(name: str, dialect: str, server: str, rows: int) -> dict[str, Any]:
    """Seed one schema in a fresh database; when a run fails, drop the table it failed on (and
    the tables that reference it) from a new copy of the schema and try again."""
    excluded: dict[str, str] = {}
    attempts = 0
    while True:
        attempts += 1
        with fresh_database(dialect, server) as url:
            create(name, url)
            engine = engine_for(url)
            with engine.connect() as conn:
                metadata = user_tables(conn)
            engine.dispose()
            total_tables = len(metadata.tables)
            if excluded:
                _drop(url, set(excluded))
            order = [
                t["table"] for t in seedlib.seed(url, rows=rows, label=LABEL, dry_run=True).tables
            ]
            done: set[str] = set()

            def progress(table: str, finished: int, wanted: int, done: set[str] = done) -> None:
                if finished >= wanted:
                    done.add(table)

            started = time.perf_counter()
            try:
                result = seedlib.seed(url, rows=rows, label=LABEL, progress=progress)
            except Exception as error:
                culprit = _culprit(error, order, done)
                if culprit is None or attempts > total_tables:
                    return {
                        "schema": name,
                        "dialect": dialect,
                        "tables_total": total_tables,
                        "tables_seeded": 0,
                        "rows": 0,
                        "excluded": excluded,
                        "error": _short(error),
                        "attempts": attempts,
                    }
                excluded[culprit] = _short(error)
                for other in sorted(_with_dependents(metadata, {culprit}) - set(excluded)):
                    excluded[other] = f"references {culprit}, which is excluded"
                continue
            seconds = time.perf_counter() - started
            reports = result.tables
            return {
                "schema": name,
                "dialect": dialect,
                "tables_total": total_tables,
                "tables_seeded": sum(1 for r in reports if r["rows"] > 0),
                "rows": result.total_rows,
                "rows_asked": rows * len(reports),
                "skipped": {
                    r["table"]: {"rows": r["skipped"], "why": r.get("skip_reasons") or {}}
                    for r in reports
                    if r.get("skipped")
                },
                "excluded": excluded,
                "seconds": round(seconds, 3),
                "rows_per_s": round(result.total_rows / seconds, 1) if seconds else None,
                "orphans": orphans(url),
                "attempts": attempts,
            }


def _reasons(why: dict[str, Any]) -> str:
    return "; ".join(f"{k} ({v})" for k, v in why.items()) or "no reason given"


def markdown(results: list[dict[str, Any]], rows: int) -> str:
    """A summary table, then per schema and database the skipped rows and excluded tables."""
    lines = [
        f"Rows asked per table: {rows}.",
        "",
        "| schema | database | tables seeded / total | rows | rows skipped (tables) "
        "| tables excluded | seconds |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    details = []
    for r in results:
        skipped = r.get("skipped", {})
        total_skipped = sum(s["rows"] for s in skipped.values())
        excluded = len(r["excluded"]) + (1 if r.get("error") else 0)
        lines.append(
            f"| {r['schema']} | {r['dialect']} | {r['tables_seeded']} / {r['tables_total']} "
            f"| {r['rows']} | {total_skipped} ({len(skipped)}) | {excluded or 0} "
            f"| {r.get('seconds', '–')} |"
        )
        if skipped or r["excluded"] or r.get("error"):
            details.append(f"\n**{r['schema']} on {r['dialect']}**\n")
            details += [
                f"- skipped {s['rows']} of `{t}`: {_reasons(s['why'])}" for t, s in skipped.items()
            ]
            details += [f"- excluded `{t}`: {why}" for t, why in r["excluded"].items()]
            if r.get("error"):
                details.append(f"- run failed: {r['error']}")
    return "\n".join(lines + details)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1000, help="rows per table")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--mysql", default="mysql://root@127.0.0.1:3306/mysql")
    parser.add_argument("--skip", default="", help="comma list of: sqlite,postgresql,mysql")
    parser.add_argument("--schemas", default=",".join(SCHEMAS), help="comma list of schemas")
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    parser.add_argument("--verbose", action="store_true", help="show seedlib's own log")
    args = parser.parse_args(argv)
    log.configure(level=logging.INFO if args.verbose else logging.CRITICAL)
    servers = {"sqlite": "", "postgresql": args.postgres, "mysql": args.mysql}
    skip = set(filter(None, args.skip.split(",")))
    results = []
    for name in args.schemas.split(","):
        for dialect, server in servers.items():
            if dialect in skip or not has_dialect(name, dialect):
                continue
            print(f"{name} on {dialect} …", file=sys.stderr, flush=True)
            results.append(seed_schema(name, dialect, server, args.rows))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(markdown(results, args.rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
