"""After loading, every single-column foreign key the schema declares is checked over the
seeded rows, except where PostgreSQL, MariaDB or SQLite enforced that very key on every row
itself: a key the database lacks, or does not check now (triggers disabled, foreign_key_checks
or SQLite's foreign_keys off, a deferred key), still fails the revision."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, event, text

from seedlib import TableSpec
from seedlib.config import resolve_settings
from seedlib.db import engine_for
from seedlib.engine import seed_tables
from seedlib.engine.run import verify_foreign_keys
from seedlib.exceptions import DataError
from seedlib.track import ledger
from seedlib.track.ledger import ensure_bookkeeping

PARENTS = 10


def _models() -> MetaData:
    """What the application declares: ``kids.parent_id`` references ``parents.id``."""
    metadata = MetaData()
    Table("parents", metadata, Column("id", Integer, primary_key=True), Column("name", String(20)))
    Table(
        "kids",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("parent_id", ForeignKey("parents.id")),
    )
    return metadata


def _seed(url: str, parent_id: Any, ddl: list[str], *, pragma: str = "") -> list[str]:
    """Seed 30 kids whose ``parent_id`` is ``parent_id(ordinal)``, into tables created by
    ``ddl``; the statements the run sent. ``pragma``: an SQLite setting for each connection,
    made before any transaction starts."""
    engine = engine_for(url)
    if pragma:
        event.listen(engine, "connect", lambda dbapi, _record: dbapi.execute(pragma))
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: sent.append(str(a[2])))
    spec: dict[str, int | TableSpec] = {
        "parents": PARENTS,
        "kids": TableSpec(30, columns={"parent_id": lambda o, _h, _r: parent_id(o)}),
    }
    settings = resolve_settings(database_url=url, size="100", environ={})
    label = f"verify-{uuid.uuid4().hex[:6]}"
    try:
        with engine.begin() as conn:
            for statement in ddl:
                conn.execute(text(statement))
            ensure_bookkeeping(conn)
            sent.clear()
            seed_tables(conn, _models(), spec, settings=settings, revision=label, run_id=label)
    finally:
        engine.dispose()
    return sent


PARENTS_DDL = "CREATE TABLE parents (id serial PRIMARY KEY, name varchar(20))"


def _anti_joins(sent: list[str]) -> list[str]:
    return [s for s in sent if "NOT (EXISTS" in s and "kids" in s]


ENFORCED = "CREATE TABLE kids (id serial PRIMARY KEY, parent_id integer REFERENCES parents (id))"


@pytest.mark.parametrize(
    "ddl",
    [
        # the key is in the models only
        ["CREATE TABLE kids (id serial PRIMARY KEY, parent_id integer)"],
        # the database holds it but does not check it now
        [ENFORCED, "ALTER TABLE kids DISABLE TRIGGER ALL"],
        # a partition has its own copy of the key and its own triggers: one of them disabled
        # lets an orphan in, which only the anti-join over the whole table sees
        [
            ENFORCED + " PARTITION BY RANGE (id)",
            "CREATE TABLE kids_low PARTITION OF kids FOR VALUES FROM (MINVALUE) TO (1000)",
            "CREATE TABLE kids_high PARTITION OF kids FOR VALUES FROM (1000) TO (MAXVALUE)",
            "ALTER TABLE kids_low DISABLE TRIGGER ALL",
        ],
    ],
    ids=["models-only", "triggers-disabled", "partition-unchecked"],
)
def test_a_key_the_database_did_not_enforce_is_checked(postgres_url: str, ddl: list[str]) -> None:
    with pytest.raises(DataError, match=r"1 seeded row\(s\) break foreign keys \(first: kids"):
        _seed(postgres_url, lambda o: 10**6 if o == 4 else 1 + o % PARENTS, [PARENTS_DDL, *ddl])


def test_a_key_the_database_enforced_is_not_checked_again(postgres_url: str) -> None:
    sent = _seed(postgres_url, lambda o: 1 + o % PARENTS, [PARENTS_DDL, ENFORCED])
    assert _anti_joins(sent) == []
    # the same key made deferrable: SET CONSTRAINTS could have postponed it, so it is checked
    deferrable = ENFORCED.replace("(id))", "(id) DEFERRABLE)")
    sent = _seed(
        postgres_url,
        lambda o: 1 + o % PARENTS,
        ["DROP TABLE kids, parents", PARENTS_DDL, deferrable],
    )
    assert len(_anti_joins(sent)) == 1


def test_rows_of_an_earlier_session_are_checked(postgres_url: str) -> None:
    """A resumed revision's rows were written under checks this session cannot know."""
    _seed(postgres_url, lambda o: 1 + o % PARENTS, [PARENTS_DDL, ENFORCED])
    engine = engine_for(postgres_url)
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: sent.append(str(a[2])))
    try:
        with engine.connect() as conn:
            [revision] = ledger.counts_by_revision(conn)
            kids = _models().tables["kids"]
            verify_foreign_keys(conn, [kids], revision, trust_database=False)
            assert len(_anti_joins(sent)) == 1
            sent.clear()
            verify_foreign_keys(conn, [kids], revision)
            assert _anti_joins(sent) == []
    finally:
        engine.dispose()


MYSQL_PARENTS = "CREATE TABLE parents (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20))"
MYSQL_KIDS = "CREATE TABLE kids (id INT AUTO_INCREMENT PRIMARY KEY, parent_id INT"
MYSQL_KEY = ", FOREIGN KEY (parent_id) REFERENCES parents (id)"


