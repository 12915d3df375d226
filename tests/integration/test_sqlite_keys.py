"""SQLite ``AUTOINCREMENT`` never hands out a key twice: seeded keys start past the largest one
it handed out (``sqlite_sequence``), not only past the rows left, and its counter ends past the
seeded keys."""

from __future__ import annotations

import seedlib
from tests.conftest import execute, rows


def test_seeded_keys_start_past_the_autoincrement_counter(sqlite_url: str) -> None:
    execute(
        sqlite_url,
        "CREATE TABLE invoice (id INTEGER PRIMARY KEY AUTOINCREMENT, n TEXT)",
        "CREATE TABLE line (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "invoice_id INTEGER NOT NULL REFERENCES invoice (id))",
        *(f"INSERT INTO invoice (n) VALUES ('app {k}')" for k in range(1, 6)),
        "DELETE FROM invoice WHERE id >= 3",
    )
    seedlib.seed(sqlite_url, rows=5, label="auto")
    # keys 3..5 were handed out to rows the application deleted: never again
    assert rows(sqlite_url, "SELECT id FROM invoice WHERE n NOT LIKE 'app %' ORDER BY id") == [
        (k,) for k in range(6, 11)
    ]
    assert rows(sqlite_url, "SELECT seq FROM sqlite_sequence WHERE name = 'invoice'") == [(10,)]
    execute(sqlite_url, "INSERT INTO invoice (n) VALUES ('app 6')")
    assert rows(sqlite_url, "SELECT max(id) FROM invoice") == [(11,)]
    assert seedlib.unseed(sqlite_url, label="auto").problems == []
    assert rows(sqlite_url, "SELECT id, n FROM invoice ORDER BY id") == [
        (1, "app 1"),
        (2, "app 2"),
        (11, "app 6"),
    ]
    # after the rollback the counter still stands past every key handed out
    execute(sqlite_url, "INSERT INTO invoice (n) VALUES ('app 7')")
    assert rows(sqlite_url, "SELECT max(id) FROM invoice") == [(12,)]


def test_the_counter_is_found_whatever_the_case_of_the_name(sqlite_url: str) -> None:
    """(with a table without AUTOINCREMENT beside it, whose keys follow its rows)"""
    execute(
        sqlite_url,
        "CREATE TABLE Invoice (id INTEGER PRIMARY KEY AUTOINCREMENT, n TEXT)",
        "CREATE TABLE plain (id INTEGER PRIMARY KEY, n TEXT)",
        "INSERT INTO invoice (id, n) VALUES (40, 'app')",
        "DELETE FROM invoice",
        "INSERT INTO plain (id, n) VALUES (7, 'app')",
    )
    seedlib.seed(sqlite_url, rows=3, label="auto")
    assert rows(sqlite_url, "SELECT min(id), max(id) FROM Invoice") == [(41, 43)]
    assert rows(sqlite_url, "SELECT min(id), max(id) FROM plain WHERE id <> 7") == [(8, 10)]
