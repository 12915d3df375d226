"""TERP catalogue and inventory: brands, strains, products, lots, batches.

Revision ID: s002
Revises: s001
Create Date: 2026-11-29 07:31:00
"""

from seedlib import TableSpec, seed_revision, unseed_revision, values

revision = "s002"
down_revision = "s001"
branch_labels = None
depends_on = None
requires_schema = "0002"

SEEDS: dict[str, int | TableSpec] = {
    "brands": 15,
    "strains": 40,
    "products": TableSpec(120, columns={
        "category": values.weighted({"FLOWER": 5, "PREROLL": 2, "VAPE": 2, "EDIBLE": 2,
                                     "CONCENTRATE": 1, "TOPICAL": 1}),
    }),
    "lots": 60,
    "batches": TableSpec(200, columns={
        "status": values.weighted({"LIVE": 6, "AWAITING_INTAKE": 1, "ON_HOLD": 1,
                                   "SOLD_OUT": 1, "CLOSED": 1}),
        "unit_cost": values.decimals(5, 1800),
        "reserved_qty": values.decimals(0, 10),
    }),
}


def upgrade() -> None:
    seed_revision(revision, SEEDS)


def downgrade() -> None:
    unseed_revision(revision)
