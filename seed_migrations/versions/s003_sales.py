"""TERP sales: orders and their line items, sales sheets, invoices, payments.

Revision ID: s003
Revises: s002
Create Date: 2026-11-29 07:32:00
"""

from seedlib import TableSpec, seed_revision, unseed_revision, values

revision = "s003"
down_revision = "s002"
branch_labels = None
depends_on = None
requires_schema = "0003"

SEEDS: dict[str, int | TableSpec] = {
    "orders": TableSpec(300, columns={
        "order_type": values.weighted({"SALE": 4, "QUOTE": 1}),
        "status": values.weighted({"FULFILLED": 5, "CONFIRMED": 2, "DRAFT": 1, "CANCELLED": 1}),
    }),
    "order_line_items": 900,
    "sales_sheets": 60,
    "invoices": TableSpec(250, columns={
        "status": values.weighted({"PAID": 5, "SENT": 2, "OVERDUE": 1, "DRAFT": 1, "VOID": 1}),
        "due_on": values.after("issued_on", 45),
    }),
    "payments": 200,
}


def upgrade() -> None:
    seed_revision(revision, SEEDS)


def downgrade() -> None:
    unseed_revision(revision)
