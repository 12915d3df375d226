"""Column → generator inference from names (whole words), types and constraints."""

from __future__ import annotations

import datetime as dt
import enum
import re
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    Enum,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
)

from seedlib.generate.infer import infer, is_unique, words
from seedlib.generate.pools import Pools
from seedlib.generate.rng import cell, stable_hash
from seedlib.generate.values import Columnar

PHONE = re.compile(r"^\(\d{3}\) 555-\d{4}$")
EMAIL = re.compile(r"^[a-z0-9._'-]+@example\.com$")


def table_with(*columns: Column[Any], name: str = "clients") -> Table:
    return Table(name, MetaData(), Column("id", Integer, primary_key=True), *columns)


def generate(table: Table, column: str, n: int = 500, seed: int = 0) -> list[Any]:
    """Values for ``column`` the way the engine computes them."""
    gen = infer(table, table.c[column], Pools(seed))
    base = stable_hash(seed, table.fullname, column)
    return [gen(o, cell(base, o), {}) for o in range(n)]


# --- words ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("business_name", ["business", "name"]),
        ("postalCode", ["postal", "code"]),
        ("contactEmail", ["contact", "email"]),
        ("  Tax--ID ", ["tax", "id"]),
    ],
)
def test_words_split_on_case_and_punctuation(name: str, expected: list[str]) -> None:
    assert words(name) == expected


# --- names ------------------------------------------------------------------------------------


def test_email_values_look_valid_and_are_unique() -> None:
    table = table_with(Column("email", String(255), unique=True), name="users")
    emails = generate(table, "email", 2_000)
    assert len(set(emails)) == len(emails)
    assert all(EMAIL.match(e) for e in emails), [e for e in emails if not EMAIL.match(e)][:3]


def test_camel_case_email_column_is_an_email() -> None:
    table = table_with(Column("contactEmail", String(255)))
    assert all(EMAIL.match(e) for e in generate(table, "contactEmail", 50))


@pytest.mark.parametrize("name", ["phone", "contact_phone", "mobile", "phone_number", "fax"])
def test_phone_columns_get_phone_numbers(name: str) -> None:
    table = table_with(Column(name, String(32)))
    assert all(PHONE.match(v) for v in generate(table, name, 100))


def test_cancelled_boolean_is_a_boolean_not_a_phone() -> None:
    table = table_with(Column("cancelled", Boolean, nullable=False))
    drawn = generate(table, "cancelled", 200)
    assert set(drawn) == {True, False}


@pytest.mark.parametrize("name", ["cancelled", "taxonomy", "emailed_by", "telephones_note"])
def test_names_match_whole_words_not_substrings(name: str) -> None:
    table = table_with(Column(name, String(100)))
    for value in generate(table, name, 100):
        assert not PHONE.match(value)
        assert "@" not in value
        assert not re.fullmatch(r"\d{2}-\d{7}", value)  # the tax id format


def test_tax_id_format() -> None:
    table = table_with(Column("tax_id", String(20)))
    assert all(re.fullmatch(r"\d{2}-\d{7}", v) for v in generate(table, "tax_id", 100))


def test_client_code_values_are_unique_codes() -> None:
    table = table_with(Column("client_code", String(20), unique=True), name="clients")
    codes = generate(table, "client_code", 3_000)
    assert len(set(codes)) == len(codes)
    assert codes[:2] == ["C-00000001", "C-00000002"]
    assert all(len(c) <= 20 for c in codes)


def test_code_prefix_comes_from_the_table_name() -> None:
    table = table_with(Column("sku", String(32)), name="product_variant_items")
    assert generate(table, "sku", 1) == ["PVI-00000001"]


@pytest.mark.parametrize("name", ["postal_code", "zip_code"])
def test_postal_code_column_gets_a_postal_code(name: str) -> None:
    # "code" as the last word must not win over "postal"/"zip" (TERP has clients.postal_code).
    table = table_with(Column(name, String(10)))
    drawn = generate(table, name, 100)
    assert all(re.fullmatch(r"\d{5}", v) for v in drawn), drawn[:3]


def test_license_number_column_gets_a_licence_number() -> None:
    # "number" as the last word must not win over "license" (TERP has license_number).
    table = table_with(Column("license_number", String(64)), name="supplier_profiles")
    drawn = generate(table, "license_number", 100)
    assert all(re.fullmatch(r"LIC-\d{8}", v) for v in drawn), drawn[:3]


def test_zip_column_gets_a_postal_code() -> None:
    table = table_with(Column("zip", String(10)))
    assert all(re.fullmatch(r"\d{5}", v) for v in generate(table, "zip", 100))


def test_person_and_company_names_come_from_their_pools() -> None:
    table = table_with(
        Column("first_name", String(100)),
        Column("contact_name", String(100)),
        Column("business_name", String(200)),
        Column("state", String(2)),
    )
    pools = Pools(0)
    assert set(generate(table, "first_name", 200)) <= set(pools.get("first_name"))
    for full in generate(table, "contact_name", 200):
        first, last = full.split(" ", 1)
        assert first in pools.get("first_name")
        assert last in pools.get("last_name")
    assert set(generate(table, "business_name", 200)) <= set(pools.get("company"))
    assert set(generate(table, "state", 200)) <= set(pools.get("state_abbr"))


