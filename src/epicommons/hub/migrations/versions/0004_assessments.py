"""Assessments as jobs: the jobs table and the assessments' rows, never changed once finished.

Revision ID: 0004_assessments
Revises: 0003_value_revisions
Create Date: 2026-12-03 10:00:00

Results are stored one row per table row, as JSON, with the member it concerns in an indexed
column (see docs/hub.md, "Assessments"). Triggers on both SQLite and PostgreSQL refuse any
change to a finished job and any change or deletion of a stored row.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_assessments"
down_revision = "0003_value_revisions"
branch_labels = None
depends_on = None

FROZEN = "a finished assessment is never changed"

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER jobs_finished_frozen BEFORE UPDATE ON jobs
        WHEN OLD.status IN ('done', 'failed')
        BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END""",
    f"""CREATE TRIGGER jobs_finished_kept BEFORE DELETE ON jobs
        WHEN OLD.status IN ('done', 'failed')
        BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END""",
    f"""CREATE TRIGGER assessment_rows_frozen BEFORE UPDATE ON assessment_rows
        BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END""",
    f"""CREATE TRIGGER assessment_rows_kept BEFORE DELETE ON assessment_rows
        BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END""",
    f"""CREATE TRIGGER assessment_rows_closed BEFORE INSERT ON assessment_rows
        WHEN (SELECT status FROM jobs WHERE id = NEW.job_id) IN ('done', 'failed')
        BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END""",
]

POSTGRES_TRIGGERS = [
    f"""CREATE FUNCTION epicommons_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '{FROZEN}' USING ERRCODE = 'integrity_constraint_violation'; END $$""",
    f"""CREATE FUNCTION epicommons_row_closed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF (SELECT status FROM jobs WHERE id = NEW.job_id) IN ('done', 'failed') THEN
            RAISE EXCEPTION '{FROZEN}' USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          RETURN NEW;
        END $$""",
    """CREATE TRIGGER jobs_finished_frozen BEFORE UPDATE OR DELETE ON jobs
        FOR EACH ROW WHEN (OLD.status IN ('done', 'failed')) EXECUTE FUNCTION epicommons_frozen()""",
    """CREATE TRIGGER assessment_rows_frozen BEFORE UPDATE OR DELETE ON assessment_rows
        FOR EACH ROW EXECUTE FUNCTION epicommons_frozen()""",
    """CREATE TRIGGER assessment_rows_closed BEFORE INSERT ON assessment_rows
        FOR EACH ROW EXECUTE FUNCTION epicommons_row_closed()""",
]


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("step", sa.String(length=200), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("scheduled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("code_version", sa.String(length=64), nullable=False),
        sa.Column("input_stamp", sa.String(length=64), nullable=False),
        sa.Column("meta", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="job_status"),
        sa.CheckConstraint("progress >= 0 AND progress <= 1", name="job_progress"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_jobs_status", "jobs", ["status", "id"], unique=False)
    op.create_table(
        "assessment_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=12), nullable=True),
        sa.Column("covers", sa.Text(), nullable=True),
        sa.Column("row", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job_id", "table_name", "seq", name="uq_assessment_row"),
    )
    op.create_index(
        "ix_assessment_rows_location",
        "assessment_rows",
        ["job_id", "table_name", "location"],
        unique=False,
    )
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRES_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER assessment_rows_closed ON assessment_rows")
        op.execute("DROP TRIGGER assessment_rows_frozen ON assessment_rows")
        op.execute("DROP TRIGGER jobs_finished_frozen ON jobs")
    op.drop_index("ix_assessment_rows_location", table_name="assessment_rows")
    op.drop_table("assessment_rows")
    op.drop_index("ix_jobs_status", table_name="jobs")
    op.drop_table("jobs")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION epicommons_row_closed()")
        op.execute("DROP FUNCTION epicommons_frozen()")
