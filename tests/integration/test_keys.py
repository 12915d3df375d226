"""Every kind of key is ledgered and rolled back exactly: integer, text, composite, none."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    select,
    text,
)

from seedlib.config import resolve_settings
from seedlib.db import engine_for
from seedlib.engine import seed_tables
from seedlib.exceptions import RollbackBlocked
from seedlib.rollback import unseed_revision
from seedlib.track.ledger import ensure_bookkeeping, entries


def schema() -> MetaData:
    metadata = MetaData()
    Table(
        "tags",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("label", String(40), nullable=False, unique=True),
    )
    Table(
        "codes",
        metadata,
        Column("code", String(12), primary_key=True),
        Column("title", String(80), nullable=False),
    )
    Table(
        "tag_codes",
        metadata,
        Column("tag_id", Integer, ForeignKey("tags.id"), primary_key=True),
        Column("code", String(12), ForeignKey("codes.code"), primary_key=True),
        Column("weight", Integer, nullable=False),
    )
    Table(
        "tag_refs",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("tag_label", String(40), ForeignKey("tags.label"), nullable=False),
    )
    Table(
        "events",
        metadata,  # no primary key at all
        Column("tag_label", String(40), nullable=False),
        Column("happened_on", Date, nullable=False),
        Column("amount", Numeric(10, 2), nullable=False),
    )
    return metadata


def everything(url: str, metadata: MetaData) -> dict[str, list[tuple[Any, ...]]]:
    engine = engine_for(url)
    with engine.connect() as conn:
        out = {
            t.name: sorted(tuple(map(str, r)) for r in conn.execute(select(t)))
            for t in metadata.sorted_tables
        }
    engine.dispose()
    return out


def test_every_key_shape_round_trips_and_application_rows_stay(db_url: str) -> None:
    metadata = schema()
    engine = engine_for(db_url)
    with engine.begin() as conn:
        metadata.create_all(conn)
        ensure_bookkeeping(conn)
        conn.execute(text("INSERT INTO tags (id, label) VALUES (1, 'app-tag')"))
        conn.execute(text("INSERT INTO codes (code, title) VALUES ('APP', 'app code')"))
        conn.execute(text("INSERT INTO tag_codes (tag_id, code, weight) VALUES (1, 'APP', 5)"))
        conn.execute(
            text(
                "INSERT INTO events (tag_label, happened_on, amount)"
                " VALUES ('app-tag', '2024-05-01', 1.50)"
            )
        )
    before = everything(db_url, metadata)
    settings = resolve_settings(database_url=db_url, environ={})
    label = f"keys-{uuid.uuid4().hex[:6]}"
    with engine.begin() as conn:
        reports = seed_tables(
            conn,
            metadata,
            {"tags": 30, "codes": 20, "tag_codes": 60, "tag_refs": 10, "events": 50},
            settings=settings,
            revision=label,
            run_id=label,
        )
    counts = {r.table: r.rows for r in reports}
    assert counts["tags"] == 30
    assert counts["codes"] == 20
    assert counts["events"] == 50
    assert 0 < counts["tag_codes"] <= 60  # repeated (tag, code) pairs are dropped, not duplicated
    with engine.connect() as conn:
        ledger = {e.table: e for e in entries(conn, label)}
        assert ledger["tags"].ranges  # integer keys as ranges
        assert ledger["codes"].keys
        assert ledger["codes"].columns == ("code",)
        assert ledger["tag_codes"].columns == ("tag_id", "code")
        assert ledger["events"].by_value
        assert {e.table: e.row_count for e in ledger.values()} == counts
        # The application copies one seeded event: an identical row that is not the seeds'.
        conn.execute(
            text(
                "INSERT INTO events (tag_label, happened_on, amount)"
                " SELECT tag_label, happened_on, amount FROM events"
                " WHERE tag_label <> 'app-tag' ORDER BY tag_label LIMIT 1"
            )
        )
        copied = conn.execute(
            text(
                "SELECT tag_label FROM events WHERE tag_label <> 'app-tag'"
                " ORDER BY tag_label LIMIT 1"
            )
        ).scalar_one()
        conn.commit()
    # An application row pointing at a seeded tag through a non-key column blocks the rollback.
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO tag_refs (id, tag_label)"
                " SELECT 1000, min(label) FROM tags WHERE label <> 'app-tag'"
            )
        )
    with pytest.raises(RollbackBlocked, match="tag_refs"), engine.begin() as conn:
        unseed_revision(conn, label)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM tag_refs WHERE id = 1000"))
    with engine.begin() as conn:
        report = unseed_revision(conn, label)
    assert report.deleted == counts
    after = everything(db_url, metadata)
    extra = [r for r in after["events"] if r not in before["events"]]
    assert len(extra) == 1
    assert extra[0][0] == copied
    after["events"] = [r for r in after["events"] if r[0] != copied]
    assert after == before
    engine.dispose()