# --- lengths, precision, enums ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "length"),
    [
        ("description", 12),
        ("first_name", 4),
        ("city", 5),
        ("business_name", 6),
        ("name", 3),
        ("client_code", 6),
        ("website", 10),
        ("label", 2),
        # Realistic short columns for values with a fixed format.
        ("email", 32),
        ("phone", 10),
        ("tax_id", 9),
        ("license", 10),
    ],
)
def test_string_length_is_respected(name: str, length: int) -> None:
    table = table_with(Column(name, String(length)))
    too_long = [v for v in generate(table, name, 500) if len(v) > length]
    assert not too_long, f"{len(too_long)} values longer than {length}: {too_long[:3]}"


def test_unique_text_stays_unique_and_within_length() -> None:
    table = table_with(Column("name", String(12), unique=True), name="brands")
    names = generate(table, "name", 2_000)
    assert len(set(names)) == len(names)
    assert all(len(n) <= 12 for n in names)


@pytest.mark.parametrize(
    ("name", "precision", "scale"),
    [
        ("price", 12, 2),
        ("weight", 12, 2),
        ("ratio", 5, 2),
        ("rating", 3, 1),
        ("tax_rate", 6, 4),
        ("discount_rate", 4, 4),
        ("share", 2, 2),
        ("units", 4, 0),
    ],
)
def test_numeric_precision_and_scale_are_respected(name: str, precision: int, scale: int) -> None:
    table = table_with(Column(name, Numeric(precision, scale)))
    for value in generate(table, name, 500):
        assert isinstance(value, Decimal)
        assert value.as_tuple().exponent == -scale
        assert 0 < value < Decimal(10) ** (precision - scale)


def test_money_columns_stay_in_a_plausible_range() -> None:
    table = table_with(Column("unit_price", Numeric(12, 2)), Column("weight", Numeric(12, 2)))
    prices = generate(table, "unit_price", 2_000)
    assert max(prices) <= 5000
    assert max(prices) > 1000  # money uses the wider range
    assert max(generate(table, "weight", 2_000)) <= 100


class Status(enum.Enum):
    active = "A"
    paused = "P"


def test_enum_values_only_from_the_enum() -> None:
    table = table_with(
        Column("status", Enum("draft", "sent", "paid", name="invoice_status")),
        Column("state", Enum(Status)),
    )
    assert set(generate(table, "status", 300)) == {"draft", "sent", "paid"}
    # SQLAlchemy stores a Python enum by member name.
    assert set(generate(table, "state", 300)) == {"active", "paused"}


# --- numbers and other types ------------------------------------------------------------------


def test_integers_by_name_and_uniqueness() -> None:
    table = table_with(
        Column("quantity", Integer),
        Column("position", Integer, unique=True),
        Column("weight", Integer),
    )
    assert set(generate(table, "quantity", 2_000)) == set(range(1, 101))
    assert generate(table, "position", 5) == [1, 2, 3, 4, 5]
    assert set(generate(table, "weight", 20_000)) == set(range(1, 1001))


@pytest.mark.parametrize("kind", [Float(), Double()], ids=["Float", "Double"])
def test_float_columns_get_floats(kind: Float[float]) -> None:
    # Since SQLAlchemy 2.1 Float is no longer a subclass of Numeric.
    table = table_with(Column("score", kind))
    drawn = generate(table, "score")
    assert all(isinstance(v, float) and 1 <= v <= 1001 for v in drawn), drawn[:3]


class Quantity(TypeDecorator[int]):
    impl = Integer
    cache_ok = True


def test_type_decorators_are_inferred_from_their_implementation() -> None:
    table = table_with(Column("quantity", Quantity()))
    assert set(generate(table, "quantity", 2_000)) == set(range(1, 101))


def test_other_types() -> None:
    table = table_with(
        Column("born_on", Date),
        Column("created_at", DateTime),
        Column("opens_at", Time),
        Column("token", Uuid),
        Column("payload", JSON),
        Column("blob", LargeBinary),
    )
    assert all(type(v) is dt.date for v in generate(table, "born_on"))
    assert all(isinstance(v, dt.datetime) for v in generate(table, "created_at"))
    assert all(isinstance(v, dt.time) for v in generate(table, "opens_at"))
    tokens = generate(table, "token", 1_000)
    assert all(isinstance(t, uuid.UUID) and t.version == 4 for t in tokens)
    assert len(set(tokens)) == len(tokens)
    assert generate(table, "payload", 2) == [{"n": 0}, {"n": 1}]
    assert all(isinstance(b, bytes) and len(b) == 8 for b in generate(table, "blob"))


# --- determinism ------------------------------------------------------------------------------


