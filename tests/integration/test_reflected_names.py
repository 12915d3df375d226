"""Valid names reflected as the database holds them: SQLite references whose case differs
from the referred table's and columns' own, MariaDB column names with a backtick, and ENUM/SET
members with a backslash or a newline."""

from __future__ import annotations

from pathlib import Path

import pytest

import seedlib
from tests.conftest import execute, rows


def test_sqlite_references_whose_case_differs_resolve(sqlite_url: str) -> None:
    execute(
        sqlite_url,
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, n TEXT)",
        "CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER NOT NULL REFERENCES parent(ID))",
        "CREATE TABLE Other (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES PARENT(Id))",
        "CREATE TABLE implied (id INTEGER PRIMARY KEY, pid INTEGER NOT NULL REFERENCES Parent)",
        "INSERT INTO parent (id, n) VALUES (1, 'app')",
    )
    result = seedlib.seed(sqlite_url, rows=5, label="case")
    # one parent table (not also a "PARENT"), seeded before its children
    assert result.tables[0]["table"] == "parent"
    assert {t["table"]: t["rows"] for t in result.tables} == {
        "parent": 5,
        "child": 5,
        "Other": 5,
        "implied": 5,
    }
    for child in ("child", "Other", "implied"):
        orphans = f"SELECT count(*) FROM {child} WHERE pid NOT IN (SELECT id FROM parent)"
        assert rows(sqlite_url, orphans) == [(0,)]
    # an application row referencing a seeded parent through parent(ID) blocks the rollback
    seeded = rows(sqlite_url, "SELECT max(id) FROM parent")[0][0]
    execute(sqlite_url, f"INSERT INTO child (id, pid) VALUES (1000, {seeded})")
    with pytest.raises(seedlib.RollbackBlocked):
        seedlib.unseed(sqlite_url, label="case")
    execute(sqlite_url, "DELETE FROM child WHERE id = 1000")
    assert seedlib.unseed(sqlite_url, label="case").problems == []
    assert rows(sqlite_url, "SELECT id, n FROM parent") == [(1, "app")]


def test_mysql_column_names_with_a_backtick(mysql_url: str) -> None:
    execute(
        mysql_url,
        "CREATE TABLE p (`i``d` INT AUTO_INCREMENT PRIMARY KEY, `na``me` VARCHAR(20) NOT NULL,"
        " UNIQUE KEY (`na``me`))",
        "CREATE TABLE c (id INT AUTO_INCREMENT PRIMARY KEY, `p``id` INT NOT NULL,"
        " FOREIGN KEY (`p``id`) REFERENCES p (`i``d`))",
        "INSERT INTO p (`na``me`) VALUES ('app')",
    )
    result = seedlib.seed(mysql_url, rows=10, label="tick")
    assert {t["table"]: (t["rows"], t["skipped"]) for t in result.tables} == {
        "p": (10, 0),
        "c": (10, 0),
    }
    assert rows(mysql_url, "SELECT count(DISTINCT `p``id`) > 0 FROM c") == [(1,)]
    assert seedlib.unseed(mysql_url, label="tick").problems == []
    assert rows(mysql_url, "SELECT `i``d`, `na``me` FROM p") == [(1, "app")]
    assert rows(mysql_url, "SELECT count(*) FROM c") == [(0,)]


ENUM_MEMBERS = ["a\\b", "c\nd", "it's", "plain", "end\\"]
SET_MEMBERS = ["x\\y", "z\nw", "q"]


def test_mysql_enum_and_set_members_with_backslashes_and_newlines(mysql_url: str) -> None:
    execute(
        mysql_url,
        "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, "
        "k ENUM('a\\\\b', 'c\\nd', 'it''s', 'plain', 'end\\\\') NOT NULL, "
        "s SET('x\\\\y', 'z\\nw', 'q') NOT NULL)",
        # a table without a key is ledgered, and removed, by its values
        "CREATE TABLE keyless (k ENUM('a\\\\b', 'c\\nd') NOT NULL)",
    )
    result = seedlib.seed(mysql_url, rows=40, label="members")
    assert {t["table"]: (t["rows"], t["skipped"]) for t in result.tables} == {
        "t": (40, 0),
        "keyless": (40, 0),
    }
    found = rows(mysql_url, "SELECT k, s FROM t")
    assert {k for k, _s in found} == set(ENUM_MEMBERS)
    assert {m for _k, s in found for m in s.split(",") if m} <= set(SET_MEMBERS)
    assert {k for (k,) in rows(mysql_url, "SELECT k FROM keyless")} == {"a\\b", "c\nd"}
    assert seedlib.unseed(mysql_url, label="members").problems == []
    assert rows(mysql_url, "SELECT count(*) FROM t UNION ALL SELECT count(*) FROM keyless") == [
        (0,),
        (0,),
    ]


def test_reflecting_in_threads_leaves_the_dialect_as_it_was(tmp_path: Path) -> None:
    """Two threads swapping the dialect's method at once left one's wrapper on for good."""
    import threading

    from sqlalchemy import MetaData, create_engine

    from seedlib.db import reflect_into

    engine = create_engine(f"sqlite:///{tmp_path / 'threads.sqlite3'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        for i in range(10):
            conn.exec_driver_sql(
                f"CREATE TABLE c{i} (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES PARENT(ID))"
            )
    failures: list[str] = []

    def reflect() -> None:
        for _ in range(10):
            with engine.connect() as conn:
                metadata = MetaData()
                reflect_into(metadata, conn)
                if "PARENT" in metadata.tables:
                    failures.append("PARENT reflected as a table of its own")

    threads = [threading.Thread(target=reflect) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert "get_foreign_keys" not in vars(engine.dialect)
    engine.dispose()
