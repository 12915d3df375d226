"""Column types SQLAlchemy reflects as ``NullType`` or without a Python type: seedlib reads
their names from the catalog and generates values that fit, or refuses the table with one line
before writing anything."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

import seedlib
from seedlib.db import engine_for
from seedlib.exceptions import ConfigurationError
from tests.conftest import execute, sorted_rows


def require_mariadb(url: str, why: str) -> None:
    """Skip unless the server is MariaDB (CI's is)."""
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            if "MariaDB" not in str(conn.execute(text("SELECT VERSION()")).scalar()):
                pytest.skip(why)
    finally:
        engine.dispose()


def test_mariadb_addresses_and_nullable_spatial_columns(mysql_url: str) -> None:
    require_mariadb(mysql_url, "INET4 and INET6 are MariaDB's")
    execute(
        mysql_url,
        "CREATE TABLE hosts (v4 INET4, v6 INET6 NOT NULL, only_v4 INET4 UNIQUE)",
        "CREATE TABLE places (id INT PRIMARY KEY, area GEOMETRY, spot POINT)",
        "INSERT INTO hosts VALUES ('192.0.2.1', '2001:db8::1', NULL)",
    )
    query = "SELECT CAST(v4 AS CHAR), CAST(v6 AS CHAR), CAST(only_v4 AS CHAR) FROM hosts"
    before = sorted_rows(mysql_url, query)
    result = seedlib.seed(mysql_url, rows=50, label="types")
    assert {t["table"]: t["rows"] for t in result.tables} == {"hosts": 50, "places": 50}
    seeded = [r for r in sorted_rows(mysql_url, query) if r not in before]
    assert len({r[2] for r in seeded}) == 50
    assert all(r[1].startswith("2001:db8::") for r in seeded)
    assert sorted_rows(
        mysql_url, "SELECT count(*) FROM places WHERE area IS NULL AND spot IS NULL"
    ) == [(50,)]

    assert seedlib.unseed(mysql_url, label="types").problems == []
    assert sorted_rows(mysql_url, query) == before
    assert sorted_rows(mysql_url, "SELECT count(*) FROM places") == [(0,)]


def test_a_not_null_spatial_column_is_refused_before_anything_is_written(mysql_url: str) -> None:
    execute(
        mysql_url,
        "CREATE TABLE plain (id INT PRIMARY KEY)",
        "CREATE TABLE shapes (id INT PRIMARY KEY, area GEOMETRY NOT NULL)",
    )
    with pytest.raises(ConfigurationError, match=r"shapes\.area .*--table shapes=0"):
        seedlib.seed(mysql_url, rows=5, label="shapes")
    assert sorted_rows(mysql_url, "SELECT count(*) FROM plain") == [(0,)]
    done = seedlib.seed(mysql_url, rows=5, tables={"shapes": 0}, label="shapes")
    assert {t["table"]: t["rows"] for t in done.tables} == {"plain": 5, "shapes": 0}


def test_postgresql_geometric_hstore_and_oid_columns(postgres_url: str) -> None:
    execute(
        postgres_url,
        "CREATE EXTENSION IF NOT EXISTS hstore",
        "CREATE TABLE things (o oid, p point, b box, h hstore)",
        "CREATE TABLE oid_keys (o oid PRIMARY KEY)",
        "INSERT INTO things VALUES (7, '(1,2)', '(1,1),(0,0)', 'a=>b')",
    )
    query = "SELECT o, p::text, b::text, h::text FROM things"
    before = sorted_rows(postgres_url, query)
    result = seedlib.seed(postgres_url, rows=40, label="types")
    assert {t["table"]: t["rows"] for t in result.tables} == {"things": 40, "oid_keys": 40}
    assert len(sorted_rows(postgres_url, "SELECT DISTINCT h -> 'n' FROM things")) == 41

    assert seedlib.unseed(postgres_url, label="types").problems == []
    assert sorted_rows(postgres_url, query) == before
    assert sorted_rows(postgres_url, "SELECT count(*) FROM oid_keys") == [(0,)]


def test_postgresql_domains_take_their_base_type_and_checks(postgres_url: str) -> None:
    execute(
        postgres_url,
        "CREATE DOMAIN positive AS integer CHECK (VALUE > 0)",
        "CREATE DOMAIN price AS numeric(10,2) NOT NULL CHECK (VALUE >= 0 AND VALUE < 1000)",
        "CREATE DOMAIN stamp AS timestamptz",
        "CREATE DOMAIN grade AS varchar(8) CHECK (VALUE IN ('a', 'bb', 'ccc'))",
        "CREATE TABLE stock (id positive PRIMARY KEY, amount price, at stamp, g grade NOT NULL)",
    )
    result = seedlib.seed(postgres_url, rows=40, label="domains")
    assert [(t["rows"], t["skipped"]) for t in result.tables] == [(40, 0)]
    assert sorted_rows(postgres_url, "SELECT DISTINCT g FROM stock ORDER BY g") == [
        ("a",),
        ("bb",),
        ("ccc",),
    ]
    assert seedlib.unseed(postgres_url, label="domains").problems == []
    assert sorted_rows(postgres_url, "SELECT count(*) FROM stock") == [(0,)]


def test_short_unique_text_keys_get_compact_codes(db_url: str) -> None:
    """A char(2) key got one value ("C-": a prefix and a number cut short) and a varchar(3)
    UNIQUE nine: country and currency code tables seeded a row or a handful."""
    execute(
        db_url,
        "CREATE TABLE countries (code CHAR(2) PRIMARY KEY, name VARCHAR(60))",
        "CREATE TABLE currencies (id INTEGER PRIMARY KEY, code VARCHAR(3) NOT NULL UNIQUE,"
        " tag VARCHAR(6) UNIQUE)",
    )
    result = seedlib.seed(db_url, rows=600, label="codes")
    assert {t["table"]: (t["rows"], t["skipped"]) for t in result.tables} == {
        "countries": (600, 0),
        "currencies": (600, 0),
    }
    codes = [r[0] for r in sorted_rows(db_url, "SELECT code FROM countries")]
    assert len(set(codes)) == 600
    assert all(len(c) == 2 and c.isalpha() and c.isupper() for c in codes)
    assert seedlib.unseed(db_url, label="codes").problems == []


def test_sqlite_column_uniques_reflection_misses_are_honoured(sqlite_url: str) -> None:
    """SQLAlchemy does not see ``title VARCHAR(40) NOT NULL UNIQUE`` (only the index SQLite
    made for it): titles repeated, and the rows repeating one were refused."""
    execute(
        sqlite_url,
        "CREATE TABLE books (id INTEGER PRIMARY KEY, title VARCHAR(40) NOT NULL UNIQUE)",
    )
    result = seedlib.seed(sqlite_url, rows=2_000, label="books")
    assert [(t["rows"], t["skipped"]) for t in result.tables] == [(2_000, 0)]


def test_a_unique_enum_gets_each_member_once(postgres_url: str) -> None:
    """Members were drawn at random: 3 rows asked of a 3-member unique enum, 2 inserted."""
    execute(
        postgres_url,
        "CREATE TYPE tier AS ENUM ('gold', 'silver', 'bronze')",
        "CREATE TABLE tiers (id int PRIMARY KEY, tier tier NOT NULL UNIQUE)",
    )
    result = seedlib.seed(postgres_url, rows=3, label="tiers")
    assert [(t["rows"], t["skipped"]) for t in result.tables] == [(3, 0)]


def test_json_columns_that_must_hold_valid_json_get_objects(sqlite_url: str) -> None:
    """A JSON column with ``CHECK (json_valid(b))`` got a JSON string of JSON text."""
    execute(
        sqlite_url,
        "CREATE TABLE docs (id INTEGER PRIMARY KEY, b JSON NOT NULL CHECK (json_valid(b)))",
    )
    result = seedlib.seed(sqlite_url, rows=20, label="json")
    assert [(t["rows"], t["skipped"]) for t in result.tables] == [(20, 0)]
    assert sorted_rows(sqlite_url, "SELECT json_type(b), count(*) FROM docs GROUP BY 1") == [
        ("object", 20)
    ]


def test_decimals_of_a_large_scale_are_spread_and_unique_ones_distinct(db_url: str) -> None:
    """``DECIMAL(40,30)``: a unique one crashed (InvalidOperation beyond 28 digits) and plain
    ones all lay near the lowest value (a 64-bit hash modulo a span of 10**32)."""
    execute(
        db_url,
        "CREATE TABLE amounts (id INTEGER PRIMARY KEY, code DECIMAL(40,30) NOT NULL UNIQUE,"
        " amount DECIMAL(40,30) NOT NULL, ranged DECIMAL(40,30) NOT NULL,"
        " CHECK (ranged BETWEEN 1 AND 100))",
    )
    result = seedlib.seed(db_url, rows=200, label="wide")
    assert [(t["rows"], t["skipped"]) for t in result.tables] == [(200, 0)]
    codes, amounts, ranged = zip(
        *sorted_rows(db_url, "SELECT code, amount, ranged FROM amounts"), strict=True
    )
    assert len(set(codes)) == 200
    assert max(amounts) > 1
    assert len(set(amounts)) > 150
    assert min(ranged) >= 1
    assert max(ranged) <= 100
    assert max(ranged) - min(ranged) > 50
    assert seedlib.unseed(db_url, label="wide").problems == []
    assert sorted_rows(db_url, "SELECT count(*) FROM amounts") == [(0,)]


def test_sqlite_declared_types_sqlalchemy_does_not_know_are_read_by_name(
    sqlite_url: str,
) -> None:
    """``UUID`` and ``TIMESTAMP WITH TIME ZONE`` fell back to NUMERIC: a unique UUID column got
    1, 2, 3 and timestamps got numbers like 70.07."""
    execute(
        sqlite_url,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, u UUID NOT NULL UNIQUE,"
        " at TIMESTAMP WITH TIME ZONE, at2 TIMESTAMPTZ, amount NUMERIC(5, 2))",
    )
    result = seedlib.seed(sqlite_url, rows=20, label="declared")
    assert [(t["rows"], t["skipped"]) for t in result.tables] == [(20, 0)]
    found = sorted_rows(
        sqlite_url, "SELECT typeof(u), length(u), substr(at, 5, 1), substr(at2, 11, 1) FROM t"
    )
    assert set(found) == {("text", 36, "-", " ")}
    assert len(set(sorted_rows(sqlite_url, "SELECT u FROM t"))) == 20
    assert seedlib.unseed(sqlite_url, label="declared").problems == []
    assert sorted_rows(sqlite_url, "SELECT count(*) FROM t") == [(0,)]
    # Keys the application wrote with dashes are matched by the rows that point at them.
    execute(
        sqlite_url,
        "CREATE TABLE parent (id UUID PRIMARY KEY)",
        "CREATE TABLE child (id INTEGER PRIMARY KEY, pid UUID NOT NULL REFERENCES parent (id))",
        "INSERT INTO parent VALUES ('00000000-0000-0000-0000-000000000001'),"
        " ('00000000-0000-0000-0000-000000000002')",
    )
    children = seedlib.seed(sqlite_url, tables={"t": 0, "parent": 0, "child": 20}, label="kids")
    assert {t["table"]: t["rows"] for t in children.tables}["child"] == 20


def test_text_holding_uuids_gets_uuids(db_url: str) -> None:
    """A ``uuid`` text column got words ("between 18"): by its name, or its default."""
    execute(
        db_url,
        "CREATE TABLE things (id INTEGER PRIMARY KEY, uuid VARCHAR(36) NOT NULL UNIQUE,"
        " guid CHAR(32))",
    )
    result = seedlib.seed(db_url, rows=30, label="ids")
    assert [(t["rows"], t["skipped"]) for t in result.tables] == [(30, 0)]
    found = sorted_rows(db_url, "SELECT uuid, guid FROM things")
    assert all(re.fullmatch(r"[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}", u) for u, _ in found)
    assert all(g is None or re.fullmatch(r"[0-9a-f]{32}", g) for _, g in found)
    assert len({u for u, _ in found}) == 30
    assert seedlib.unseed(db_url, label="ids").problems == []


def test_a_mariadb_key_defaulting_to_uuid_gets_uuids(mysql_url: str) -> None:
    require_mariadb(mysql_url, "DEFAULT UUID() without parentheses is MariaDB's")
    execute(
        mysql_url,
        "CREATE TABLE t (id CHAR(36) PRIMARY KEY DEFAULT UUID(), name VARCHAR(20))",
        "CREATE TABLE c (id INT AUTO_INCREMENT PRIMARY KEY, t_id CHAR(36) NOT NULL,"
        " FOREIGN KEY (t_id) REFERENCES t (id))",
    )
    result = seedlib.seed(mysql_url, rows=10, label="keys")
    assert {t["table"]: t["rows"] for t in result.tables} == {"t": 10, "c": 10}
    keys = [k for (k,) in sorted_rows(mysql_url, "SELECT id FROM t")]
    assert all(re.fullmatch(r"[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}", k) for k in keys)
    assert seedlib.unseed(mysql_url, label="keys").problems == []
