"""TERP's schema: typed SQLAlchemy 2 models for a wholesale-distribution ERP.

The models are the source of truth for the schema migrations in ``migrations/versions``;
``alembic -c examples/terp/alembic.ini check`` proves the two agree.

Conventions:

* every table has an integer autoincrement primary key named ``id``;
* every constraint and index gets a stable name from ``Base.metadata``'s naming convention;
* enums are stored as ``VARCHAR`` plus a named ``CHECK`` constraint (no native enum types),
  so the schema is the same on SQLite, PostgreSQL and MySQL;
* money and quantities are ``Numeric(12, 2)``;
* columns holding personal or business-identifying data carry ``info={"pii": <kind>}``.

Two shapes are worth knowing about when filling the tables:

* self-references: ``clients.referred_by_id``, ``strains.parent_id``,
  ``orders.converted_from_id`` and ``accounts.parent_id``;
* a circular pair: ``orders.sales_sheet_id`` -> ``sales_sheets`` and
  ``sales_sheets.converted_to_order_id`` -> ``orders``. The former is declared with
  ``use_alter=True`` so ``metadata.sorted_tables`` orders the tables without a warning.
"""

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: Names for every kind of constraint and index, so migrations can refer to them.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Money and quantities.
Money = sa.Numeric(12, 2)


class Base(DeclarativeBase):
    """Declarative base of every TERP model."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def _enum_values(enum_cls: type[enum.Enum]) -> list[str]:
    return [str(member.value) for member in enum_cls]


def _enum(enum_cls: type[enum.Enum], name: str, length: int) -> sa.Enum:
    """A portable enum: ``VARCHAR(length)`` plus a CHECK constraint named ``ck_<table>_<name>``."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=length,
        name=name,
        values_callable=_enum_values,
    )


def _pii(kind: str) -> dict[str, str]:
    return {"pii": kind}


def _created_at() -> Mapped[datetime]:
    return mapped_column(sa.DateTime(), server_default=sa.func.current_timestamp())


# --------------------------------------------------------------------------------------------
# Enums (stored values are the upper-case member names)
# --------------------------------------------------------------------------------------------


class UserRole(enum.Enum):
    ADMIN = "ADMIN"
    SALES = "SALES"
    WAREHOUSE = "WAREHOUSE"
    ACCOUNTING = "ACCOUNTING"


class BusinessType(enum.Enum):
    DISPENSARY = "DISPENSARY"
    DISTRIBUTOR = "DISTRIBUTOR"
    CULTIVATOR = "CULTIVATOR"
    MANUFACTURER = "MANUFACTURER"
    RETAILER = "RETAILER"


class StrainType(enum.Enum):
    INDICA = "INDICA"
    SATIVA = "SATIVA"
    HYBRID = "HYBRID"


class ProductCategory(enum.Enum):
    FLOWER = "FLOWER"
    PREROLL = "PREROLL"
    VAPE = "VAPE"
    EDIBLE = "EDIBLE"
    CONCENTRATE = "CONCENTRATE"
    TOPICAL = "TOPICAL"


class UnitOfMeasure(enum.Enum):
    LB = "LB"
    OZ = "OZ"
    G = "G"
    UNIT = "UNIT"


class BatchStatus(enum.Enum):
    AWAITING_INTAKE = "AWAITING_INTAKE"
    LIVE = "LIVE"
    ON_HOLD = "ON_HOLD"
    SOLD_OUT = "SOLD_OUT"
    CLOSED = "CLOSED"


class OrderType(enum.Enum):
    QUOTE = "QUOTE"
    SALE = "SALE"


class OrderStatus(enum.Enum):
    DRAFT = "DRAFT"
    CONFIRMED = "CONFIRMED"
    FULFILLED = "FULFILLED"
    CANCELLED = "CANCELLED"


class InvoiceStatus(enum.Enum):
    DRAFT = "DRAFT"
    SENT = "SENT"
    PAID = "PAID"
    OVERDUE = "OVERDUE"
    VOID = "VOID"


class PaymentType(enum.Enum):
    RECEIVED = "RECEIVED"
    SENT = "SENT"


class PaymentMethod(enum.Enum):
    CASH = "CASH"
    CHECK = "CHECK"
    ACH = "ACH"
    WIRE = "WIRE"
    CARD = "CARD"


class AccountType(enum.Enum):
    ASSET = "ASSET"
    LIABILITY = "LIABILITY"
    EQUITY = "EQUITY"
    REVENUE = "REVENUE"
    EXPENSE = "EXPENSE"


# --------------------------------------------------------------------------------------------
# Parties: users, clients, suppliers
# --------------------------------------------------------------------------------------------


