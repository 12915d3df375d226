"""PostgreSQL partitioned tables are seeded through the partitioned table, never partition by
partition, with the partition key kept within the partitions' bounds."""

from __future__ import annotations

from sqlalchemy import text

import seedlib
from seedlib.db import engine_for

SCHEMA = [
    "CREATE TABLE sales (id int, region text NOT NULL, PRIMARY KEY (id, region))"
    " PARTITION BY LIST (region)",
    "CREATE TABLE sales_west PARTITION OF sales FOR VALUES IN ('west', 'north')",
    "CREATE TABLE sales_east PARTITION OF sales FOR VALUES IN ('east')",
    "CREATE TABLE events (id int, day date NOT NULL, PRIMARY KEY (id, day))"
    " PARTITION BY RANGE (day)",
    "CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
    "CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
    "CREATE TABLE levels (id int, k int NOT NULL) PARTITION BY RANGE (k)",
    "CREATE TABLE levels_low PARTITION OF levels FOR VALUES FROM (MINVALUE) TO (10)",
    "CREATE TABLE levels_mid PARTITION OF levels FOR VALUES FROM (100) TO (200)",
    "CREATE TABLE hits (id int PRIMARY KEY, n int) PARTITION BY HASH (id)",
    "CREATE TABLE hits_0 PARTITION OF hits FOR VALUES WITH (modulus 2, remainder 0)",
    "CREATE TABLE hits_1 PARTITION OF hits FOR VALUES WITH (modulus 2, remainder 1)",
    "CREATE TABLE notes (id int, tag text) PARTITION BY LIST (tag)",
    "CREATE TABLE notes_a PARTITION OF notes FOR VALUES IN ('a')",
    "CREATE TABLE notes_rest PARTITION OF notes DEFAULT",
]
PARENTS = ("sales", "events", "levels", "hits", "notes")


def test_partitioned_tables_are_seeded_once_within_their_bounds(postgres_url: str) -> None:
    engine = engine_for(postgres_url)
    try:
        with engine.begin() as conn:
            for statement in SCHEMA:
                conn.execute(text(statement))
        result = seedlib.seed(postgres_url, rows=30, label="parts")
        reports = {t["table"]: t for t in result.tables}
        assert set(reports) == set(PARENTS)
        assert {t: (r["rows"], r["skipped"]) for t, r in reports.items()} == dict.fromkeys(
            PARENTS, (30, 0)
        )
        with engine.connect() as conn:
            for parent in PARENTS:
                assert conn.execute(text(f"SELECT count(*) FROM {parent}")).scalar() == 30
            spread = conn.execute(text("SELECT DISTINCT tableoid::regclass::text FROM sales"))
            assert set(spread.scalars()) == {"sales_west", "sales_east"}
        assert seedlib.unseed(postgres_url, label="parts").problems == []
        with engine.connect() as conn:
            for parent in PARENTS:
                assert conn.execute(text(f"SELECT count(*) FROM {parent}")).scalar() == 0
    finally:
        engine.dispose()
