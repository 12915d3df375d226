"""Policies: kinds from the models and overrides; a PII column without a strategy stops."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table

from seedlib.exceptions import ConfigurationError, UnmaskedPII
from seedlib.mask.policy import resolve_policy


def test_terp_clients_policy_comes_from_the_models(clients: Table) -> None:
    policy = resolve_policy(clients)
    assert {r.column: r.strategy for r in policy.rules.values()} == {
        "business_name": "company_name",
        "email": "email",
        "phone": "phone",
        "address_line1": "street_address",
        "city": "city",
        "postal_code": "postal_code",
    }
    assert policy.rules["email"].length == 255
    assert "state" not in policy.rules


def test_unique_columns_are_flagged() -> None:
    users = __import__("examples.terp.models", fromlist=["Base"]).Base.metadata.tables["users"]
    assert resolve_policy(users).rules["email"].unique


def _table(**info: str | None) -> Table:
    columns = [Column("id", Integer, primary_key=True)]
    columns += [
        Column(name, String(40), nullable=name != "strict", info={"pii": kind} if kind else {})
        for name, kind in info.items()
    ]
    return Table("t", MetaData(), *columns)


def test_an_unknown_kind_without_override_stops_with_exit_7() -> None:
    table = _table(passport="passport_number", email="email")
    with pytest.raises(UnmaskedPII) as caught:
        resolve_policy(table)
    assert caught.value.exit_code == 7
    assert caught.value.problems == [
        {"table": "t", "column": "passport", "kind": "passport_number", "strategy": None}
    ]
    assert "t.passport" in str(caught.value)


def test_an_override_supplies_the_strategy_or_declares_a_column() -> None:
    table = _table(passport="passport_number", note=None)
    policy = resolve_policy(table, {"passport": "redact", "note": "free_text"})
    assert policy.rules["passport"].kind == "passport_number"
    assert policy.rules["passport"].strategy == "redact"
    assert policy.rules["note"].kind == "free_text"


def test_an_override_cannot_name_an_unknown_strategy_or_column() -> None:
    table = _table(email="email")
    with pytest.raises(UnmaskedPII):
        resolve_policy(table, {"email": "keep"})
    with pytest.raises(ConfigurationError, match="unknown columns: nope"):
        resolve_policy(table, {"nope": "email"})


def test_null_strategy_needs_a_nullable_column() -> None:
    table = _table(strict="email")
    with pytest.raises(ConfigurationError, match="NOT NULL"):
        resolve_policy(table, {"strict": "null"})


def test_redact_strategy_refuses_a_unique_column() -> None:
    table = Table(
        "t",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("login", String(40), unique=True),
        Column("note", String(40)),
    )
    with pytest.raises(ConfigurationError) as caught:
        resolve_policy(table, {"login": "redact"})
    assert caught.value.exit_code == 2
    assert str(caught.value) == (
        "t.login is unique: the 'redact' strategy gives every row the same value; "
        "mask it as its kind or with null"
    )
    assert resolve_policy(table, {"note": "redact"}).rules["note"].strategy == "redact"
