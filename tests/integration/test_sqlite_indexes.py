"""SQLite indexes built after a large load: only those made by CREATE INDEX, rebuilt from their
own statements with their ANALYZE statistics, kept where something relies on them, and a
duplicate found while rebuilding falls back to loading with the index in place."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, event, text
from structlog.testing import capture_logs

import seedlib
from seedlib.db import engine_for
from seedlib.exceptions import DataError
from seedlib.load.sqlite import deferrable_indexes, indexes_built_after

SCHEMA = [
    "CREATE TABLE people (id INTEGER PRIMARY KEY, name VARCHAR(60) NOT NULL,"
    " email VARCHAR(120) NOT NULL, city VARCHAR(60), code VARCHAR(20) NOT NULL,"
    " handle VARCHAR(40) NOT NULL, CONSTRAINT uq_people_email UNIQUE (email))",
    "CREATE INDEX ix_people_city ON people (city DESC, name)",
    "CREATE INDEX ix_people_partial ON people (name) WHERE city IS NOT NULL",
    "CREATE INDEX ix_people_lower ON people (lower(name))",
    # the codes arrive in rising order: appended during the load, this one stays
    "CREATE UNIQUE INDEX ix_people_code ON people (code)",
    # a foreign key's parent key: SQLite needs it to check the key, it stays
    "CREATE UNIQUE INDEX ix_people_handle ON people (handle)",
    "CREATE TABLE badges (id INTEGER PRIMARY KEY, holder VARCHAR(40) REFERENCES people (handle))",
    # named by a view (INDEXED BY): dropping it would break the view, it stays
    "CREATE INDEX ix_people_named ON people (city, email)",
    "CREATE VIEW city_people AS SELECT * FROM people INDEXED BY ix_people_named WHERE city = 'x'",
    # a keyword as a name: dropped and made again like any other
    'CREATE INDEX "nothing" ON people (city, code)',
    # a quote in the name: a view could name it in a form not searched for, it stays
    'CREATE INDEX "ix""quoted" ON people (name, city)',
]
DEFERRED = {"ix_people_city", "ix_people_partial", "ix_people_lower", "nothing"}
ROWS = 300


def _master(url: str) -> dict[str, tuple[Any, ...]]:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as raw:
        return {r[0]: r[1:] for r in raw.execute("SELECT name, type, sql FROM sqlite_master")}


def _stats(url: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as raw:
        return sorted(raw.execute("SELECT tbl, idx, stat FROM sqlite_stat1"))


def _create(url: str, *extra: str) -> None:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as raw:
        for statement in [*SCHEMA, *extra]:
            raw.execute(statement)


def _dropped(sent: list[str]) -> set[str]:
    return {s.split(".", 1)[1].strip('"') for s in sent if s.startswith("DROP INDEX")}


def _seed(url: str, tables: dict[str, Any], label: str, **options: Any) -> tuple[Any, list[str]]:
    sent: list[str] = []
    engine = engine_for(url)
    real = engine_for

    def watched(given: Any) -> Any:
        made = real(given)
        event.listen(made, "before_cursor_execute", lambda *a: sent.append(str(a[2])))
        return made

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("seedlib.direct.engine_for", watched)
        result = seedlib.seed(url, tables=tables, label=label, **options)
    engine.dispose()
    return result, sent


def test_indexes_are_rebuilt_exactly_and_kept_where_needed(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("seedlib.load.sqlite.DEFER_INDEXES_ROWS", 100)
    _create(sqlite_url)
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as raw:
        raw.execute("ANALYZE")  # makes sqlite_stat1, empty for an empty table: add some
        raw.executemany(
            "INSERT INTO sqlite_stat1 VALUES ('people', ?, '5000 50 1')",
            [(name,) for name in [*DEFERRED, "ix_people_named"]],
        )
    before, stats = _master(sqlite_url), _stats(sqlite_url)
    result, sent = _seed(sqlite_url, {"people": ROWS, "badges": 5}, "ix")
    assert _dropped(sent) == DEFERRED
    assert {k: v for k, v in _master(sqlite_url).items() if k in before} == before
    assert _stats(sqlite_url) == stats
    people = next(t for t in result.tables if t["table"] == "people")
    assert (people["rows"], people["skipped"]) == (ROWS, 0)
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        codes = [r[0] for r in raw.execute("SELECT code FROM people ORDER BY id")]
        assert codes == sorted(codes)
        assert len(codes) == ROWS
    seedlib.unseed(sqlite_url, label="ix")
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as raw:
        assert raw.execute("SELECT count(*) FROM people").fetchall() == [(0,)]


def test_a_small_load_or_a_full_table_keeps_its_indexes(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("seedlib.load.sqlite.DEFER_INDEXES_ROWS", 100)
    _create(sqlite_url)
    _, sent = _seed(sqlite_url, {"people": 99}, "small")
    assert _dropped(sent) == set()
    # 99 rows there already: a load of 98 more would rebuild more than it loads
    monkeypatch.setattr("seedlib.load.sqlite.DEFER_INDEXES_ROWS", 10)
    _, sent = _seed(sqlite_url, {"people": 98}, "full")
    assert _dropped(sent) == set()


def test_same_rows_with_and_without_building_indexes_after(
    sqlite_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trigger gives every seventh person the same email, which the email's unique index
    refuses. Built after the load, the index fails to build; the load is rolled back and done
    again with the index in place, rows refused one by one: the outcome of keeping it."""
    monkeypatch.setattr("seedlib.load.sqlite.DEFER_INDEXES_ROWS", 100)
    # (a table a trigger mentions keeps its indexes, see below: here it is made to drop them)
    monkeypatch.setattr("seedlib.load.sqlite._triggered", lambda *_: False)
    same_email = [
        "CREATE UNIQUE INDEX ix_people_email ON people (email)",
        "CREATE TRIGGER tr_same AFTER INSERT ON people WHEN new.id % 7 = 0"
        " BEGIN UPDATE people SET email = 'same@example.com' WHERE id = new.id; END",
    ]
    outcomes = []
    for url, defer in ((sqlite_url, "1"), (f"sqlite:///{tmp_path / 'kept.sqlite3'}", "0")):
        monkeypatch.setenv("SEEDLIB_DEFER_INDEXES", defer)
        _create(url, *same_email)
        with capture_logs() as logs:
            result, sent = _seed(url, {"people": ROWS}, "dup")
        assert ("ix_people_email" in _dropped(sent)) == (defer == "1")
        rejected = [e["error"] for e in logs if e["event"] == "batch_rejected"]
        assert len(rejected) == 1, rejected
        people = next(t for t in result.tables if t["table"] == "people")
        with sqlite3.connect(url.removeprefix("sqlite:///")) as raw:
            rows = raw.execute("SELECT * FROM people ORDER BY id").fetchall()
        outcomes.append(({k: people[k] for k in ("rows", "skipped", "content_hash")}, rows))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0]["skipped"] == ROWS // 7 - 1  # all but the first of them


