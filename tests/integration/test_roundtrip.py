"""Upgrade then downgrade through seedctl, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from sqlalchemy import text

from seedlib.db import engine_for
from tests.conftest import TERP_TABLES, Seedctl, fits_plan, table_counts


def planned_counts(seedctl: Seedctl, *size: str) -> dict[str, int]:
    result = seedctl("plan", "--json", *size, url=False)
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    totals: dict[str, int] = {}
    for rev in plan["revisions"]:
        for t in rev["tables"]:
            totals[t["table"]] = totals.get(t["table"], 0) + t["rows"]
    return totals


def test_upgrade_then_downgrade_base_leaves_nothing(seedctl: Seedctl) -> None:
    expected = planned_counts(seedctl)
    assert set(expected) == set(TERP_TABLES)

    up = seedctl("upgrade")
    assert up.exit_code == 0, up.stderr
    assert fits_plan(table_counts(seedctl.url, TERP_TABLES), expected)

    status = json.loads(seedctl("status", "--json").stdout)
    assert status["applied"] == ["s004"]
    assert status["pending"] == []
    ledgered: dict[str, int] = {}
    for tables in status["ledger"].values():  # clients: s001 and s004
        for t, n in tables.items():
            ledgered[t] = ledgered.get(t, 0) + n
    assert fits_plan(ledgered, expected)

    down = seedctl("downgrade", "base", "--yes")
    assert down.exit_code == 0, down.stderr
    assert table_counts(seedctl.url, TERP_TABLES) == dict.fromkeys(TERP_TABLES, 0)
    status = json.loads(seedctl("status", "--json").stdout)
    assert status["applied"] == []
    assert status["ledger"] == {}


def test_every_foreign_key_holds_and_hierarchies_are_deep(seedctl: Seedctl) -> None:
    assert seedctl("upgrade", "--size", "300").exit_code == 0
    engine = engine_for(seedctl.url)
    with engine.connect() as conn:
        depth = conn.execute(
            text(
                "WITH RECURSIVE chain(id, depth) AS ("
                " SELECT id, 1 FROM strains WHERE parent_id IS NULL"
                " UNION ALL SELECT s.id, c.depth + 1"
                " FROM strains s JOIN chain c ON s.parent_id = c.id)"
                " SELECT max(depth) FROM chain"
            )
        ).scalar_one()
        cycle = conn.execute(
            text("SELECT count(*) FROM orders o JOIN sales_sheets s ON o.sales_sheet_id = s.id")
        )
        linked = cycle.scalar_one()
    engine.dispose()
    assert depth > 1
    assert linked > 0
