"""Secondary indexes built after a large PostgreSQL load: rebuilt exactly, kept where something
relies on them, and a duplicate found while rebuilding falls back to loading row by row."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from structlog.testing import capture_logs

import seedlib
from seedlib.db import engine_for
from tests.conftest import _postgres_database

SCHEMA = [
    "CREATE TABLE people (id serial PRIMARY KEY, name varchar(60) NOT NULL,"
    " email varchar(120) NOT NULL, city varchar(60), code varchar(20) NOT NULL,"
    " CONSTRAINT uq_people_email UNIQUE (email))",
    "CREATE INDEX ix_people_city ON people (city DESC) INCLUDE (name)",
    "CREATE INDEX ix_people_partial ON people (name) WHERE city IS NOT NULL",
    "CREATE INDEX ix_people_lower ON people (lower(name))",
    "CREATE UNIQUE INDEX ix_people_code ON people (code)",
    "CREATE INDEX ix_people_commented ON people (name, city)",
    "COMMENT ON INDEX ix_people_commented IS 'kept: a comment would be lost'",
    # a foreign key relies on this one: it must stay
    "CREATE UNIQUE INDEX ix_people_id_code ON people (id, code)",
    "CREATE TABLE badges (id serial PRIMARY KEY, person_id integer, person_code varchar(20),"
    " FOREIGN KEY (person_id, person_code) REFERENCES people (id, code))",
]
ROWS = 300


def _indexes(url: str) -> dict[str, tuple[Any, ...]]:
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return {
                r.indexname: (r.indexdef, r.oid)
                for r in conn.execute(
                    text(
                        "SELECT indexname, indexdef, CAST(CAST(indexname AS regclass) AS oid)"
                        " AS oid FROM pg_indexes WHERE tablename = 'people'"
                    )
                )
            }
    finally:
        engine.dispose()


def _create(url: str, *extra: str) -> None:
    engine = engine_for(url)
    try:
        with engine.begin() as conn:
            for statement in [*SCHEMA, *extra]:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def _people(url: str) -> list[tuple[Any, ...]]:
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text("SELECT * FROM people ORDER BY id"))]
    finally:
        engine.dispose()


def test_indexes_are_rebuilt_exactly_and_kept_where_needed(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("seedlib.load.postgresql.DEFER_INDEXES_ROWS", 100)
    _create(postgres_url)
    before = _indexes(postgres_url)
    # chunks of 100 rows: the table is still loaded in one piece, then its indexes built
    result = seedlib.seed(
        postgres_url, tables={"people": ROWS, "badges": 5}, label="ix", chunk_rows=100
    )
    after = _indexes(postgres_url)
    assert {n: d for n, (d, _) in after.items()} == {n: d for n, (d, _) in before.items()}
    rebuilt = {n for n in before if before[n][1] != after[n][1]}
    # ix_people_code stays: the codes arrive in rising order (checked below), so the server
    # appends each during the COPY instead of building the index afterwards
    assert rebuilt == {"uq_people_email", "ix_people_city", "ix_people_partial", "ix_people_lower"}
    codes = [row[4] for row in _people(postgres_url)]
    assert codes == sorted(codes)
    people = next(t for t in result.tables if t["table"] == "people")
    assert (people["rows"], people["skipped"]) == (ROWS, 0)
    assert len(_people(postgres_url)) == ROWS
    seedlib.unseed(postgres_url, label="ix")
    assert _people(postgres_url) == []


@pytest.fixture
def second_postgres_url(postgres_server: str) -> Iterator[str]:
    with _postgres_database(postgres_server) as url:
        yield url


def test_same_rows_and_hash_with_and_without_building_indexes_after(
    postgres_url: str,
    second_postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A unique index seedlib cannot read (an expression) makes most generated rows duplicates.
    Such a table keeps its indexes (below); were they built after the load anyway, building
    would fail, the load would be rolled back and redone with the index in place, rows refused
    one by one: the outcome is that of loading with the index there."""
    monkeypatch.setattr("seedlib.load.postgresql.DEFER_INDEXES_ROWS", 100)
    monkeypatch.setattr("seedlib.load.postgresql._KEEP_INDEXES", "SELECT false")
    first_letter = "CREATE UNIQUE INDEX ix_people_initial ON people (left(name, 1))"
    outcomes = []
    for url, defer in ((postgres_url, "1"), (second_postgres_url, "0")):
        monkeypatch.setenv("SEEDLIB_DEFER_INDEXES", defer)
        _create(url, first_letter)
        with capture_logs() as logs:
            result = seedlib.seed(url, tables={"people": ROWS, "badges": 5}, label="dup")
        rejected = [e["error"] for e in logs if e["event"] == "batch_rejected"]
        assert len(rejected) == 1
        # building the index after the load is what failed, or else the COPY itself
        assert ("could not create unique index" in rejected[0]) == (defer == "1"), rejected
        people = next(t for t in result.tables if t["table"] == "people")
        outcomes.append((people, _people(url), _indexes(url).keys()))
    (deferred, rows_deferred, names_deferred), (kept, rows_kept, names_kept) = outcomes
    assert 0 < deferred["rows"] < 40  # one row per initial letter
    assert deferred["skipped"] == ROWS - deferred["rows"]
    assert {k: v for k, v in deferred.items() if k not in ("seconds", "rows_per_s")} == {
        k: v for k, v in kept.items() if k not in ("seconds", "rows_per_s")
    }
    assert rows_deferred == rows_kept
    assert names_deferred == names_kept


