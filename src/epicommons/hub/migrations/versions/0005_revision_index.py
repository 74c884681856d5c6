"""An index for reads as known at a moment: the revisions in the reads' key order, by time.

Revision ID: 0005_revision_index
Revises: 0004_assessments
Create Date: 2026-12-03 15:00:00

`revisions.as_known` keeps the revisions known then with no later one of their key known then;
with this index SQLite walks the revisions in the order a read returns them (member, date,
indicator, item), finds each one's later revisions next to it, and stops at the page's end.
"""

from alembic import op

revision = "0005_revision_index"
down_revision = "0004_assessments"
branch_labels = None
depends_on = None

COLUMNS = ["member_id", "date", "indicator", "item", "known_at", "id"]


def upgrade() -> None:
    op.create_index("ix_value_revision_read", "value_revisions", COLUMNS, unique=False)


def downgrade() -> None:
    op.drop_index("ix_value_revision_read", table_name="value_revisions")
