"""TERP customer list: real clients and supplier profiles from CSV, masked outside production.

Revision ID: s004
Revises: s003
Create Date: 2026-11-29 07:33:00
"""

from pathlib import Path

from seedlib import Source, TableSpec, seed_revision, unseed_revision, values

revision = "s004"
down_revision = "s003"
branch_labels = None
depends_on = None
requires_schema = "0003"

DATA = Path(__file__).resolve().parents[2] / "examples" / "terp" / "data"

# Every PII column is declared in the models (Column.info["pii"]), so no masking override is
# needed. The files' own ids are source keys: clients get new keys, and referred_by_id and
# supplier_profiles.client_id are rewritten to them.
SEEDS: dict[str, int | TableSpec] = {
    "clients": TableSpec(
        source=Source(DATA / "clients.csv"),
        columns={"updated_at": values.after("created_at", 90)},
    ),
    "supplier_profiles": TableSpec(source=Source(DATA / "supplier_profiles.csv")),
}


def upgrade() -> None:
    seed_revision(revision, SEEDS)


def downgrade() -> None:
    unseed_revision(revision)
