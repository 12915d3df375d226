"""Rollback removes exactly the rows the seeds inserted, whatever the columns hold: values the
database stores other than as sent (single-precision floats), and application rows the database
calls equal to a seeded row without being identical to it (another case, trailing spaces, JSON
spelled another way) in a table without a primary key."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import make_url, text

import seedlib
from seedlib import TableSpec
from seedlib.db import engine_for
from tests.conftest import _postgres_database, execute, sorted_rows


@pytest.mark.parametrize("rows", [40, 2_500])  # a list of values, and one server-side value
def test_single_precision_floats_in_every_key_shape_roll_back(db_url: str, rows: int) -> None:
    single = {"postgresql": "REAL", "mysql": "FLOAT"}.get(db_url.split(":")[0].split("+")[0])
    kind = single or "REAL"  # SQLite's REAL is a double: the same test, nothing rounded
    execute(
        db_url,
        f"CREATE TABLE solo (f {kind} PRIMARY KEY)",
        f"CREATE TABLE pair (a INTEGER NOT NULL, f {kind} NOT NULL, PRIMARY KEY (a, f))",
        f"CREATE TABLE loose (f {kind}, g INTEGER)",
        "INSERT INTO solo VALUES (0.1)",
        "INSERT INTO pair VALUES (1, 0.1)",
        "INSERT INTO loose VALUES (0.1, 7)",
    )
    before = {t: sorted_rows(db_url, f"SELECT * FROM {t}") for t in ("solo", "pair", "loose")}
    result = seedlib.seed(db_url, rows=rows, label="floats")
    assert {t["table"]: t["rows"] for t in result.tables} == dict.fromkeys(before, rows)
    # Stored rounded: the database holds other values than the ones sent.
    assert all(len(sorted_rows(db_url, f"SELECT * FROM {t}")) == rows + 1 for t in before)

    report = seedlib.unseed(db_url, label="floats")

    assert report.problems == []
    assert {t: sorted_rows(db_url, f"SELECT * FROM {t}") for t in before} == before


def _kind(url: str) -> str:
    return url.split(":")[0].split("+")[0]


#: Per database: columns of a table without a primary key, and how an application spells a
#: value the database calls equal to a seeded one without it being the same.
LOOSE = {
    "sqlite": ("word TEXT COLLATE NOCASE", [str.upper]),
    "mysql": (
        "word VARCHAR(60) COLLATE utf8mb4_general_ci",
        [str.upper, lambda v: v + " "],
    ),
    "postgresql": ("word citext", [str.upper]),
}


def _seeded_on_a_twin(twin: str, statements: list[str], query: str, rows: int) -> list[Any]:
    """What the seeds make for ``rows`` rows of a fresh table: seeded on another database of
    the same schema (on the same one, a later seeding makes new values)."""
    execute(twin, *statements)
    seedlib.seed(twin, rows=rows, label="probe")
    return [row[0] for row in sorted_rows(twin, query)]


def test_equal_application_rows_outlive_the_seeded_ones(db_url: str, other_db_url: str) -> None:
    column, spellings = LOOSE[_kind(db_url)]
    setup = ["CREATE EXTENSION IF NOT EXISTS citext"] if _kind(db_url) == "postgresql" else []
    schema = [*setup, f"CREATE TABLE words ({column})"]
    seeded = _seeded_on_a_twin(other_db_url, schema, "SELECT * FROM words", 20)
    execute(db_url, *schema)
    # The application holds, before the seeds run, another spelling of each seeded value.
    app = [(spell(v),) for v in seeded for spell in spellings]
    engine = engine_for(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO words (word) VALUES (:w)"), [{"w": w} for (w,) in app])
    finally:
        engine.dispose()
    before = sorted_rows(db_url, "SELECT * FROM words")

    seedlib.seed(db_url, rows=20, label="words")
    assert sorted(row[0] for row in sorted_rows(db_url, "SELECT * FROM words")) == sorted(
        [w for (w,) in before] + seeded
    )  # the same values again
    report = seedlib.unseed(db_url, label="words")

    assert report.problems == []
    assert sorted_rows(db_url, "SELECT * FROM words") == before


def test_json_spelled_otherwise_outlives_the_seeded_document(
    postgres_url: str, postgres_server: str
) -> None:
    schema = ["CREATE TABLE docs (body json)"]
    with _postgres_database(postgres_server) as twin:
        seeded = _seeded_on_a_twin(twin, schema, "SELECT body::text FROM docs", 10)
    execute(postgres_url, *schema)
    compact = [json.dumps(json.loads(s), separators=(",", ":")) for s in seeded]
    assert all(c != s for c, s in zip(compact, seeded, strict=True))
    engine = engine_for(postgres_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO docs VALUES (CAST(:c AS json))"), [{"c": c} for c in compact]
            )
    finally:
        engine.dispose()
    before = sorted_rows(postgres_url, "SELECT body::text FROM docs")

    seedlib.seed(postgres_url, rows=10, label="docs")
    assert len(sorted_rows(postgres_url, "SELECT body::text FROM docs")) == 20
    documents = [row[0] for row in sorted_rows(postgres_url, "SELECT body::jsonb FROM docs")]
    # Each document twice: the application's spelling and the seeds'.
    assert sorted(documents, key=repr) == sorted(2 * [json.loads(d) for d in seeded], key=repr)
    assert seedlib.unseed(postgres_url, label="docs").problems == []

    assert sorted_rows(postgres_url, "SELECT body::text FROM docs") == before


def test_bit_and_set_columns_on_mysql_hold_real_values_and_roll_back(mysql_url: str) -> None:
    execute(
        mysql_url,
        "CREATE TABLE flags (one BIT(1) NOT NULL, five BIT(5), wide BIT(64),"
        " tags SET('red','green','blue') NOT NULL)",
        "CREATE TABLE bit_keys (a INT NOT NULL, v BIT(64) NOT NULL, PRIMARY KEY (a, v))",
        "INSERT INTO flags VALUES (b'1', b'10101', 7, 'red,blue')",
        "INSERT INTO bit_keys VALUES (1, 1)",
    )
    query = "SELECT one + 0, five + 0, wide + 0, tags FROM flags"
    before = sorted_rows(mysql_url, query)
    result = seedlib.seed(mysql_url, rows=40, label="bits")
    assert {t["table"]: t["rows"] for t in result.tables} == {"flags": 40, "bit_keys": 40}
    seeded = [r for r in sorted_rows(mysql_url, query) if r not in before]
    assert len(seeded) >= 30  # rows may repeat; none was refused
    assert {r[0] for r in seeded} == {0, 1}
    assert all(0 <= r[1] < 32 for r in seeded if r[1] is not None)
    assert len({r[1] for r in seeded}) > 5
    assert any("," in r[3] for r in seeded)  # several members of the SET

    assert seedlib.unseed(mysql_url, label="bits").problems == []
    assert sorted_rows(mysql_url, query) == before
    assert sorted_rows(mysql_url, "SELECT * FROM bit_keys") == [(1, b"\x00" * 7 + b"\x01")]


def test_bit_strings_on_postgresql_roll_back(postgres_url: str) -> None:
    execute(
        postgres_url,
        "CREATE TABLE flags (five bit(5) NOT NULL, few varbit(8), many bit varying)",
        "CREATE TABLE bit_keys (v bit(12) PRIMARY KEY)",
        "INSERT INTO flags VALUES (B'10101', B'1', NULL)",
        "INSERT INTO bit_keys VALUES (B'000000000000')",
    )
    before = {t: sorted_rows(postgres_url, f"SELECT * FROM {t}") for t in ("flags", "bit_keys")}
    seedlib.seed(postgres_url, rows=300, label="bits")
    seeded = sorted_rows(postgres_url, "SELECT five::text, few::text FROM flags")
    assert len(seeded) == 301
    assert all(len(r[0]) == 5 and set(r[0]) <= {"0", "1"} for r in seeded)
    assert len({r[0] for r in seeded}) == 32

    assert seedlib.unseed(postgres_url, label="bits").problems == []
    assert {t: sorted_rows(postgres_url, f"SELECT * FROM {t}") for t in before} == before


@pytest.mark.parametrize("rows", [20, 2_500])
def test_types_sqlalchemy_does_not_know_roll_back_as_text(postgres_url: str, rows: int) -> None:
    execute(
        postgres_url,
        "CREATE EXTENSION IF NOT EXISTS ltree",
        "CREATE TABLE pages (body xml, n int)",  # xml has no equality at all
        "CREATE TABLE paths (p ltree)",
        "CREATE TABLE path_keys (p ltree PRIMARY KEY)",
        "INSERT INTO pages VALUES ('<p>app</p>', 1)",
        "INSERT INTO paths VALUES ('app.row')",
        "INSERT INTO path_keys VALUES ('app.row')",
    )
    query = {
        "pages": "SELECT body::text, n FROM pages",
        "paths": "SELECT p::text FROM paths",
        "path_keys": "SELECT p::text FROM path_keys",
    }
    before = {t: sorted_rows(postgres_url, q) for t, q in query.items()}
    result = seedlib.seed(postgres_url, rows=rows, label="unknown")
    assert {t["table"]: t["rows"] for t in result.tables} == dict.fromkeys(query, rows)

    assert seedlib.unseed(postgres_url, label="unknown").problems == []
    assert {t: sorted_rows(postgres_url, q) for t, q in query.items()} == before


def test_mysql_keyless_long_bytes_and_sets_roll_back(mysql_url: str) -> None:
    """The temporary table of ledgered rows is indexed: a VARBINARY(3100) or a SET with a long
    member made its index fail (errors 1071, 1089) and the rollback with it."""
    member = "m" * 70
    execute(
        mysql_url,
        f"CREATE TABLE blobs (b VARBINARY(3100), c VARBINARY(1100), s SET('{member}', 'x'))",
        "INSERT INTO blobs VALUES (X'00', X'01', 'x')",
    )
    before = sorted_rows(mysql_url, "SELECT * FROM blobs")
    seedlib.seed(mysql_url, rows=30, label="blobs")
    assert seedlib.unseed(mysql_url, label="blobs").problems == []
    assert sorted_rows(mysql_url, "SELECT * FROM blobs") == before


def test_sqlite_keyless_floats_bytes_and_json_roll_back(sqlite_url: str) -> None:
    """700 rows take the path of many values; bytes among them sent JSON unserialised."""
    execute(sqlite_url, "CREATE TABLE mixed (f FLOAT, b BLOB, doc JSON)")
    seedlib.seed(sqlite_url, rows=700, label="mixed")
    assert seedlib.unseed(sqlite_url, label="mixed").problems == []
    assert sorted_rows(sqlite_url, "SELECT count(*) FROM mixed") == [(0,)]


def test_postgresql_keyless_partitions_lose_only_seeded_rows(postgres_url: str) -> None:
    """Rows repeat, so they are deleted a copy at a time by row address, and a ctid repeats
    in every partition: an application row in another partition went too."""
    execute(
        postgres_url,
        "CREATE TABLE events (kind text NOT NULL, n int) PARTITION BY LIST (kind)",
        "CREATE TABLE events_a PARTITION OF events FOR VALUES IN ('a')",
        "CREATE TABLE events_b PARTITION OF events FOR VALUES IN ('b')",
        "INSERT INTO events VALUES ('a', -1), ('b', -2), ('b', -3), ('b', -4)",
    )
    before = sorted_rows(postgres_url, "SELECT * FROM events")
    seedlib.seed(
        postgres_url,
        rows=40,
        tables={"events": TableSpec(40, columns={"n": 1, "kind": "a"})},  # 40 copies of a row
        label="events",
    )
    assert seedlib.unseed(postgres_url, label="events").problems == []
    assert sorted_rows(postgres_url, "SELECT * FROM events") == before


def test_mysql_keyless_rollback_without_temporary_tables_privilege(mysql_url: str) -> None:
    """A role that may not create temporary tables rolls back by row values, as before."""
    url = make_url(mysql_url)
    user = f"seedlib_{uuid.uuid4().hex[:8]}"
    execute(
        mysql_url,
        "CREATE TABLE events (tag VARCHAR(20), n INT)",
        "INSERT INTO events VALUES ('app', 1)",
        f"CREATE USER '{user}'@'%'",
        f"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP ON `{url.database}`.*"
        f" TO '{user}'@'%'",
    )
    try:
        limited = url.set(username=user).render_as_string(hide_password=False)
        seedlib.seed(mysql_url, rows=30, label="events")
        assert seedlib.unseed(limited, label="events").problems == []
        assert sorted_rows(mysql_url, "SELECT * FROM events") == [("app", 1)]
    finally:
        execute(mysql_url, f"DROP USER '{user}'@'%'")
