"""Keys come from the sequence the application draws from, whoever owns it, and no run asks for
more keys than the sequence or the column can hold."""

from __future__ import annotations

import pytest

import seedlib
from tests.conftest import execute, rows


def test_a_shared_sequence_moves_past_the_seeded_keys(postgres_url: str) -> None:
    execute(
        postgres_url,
        "CREATE SEQUENCE global_ids",
        "CREATE TABLE a (id int PRIMARY KEY DEFAULT nextval('global_ids'), n text)",
        "CREATE TABLE b (id int PRIMARY KEY DEFAULT nextval('global_ids'), n text)",
        "INSERT INTO a (n) VALUES ('app')",
    )
    seedlib.seed(postgres_url, rows=5, label="shared")
    # The application's next rows get fresh keys in both tables (a duplicate key before).
    execute(
        postgres_url,
        "INSERT INTO a (n) VALUES ('app 2')",
        "INSERT INTO b (n) VALUES ('app 2')",
    )
    after = rows(postgres_url, "SELECT id FROM a UNION ALL SELECT id FROM b ORDER BY 1")
    assert [r[0] for r in after] == list(range(1, 14))
    assert seedlib.unseed(postgres_url, label="shared").problems == []
    assert rows(postgres_url, "SELECT n FROM a UNION ALL SELECT n FROM b ORDER BY 1") == [
        ("app",),
        ("app 2",),
        ("app 2",),
    ]


def test_more_keys_than_the_sequence_or_column_holds_are_refused(postgres_url: str) -> None:
    execute(
        postgres_url,
        "CREATE TABLE small (id smallserial PRIMARY KEY)",
        "CREATE TABLE plain (id int PRIMARY KEY)",
    )
    with pytest.raises(seedlib.ConfigurationError, match=r"small_id_seq stops at 32,767"):
        seedlib.seed(postgres_url, rows=40_000, tables={"plain": 0}, label="big")
    with pytest.raises(seedlib.ConfigurationError, match=r"plain\.id .* stops at 2,147,483,647"):
        seedlib.seed(postgres_url, rows=3 * 10**9, tables={"small": 0}, label="big")
    with pytest.raises(seedlib.ConfigurationError, match=r"--rows .* is too large"):
        seedlib.seed(postgres_url, rows=10**20, label="big")
    assert rows(
        postgres_url, "SELECT count(*) FROM small UNION ALL SELECT count(*) FROM plain"
    ) == [
        (0,),
        (0,),
    ]
    assert rows(postgres_url, "SELECT last_value, is_called FROM small_id_seq") == [(1, False)]


def test_mysql_keys_past_the_auto_increment_counter_are_checked_too(mysql_url: str) -> None:
    """A TINYINT key whose counter is at 120: 20 rows do not fit (8 went in, 12 were skipped)."""
    execute(
        mysql_url,
        "CREATE TABLE tiny (id TINYINT PRIMARY KEY AUTO_INCREMENT, n INT) AUTO_INCREMENT=120",
    )
    with pytest.raises(seedlib.ConfigurationError, match=r"tiny\.id cannot take keys up to 139"):
        seedlib.seed(mysql_url, rows=20, label="tiny")
    assert rows(mysql_url, "SELECT count(*) FROM tiny") == [(0,)]
