"""Sourced tables masked end to end on schemas of their own: one output per input across
columns of other lengths, originals never reused, no row lost to masking."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, Column, ForeignKey, Integer, MetaData, String, Table, Text, select

from seedlib import Source, TableSpec
from seedlib.config import resolve_settings
from seedlib.db import engine_for
from seedlib.engine import seed_tables
from seedlib.engine.shapes import TableReport
from seedlib.exceptions import ConfigurationError
from seedlib.mask.keys import DEVELOPMENT_KEY, MaskingKey
from seedlib.mask.session import MaskingSession
from seedlib.track.ledger import ensure_bookkeeping
from tests.conftest import rows


def write_csv(path: Path, records: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    return path


class Crash(Exception):
    """Stands for a process killed after a chunk was committed."""


def seed(
    url: str,
    metadata: MetaData,
    spec: dict[str, int | TableSpec],
    *,
    crash_after: int | None = None,
    chunk_rows: int | None = None,
) -> list[TableReport]:
    """Create ``metadata``'s tables at ``url`` and seed ``spec`` in development; with
    ``crash_after``, stop (rolling back) after that many committed chunks of ``chunk_rows``."""
    settings = resolve_settings(env="development", database_url=url, environ={})
    engine = engine_for(url)
    try:
        metadata.create_all(engine)
        with engine.connect() as conn:
            ensure_bookkeeping(conn)
            conn.commit()
            commits = 0

            def checkpoint() -> bool:
                nonlocal commits
                conn.commit()
                commits += 1
                if crash_after is not None and commits >= crash_after:
                    raise Crash
                return True

            chunked: dict[str, Any] = {}
            if chunk_rows is not None:
                chunked = {"checkpoint": checkpoint, "chunk_rows": chunk_rows}
            try:
                reports = seed_tables(
                    conn, metadata, spec, settings=settings, revision="t1", run_id="r1", **chunked
                )
                conn.commit()
                return reports
            except Crash:
                conn.rollback()
                return []
    finally:
        engine.dispose()


def test_an_email_masks_alike_in_a_shorter_foreign_key_and_in_notes(
    db_url: str, tmp_path: Path
) -> None:
    # The address dave's email takes first is another person's original: dave's must take
    # another one — the same in people.email, in the shorter orders.buyer_email that refers
    # to it, and in a note.
    first = MaskingSession(MaskingKey(DEVELOPMENT_KEY)).mask("email", "dave@corp.com")
    metadata = MetaData()
    Table(
        "people",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("email", String(255), unique=True, info={"pii": "email"}),
        Column("note", Text, info={"pii": "free_text"}),
    )
    Table(
        "orders",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("buyer_email", String(60), ForeignKey("people.email"), info={"pii": "email"}),
    )
    people = [
        {"id": 1, "email": "dave@corp.com", "note": "hello"},
        {"id": 2, "email": first, "note": "test account"},
        {"id": 3, "email": "carol@corp.com", "note": "forwarded from dave@corp.com"},
    ]
    spec: dict[str, int | TableSpec] = {
        "people": TableSpec(source=Source(write_csv(tmp_path / "people.csv", people))),
        "orders": TableSpec(
            source=Source(
                write_csv(tmp_path / "orders.csv", [{"id": 1, "buyer_email": "dave@corp.com"}])
            )
        ),
    }
    reports = {r.table: r.as_dict() for r in seed(db_url, metadata, spec)}
    assert reports["orders"]["rows"] == 1
    assert reports["orders"]["omitted"] == 0
    masked = dict(rows(db_url, "SELECT note, email FROM people"))
    originals = {p["email"] for p in people}
    assert not set(masked.values()) & originals
    dave = masked["hello"]
    assert rows(db_url, "SELECT buyer_email FROM orders") == [(dave,)]
    assert masked["forwarded from " + dave] != first


def test_a_pii_foreign_key_to_a_sourced_string_key_keeps_its_rows(
    db_url: str, tmp_path: Path
) -> None:
    metadata = MetaData()
    Table(
        "subscribers",
        metadata,
        Column("email", String(100), primary_key=True, info={"pii": "email"}),
        Column("name", String(100), info={"pii": "person_name"}),
    )
    Table(
        "events",
        metadata,
        Column("id", Integer, primary_key=True),
        Column(
            "sub_email",
            String(100),
            ForeignKey("subscribers.email"),
            nullable=False,
            info={"pii": "email"},
        ),
        Column("kind", String(20), nullable=False),
    )
    subscribers = [
        {"email": "al@corp.com", "name": "Al Bo"},
        {"email": "cy@corp.com", "name": "Cy Do"},
    ]
    events = [
        {"id": 1, "sub_email": "al@corp.com", "kind": "open"},
        {"id": 2, "sub_email": "cy@corp.com", "kind": "click"},
        {"id": 3, "sub_email": "al@corp.com", "kind": "click"},
    ]
    spec: dict[str, int | TableSpec] = {
        "subscribers": TableSpec(source=Source(write_csv(tmp_path / "subs.csv", subscribers))),
        "events": TableSpec(source=Source(write_csv(tmp_path / "events.csv", events))),
    }
    reports = {r.table: r.as_dict() for r in seed(db_url, metadata, spec)}
    assert reports["events"]["rows"] == 3, reports["events"]
    assert reports["events"]["masking"]["sub_email"]["values"] == 3
    joined = rows(
        db_url,
        "SELECT e.id, s.email FROM events e JOIN subscribers s ON s.email = e.sub_email "
        "ORDER BY e.id",
    )
    assert len(joined) == 3
    assert joined[0][1] == joined[2][1] != joined[1][1]
    assert not {e for _, e in joined} & {s["email"] for s in subscribers}


def test_case_variants_in_a_unique_column_all_land(db_url: str, tmp_path: Path) -> None:
    metadata = MetaData()
    Table(
        "people",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("email", String(255), unique=True, info={"pii": "email"}),
        Column("login", String(50), unique=True),
    )
    people = [
        {"id": 1, "email": "Alice@Corp.com", "login": "alice1"},
        {"id": 2, "email": "alice@corp.com", "login": "alice2"},
        {"id": 3, "email": "bob@corp.com", "login": "bob"},
    ]
    spec: dict[str, int | TableSpec] = {
        "people": TableSpec(source=Source(write_csv(tmp_path / "people.csv", people)))
    }
    reports = {r.table: r.as_dict() for r in seed(db_url, metadata, spec)}
    assert reports["people"]["rows"] == 3
    assert reports["people"]["skipped"] == 0
    emails = [e for (e,) in rows(db_url, "SELECT email FROM people")]
    assert len({e.lower() for e in emails}) == 3


def test_redact_on_a_unique_column_stops_before_writing(db_url: str, tmp_path: Path) -> None:
    metadata = MetaData()
    Table(
        "people",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("login", String(50), unique=True, nullable=False),
    )
    path = write_csv(tmp_path / "people.csv", [{"id": 1, "login": "al"}, {"id": 2, "login": "cy"}])
    spec: dict[str, int | TableSpec] = {
        "people": TableSpec(source=Source(path, masking={"login": "redact"}))
    }
    with pytest.raises(ConfigurationError, match=r"people\.login is unique"):
        seed(db_url, metadata, spec)
    assert rows(db_url, "SELECT count(*) FROM people") == [(0,)]


def test_placeholder_values_are_masked_to_values_of_their_kind(db_url: str, tmp_path: Path) -> None:
    metadata = MetaData()
    Table(
        "vendors",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("phone", String(20), info={"pii": "phone"}),
        Column("licence", String(20), info={"pii": "license_number"}),
        Column("zip", String(10), info={"pii": "postal_code"}),
        Column("ein", String(12), info={"pii": "tax_id"}),
    )
    placeholders = ["N/A", "unknown", "-", "x"]
    vendors = [
        {"id": i, "phone": p, "licence": p, "zip": p, "ein": p}
        for i, p in enumerate([*placeholders, "n/a"], 1)
    ]
    spec: dict[str, int | TableSpec] = {
        "vendors": TableSpec(source=Source(write_csv(tmp_path / "vendors.csv", vendors)))
    }
    reports = {r.table: r.as_dict() for r in seed(db_url, metadata, spec)}
    assert reports["vendors"]["rows"] == len(vendors)
    loaded = rows(db_url, "SELECT id, phone, licence, zip, ein FROM vendors ORDER BY id")
    for _id, phone, licence, zip_code, ein in loaded:
        assert re.fullmatch(r"\([2-9]\d\d\) [2-9]\d\d-\d{4}", phone)
        assert re.fullmatch(r"LIC-\d{7}", licence)
        assert re.fullmatch(r"\d{5}", zip_code)
        assert re.fullmatch(r"\d\d-\d{7}", ein)
    assert loaded[0][1:] == loaded[4][1:]  # "N/A" and "n/a" are one identity
    assert len({r[1] for r in loaded}) == len(placeholders)


def test_free_text_in_a_json_column_keeps_the_document(db_url: str, tmp_path: Path) -> None:
    metadata = MetaData()
    people = Table(
        "people",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("email", String(255), nullable=False, info={"pii": "email"}),
        Column("profile", JSON, info={"pii": "free_text"}),
    )
    profile = {
        "backup_email": "alice@corp.com",
        "n": 1,
        "verified": True,
        "notes": ["Call Jennifer at (415) 555-0134", None],
    }
    source = tmp_path / "people.jsonl"
    source.write_text(
        json.dumps({"id": 1, "email": "alice@corp.com", "profile": profile}) + "\n",
        encoding="utf-8",
    )
    seed(db_url, metadata, {"people": TableSpec(source=Source(source))})
    engine = engine_for(db_url)
    try:
        with engine.connect() as conn:
            ((email, masked),) = conn.execute(select(people.c.email, people.c.profile)).all()
    finally:
        engine.dispose()
    if isinstance(masked, str):  # MariaDB hands JSON back as text
        masked = json.loads(masked)
    assert masked["backup_email"] == email != "alice@corp.com"
    assert masked["n"] == 1
    assert masked["verified"] is True
    note, nothing = masked["notes"]
    assert nothing is None
    assert note.startswith("Call ")
    assert "Jennifer" not in note
    assert "555-0134" not in note
