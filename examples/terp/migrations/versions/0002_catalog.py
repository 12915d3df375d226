"""Catalog and inventory: brands, strains, products, lots, batches.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-06 09:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "brands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brands")),
        sa.UniqueConstraint("name", name=op.f("uq_brands_name")),
    )

    op.create_table(
        "strains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "strain_type",
            sa.Enum(
                "INDICA",
                "SATIVA",
                "HYBRID",
                name="strain_type",
                native_enum=False,
                create_constraint=True,
                length=8,
            ),
            nullable=False,
        ),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["strains.id"], name=op.f("fk_strains_parent_id_strains")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strains")),
        sa.UniqueConstraint("name", name=op.f("uq_strains_name")),
    )
    op.create_index(op.f("ix_strains_parent_id"), "strains", ["parent_id"])

    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "FLOWER",
                "PREROLL",
                "VAPE",
                "EDIBLE",
                "CONCENTRATE",
                "TOPICAL",
                name="category",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "unit_of_measure",
            sa.Enum(
                "LB",
                "OZ",
                "G",
                "UNIT",
                name="unit_of_measure",
                native_enum=False,
                create_constraint=True,
                length=8,
            ),
            nullable=False,
        ),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("strain_id", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_products_brand_id_brands")
        ),
        sa.ForeignKeyConstraint(
            ["strain_id"], ["strains.id"], name=op.f("fk_products_strain_id_strains")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("brand_id", "name", name=op.f("uq_products_brand_id_name")),
    )
    op.create_index(op.f("ix_products_brand_id"), "products", ["brand_id"])
    op.create_index(op.f("ix_products_strain_id"), "products", ["strain_id"])

    op.create_table(
        "lots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("supplier_client_id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["supplier_client_id"], ["clients.id"], name=op.f("fk_lots_supplier_client_id_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lots")),
        sa.UniqueConstraint("code", name=op.f("uq_lots_code")),
    )
    op.create_index(op.f("ix_lots_supplier_client_id"), "lots", ["supplier_client_id"])

    op.create_table(
        "batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "AWAITING_INTAKE",
                "LIVE",
                "ON_HOLD",
                "SOLD_OUT",
                "CLOSED",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("unit_cost", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column(
            "on_hand_qty",
            sa.Numeric(precision=12, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "reserved_qty",
            sa.Numeric(precision=12, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.func.current_timestamp(),
            nullable=False,
        ),
        sa.CheckConstraint("unit_cost >= 0", name=op.f("ck_batches_unit_cost_nonnegative")),
        sa.CheckConstraint("on_hand_qty >= 0", name=op.f("ck_batches_on_hand_qty_nonnegative")),
        sa.CheckConstraint("reserved_qty >= 0", name=op.f("ck_batches_reserved_qty_nonnegative")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_batches_product_id_products")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_batches_lot_id_lots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
        sa.UniqueConstraint("code", name=op.f("uq_batches_code")),
        sa.UniqueConstraint("sku", name=op.f("uq_batches_sku")),
    )
    op.create_index(op.f("ix_batches_product_id"), "batches", ["product_id"])
    op.create_index(op.f("ix_batches_lot_id"), "batches", ["lot_id"])


def downgrade() -> None:
    # Dropping a table drops its indexes too.
    op.drop_table("batches")
    op.drop_table("lots")
    op.drop_table("products")
    op.drop_table("strains")
    op.drop_table("brands")
