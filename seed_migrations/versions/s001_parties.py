"""TERP parties and accounting: users, clients, supplier profiles, chart of accounts, ledger.

Revision ID: s001
Revises:
Create Date: 2026-11-29 07:30:00
"""

from decimal import Decimal

from seedlib import TableSpec, seed_revision, unseed_revision, values

revision = "s001"
down_revision = None
branch_labels = ("seeds",)
depends_on = None
# The schema revision these seeds were written for; the drift gate refuses older schemas.
requires_schema = "0001"

TRADE_SUFFIXES = ("Dispensary", "Collective", "Farms", "Wellness", "Distribution")
CA_CITIES = ("Los Angeles", "Oakland", "Sacramento", "San Diego", "San Jose", "Fresno",
             "Santa Rosa", "Eureka", "Long Beach", "Salinas")


def _business_name(ordinal: int, h: int, row: dict[str, object]) -> str:
    words = ("Golden", "Emerald", "Coastal", "Redwood", "Sunset", "Valley", "Harbor", "Summit",
             "Sierra", "Pacific", "Canyon", "Mesa")
    return f"{words[h % len(words)]} {words[(h >> 8) % len(words)]} {TRADE_SUFFIXES[(h >> 16) % 5]}"


def _debit(ordinal: int, h: int, row: dict[str, object]) -> Decimal:
    return Decimal(h % 500_000 + 1) / 100 if h & 1 else Decimal("0.00")


def _credit(ordinal: int, h: int, row: dict[str, object]) -> Decimal:
    return Decimal("0.00") if row["debit"] else Decimal(h % 500_000 + 1) / 100


SEEDS: dict[str, int | TableSpec] = {
    "users": TableSpec(10, columns={"created_at": values.timestamps(days=365)}),
    "clients": TableSpec(100, columns={
        "client_code": values.sequence("WHL{:04d}"),
        "business_name": _business_name,
        "city": values.choice(CA_CITIES),
        "state": "CA",
        "business_type": values.weighted({"DISPENSARY": 5, "DISTRIBUTOR": 2, "CULTIVATOR": 2,
                                          "MANUFACTURER": 1, "RETAILER": 2}),
        "credit_limit": values.decimals(0, 50_000),
        "updated_at": values.after("created_at", 90),
    }),
    "supplier_profiles": 30,
    "accounts": TableSpec(20, columns={"account_number": values.sequence("{:04d}", 1000)}),
    "ledger_entries": TableSpec(200, columns={"debit": _debit, "credit": _credit}),
}


def upgrade() -> None:
    seed_revision(revision, SEEDS)


def downgrade() -> None:
    unseed_revision(revision)
