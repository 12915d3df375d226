"""TERP sales: orders and their line items, sales sheets, invoices, payments.

Revision ID: s003
Revises: s002
Create Date: 2026-11-29 07:32:00
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from seedlib import TableSpec, seed_revision, unseed_revision, values

revision = "s003"
down_revision = "s002"
branch_labels = None
depends_on = None
requires_schema = "0003"

CENT = Decimal("0.01")
INVOICE_STATUSES = ("PAID", "PAID", "PAID", "PAID", "SENT", "SENT", "OVERDUE", "DRAFT", "VOID")


def _name(value: Any) -> str:
    return str(getattr(value, "value", value))


def _status(ordinal: int, h: int, row: dict[str, Any]) -> str:
    """Quotes stay drafts (or die); sales are mostly fulfilled."""
    if _name(row["order_type"]) == "QUOTE":
        return "DRAFT" if h % 4 else "CANCELLED"
    return ("FULFILLED", "FULFILLED", "FULFILLED", "CONFIRMED", "CANCELLED")[h % 5]


def _price(unit_cost: Decimal, h: int) -> Decimal:
    """Sold at a 20-60% markup on the batch's cost."""
    return (unit_cost * (120 + h % 41) / 100).quantize(CENT)


def _quantity(ordinal: int, h: int, row: dict[str, Any]) -> Decimal:
    by_the_pound = row["unit_price"] >= 800
    return Decimal(1 + h % 10 if by_the_pound else 10 + h % 191).quantize(CENT)


def _invoice_status(order_status: Any, h: int) -> Any:
    """Only confirmed and fulfilled sales are invoiced: the other orders get no invoice."""
    if _name(order_status) not in ("CONFIRMED", "FULFILLED"):
        return values.SKIP
    return INVOICE_STATUSES[h % len(INVOICE_STATUSES)]


def _issued(created_at: dt.datetime, h: int) -> dt.date:
    return created_at.date() + dt.timedelta(days=h % 5)


def _payment(invoice: tuple[Any, Decimal], h: int) -> Any:
    """Paid invoices are paid in full, sent and overdue ones in part, the others not at all:
    a payment never exceeds the amount due."""
    status, due = _name(invoice[0]), invoice[1]
    if status == "PAID":
        return due
    if status in ("SENT", "OVERDUE") and due > 0:
        return max(CENT, (due * (25 + h % 51) / 100).quantize(CENT))
    return values.SKIP


def _paid_at(issued_on: dt.date, h: int) -> dt.datetime:
    return dt.datetime.combine(issued_on, dt.time(9)) + dt.timedelta(hours=h % (30 * 24))


def _total(column: str) -> Any:
    return values.total_of("order_line_items", "order_id", column)


SEEDS: dict[str, int | TableSpec] = {
    "orders": TableSpec(300, columns={
        # A few high-volume clients carry most of the revenue.
        "client_id": values.skewed(4),
        "order_type": values.weighted({"SALE": 4, "QUOTE": 1}),
        "status": _status,
        # Wholesale B2B sales are tax-exempt (resale certificates), so total = subtotal.
        "tax": Decimal("0.00"),
        "subtotal": _total("line_total"),
        "total": _total("line_total"),
    }),
    "order_line_items": TableSpec(per_parent=("order_id", 1, 5), columns={
        "unit_price": values.parent("batch_id", "unit_cost", then=_price),
        "quantity": _quantity,
        "line_total": values.derived(lambda row: (row["quantity"] * row["unit_price"]).quantize(CENT)),
    }),
    "sales_sheets": 60,
    "invoices": TableSpec(per_parent=("order_id", 1, 1), columns={
        "status": values.parent("order_id", "status", then=_invoice_status),
        "client_id": values.parent("order_id", "client_id"),
        "amount_due": values.parent("order_id", "total"),
        "issued_on": values.parent("order_id", "created_at", then=_issued),
        "due_on": values.after("issued_on", 45),
        "amount_paid": values.total_of("payments", "invoice_id", "amount"),
    }),
    "payments": TableSpec(per_parent=("invoice_id", 1, 1), columns={
        "payment_type": "RECEIVED",
        "amount": values.parent("invoice_id", ("status", "amount_due"), then=_payment),
        "client_id": values.parent("invoice_id", "client_id"),
        "paid_at": values.parent("invoice_id", "issued_on", then=_paid_at),
    }),
}


def upgrade() -> None:
    seed_revision(revision, SEEDS)


def downgrade() -> None:
    unseed_revision(revision)
