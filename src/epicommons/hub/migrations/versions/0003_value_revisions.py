"""Value revisions: every value a report key took, when it became known and from whom.

Revision ID: 0003_value_revisions
Revises: 0002
Create Date: 2026-12-03 09:50:00

Existing data is kept: each stored value becomes its key's first revision, known at its
`updated_at`, from the submission (and that submission's token) that wrote it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_value_revisions"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "value_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("indicator", sa.String(length=32), nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("known_at", sa.DateTime(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"]),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"]),
        sa.ForeignKeyConstraint(["token_id"], ["tokens.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("value_revisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_value_revision_key",
            ["member_id", "indicator", "date", "item", "known_at"],
            unique=False,
        )
    op.execute(
        "INSERT INTO value_revisions"
        " (member_id, date, indicator, item, value, known_at, submission_id, token_id, actor)"
        " SELECT v.member_id, v.date, v.indicator, v.item, v.value, v.updated_at,"
        " v.submission_id, s.token_id, 'token:' || CAST(s.token_id AS VARCHAR(20))"
        " FROM report_values v JOIN submissions s ON s.id = v.submission_id"
        " ORDER BY v.id"
    )


def downgrade() -> None:
    op.drop_table("value_revisions")
