"""Key reservation: contiguous blocks come back as ranges, past every key already taken."""

from __future__ import annotations

from itertools import pairwise

from sqlalchemy import Column, Integer, MetaData, Table, text

from seedlib.db import engine_for
from seedlib.load import allocate_keys, reserve_keys


def clients(metadata: MetaData) -> Table:
    return Table("clients", metadata, Column("id", Integer, primary_key=True))


def test_postgresql_keys_come_from_the_sequence_as_a_range(postgres_url: str) -> None:
    engine = engine_for(postgres_url)
    metadata = MetaData()
    table = clients(metadata)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO clients (id) VALUES (40)"))  # set by hand: sequence lags
        keys = reserve_keys(conn, table, table.c.id, 100_000)
        after = conn.execute(text("SELECT nextval('clients_id_seq')")).scalar_one()
    assert keys == range(41, 100_041)
    assert after == 100_041
    engine.dispose()


def test_postgresql_keys_that_are_not_contiguous_come_back_as_a_sorted_list(
    postgres_url: str,
) -> None:
    engine = engine_for(postgres_url)
    metadata = MetaData()
    table = clients(metadata)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(text("ALTER SEQUENCE clients_id_seq INCREMENT BY 3"))
        keys = reserve_keys(conn, table, table.c.id, 5)
    assert isinstance(keys, list)
    assert len(keys) == 5
    assert keys == sorted(keys)
    assert {b - a for a, b in pairwise(keys)} == {3}
    engine.dispose()


def test_other_databases_start_above_the_highest_key(sqlite_url: str) -> None:
    engine = engine_for(sqlite_url)
    metadata = MetaData()
    table = clients(metadata)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO clients (id) VALUES (7)"))
        assert reserve_keys(conn, table, table.c.id, 3) == range(8, 11)
        assert allocate_keys(conn, table, table.c.id, 3) == [8, 9, 10]
        assert reserve_keys(conn, table, table.c.id, 0) == range(0)
    engine.dispose()


def test_mysql_keys_start_past_the_auto_increment_counter(mysql_url: str) -> None:
    engine = engine_for(mysql_url)
    metadata = MetaData()
    table = clients(metadata)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO clients (id) VALUES (5)"))
        conn.execute(text("DELETE FROM clients"))  # the counter remembers 6
        assert reserve_keys(conn, table, table.c.id, 2) == range(6, 8)
    engine.dispose()