def test_indexes_that_come_back_different_fail_and_are_restored(sqlite_url: str) -> None:
    _create(sqlite_url)
    before = _master(sqlite_url)
    engine = engine_for(sqlite_url)
    try:
        with engine.begin() as conn:
            people = Table("people", MetaData(), autoload_with=conn)
            indexes = deferrable_indexes(conn, people, 10**6)  # no column said to be rising
            assert {i[0] for i in indexes} == DEFERRED | {"ix_people_code"}
            tampered = [(n, sql.replace("city DESC, name", "city"), s) for n, sql, s in indexes]
            with (
                pytest.raises(DataError, match="differ after rebuilding"),
                conn.begin_nested(),
                indexes_built_after(conn, people, tampered),
            ):
                conn.execute(
                    text("INSERT INTO people VALUES (1, 'a', 'b', 'c', 'd', 'e')"),
                )
    finally:
        engine.dispose()
    assert _master(sqlite_url) == before


def test_an_update_rebuilds_only_the_indexes_over_its_columns(sqlite_url: str) -> None:
    """SQLite rewrites the index entries of the columns an UPDATE changes, no others."""
    _create(sqlite_url)
    engine = engine_for(sqlite_url)
    try:
        with engine.connect() as conn:
            people = Table("people", MetaData(), autoload_with=conn)

            def names(columns: list[str]) -> set[str]:
                return {i[0] for i in deferrable_indexes(conn, people, 10**6, columns=columns)}

            assert names(["email"]) == set()  # only in indexes that stay
            assert names(["CITY"]) == {"ix_people_city", "nothing"}
            assert names(["name"]) == {"ix_people_city", "ix_people_partial"}
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "extra",
    [
        ["CREATE UNIQUE INDEX ix_people_lower_email ON people (lower(email))"],
        ["CREATE UNIQUE INDEX ix_people_some ON people (city) WHERE id < 0"],
        # looks people up by city for each row: without the index, a scan of the table each
        [
            "CREATE TRIGGER tr_lookup AFTER INSERT ON people WHEN EXISTS (SELECT 1 FROM people"
            " WHERE city = new.city AND id <> new.id) BEGIN SELECT 1; END"
        ],
        [
            "CREATE TABLE log (person integer)",
            "CREATE TRIGGER tr_elsewhere AFTER INSERT ON log BEGIN"
            " UPDATE people SET city = city WHERE id = new.person; END",
        ],
    ],
    ids=["unique-expression", "unique-partial", "trigger-on-it", "trigger-elsewhere"],
)
def test_indexes_stay_when_rebuilding_them_is_unsafe(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, extra: list[str]
) -> None:
    """Unique indexes whose values seedlib cannot know (building them afterwards would likely
    fail and load everything twice), and triggers that may look the table up by an index
    (quadratic without it): the indexes are kept during the load."""
    monkeypatch.setattr("seedlib.load.sqlite.DEFER_INDEXES_ROWS", 100)
    _create(sqlite_url, *extra)
    _, sent = _seed(sqlite_url, {"people": ROWS}, "keep")
    assert _dropped(sent) == set()