@pytest.mark.parametrize(
    "ddl",
    [
        [MYSQL_KIDS + ") ENGINE=InnoDB"],  # the key is in the models only
        [MYSQL_KIDS + MYSQL_KEY + ") ENGINE=MyISAM"],  # MyISAM parses the key and keeps none
        [MYSQL_KIDS + MYSQL_KEY + ") ENGINE=InnoDB", "SET foreign_key_checks = 0"],
        # the key points at a table whose name differs only in case (a table of its own on
        # Linux), which holds the value the models' parent lacks
        [
            "CREATE TABLE Parents (id INT PRIMARY KEY)",
            "INSERT INTO Parents VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10)",
            "INSERT INTO Parents VALUES (1000000)",
            MYSQL_KIDS + ", FOREIGN KEY (parent_id) REFERENCES Parents (id)) ENGINE=InnoDB",
        ],
    ],
    ids=["models-only", "myisam", "checks-off", "case-twin"],
)
def test_mysql_checks_a_key_it_did_not_enforce(mysql_url: str, ddl: list[str]) -> None:
    with pytest.raises(DataError, match=r"1 seeded row\(s\) break foreign keys \(first: kids"):
        _seed(mysql_url, lambda o: 10**6 if o == 4 else 1 + o % PARENTS, [MYSQL_PARENTS, *ddl])


def test_mysql_does_not_check_a_key_it_enforced_again(mysql_url: str) -> None:
    ddl = [MYSQL_PARENTS, MYSQL_KIDS + MYSQL_KEY + ") ENGINE=InnoDB"]
    sent = _seed(mysql_url, lambda o: 1 + o % PARENTS, ddl)
    assert _anti_joins(sent) == []


SQLITE_PARENTS = "CREATE TABLE parents (id INTEGER PRIMARY KEY, name VARCHAR(20))"
SQLITE_KIDS = "CREATE TABLE kids (id INTEGER PRIMARY KEY, parent_id INTEGER"


@pytest.mark.parametrize(
    ("ddl", "pragma"),
    [
        ([SQLITE_KIDS + ")"], ""),  # the key is in the models only
        ([SQLITE_KIDS + " REFERENCES parents (id))"], "PRAGMA foreign_keys = OFF"),
        ([SQLITE_KIDS + " REFERENCES parents (id))"], "PRAGMA defer_foreign_keys = ON"),
        ([SQLITE_KIDS + " REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)"], ""),
    ],
    ids=["models-only", "foreign-keys-off", "defer-foreign-keys", "initially-deferred"],
)
def test_sqlite_checks_a_key_it_did_not_enforce(
    sqlite_url: str, ddl: list[str], pragma: str
) -> None:
    """A deferred key would fail only at COMMIT, with SQLite's bare "FOREIGN KEY constraint
    failed"; the anti-join names the table and the key first."""
    with pytest.raises(DataError, match=r"1 seeded row\(s\) break foreign keys \(first: kids"):
        _seed(
            sqlite_url,
            lambda o: 10**6 if o == 4 else 1 + o % PARENTS,
            [SQLITE_PARENTS, *ddl],
            pragma=pragma,
        )


@pytest.mark.parametrize(
    "kids",
    [
        SQLITE_KIDS + " REFERENCES parents (id))",
        SQLITE_KIDS + " REFERENCES Parents)",  # the parent's primary key; names fold case
        SQLITE_KIDS + ", FOREIGN KEY (parent_id) REFERENCES parents (id) DEFERRABLE)",
    ],
    ids=["inline", "implicit-primary-key", "table-constraint"],
)
def test_sqlite_does_not_check_a_key_it_enforced_again(sqlite_url: str, kids: str) -> None:
    sent = _seed(sqlite_url, lambda o: 1 + o % PARENTS, [SQLITE_PARENTS, kids])
    assert _anti_joins(sent) == []


def test_sqlite_trusts_no_key_to_a_parent_in_another_database(tmp_path: Path) -> None:
    """SQLite enforces a key against the parent in the child's own database: models that put
    the parent elsewhere are checked by the anti-join."""
    from seedlib.load.sqlite import enforced_foreign_key

    engine = engine_for(f"sqlite:///{tmp_path / 'main.sqlite3'}")
    aux = tmp_path / "aux.sqlite3"
    event.listen(engine, "connect", lambda dbapi, _r: dbapi.execute(f"ATTACH '{aux}' AS aux"))
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE parents (id INTEGER PRIMARY KEY)")
            conn.exec_driver_sql("CREATE TABLE aux.parents (id INTEGER PRIMARY KEY)")
            conn.exec_driver_sql(
                "CREATE TABLE aux.kids (id INTEGER PRIMARY KEY,"
                " parent_id INTEGER REFERENCES parents (id))"
            )
            metadata = MetaData()
            main_parents = Table("parents", metadata, Column("id", Integer, primary_key=True))
            aux_parents = Table(
                "parents", metadata, Column("id", Integer, primary_key=True), schema="aux"
            )
            kids = Table(
                "kids",
                metadata,
                Column("id", Integer, primary_key=True),
                Column("parent_id", Integer),
                schema="aux",
            )
            assert not enforced_foreign_key(conn, kids, "parent_id", main_parents, "id")
            assert enforced_foreign_key(conn, kids, "parent_id", aux_parents, "id")
    finally:
        engine.dispose()
