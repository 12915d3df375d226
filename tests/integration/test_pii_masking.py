"""Masking sourced tables end to end on real databases: JSON documents, references to unique
masked columns, and what ``verify`` finds afterwards."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, MetaData, String, Table, insert, select

from seedlib import Source, TableSpec
from seedlib.db import engine_for
from seedlib.mask.sources import CsvSource, JsonLinesSource
from seedlib.mask.verify import verify
from tests.conftest import rows
from tests.integration.test_masked_sources import seed, write_csv


def documents(url: str, table: Table) -> list[Any]:
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            found = conn.execute(select(table.c.profile).order_by(table.c.id)).scalars().all()
    finally:
        engine.dispose()
    # MariaDB hands JSON back as text.
    return [json.loads(d) if isinstance(d, str) else d for d in found]


def test_json_keys_and_numbers_are_masked_and_verified(db_url: str, tmp_path: Path) -> None:
    metadata = MetaData()
    people = Table(
        "people",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("profile", JSON, info={"pii": "free_text"}),
    )
    profile = {
        "contacts": {"alice@corp.com": "Alice Smith"},
        "ssn": 123456789,
        "phone": 4155550134,
        "card": 4111111111111111,
        "count": 12,
        "order": 1234567890123,
    }
    source = tmp_path / "people.jsonl"
    source.write_text(json.dumps({"id": 1, "profile": profile}) + "\n", encoding="utf-8")
    seed(db_url, metadata, {"people": TableSpec(source=Source(source))})
    (masked,) = documents(db_url, people)
    (contact,) = masked["contacts"]
    assert contact.endswith(("@example.com", "@example.net", "@example.org"))
    assert masked["contacts"][contact] != "Alice Smith"
    for name, digits in (("ssn", 9), ("phone", 10), ("card", 16)):
        assert isinstance(masked[name], int), masked
        assert masked[name] != profile[name]
        assert len(str(masked[name])) == digits
    assert (masked["count"], masked["order"]) == (12, 1234567890123)
    original = JsonLinesSource(source)
    assert verify(original, db_url, columns={"profile": "free_text"}).ok
    engine = engine_for(db_url)
    with engine.begin() as conn:
        conn.execute(
            insert(people),
            [
                {"id": 2, "profile": {"contacts": {"alice@corp.com": "x"}}},
                {"id": 3, "profile": {"ids": [123456789]}},
            ],
        )
    engine.dispose()
    report = verify(original, db_url, columns={"profile": "free_text"})
    # MariaDB reflects a JSON column as text: its documents are read whole ("embedded").
    found = {(f.column, f.kind): f.count for f in report.findings}
    assert found == {("profile", "email"): 1, ("profile", "tax_id"): 1}


def test_a_reference_to_a_unique_column_follows_the_exact_value(
    db_url: str, tmp_path: Path
) -> None:
    # Case variants in a unique column get distinct masked values; the order refers to the
    # second one and must still join to it, not to the first variant's value.
    metadata = MetaData()
    Table(
        "people",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("email", String(255), unique=True, info={"pii": "email"}),
        Column("who", String(20)),
    )
    Table(
        "orders",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("buyer_email", String(255), ForeignKey("people.email"), info={"pii": "email"}),
    )
    people = [
        {"id": 1, "email": "Alice@Corp.com", "who": "first-alice"},
        {"id": 2, "email": "alice@corp.com", "who": "second-alice"},
        {"id": 3, "email": "bob@corp.com", "who": "bob"},
    ]
    orders = [
        {"id": 1, "buyer_email": "alice@corp.com"},
        {"id": 2, "buyer_email": "Alice@Corp.com"},
        {"id": 3, "buyer_email": "bob@corp.com"},
    ]
    spec: dict[str, int | TableSpec] = {
        "people": TableSpec(source=Source(write_csv(tmp_path / "people.csv", people))),
        "orders": TableSpec(source=Source(write_csv(tmp_path / "orders.csv", orders))),
    }
    seed(db_url, metadata, spec)
    joined = rows(
        db_url,
        "SELECT o.buyer_email, p.who FROM orders o JOIN people p ON p.email = o.buyer_email "
        "ORDER BY o.id",
    )
    assert [who for _, who in joined] == ["second-alice", "first-alice", "bob"]
    assert not {e for e, _ in joined} & {p["email"] for p in people}


def test_full_width_digits_and_unicode_dashes_are_masked(db_url: str, tmp_path: Path) -> None:
    metadata = MetaData()
    Table(
        "people",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("phone", String(32), info={"pii": "phone"}),
        Column("note", String(200), info={"pii": "free_text"}),
    )
    people = [
        {
            "id": 1,
            "phone": "\uff14\uff11\uff15\uff0d\uff15\uff15\uff15\uff0d\uff10\uff11\uff13\uff14",
            "note": "ok",
        },
        {
            "id": 2,
            "phone": "(212) 555\u20130199",
            "note": "SSN 123\u201345\u20136789, call 212\u2011555\u20110188",
        },
    ]
    source = write_csv(tmp_path / "people.csv", people)
    seed(db_url, metadata, {"people": TableSpec(source=Source(source))})
    loaded = rows(db_url, "SELECT phone, note FROM people ORDER BY id")
    assert len(loaded) == 2
    for phone, _ in loaded:
        assert phone.isascii()
    for digits in ("4155550134", "2125550199", "123456789", "2125550188"):
        assert all(
            digits not in "".join(c for c in v if c.isdigit()) for row in loaded for v in row
        )
    report = verify(CsvSource(source), db_url)
    assert report.ok, report.as_dict()
    engine = engine_for(db_url)
    with engine.begin() as conn:
        conn.execute(insert(metadata.tables["people"]), [{"id": 3, "phone": "415-555-0134"}])
    engine.dispose()
    leaked = verify(CsvSource(source), db_url)
    assert {(f.column, f.kind) for f in leaked.findings} == {("phone", "phone")}


def test_a_resumed_run_masks_like_an_uninterrupted_one(
    db_url: str, other_db_url: str, tmp_path: Path
) -> None:
    # Four-digit tax ids leave little room: many values are re-probed, and how depends on what
    # the session has seen. A run resumed in table b must first mask table a (finished before
    # the interruption) again, or b's values come out differently and collide with a's.
    metadata = MetaData()
    for name in ("a", "b"):
        Table(
            name,
            metadata,
            Column("id", Integer, primary_key=True),
            Column("tin", String(10), info={"pii": "tax_id"}),
        )
    tins = random.Random(3).sample(range(1000, 10000), 1200)
    spec: dict[str, int | TableSpec] = {
        name: TableSpec(
            source=Source(
                write_csv(
                    tmp_path / f"{name}.csv",
                    [{"id": i + 1, "tin": str(tins[offset + i])} for i in range(600)],
                )
            )
        )
        for name, offset in (("a", 0), ("b", 600))
    }
    seed(other_db_url, metadata, spec, chunk_rows=100)
    seed(db_url, metadata, spec, chunk_rows=100, crash_after=9)
    assert rows(db_url, "SELECT COUNT(*) FROM b")[0][0] < 600  # stopped inside b
    seed(db_url, metadata, spec, chunk_rows=100)
    for name in ("a", "b"):
        query = f"SELECT id, tin FROM {name} ORDER BY id"
        assert rows(db_url, query) == rows(other_db_url, query), name
    loaded = rows(db_url, "SELECT tin FROM a UNION ALL SELECT tin FROM b")
    assert len({tin for (tin,) in loaded}) == 1200
