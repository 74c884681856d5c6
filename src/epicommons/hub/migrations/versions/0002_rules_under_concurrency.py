"""Declined pledges, one grant per grantor/grantee/scope with ids never reused, dashboard sessions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 15:50:00

Existing data is kept: repeated identical grants are merged into the oldest (access unchanged).
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pledges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("declined_at", sa.DateTime(), nullable=True))

    op.execute(
        "DELETE FROM sharing_grants WHERE id NOT IN ("
        " SELECT MIN(id) FROM sharing_grants"
        " GROUP BY grantor_id, grantee_member_id, grantee_group_id, scope)"
    )
    with op.batch_alter_table(
        "sharing_grants",
        schema=None,
        recreate="always" if op.get_bind().dialect.name == "sqlite" else "auto",
        table_kwargs={"sqlite_autoincrement": True},
    ) as batch_op:
        batch_op.create_index(
            "uq_grant_member",
            ["grantor_id", "grantee_member_id", "scope"],
            unique=True,
            sqlite_where=sa.text("grantee_member_id IS NOT NULL"),
            postgresql_where=sa.text("grantee_member_id IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_grant_group",
            ["grantor_id", "grantee_group_id", "scope"],
            unique=True,
            sqlite_where=sa.text("grantee_group_id IS NOT NULL"),
            postgresql_where=sa.text("grantee_group_id IS NOT NULL"),
        )

    op.create_table(
        "dashboard_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["token_id"], ["tokens.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("secret_hash"),
    )
    with op.batch_alter_table("dashboard_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dashboard_sessions_token_id"), ["token_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("dashboard_sessions")
    with op.batch_alter_table("sharing_grants", schema=None) as batch_op:
        batch_op.drop_index("uq_grant_group")
        batch_op.drop_index("uq_grant_member")
    with op.batch_alter_table("pledges", schema=None) as batch_op:
        batch_op.drop_column("declined_at")
