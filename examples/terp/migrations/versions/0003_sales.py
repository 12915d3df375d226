"""Sales: orders, sales sheets, order line items, invoices, payments.

``orders.sales_sheet_id`` and ``sales_sheets.converted_to_order_id`` reference each other, so
``orders`` is created without its foreign key to ``sales_sheets``; the key is added once both
tables exist (in batch mode, which copies the table on SQLite and is a plain ALTER elsewhere).

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-06 09:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_number", sa.String(length=32), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column(
            "order_type",
            sa.Enum(
                "QUOTE",
                "SALE",
                name="order_type",
                native_enum=False,
                create_constraint=True,
                length=8,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "DRAFT",
                "CONFIRMED",
                "FULFILLED",
                "CANCELLED",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "subtotal",
            sa.Numeric(precision=12, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "tax", sa.Numeric(precision=12, scale=2), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "total", sa.Numeric(precision=12, scale=2), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("converted_from_id", sa.Integer(), nullable=True),
        # References sales_sheets; the foreign key is added below, once that table exists.
        sa.Column("sales_sheet_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.func.current_timestamp(),
            nullable=False,
        ),
        sa.CheckConstraint("total >= 0", name=op.f("ck_orders_total_nonnegative")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_orders_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_orders_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["converted_from_id"], ["orders.id"], name=op.f("fk_orders_converted_from_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("order_number", name=op.f("uq_orders_order_number")),
    )
    op.create_index(op.f("ix_orders_client_id"), "orders", ["client_id"])
    op.create_index(op.f("ix_orders_created_by_id"), "orders", ["created_by_id"])
    op.create_index(op.f("ix_orders_converted_from_id"), "orders", ["converted_from_id"])
    op.create_index(op.f("ix_orders_sales_sheet_id"), "orders", ["sales_sheet_id"])

    op.create_table(
        "sales_sheets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.func.current_timestamp(),
            nullable=False,
        ),
        sa.Column("converted_to_order_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_sales_sheets_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["converted_to_order_id"],
            ["orders.id"],
            name=op.f("fk_sales_sheets_converted_to_order_id_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_sheets")),
    )
    op.create_index(op.f("ix_sales_sheets_client_id"), "sales_sheets", ["client_id"])
    op.create_index(
        op.f("ix_sales_sheets_converted_to_order_id"), "sales_sheets", ["converted_to_order_id"]
    )

    # Close the cycle: orders.sales_sheet_id -> sales_sheets.id.
    with op.batch_alter_table("orders") as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_orders_sales_sheet_id_sales_sheets"),
            "sales_sheets",
            ["sales_sheet_id"],
            ["id"],
        )

    op.create_table(
        "order_line_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("line_total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_line_items_quantity_positive")),
        sa.CheckConstraint(
            "unit_price >= 0", name=op.f("ck_order_line_items_unit_price_nonnegative")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_line_items_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_order_line_items_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_line_items")),
    )
    op.create_index(op.f("ix_order_line_items_order_id"), "order_line_items", ["order_id"])
    op.create_index(op.f("ix_order_line_items_batch_id"), "order_line_items", ["batch_id"])

    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_number", sa.String(length=32), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "DRAFT",
                "SENT",
                "PAID",
                "OVERDUE",
                "VOID",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("amount_due", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column(
            "amount_paid",
            sa.Numeric(precision=12, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.CheckConstraint("amount_due >= 0", name=op.f("ck_invoices_amount_due_nonnegative")),
        sa.CheckConstraint("amount_paid >= 0", name=op.f("ck_invoices_amount_paid_nonnegative")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_invoices_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_invoices_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("invoice_number", name=op.f("uq_invoices_invoice_number")),
    )
    op.create_index(op.f("ix_invoices_client_id"), "invoices", ["client_id"])
    op.create_index(op.f("ix_invoices_order_id"), "invoices", ["order_id"])

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_number", sa.String(length=32), nullable=False),
        sa.Column(
            "payment_type",
            sa.Enum(
                "RECEIVED",
                "SENT",
                name="payment_type",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "method",
            sa.Enum(
                "CASH",
                "CHECK",
                "ACH",
                "WIRE",
                "CARD",
                name="method",
                native_enum=False,
                create_constraint=True,
                length=8,
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("paid_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_payments_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_payments_client_id_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("payment_number", name=op.f("uq_payments_payment_number")),
    )
    op.create_index(op.f("ix_payments_invoice_id"), "payments", ["invoice_id"])
    op.create_index(op.f("ix_payments_client_id"), "payments", ["client_id"])


def downgrade() -> None:
    # Dropping a table drops its indexes too.
    op.drop_table("payments")
    op.drop_table("invoices")
    op.drop_table("order_line_items")
    # Open the cycle before dropping either of its tables.
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_orders_sales_sheet_id_sales_sheets"), type_="foreignkey"
        )
    op.drop_table("sales_sheets")
    op.drop_table("orders")
