"""Rows in other schemas (MySQL: other databases) that reference seeded rows block the
rollback like any other: an ``ON DELETE CASCADE`` from there would otherwise delete the
application's rows along with the seeded ones."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

import seedlib
from seedlib.db import normalise_url
from tests.conftest import execute, rows


@pytest.mark.parametrize("on_delete", ["CASCADE", "NO ACTION", "SET NULL"])
def test_a_reference_from_another_schema_blocks_the_rollback(
    postgres_url: str, on_delete: str
) -> None:
    execute(
        postgres_url,
        "CREATE TABLE org (id serial PRIMARY KEY, name text NOT NULL)",
        "CREATE SCHEMA other",
        "CREATE TABLE other.member (id serial PRIMARY KEY,"
        f" org_id int REFERENCES public.org (id) ON DELETE {on_delete})",
    )
    seedlib.seed(postgres_url, rows=10, label="orgs")
    first = scalar(postgres_url, "SELECT min(id) FROM org")
    execute(postgres_url, f"INSERT INTO other.member (org_id) VALUES ({first})")

    with pytest.raises(seedlib.RollbackBlocked, match=r"other\.member"):
        seedlib.unseed(postgres_url, label="orgs")

    assert scalar(postgres_url, "SELECT count(*) FROM org") == 10
    assert scalar(postgres_url, "SELECT org_id FROM other.member") == first


@pytest.fixture
def second_mysql_database(mysql_url: str) -> Iterator[str]:
    name = f"seedlib_test_{uuid.uuid4().hex[:12]}"
    execute(mysql_url, f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        execute(mysql_url, f"DROP DATABASE {name}")


def test_a_reference_from_another_mysql_database_blocks_the_rollback(
    mysql_url: str, second_mysql_database: str
) -> None:
    here = normalise_url(mysql_url).database
    execute(mysql_url, "CREATE TABLE org (id INT AUTO_INCREMENT PRIMARY KEY, name TEXT)")
    seedlib.seed(mysql_url, rows=10, label="orgs")
    first = scalar(mysql_url, "SELECT min(id) FROM org")
    execute(
        mysql_url,
        f"CREATE TABLE {second_mysql_database}.member (id INT PRIMARY KEY, org_id INT,"
        f" FOREIGN KEY (org_id) REFERENCES {here}.org (id) ON DELETE CASCADE)",
        f"INSERT INTO {second_mysql_database}.member VALUES (1, {first})",
    )

    with pytest.raises(seedlib.RollbackBlocked, match="member"):
        seedlib.unseed(mysql_url, label="orgs")

    assert scalar(mysql_url, "SELECT count(*) FROM org") == 10
    assert scalar(mysql_url, f"SELECT org_id FROM {second_mysql_database}.member") == first


def scalar(url: str, query: str) -> object:
    return rows(url, query)[0][0]
