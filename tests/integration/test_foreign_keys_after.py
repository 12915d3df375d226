"""Foreign keys checked once after a large PostgreSQL load: added back exactly, kept where they
must stay, never missing at a commit, and rows that break one are refused as they would be with
the constraint in place."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, text
from structlog.testing import capture_logs

import seedlib
from seedlib import TableSpec
from seedlib.config import Settings, resolve_settings
from seedlib.db import engine_for
from seedlib.engine import run as run_module
from seedlib.engine import seed_tables
from seedlib.exceptions import DataError
from seedlib.track.ledger import ensure_bookkeeping
from tests.conftest import _postgres_database, rows

SCHEMA = [
    "CREATE TABLE vendors (id serial PRIMARY KEY, name varchar(60) NOT NULL,"
    " code varchar(20) NOT NULL UNIQUE)",
    # a second unique index over the same column: adding a key again could pick either
    "CREATE UNIQUE INDEX ix_vendors_code_too ON vendors (code)",
    # the application's table, not seeded: its lock is never taken
    "CREATE TABLE regions (id serial PRIMARY KEY, name varchar(20) NOT NULL)",
    "INSERT INTO regions (name) VALUES ('north'), ('south'), ('east')",
    "CREATE TABLE items (id serial PRIMARY KEY,"
    " vendor_id integer NOT NULL REFERENCES vendors (id) ON DELETE CASCADE,"
    " backup_vendor_id integer, note varchar(40),"
    " vendor_code varchar(20) REFERENCES vendors (code),"
    " region_id integer REFERENCES regions (id),"
    # a word PostgreSQL reserves, which SQLAlchemy's quoting leaves bare
    ' CONSTRAINT "lateral" FOREIGN KEY (backup_vendor_id) REFERENCES vendors (id)'
    " MATCH FULL ON UPDATE CASCADE,"
    " CONSTRAINT fk_items_commented FOREIGN KEY (backup_vendor_id) REFERENCES vendors (id))",
    "COMMENT ON CONSTRAINT fk_items_commented ON items IS 'kept: a comment would be lost'",
]
ROWS = 300
VENDORS = 20
TABLES = {"vendors": VENDORS, "regions": 0, "items": ROWS}


def _create(url: str) -> None:
    engine = engine_for(url)
    try:
        with engine.begin() as conn:
            for statement in SCHEMA:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def _foreign_keys(url: str) -> dict[str, tuple[str, int]]:
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return {
                r[0]: (r[1], r[2])
                for r in conn.execute(
                    text(
                        "SELECT conname, pg_get_constraintdef(oid), CAST(oid AS bigint)"
                        " FROM pg_constraint WHERE conrelid = 'items'::regclass AND contype = 'f'"
                    )
                )
            }
    finally:
        engine.dispose()


def _engine_run(url: str) -> tuple[Engine, MetaData, Settings]:
    """The schema created at ``url``, reflected, and settings for calling the engine directly."""
    _create(url)
    engine = engine_for(url)
    metadata = MetaData()
    metadata.reflect(engine)
    return engine, metadata, resolve_settings(database_url=url, size="100", environ={}, workers=1)


@pytest.fixture
def second_postgres_url(postgres_server: str) -> Iterator[str]:
    with _postgres_database(postgres_server) as url:
        yield url


def test_foreign_keys_are_added_back_exactly(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("seedlib.load.postgresql.DEFER_FOREIGN_KEYS_ROWS", 100)
    _create(postgres_url)
    before = _foreign_keys(postgres_url)
    result = seedlib.seed(postgres_url, tables=TABLES, label="fk")
    after = _foreign_keys(postgres_url)
    assert {n: d for n, (d, _) in after.items()} == {n: d for n, (d, _) in before.items()}
    added_again = {n for n in before if before[n][1] != after[n][1]}
    # kept: the commented one, the one two indexes could serve, the one to a table not seeded
    assert added_again == {"items_vendor_id_fkey", "lateral"}
    items = next(t for t in result.tables if t["table"] == "items")
    assert (items["rows"], items["skipped"]) == (ROWS, 0)
    orphans = rows(
        postgres_url,
        "SELECT count(*) FROM items i LEFT JOIN vendors v ON v.id = i.vendor_id WHERE v.id IS NULL",
    )
    assert orphans == [(0,)]
    seedlib.unseed(postgres_url, label="fk")
    assert rows(postgres_url, "SELECT count(*) FROM items") == [(0,)]


def _vendor_or_none(ordinal: int, h: int, row: dict[str, Any]) -> int:
    """A vendor for most rows; one row in 37 names a vendor that does not exist."""
    return 10**6 + ordinal if ordinal % 37 == 0 else 1 + h % VENDORS


def test_rows_breaking_a_foreign_key_are_refused_as_with_it_in_place(
    postgres_url: str, second_postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("seedlib.load.postgresql.DEFER_FOREIGN_KEYS_ROWS", 100)
    outcomes = []
    for url, defer in ((postgres_url, "1"), (second_postgres_url, "0")):
        monkeypatch.setenv("SEEDLIB_DEFER_INDEXES", defer)
        _create(url)
        spec = TableSpec(ROWS, columns={"vendor_id": _vendor_or_none})
        with capture_logs() as logs:
            result = seedlib.seed(url, tables={**TABLES, "items": spec}, label="b")
        broken = [e for e in logs if e["event"] == "foreign_keys_broken"]
        assert len(broken) == (1 if defer == "1" else 0)
        items = next(t for t in result.tables if t["table"] == "items")
        outcomes.append(
            (
                items["rows"],
                items["skipped"],
                items["content_hash"],
                rows(url, "SELECT * FROM items ORDER BY id"),
                {n: d for n, (d, _) in _foreign_keys(url).items()},
            )
        )
    deferred, in_place = outcomes
    assert deferred == in_place
    assert deferred[1] == len(range(0, ROWS, 37))  # exactly the rows naming no vendor


@pytest.mark.parametrize(
    "application",
    [
        "INSERT INTO vendors (name, code) VALUES ('from the application', 'APP-1')",
        "SELECT count(*) FROM vendors",
    ],
    ids=["writing", "reading"],
)
def test_no_deferral_while_another_session_uses_a_referenced_table(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, application: str
) -> None:
    """Dropping a foreign key locks the referenced table against readers too: a session that
    has read it in an open transaction keeps the constraints in place, and nothing waits."""
    monkeypatch.setattr("seedlib.load.postgresql.DEFER_FOREIGN_KEYS_ROWS", 100)
    _create(postgres_url)
    before = _foreign_keys(postgres_url)
    other = engine_for(postgres_url)
    # were seeding to wait for that session's lock, it would fail instead of hanging here
    impatient = postgres_url + ("&" if "?" in postgres_url else "?")
    impatient += "options=-c%20lock_timeout%3D5000"
    try:
        with other.connect() as conn:  # the application's open transaction
            conn.execute(text(application))
            result = seedlib.seed(impatient, tables=TABLES, label="busy")
            conn.rollback()
    finally:
        other.dispose()
    assert _foreign_keys(postgres_url) == before  # same constraints, never dropped
    items = next(t for t in result.tables if t["table"] == "items")
    assert items["rows"] == ROWS


def test_no_chunk_commits_while_foreign_keys_are_dropped(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("seedlib.load.postgresql.DEFER_FOREIGN_KEYS_ROWS", 100)
    engine, metadata, settings = _engine_run(postgres_url)
    seen: list[int] = []
    try:
        with engine.begin() as conn:
            ensure_bookkeeping(conn)

            def checkpoint() -> bool:  # where the run would commit: the constraints are there
                seen.append(
                    conn.execute(
                        text(
                            "SELECT count(*) FROM pg_constraint"
                            " WHERE conrelid = 'items'::regclass AND contype = 'f'"
                        )
                    ).scalar_one()
                )
                return True

            label = f"chunks-{uuid.uuid4().hex[:6]}"
            with capture_logs() as logs:
                seed_tables(
                    conn,
                    metadata,
                    TABLES,
                    settings=settings,
                    revision=label,
                    run_id=label,
                    checkpoint=checkpoint,
                    chunk_rows=100,
                )
    finally:
        engine.dispose()
    assert any(e["event"] == "foreign_keys_deferred" for e in logs)
    assert len(seen) >= 2
    assert set(seen) == {5}


def test_foreign_keys_to_tables_an_earlier_revision_seeded_are_deferred(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("seedlib.load.postgresql.DEFER_FOREIGN_KEYS_ROWS", 100)
    engine, metadata, settings = _engine_run(postgres_url)
    try:
        with engine.begin() as conn:
            ensure_bookkeeping(conn)
            for revision, spec in (("r1", {"vendors": VENDORS}), ("r2", {"items": ROWS})):
                with capture_logs() as logs:
                    seed_tables(
                        conn, metadata, spec, settings=settings, revision=revision, run_id="run"
                    )
    finally:
        engine.dispose()
    [deferred] = [e for e in logs if e["event"] == "foreign_keys_deferred"]
    # vendors came from r1; regions holds only the application's rows
    assert deferred["constraints"] == ["items_vendor_id_fkey", "lateral"]
    assert rows(postgres_url, "SELECT count(*) FROM items") == [(ROWS,)]


def test_foreign_keys_that_differ_when_added_again_roll_the_run_back(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A definition PostgreSQL reads back differently (here: sent in lower case) fails the run
    with a DataError; the savepoint restores the constraints as they were (same OIDs)."""
    monkeypatch.setattr("seedlib.load.postgresql.DEFER_FOREIGN_KEYS_ROWS", 100)
    original = run_module.deferrable_foreign_keys

    def lower_case(*args: Any) -> list[tuple[str, str, int]]:
        return [(n, d.lower(), i) for n, d, i in original(*args)]

    monkeypatch.setattr(run_module, "deferrable_foreign_keys", lower_case)
    _create(postgres_url)
    before = _foreign_keys(postgres_url)
    with pytest.raises(DataError, match="differ after adding them again"):
        seedlib.seed(postgres_url, tables=TABLES, label="differ")
    assert _foreign_keys(postgres_url) == before
    assert rows(postgres_url, "SELECT count(*) FROM items") == [(0,)]


def test_seeding_runs_without_jit_and_gives_the_setting_back(postgres_url: str) -> None:
    """The bulk statements of a seed compile nothing (SET LOCAL jit = off), after every chunk
    commit too; the session's own setting holds again once seeding returns."""
    engine, metadata, settings = _engine_run(postgres_url)
    seen: list[str] = []
    try:
        with engine.connect() as conn:
            conn.execute(text("SET jit = on"))
            ensure_bookkeeping(conn)
            conn.commit()

            def checkpoint() -> bool:
                conn.commit()
                return True

            def progress(_table: str, _done: int, _total: int) -> None:
                seen.append(conn.execute(text("SHOW jit")).scalar_one())

            label = f"jit-{uuid.uuid4().hex[:6]}"
            seed_tables(
                conn,
                metadata,
                TABLES,
                settings=settings,
                revision=label,
                run_id=label,
                progress=progress,
                checkpoint=checkpoint,
                chunk_rows=100,
            )
            assert conn.execute(text("SHOW jit")).scalar_one() == "on"
            conn.commit()
            assert conn.execute(text("SHOW jit")).scalar_one() == "on"
    finally:
        engine.dispose()
    assert len(seen) >= 3  # several segments, with commits between them
    assert set(seen) == {"off"}