def test_same_seed_same_values_different_seed_different_values() -> None:
    table = table_with(
        Column("email", String(255)),
        Column("business_name", String(200)),
        Column("credit_limit", Numeric(12, 2)),
        Column("created_at", DateTime),
    )
    for column in ("email", "business_name", "credit_limit", "created_at"):
        assert generate(table, column, 200, seed=1) == generate(table, column, 200, seed=1)
        assert generate(table, column, 200, seed=1) != generate(table, column, 200, seed=2)


# --- is_unique --------------------------------------------------------------------------------


def test_is_unique_with_and_without_alone() -> None:
    md = MetaData()
    table = Table(
        "lots",
        md,
        Column("id", Integer, primary_key=True),
        Column("code", String(20), unique=True),
        Column("vendor_id", Integer),
        Column("vendor_ref", String(20)),
        Column("slug", String(20)),
        Column("notes", String(200)),
        UniqueConstraint("vendor_id", "vendor_ref"),
    )
    Index("ix_lots_slug", table.c.slug, unique=True)
    c = table.c
    assert is_unique(c.id, table)
    assert is_unique(c.id, table, alone=True)
    assert is_unique(c.code, table)
    assert is_unique(c.code, table, alone=True)
    assert is_unique(c.slug, table)
    assert is_unique(c.slug, table, alone=True)
    assert is_unique(c.vendor_ref, table)
    assert not is_unique(c.vendor_ref, table, alone=True)
    assert is_unique(c.vendor_id, table)
    assert not is_unique(c.vendor_id, table, alone=True)
    assert not is_unique(c.notes, table)
    assert not is_unique(c.notes, table, alone=True)


def test_column_of_a_composite_primary_key_is_not_unique_alone() -> None:
    table = Table(
        "line_items",
        MetaData(),
        Column("order_id", Integer, primary_key=True),
        Column("line", Integer, primary_key=True),
    )
    assert not is_unique(table.c.line, table, alone=True)


def test_mysql_set_columns_get_non_empty_subsets_of_their_members() -> None:
    from sqlalchemy import Column, Integer, MetaData, Table
    from sqlalchemy.dialects.mysql import SET

    from seedlib.generate.infer import infer
    from seedlib.generate.pools import Pools
    from seedlib.generate.rng import cell

    table = Table(
        "s",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("tags", SET("red", "green", "blue")),
    )
    generator = infer(table, table.c.tags, Pools(0))
    picks = [set(generator(o, cell(1, o), {}).split(",")) for o in range(200)]
    assert all(p and p <= {"red", "green", "blue"} for p in picks)
    assert len({frozenset(p) for p in picks}) == 7


@pytest.mark.parametrize(
    "column",
    [
        Column("email", String(255), unique=True),
        Column("email", String(10)),
        Column("phone", String(32)),
        Column("phone", String(7)),
        Column("postal_code", String(3)),
        Column("client_code", String(5), unique=True),
        Column("city", String(4)),
        Column("city", String(40), unique=True),
        Column("business_name", String(200)),
        Column("state", String(2)),
        Column("notes", Text),
    ],
    ids=lambda c: f"{c.name}-{getattr(c.type, 'length', None)}",
)
def test_a_promised_text_length_holds(column: Column[Any]) -> None:
    """What lets validation skip a text column (``Columnar.longest``): every value, per row or
    per batch, is text within the promise, and the promise within the column."""
    table = table_with(column)
    gen = infer(table, table.c[column.name], Pools(0))
    assert isinstance(gen, Columnar)
    longest = gen.longest
    assert longest is not None
    length = getattr(column.type, "length", None)
    assert length is None or longest <= length
    n = 3_000
    base = stable_hash(0, table.fullname, column.name)
    rows = [gen(o, cell(base, o), {}) for o in range(n)]
    batch = gen.batch(range(n), [cell(base, o) for o in range(n)])
    assert batch == rows
    assert all(type(v) is str and len(v) <= longest for v in batch)


@pytest.mark.parametrize(
    "column",
    [
        Column("quantity", Integer, nullable=False),
        Column("rank", SmallInteger),
        Column("credit_limit", Numeric(12, 2), nullable=False),
        Column("rate", Numeric(5, 3)),
        Column("amount", Numeric(4, 2)),
    ],
    ids=lambda c: f"{c.name}-{c.type}",
)
def test_promised_numbers_hold(column: Column[Any]) -> None:
    """What lets validation skip a numeric column (``Columnar.bounds``): every value, per row
    or per batch, is a number within the promise."""
    table = table_with(column)
    gen = infer(table, table.c[column.name], Pools(0))
    assert isinstance(gen, Columnar)
    assert gen.bounds is not None
    low, high = gen.bounds
    n = 3_000
    base = stable_hash(0, table.fullname, column.name)
    rows = [gen(o, cell(base, o), {}) for o in range(n)]
    batch = gen.batch(range(n), [cell(base, o) for o in range(n)])
    assert batch == rows
    assert all(type(v) in (int, Decimal) and low <= v <= high for v in batch)
