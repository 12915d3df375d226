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


@pytest.mark.parametrize("sequence", ["invoice_ids", "inv%seq"])
@pytest.mark.parametrize("engine", [True, False], ids=["seq-tables", "no-seq-tables"])
def test_mariadb_keys_come_from_the_sequence_the_default_draws_from(
    mysql_url: str, sequence: str, engine: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``DEFAULT NEXTVAL(s)``: the application's next row gets a fresh key (a duplicate key
    before: the seeded keys followed the maximum and the sequence stayed behind)."""
    if not engine:  # a server without the SEQUENCE engine's seq_1_to_<n> tables
        monkeypatch.setattr("seedlib.load.keys._sequence_engine", lambda _conn: False)
    execute(
        mysql_url,
        f"CREATE SEQUENCE `{sequence}`",
        "CREATE TABLE invoice (id BIGINT NOT NULL DEFAULT NEXTVAL(`"
        + sequence
        + "`) PRIMARY KEY, n VARCHAR(20))",
        "CREATE TABLE line (id INT AUTO_INCREMENT PRIMARY KEY, "
        "invoice_id BIGINT NOT NULL REFERENCES invoice (id))",
        "INSERT INTO invoice (n) VALUES ('app')",
    )
    seedlib.seed(mysql_url, rows=5, label="seq")
    execute(mysql_url, "INSERT INTO invoice (n) VALUES ('app 2')")
    assert rows(mysql_url, "SELECT id FROM invoice ORDER BY id") == [(k,) for k in range(1, 8)]
    assert rows(mysql_url, "SELECT id FROM invoice WHERE n LIKE 'app%' ORDER BY id") == [
        (1,),
        (7,),
    ]
    assert seedlib.unseed(mysql_url, label="seq").problems == []
    assert rows(mysql_url, "SELECT id, n FROM invoice ORDER BY id") == [(1, "app"), (7, "app 2")]
    assert rows(mysql_url, "SELECT count(*) FROM line") == [(0,)]


def test_mariadb_sequence_moves_past_keys_set_by_hand_and_keeps_its_step(mysql_url: str) -> None:
    execute(
        mysql_url,
        "CREATE SEQUENCE s INCREMENT BY 5",
        "CREATE TABLE invoice (id BIGINT NOT NULL DEFAULT (NEXT VALUE FOR s) PRIMARY KEY, "
        "n VARCHAR(20))",
        "INSERT INTO invoice (id, n) VALUES (100, 'by hand')",
    )
    seedlib.seed(mysql_url, rows=4, label="seq")
    execute(mysql_url, "INSERT INTO invoice (n) VALUES ('app')")
    found = [r[0] for r in rows(mysql_url, "SELECT id FROM invoice ORDER BY id")]
    assert found[0] == 100
    seeded, app = found[1:5], found[5]
    assert seeded == list(range(seeded[0], seeded[0] + 20, 5))
    assert seeded[0] > 100
    assert app > seeded[-1]
    assert seedlib.unseed(mysql_url, label="seq").problems == []
    assert rows(mysql_url, "SELECT n FROM invoice ORDER BY id") == [("by hand",), ("app",)]


def test_mariadb_more_keys_than_the_sequence_or_column_holds_are_refused(mysql_url: str) -> None:
    execute(
        mysql_url,
        "CREATE SEQUENCE short MAXVALUE 10",
        "CREATE TABLE a (id INT NOT NULL DEFAULT NEXTVAL(short) PRIMARY KEY)",
        "CREATE SEQUENCE high START WITH 120",
        "CREATE TABLE b (id TINYINT NOT NULL DEFAULT NEXTVAL(high) PRIMARY KEY)",
    )
    with pytest.raises(seedlib.ConfigurationError, match=r"sequence .*short.* stops at 10"):
        seedlib.seed(mysql_url, rows=20, tables={"b": 0}, label="big")
    with pytest.raises(seedlib.ConfigurationError, match=r"b\.id cannot take keys up to 139"):
        seedlib.seed(mysql_url, rows=20, tables={"a": 0}, label="big")
    assert rows(mysql_url, "SELECT count(*) FROM a UNION ALL SELECT count(*) FROM b") == [
        (0,),
        (0,),
    ]
    # fewer rows fit, and take the sequence's keys
    seedlib.seed(mysql_url, rows=5, tables={"b": 0}, label="small")
    assert rows(mysql_url, "SELECT min(id), max(id) FROM a") == [(2, 6)]
