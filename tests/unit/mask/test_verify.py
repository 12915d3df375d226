"""verify(): original values in the target are found (exact and embedded), masked ones are not."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine

from seedlib.db import normalise_url
from seedlib.mask.session import MaskingSession
from seedlib.mask.sources import CsvSource
from seedlib.mask.verify import pii_columns, verify


def test_verify_finds_exact_and_embedded_originals(
    db_url: str, tmp_path: Path, session: MaskingSession
) -> None:
    csv = tmp_path / "people.csv"
    csv.write_text(
        "id,email,phone,city,comment\n"
        "1,Ann.Lee@corp.com,(415) 555-0101,Springfield,call me\n"
        "2,bo@firm.org,212-555-0199,Shelbyville,\n"
    )
    source = CsvSource(csv)
    assert pii_columns(source) == {"email": "email", "phone": "phone", "comment": "free_text"}
    metadata = MetaData()
    people = Table(
        "people",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("email", String(255)),
        Column("phone", String(32)),
        Column("city", String(100)),
        Column("notes", Text),
    )
    engine = create_engine(normalise_url(db_url))
    metadata.create_all(engine)
    masked = [
        {
            "id": i,
            "email": session.mask("email", e),
            "phone": session.mask("phone", p),
            "city": "Springfield",  # a quasi-identifier: equal by chance proves nothing
            "notes": session.mask("free_text", f"reach {e} or {p}"),
        }
        for i, (e, p) in enumerate(
            [("Ann.Lee@corp.com", "(415) 555-0101"), ("bo@firm.org", "212-555-0199")], start=1
        )
    ]
    with engine.begin() as conn:
        conn.execute(people.insert(), masked)
    clean = verify(source, db_url)
    assert clean.ok
    assert clean.scanned["people.email"] == 2
    with engine.begin() as conn:
        conn.execute(
            people.insert(),
            [
                {"id": 10, "email": "ann.lee@CORP.com", "phone": "415.555.0101", "notes": "x"},
                {"id": 11, "email": None, "phone": None, "notes": "Left a message for bo@firm.org"},
                {"id": 12, "email": None, "phone": None, "notes": "Number is 212 555 0199, ask Bo"},
            ],
        )
    engine.dispose()
    report = verify(source, db_url, batch_rows=1)
    found = {(f.column, f.kind, f.how): f.count for f in report.findings}
    assert found == {
        ("email", "email", "exact"): 1,
        ("phone", "phone", "exact"): 1,
        ("notes", "email", "embedded"): 1,
        ("notes", "phone", "embedded"): 1,
    }
    assert "Ann.Lee" not in repr(report.as_dict())
    only_email = verify(source, db_url, columns={"email": "email"}, tables=["people"])
    assert {(f.column, f.kind) for f in only_email.findings} == {
        ("email", "email"),
        ("notes", "email"),
    }


def test_verify_finds_names_and_numbers_free_text_masking_replaces(
    db_url: str, tmp_path: Path, session: MaskingSession
) -> None:
    notes = [
        "Met JOSE GARCIA today",
        "Ask Sean O'Brien about it",
        "SSN on file: 123456789",
        "London office +44 20 7946 0018",
    ]
    csv = tmp_path / "people.csv"
    csv.write_text("id,notes\n" + "".join(f'{i},"{n}"\n' for i, n in enumerate(notes, 1)))
    source = CsvSource(csv)
    metadata = MetaData()
    people = Table(
        "people", metadata, Column("id", Integer, primary_key=True), Column("notes", Text)
    )
    engine = create_engine(normalise_url(db_url))
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            people.insert(),
            [{"id": i, "notes": session.mask("free_text", n)} for i, n in enumerate(notes, 1)],
        )
    assert verify(source, db_url, columns={"notes": "free_text"}).ok
    leaked = [
        "Jose Garcia called",
        "a note for SEAN O'BRIEN",
        "ssn 123-45-6789",
        "tel. +44-20-7946-0018",
    ]
    with engine.begin() as conn:
        conn.execute(people.insert(), [{"id": 10 + i, "notes": n} for i, n in enumerate(leaked)])
    engine.dispose()
    report = verify(source, db_url, columns={"notes": "free_text"})
    found = {(f.column, f.kind, f.how): f.count for f in report.findings}
    assert found == {
        ("notes", "person_name", "embedded"): 2,
        ("notes", "tax_id", "embedded"): 1,
        ("notes", "phone", "embedded"): 1,
    }


def test_a_column_named_like_a_kind_counts_only_when_its_values_agree(tmp_path: Path) -> None:
    csv = tmp_path / "people.csv"
    csv.write_text(
        "email,email_verified,phone_confirmed,contact_phone\n"
        "a@corp.com,true,1,(415) 555-0101\n"
        "b@corp.com,false,0,212-555-0199\n"
    )
    assert pii_columns(CsvSource(csv)) == {"email": "email", "contact_phone": "phone"}


def test_placeholders_do_not_overrule_a_column_name(tmp_path: Path) -> None:
    csv = tmp_path / "people.csv"
    rows = [
        f"{i},{f'123-45-{6700 + i}' if i % 2 else ('n/a', 'none', '-', 'unknown', '')[i % 5]},"
        f"{f'p{i}@corp.com' if i % 3 == 0 else 'N/A'},true"
        for i in range(1, 41)
    ]
    csv.write_text("id,ssn,email,email_verified\n" + "\n".join(rows) + "\n")
    assert pii_columns(CsvSource(csv)) == {"ssn": "tax_id", "email": "email"}