KEEPING = {
    "deferrable foreign key": [
        "CREATE TABLE teams (id serial PRIMARY KEY)",
        "ALTER TABLE people ADD COLUMN team_id integer REFERENCES teams (id)"
        " DEFERRABLE INITIALLY DEFERRED",
    ],
    "unique index over an expression": [
        "CREATE UNIQUE INDEX ix_people_lower_email ON people (lower(email))"
    ],
    "partial unique index": ["CREATE UNIQUE INDEX ix_people_some ON people (city) WHERE id < 0"],
    # may look people up by an index for each row: without it, a scan of the table each
    "row trigger": [
        "CREATE FUNCTION same_city() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " PERFORM 1 FROM people WHERE city = NEW.city AND id <> NEW.id; RETURN NEW; END $$",
        "CREATE TRIGGER tr_same_city AFTER INSERT ON people FOR EACH ROW"
        " EXECUTE FUNCTION same_city()",
    ],
    "table in use by another session": [],
}


@pytest.mark.parametrize("case", list(KEEPING))
def test_indexes_stay_when_rebuilding_them_is_unsafe(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    """Deferred triggers (PostgreSQL refuses index DDL while their events are pending), row
    triggers (which may look rows up by an index), unique indexes whose values seedlib cannot
    know, and a table another session is reading: the indexes are maintained during the load
    instead, and the load succeeds."""
    monkeypatch.setattr("seedlib.load.postgresql.DEFER_INDEXES_ROWS", 100)
    _create(postgres_url, *KEEPING[case])
    before = _indexes(postgres_url)
    reader = engine_for(postgres_url)
    try:
        with reader.connect() as other:
            if case == "table in use by another session":
                other.execute(text("SELECT count(*) FROM people"))  # holds ACCESS SHARE
            counts = {"people": ROWS, "badges": 5} | (
                {"teams": 3} if "teams" in str(KEEPING[case]) else {}
            )
            result = seedlib.seed(postgres_url, tables=counts, label="keep", lock_timeout=5)
            other.rollback()
    finally:
        reader.dispose()
    assert _indexes(postgres_url) == before  # the same indexes, not rebuilt (same OIDs)
    people = next(t for t in result.tables if t["table"] == "people")
    assert people["rows"] + people["skipped"] == ROWS
    assert people["rows"] > 0


def test_indexes_that_come_back_different_fail_and_are_restored(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The comparison after rebuilding: a definition that PostgreSQL does not read back as
    given (here: in lower case) fails the load with DataError, and rolling back the savepoint
    restores the original indexes."""
    from sqlalchemy import MetaData, Table

    from seedlib.exceptions import DataError
    from seedlib.load.postgresql import deferrable_indexes, indexes_built_after

    monkeypatch.setattr("seedlib.load.postgresql.DEFER_INDEXES_ROWS", 1)
    _create(postgres_url)
    before = _indexes(postgres_url)
    engine = engine_for(postgres_url)
    try:
        with engine.begin() as conn:
            people = Table("people", MetaData(), autoload_with=conn)
            indexes = deferrable_indexes(conn, people, 1_000)
            assert indexes
            tampered = [(name, definition.lower(), *rest) for name, definition, *rest in indexes]
            with (
                pytest.raises(DataError, match="differ after rebuilding"),
                conn.begin_nested(),
                indexes_built_after(conn, people, tampered),
            ):
                conn.execute(text("INSERT INTO people (name, email, code) VALUES ('a', 'b', 'c')"))
    finally:
        engine.dispose()
    assert _indexes(postgres_url) == before
    assert _people(postgres_url) == []


def test_totals_are_written_with_the_indexes_built_after(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An UPDATE of every seeded parent row (totals) builds the parent's indexes afterwards:
    the code index, kept during the load because the codes rise, is rebuilt by the UPDATE."""
    monkeypatch.setattr("seedlib.load.postgresql.DEFER_INDEXES_ROWS", 100)
    engine = engine_for(postgres_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "CREATE TABLE orders (id serial PRIMARY KEY, code varchar(20) NOT NULL,"
                    " total numeric(12, 2) NOT NULL DEFAULT 0)"
                )
            )
            conn.execute(text("CREATE UNIQUE INDEX ix_orders_code ON orders (code)"))
            # the same without totals: its code index stays through the load
            conn.execute(text("CREATE TABLE quotes (LIKE orders INCLUDING DEFAULTS)"))
            conn.execute(text("ALTER TABLE quotes ADD PRIMARY KEY (id)"))
            conn.execute(text("CREATE UNIQUE INDEX ix_quotes_code ON quotes (code)"))
            conn.execute(
                text(
                    "CREATE TABLE lines (id serial PRIMARY KEY,"
                    " order_id integer NOT NULL REFERENCES orders (id),"
                    " amount numeric(12, 2) NOT NULL)"
                )
            )

        def code_index(name: str = "ix_orders_code") -> tuple[Any, ...]:
            with engine.connect() as conn:
                return tuple(
                    conn.execute(
                        text(
                            "SELECT indexdef, CAST(CAST(indexname AS regclass) AS oid)"
                            " FROM pg_indexes WHERE indexname = :name"
                        ),
                        {"name": name},
                    ).one()
                )

        before, quotes_before = code_index(), code_index("ix_quotes_code")
        tables = {
            "orders": seedlib.TableSpec(
                ROWS, columns={"total": seedlib.values.total_of("lines", "order_id", "amount")}
            ),
            "lines": seedlib.TableSpec(per_parent=("order_id", 1, 3)),
            "quotes": ROWS,
        }
        seedlib.seed(postgres_url, tables=tables, label="totals")
        after = code_index()
        assert after[0] == before[0]
        assert after[1] != before[1]  # built again after the UPDATE
        assert code_index("ix_quotes_code") == quotes_before  # the load alone keeps it
        with engine.connect() as conn:
            wrong = conn.execute(
                text(
                    "SELECT count(*) FROM orders o WHERE o.total <> (SELECT coalesce(sum(amount),"
                    " 0) FROM lines WHERE order_id = o.id)"
                )
            ).scalar_one()
            assert wrong == 0
            assert conn.execute(text("SELECT count(*) FROM orders")).scalar_one() == ROWS
    finally:
        engine.dispose()
