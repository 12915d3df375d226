"""Scan: whole-word names (no `cancelled` → phone), companies are not people, value sampling."""

from __future__ import annotations

import pytest
from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, create_engine, text

from examples.terp.models import Base
from seedlib.mask.scan import kind_from_name, kind_from_values, luhn_valid, scan


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("cancelled", None),
        ("cancelled_at", None),
        ("is_cancelled", None),
        ("excellent_rating", None),
        ("cell_phone", "phone"),
        ("cellPhone", "phone"),
        ("mobile", "phone"),
        ("company_name", "company_name"),
        ("business_name", "company_name"),
        ("vendorName", "company_name"),
        ("contact_name", "person_name"),
        ("full_name", "person_name"),
        ("first_name", "first_name"),
        ("surname", "last_name"),
        ("name", None),
        ("product_name", None),
        ("email", "email"),
        ("contact_email", "email"),
        ("emailed_at", None),
        ("ip_address", "ip_address"),
        ("address_line1", "street_address"),
        ("zip", "postal_code"),
        ("zipper_size", None),
        ("tax_id", "tax_id"),
        ("taxonomy", None),
        ("license_number", "license_number"),
        ("date_of_birth", "date_of_birth"),
        ("dob", "date_of_birth"),
        ("card_number", "card_number"),
        ("notes", "free_text"),
        ("city", "city"),
        ("capacity", None),
    ],
)
def test_names_match_whole_words(name: str, kind: str | None) -> None:
    assert kind_from_name(name) == kind


def test_values_are_classified_by_pattern() -> None:
    assert kind_from_values(["a@b.com", "c.d@e.org", None, "x@y.net"])[0] == "email"
    assert kind_from_values(["(415) 555-0101", "+1 212.555.0199", "415-555-0134"])[0] == "phone"
    assert kind_from_values(["4111 1111 1111 1111", "5500-0000-0000-0004"])[0] == "card_number"
    assert kind_from_values(["4111 1111 1111 1112"])[0] != "card_number"  # fails Luhn
    assert kind_from_values(["1234567", "2345678", "3456789"])[0] is None  # plain codes
    assert kind_from_values(["CANCELLED", "DRAFT", "SENT"])[0] is None
    assert kind_from_values(["Acme LLC", "Globex Inc"])[0] is None
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("1234")


def test_models_scan_reports_declared_kinds_without_person_for_company() -> None:
    found = {(s.table, s.column): s for s in scan(Base.metadata)}
    assert found[("clients", "business_name")].kind == "company_name"
    assert found[("clients", "business_name")].declared == "company_name"
    assert found[("supplier_profiles", "contact_name")].kind == "person_name"
    assert ("orders", "status") not in found
    assert all(s.kind != "person_name" for s in found.values() if "business" in s.column)


def test_scan_of_a_database_samples_values(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/scan.sqlite3"
    metadata = MetaData()
    Table(
        "accounts",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("cancelled", Boolean),
        Column("company_name", String(100)),
        Column("contact", String(100)),
        Column("ref", String(40)),
        Column("status", String(20)),
    )
    engine = create_engine(url)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO accounts VALUES (:i, 0, 'Acme LLC', :c, :r, 'CANCELLED')"),
            [{"i": i, "c": f"p{i}@corp.com", "r": f"+1 415-555-{i:04d}"} for i in range(30)],
        )
    with engine.connect() as conn:
        found = {s.column: s for s in scan(conn, sample=20)}
        names_only = {s.column for s in scan(conn, sample=0)}
    engine.dispose()
    assert set(found) == {"company_name", "contact", "ref"}
    assert found["company_name"].kind == "company_name"
    assert (found["contact"].kind, found["contact"].reason) == ("email", "values")
    assert (found["contact"].matched, found["contact"].sampled) == (20, 20)
    assert found["ref"].kind == "phone"
    assert names_only == {"company_name"}