class User(Base):
    """A staff member who logs in to TERP."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(255), unique=True, info=_pii("email"))
    full_name: Mapped[str] = mapped_column(sa.String(200), info=_pii("person_name"))
    role: Mapped[UserRole] = mapped_column(_enum(UserRole, "role", 16))
    is_active: Mapped[bool] = mapped_column(sa.Boolean(), server_default=sa.true())
    created_at: Mapped[datetime] = _created_at()


class Client(Base):
    """A business TERP sells to (``is_buyer``), buys from (``is_seller``), or both."""

    __tablename__ = "clients"
    __table_args__ = (sa.CheckConstraint("credit_limit >= 0", name="credit_limit_nonnegative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    business_name: Mapped[str] = mapped_column(sa.String(200), info=_pii("company_name"))
    email: Mapped[str] = mapped_column(sa.String(255), info=_pii("email"))
    phone: Mapped[str] = mapped_column(sa.String(32), info=_pii("phone"))
    address_line1: Mapped[str] = mapped_column(sa.String(200), info=_pii("street_address"))
    city: Mapped[str] = mapped_column(sa.String(100), info=_pii("city"))
    state: Mapped[str] = mapped_column(sa.String(2))
    postal_code: Mapped[str] = mapped_column(sa.String(10), info=_pii("postal_code"))
    business_type: Mapped[BusinessType] = mapped_column(_enum(BusinessType, "business_type", 16))
    is_buyer: Mapped[bool] = mapped_column(sa.Boolean(), server_default=sa.false())
    is_seller: Mapped[bool] = mapped_column(sa.Boolean(), server_default=sa.false())
    credit_limit: Mapped[Decimal] = mapped_column(Money, server_default=sa.text("0"))
    referred_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(),
        server_default=sa.func.current_timestamp(),
        onupdate=sa.func.current_timestamp(),
    )

    referred_by: Mapped["Client | None"] = relationship(remote_side=[id])
    supplier_profile: Mapped["SupplierProfile | None"] = relationship(back_populates="client")


class SupplierProfile(Base):
    """Purchasing details of a seller client (at most one per client)."""

    __tablename__ = "supplier_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), unique=True)
    contact_name: Mapped[str] = mapped_column(sa.String(200), info=_pii("person_name"))
    contact_email: Mapped[str] = mapped_column(sa.String(255), info=_pii("email"))
    contact_phone: Mapped[str] = mapped_column(sa.String(32), info=_pii("phone"))
    tax_id: Mapped[str] = mapped_column(sa.String(20), info=_pii("tax_id"))
    license_number: Mapped[str] = mapped_column(sa.String(64), info=_pii("license_number"))
    created_at: Mapped[datetime] = _created_at()

    client: Mapped["Client"] = relationship(back_populates="supplier_profile")


# --------------------------------------------------------------------------------------------
# Accounting: chart of accounts and the general ledger
# --------------------------------------------------------------------------------------------


class Account(Base):
    """An account in the chart of accounts; sub-accounts point at their parent."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_number: Mapped[str] = mapped_column(sa.String(16), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    account_type: Mapped[AccountType] = mapped_column(_enum(AccountType, "account_type", 16))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"), index=True)

    parent: Mapped["Account | None"] = relationship(remote_side=[id])