def test_a_cycle_closing_update_rebuilds_only_the_index_over_its_column(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """teams -> players -> teams: the teams load without their captains (both indexes built
    after it), then the UPDATE that names the captains drops only the captain index."""
    monkeypatch.setattr("seedlib.load.sqlite.DEFER_INDEXES_ROWS", 100)
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as raw:
        raw.executescript(
            "CREATE TABLE teams (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL,"
            " captain_id INTEGER REFERENCES players (id));"
            "CREATE TABLE players (id INTEGER PRIMARY KEY,"
            " team_id INTEGER NOT NULL REFERENCES teams (id));"
            "CREATE INDEX ix_teams_captain ON teams (captain_id);"
            "CREATE INDEX ix_teams_name ON teams (name);"
        )
    before = _master(sqlite_url)
    _, sent = _seed(sqlite_url, {"teams": ROWS, "players": ROWS // 2}, "cycle", chunk_rows=100)
    drops = [s.split(".", 1)[1].strip('"') for s in sent if s.startswith("DROP INDEX")]
    assert drops == ["ix_teams_captain", "ix_teams_name", "ix_teams_captain"]
    assert {k: v for k, v in _master(sqlite_url).items() if k in before} == before
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert raw.execute("SELECT count(*), count(captain_id) FROM teams").fetchone() == (
            ROWS,
            ROWS,
        )
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        # the rebuilt index answers for the captains the UPDATE wrote
        plan = raw.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM teams WHERE captain_id = 1"
        ).fetchall()
        assert "ix_teams_captain" in str(plan)
