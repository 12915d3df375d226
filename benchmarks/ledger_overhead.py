"""Cost of the ledger: seeding with ledger writes against the same run with them switched off.

    python -m benchmarks.ledger_overhead [--rows 200000] [--database-url URL]

Both runs seed the same table in the same database (emptied between runs) in one process; the
result goes to benchmarks/results/ledger_overhead.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, text

from benchmarks.run import clients_table
from seedlib.config import resolve_settings
from seedlib.db import engine_for
from seedlib.engine import seed_tables
from seedlib.track import ledger
from seedlib.track.ledger import ensure_bookkeeping

RESULTS = Path(__file__).parent / "results" / "ledger_overhead.json"


def run(url: str, rows: int, with_ledger: bool) -> float:
    metadata = MetaData()
    table = clients_table(metadata)
    engine = engine_for(url)
    settings = resolve_settings(database_url=url, size=str(rows), environ={})
    original = ledger.record
    if not with_ledger:
        ledger.record = lambda *a, **k: 0  # type: ignore[assignment]
    try:
        with engine.begin() as conn:
            metadata.drop_all(conn)
            metadata.create_all(conn)
            ensure_bookkeeping(conn)
        with engine.begin() as conn:
            started = time.perf_counter()
            seed_tables(
                conn,
                metadata,
                {table.name: 100},
                settings=settings,
                revision=f"bench-{uuid.uuid4().hex[:8]}",
                run_id=str(uuid.uuid4()),
            )
            seconds = time.perf_counter() - started
        with engine.begin() as conn:
            conn.execute(
                text(f"DELETE FROM {ledger.bookkeeping(conn.dialect.name).ledger.fullname}")
            )
            metadata.drop_all(conn)
        return seconds
    finally:
        ledger.record = original  # type: ignore[assignment]
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1/postgres"
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    timings: dict[str, list[float]] = {"with_ledger": [], "without_ledger": []}
    for _ in range(args.repeat):  # interleaved so drift on a busy machine hits both alike
        timings["without_ledger"].append(run(args.database_url, args.rows, False))
        timings["with_ledger"].append(run(args.database_url, args.rows, True))
    best = {k: min(v) for k, v in timings.items()}
    result: dict[str, Any] = {
        "rows": args.rows,
        "database": args.database_url.split("@")[-1],
        "machine": platform.platform(),
        "seconds": best,
        "overhead": round(best["with_ledger"] / best["without_ledger"] - 1, 4),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