class LedgerEntry(Base):
    """One side of a journal posting: a debit or a credit to one account, never both."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        sa.CheckConstraint(
            "debit >= 0 AND credit >= 0 AND (debit = 0 OR credit = 0)",
            name="debit_credit_one_sided",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    entry_date: Mapped[date] = mapped_column(sa.Date())
    description: Mapped[str] = mapped_column(sa.String(255))
    debit: Mapped[Decimal] = mapped_column(Money, server_default=sa.text("0"))
    credit: Mapped[Decimal] = mapped_column(Money, server_default=sa.text("0"))
    reference: Mapped[str | None] = mapped_column(sa.String(64))

    account: Mapped["Account"] = relationship()


# --------------------------------------------------------------------------------------------
# Catalog and inventory
# --------------------------------------------------------------------------------------------


class Brand(Base):
    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    description: Mapped[str | None] = mapped_column(sa.Text())


class Strain(Base):
    """A cultivar; crosses point at a parent strain."""

    __tablename__ = "strains"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    strain_type: Mapped[StrainType] = mapped_column(_enum(StrainType, "strain_type", 8))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("strains.id"), index=True)

    parent: Mapped["Strain | None"] = relationship(remote_side=[id])


class Product(Base):
    """A sellable item of a brand; its name is unique within the brand."""

    __tablename__ = "products"
    __table_args__ = (sa.UniqueConstraint("brand_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[ProductCategory] = mapped_column(_enum(ProductCategory, "category", 16))
    unit_of_measure: Mapped[UnitOfMeasure] = mapped_column(
        _enum(UnitOfMeasure, "unit_of_measure", 8)
    )
    brand_id: Mapped[int] = mapped_column(sa.ForeignKey("brands.id"), index=True)
    strain_id: Mapped[int | None] = mapped_column(sa.ForeignKey("strains.id"), index=True)
    is_active: Mapped[bool] = mapped_column(sa.Boolean(), server_default=sa.true())

    brand: Mapped["Brand"] = relationship()
    strain: Mapped["Strain | None"] = relationship()


class Lot(Base):
    """A delivery received from a supplier (a seller client)."""

    __tablename__ = "lots"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    supplier_client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    received_at: Mapped[date] = mapped_column(sa.Date())

    supplier: Mapped["Client"] = relationship()


class Batch(Base):
    """Inventory of one product from one lot, with its cost and stock levels."""

    __tablename__ = "batches"
    __table_args__ = (
        sa.CheckConstraint("unit_cost >= 0", name="unit_cost_nonnegative"),
        sa.CheckConstraint("on_hand_qty >= 0", name="on_hand_qty_nonnegative"),
        sa.CheckConstraint("reserved_qty >= 0", name="reserved_qty_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    sku: Mapped[str] = mapped_column(sa.String(64), unique=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), index=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id"), index=True)
    status: Mapped[BatchStatus] = mapped_column(_enum(BatchStatus, "status", 16))
    unit_cost: Mapped[Decimal] = mapped_column(Money)
    on_hand_qty: Mapped[Decimal] = mapped_column(Money, server_default=sa.text("0"))
    reserved_qty: Mapped[Decimal] = mapped_column(Money, server_default=sa.text("0"))
    created_at: Mapped[datetime] = _created_at()

    product: Mapped["Product"] = relationship()
    lot: Mapped["Lot"] = relationship()


# --------------------------------------------------------------------------------------------
# Sales: orders, sales sheets, invoices, payments
# --------------------------------------------------------------------------------------------


class Order(Base):
    """A quote or a sale. A sale converted from a quote points at it (``converted_from_id``)."""

    __tablename__ = "orders"
    __table_args__ = (sa.CheckConstraint("total >= 0", name="total_nonnegative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    order_type: Mapped[OrderType] = mapped_column(_enum(OrderType, "order_type", 8))
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus, "status", 16))
    subtotal: Mapped[Decimal] = mapped_column(Money, server_default=sa.text("0"))
    tax: Mapped[Decimal] = mapped_column(Money, server_default=sa.text("0"))
    total: Mapped[Decimal] = mapped_column(Money, server_default=sa.text("0"))
    converted_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    # One half of the orders <-> sales_sheets cycle: created after both tables exist.
    sales_sheet_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sales_sheets.id", use_alter=True), index=True
    )
    created_at: Mapped[datetime] = _created_at()

    client: Mapped["Client"] = relationship()
    created_by: Mapped["User"] = relationship()
    converted_from: Mapped["Order | None"] = relationship(remote_side=[id])
    sales_sheet: Mapped["SalesSheet | None"] = relationship(
        foreign_keys=[sales_sheet_id], post_update=True
    )
    line_items: Mapped[list["OrderLineItem"]] = relationship(back_populates="order")


class OrderLineItem(Base):
    __tablename__ = "order_line_items"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("unit_price >= 0", name="unit_price_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batches.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Money)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    line_total: Mapped[Decimal] = mapped_column(Money)

    order: Mapped["Order"] = relationship(back_populates="line_items")
    batch: Mapped["Batch"] = relationship()


class SalesSheet(Base):
    """A price sheet sent to a client; once the client orders, it points at that order."""

    __tablename__ = "sales_sheets"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = _created_at()
    # The other half of the orders <-> sales_sheets cycle.
    converted_to_order_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("orders.id"), index=True
    )

    client: Mapped["Client"] = relationship()
    converted_to_order: Mapped["Order | None"] = relationship(foreign_keys=[converted_to_order_id])


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        sa.CheckConstraint("amount_due >= 0", name="amount_due_nonnegative"),
        sa.CheckConstraint("amount_paid >= 0", name="amount_paid_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    status: Mapped[InvoiceStatus] = mapped_column(_enum(InvoiceStatus, "status", 16))
    amount_due: Mapped[Decimal] = mapped_column(Money)
    amount_paid: Mapped[Decimal] = mapped_column(Money, server_default=sa.text("0"))
    issued_on: Mapped[date] = mapped_column(sa.Date())
    due_on: Mapped[date] = mapped_column(sa.Date())

    client: Mapped["Client"] = relationship()
    order: Mapped["Order | None"] = relationship()


class Payment(Base):
    """Money received from a buyer or sent to a supplier, optionally against an invoice."""

    __tablename__ = "payments"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    payment_type: Mapped[PaymentType] = mapped_column(_enum(PaymentType, "payment_type", 16))
    method: Mapped[PaymentMethod] = mapped_column(_enum(PaymentMethod, "method", 8))
    amount: Mapped[Decimal] = mapped_column(Money)
    invoice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invoices.id"), index=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    paid_at: Mapped[datetime] = mapped_column(sa.DateTime())

    invoice: Mapped["Invoice | None"] = relationship()
    client: Mapped["Client"] = relationship()


metadata = Base.metadata
