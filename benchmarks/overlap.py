"""Prototype: seedlib's generation in forked processes overlapped with COPY (seedlib.load.parallel).

    python -m benchmarks.overlap --rows 200000 --workers 1,2

Runs the engine's own generation (``_Seeding.make_batch``, the same generators, keys and block
hashes) through :func:`seedlib.load.parallel.copy_batches`, then the ledger and the foreign-key
check, in one transaction — the work ``seed_tables`` does for a table without natural-key
clashes. It checks that the table's content hash and the loaded rows equal those of a plain
``seed_tables`` run, and prints rows/s of both next to COPY of pre-built rows.
"""

from __future__ import annotations

import argparse
import time
import uuid
from typing import Any

from sqlalchemy import text

from seedlib.config import resolve_settings
from seedlib.engine import (
    BATCH_ROWS,
    DEFAULT_CHUNK_ROWS,
    HASH_MOD,
    _Seeding,
    block_hashes,
    key_shape,
    seed_tables,
    verify_foreign_keys,
)
from seedlib.generate.rng import stable_hash
from seedlib.generate.values import Columnar
from seedlib.load.parallel import copy_batches
from seedlib.plan.spec import build_plan
from seedlib.track import ledger

from .run import database, fresh_table, prebuilt, raw_load

SPEC_SIZE = 100


def table_digest(conn: Any) -> str:
    return str(
        conn.execute(
            text("SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM bench_clients t")
        ).scalar_one()
    )


def sequential(url: str, rows: int) -> tuple[float, str, str]:
    engine, table = fresh_table(url)
    settings = resolve_settings(database_url=url, size=str(rows), environ={})
    label = f"bench-{uuid.uuid4().hex[:8]}"
    try:
        with engine.begin() as conn:
            started = time.perf_counter()
            [report] = seed_tables(
                conn,
                table.metadata,
                {table.name: SPEC_SIZE},
                settings=settings,
                revision=label,
                run_id=label,
            )
            seconds = time.perf_counter() - started
            return seconds, report.content_hash, table_digest(conn)
    finally:
        engine.dispose()


def overlapped(url: str, rows: int, workers: int) -> tuple[float, str, str]:
    engine, table = fresh_table(url)
    settings = resolve_settings(database_url=url, size=str(rows), environ={})
    label = f"bench-{uuid.uuid4().hex[:8]}"
    try:
        with engine.begin() as conn:
            started = time.perf_counter()
            plan = build_plan(table.metadata, {table.name: SPEC_SIZE}, settings.size)
            run = _Seeding(conn, plan, settings, label, label, None, None, DEFAULT_CHUNK_ROWS)
            run.reserve(table)
            name = table.fullname
            shape = key_shape(table)
            gens = run.generators(table, set())
            bases = [stable_hash(settings.seed, name, column) for column, _ in gens]
            columns = [shape.columns[0], *(c for c, _ in gens)]
            keys = run.keys[name]
            needs_rows = any(g is not None and not isinstance(g, Columnar) for _, g in gens)
            total = plan.counts[name]

            def make(ordinals: range) -> tuple[list[list[Any]], int]:
                batch = run.make_batch(
                    table, shape, gens, bases, columns, keys, ordinals, needs_rows
                )
                ords = [values.pop() for values in batch]
                return batch, block_hashes(ords, batch)

            tasks = [range(f, min(f + BATCH_ROWS, total)) for f in range(0, total, BATCH_ROWS)]
            sums = copy_batches(conn, table, columns, tasks, make, workers=workers)
            content = sum(sums) % HASH_MOD
            run.ledger_rows(name, shape, columns, ledger.to_ranges(keys))
            verify_foreign_keys(conn, [table], label)
            seconds = time.perf_counter() - started
            return seconds, f"{content:032x}", table_digest(conn)
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    n = args.rows
    with database("postgresql", args.postgres) as url:
        data = prebuilt(n)
        for _ in range(args.repeat):
            copy_s = raw_load(url, data, "copy")
            seq_s, seq_hash, seq_digest = sequential(url, n)
            print(f"COPY of pre-built rows: {n / copy_s:,.0f} rows/s", flush=True)
            print(f"seed_tables: {n / seq_s:,.0f} rows/s = {copy_s / seq_s:.2f}x COPY", flush=True)
            for workers in [int(w) for w in args.workers.split(",")]:
                par_s, par_hash, par_digest = overlapped(url, n, workers)
                same = par_hash == seq_hash and par_digest == seq_digest
                print(
                    f"overlapped, {workers} generator process(es): {n / par_s:,.0f} rows/s = "
                    f"{copy_s / par_s:.2f}x COPY; same rows and hash as seed_tables: {same}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
