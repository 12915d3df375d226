"""TERP catalogue and inventory: brands, strains, products, lots, batches.

Revision ID: s002
Revises: s001
Create Date: 2026-11-29 07:31:00
"""

from decimal import Decimal
from typing import Any

from seedlib import TableSpec, seed_revision, unseed_revision, values

revision = "s002"
down_revision = "s001"
branch_labels = None
depends_on = None
requires_schema = "0002"

CENT = Decimal("0.01")


def _name(category: Any) -> str:
    """An enum member or its stored string, as the string."""
    return str(getattr(category, "value", category))


def _unit_cost(category: Any, h: int) -> Decimal:
    """Flower is bought by the pound at $800-1,800; everything else by the unit at $4-60."""
    if _name(category) == "FLOWER":
        return Decimal(80_000 + h % 100_001) / 100
    return Decimal(400 + h % 5_601) / 100


def _on_hand(ordinal: int, h: int, row: dict[str, Any]) -> Decimal:
    by_the_pound = row["unit_cost"] >= 800
    return Decimal(1 + h % 40 if by_the_pound else 20 + h % 480).quantize(CENT)


def _reserved(ordinal: int, h: int, row: dict[str, Any]) -> Decimal:
    return (row["on_hand_qty"] * Decimal(h % 31) / 100).quantize(CENT)


SEEDS: dict[str, int | TableSpec] = {
    "brands": 15,
    "strains": 40,
    "products": TableSpec(120, columns={
        "category": values.weighted({"FLOWER": 5, "PREROLL": 2, "VAPE": 2, "EDIBLE": 2,
                                     "CONCENTRATE": 1, "TOPICAL": 1}),
        "unit_of_measure": values.derived(
            lambda row: "LB" if _name(row["category"]) == "FLOWER" else "UNIT"
        ),
    }),
    "lots": 60,
    "batches": TableSpec(200, columns={
        "status": values.weighted({"LIVE": 6, "AWAITING_INTAKE": 1, "ON_HOLD": 1,
                                   "SOLD_OUT": 1, "CLOSED": 1}),
        "unit_cost": values.parent("product_id", "category", then=_unit_cost),
        "on_hand_qty": _on_hand,
        "reserved_qty": _reserved,
    }),
}


def upgrade() -> None:
    seed_revision(revision, SEEDS)


def downgrade() -> None:
    unseed_revision(revision)
