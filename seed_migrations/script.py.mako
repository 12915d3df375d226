<%!
from seedlib.integrations.alembic import schema_head
%>"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}
"""

from seedlib import TableSpec, seed_revision, unseed_revision, values

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels) if branch_labels else ('("seeds",)' if not down_revision else None)}
depends_on = ${repr(depends_on)}
# The schema revision these seeds were written for; the drift gate refuses older schemas.
requires_schema = ${repr(schema_head(config))}

# Rows per table at size "small"; --size scales them. TableSpec(rows, columns={...}) overrides
# generated columns with values.constant/choice/weighted/sequence/... or any callable.
SEEDS: dict[str, int | TableSpec] = {
}


def upgrade() -> None:
    seed_revision(revision, SEEDS)


def downgrade() -> None:
    unseed_revision(revision)
