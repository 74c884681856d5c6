"""The hub's tables (SQLAlchemy 2 declarative); the schema itself is created by the migrations.

Times are naive UTC. Report values are one row per (member, date, indicator, item): the current
value; `ValueRevision` keeps every value each key has had and when it became known (bitemporal
history, the reporting triangle). Every write leaves an `AuditEntry` in the same transaction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base whose metadata the migrations must match."""


class Member(Base):
    """A country (ISO3 code) or an international organisation (its own code)."""

    __tablename__ = "members"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())
    __table_args__ = (CheckConstraint("kind IN ('country', 'organisation')", name="member_kind"),)


class Token(Base):
    """An API token of one member with one role; only its SHA-256 hash is stored."""

    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    role: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)
    __table_args__ = (
        CheckConstraint("role IN ('reporter', 'analyst', 'coordinator')", name="token_role"),
    )


class Submission(Base):
    """One accepted report import: its idempotency key, content hash and summary."""

    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    token_id: Mapped[int] = mapped_column(ForeignKey("tokens.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text())
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())
    __table_args__ = (
        UniqueConstraint("member_id", "idempotency_key", name="uq_submission_key"),
        Index("ix_submission_content", "member_id", "content_hash"),
    )


class ReportValue(Base):
    """One indicator value reported by a member for a date (and an item for stocks and needs)."""

    __tablename__ = "report_values"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    date: Mapped[dt.date] = mapped_column(Date())
    indicator: Mapped[str] = mapped_column(String(32))
    item: Mapped[str] = mapped_column(String(64), default="")
    value: Mapped[float] = mapped_column(Float())
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime())
    __table_args__ = (
        UniqueConstraint("member_id", "date", "indicator", "item", name="uq_report_value"),
    )


class ValueRevision(Base):
    """One value a key (member, date, indicator, item) took, when it became known and from whom.

    Append-only: the current value of a key is its revision with the latest `known_at` (then the
    highest id), which `report_values` holds for fast reads; a revision without a value records
    that the value was deleted.
    """

    __tablename__ = "value_revisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    date: Mapped[dt.date] = mapped_column(Date())
    indicator: Mapped[str] = mapped_column(String(32))
    item: Mapped[str] = mapped_column(String(64), default="")
    value: Mapped[float | None] = mapped_column(Float(), nullable=True)
    known_at: Mapped[dt.datetime] = mapped_column(DateTime())
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("tokens.id"), nullable=True)
    actor: Mapped[str] = mapped_column(String(64))
    __table_args__ = (
        Index("ix_value_revision_key", "member_id", "indicator", "date", "item", "known_at"),
        # reads as of a moment: keys in the reads' order, each key's revisions by time
        Index("ix_value_revision_read", "member_id", "date", "indicator", "item", "known_at", "id"),
    )


class AuditEntry(Base):
    """Who wrote what and when, with SHA-256 hashes of the state before and after."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime())
    actor: Mapped[str] = mapped_column(String(64))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("tokens.id"), nullable=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_key: Mapped[str] = mapped_column(String(200))
    before_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    after_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class PartnerGroup(Base):
    """A named group of members (e.g. a regional network) that grants can target."""

    __tablename__ = "partner_groups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())


class GroupMembership(Base):
    """A member's place in a partner group."""

    __tablename__ = "group_members"
    group_id: Mapped[int] = mapped_column(ForeignKey("partner_groups.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)


class SharingGrant(Base):
    """A member lets another member, or a partner group, read one scope of its data."""

    __tablename__ = "sharing_grants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grantor_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    grantee_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True)
    grantee_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner_groups.id"), nullable=True
    )
    scope: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())
    __table_args__ = (
        CheckConstraint(
            "(grantee_member_id IS NULL) <> (grantee_group_id IS NULL)", name="grant_one_grantee"
        ),
        CheckConstraint("scope IN ('reports', 'events', 'ledger', 'all')", name="grant_scope"),
        # One grant per grantor, grantee and scope (NULLs are distinct in a plain unique key).
        Index(
            "uq_grant_member",
            "grantor_id",
            "grantee_member_id",
            "scope",
            unique=True,
            sqlite_where=text("grantee_member_id IS NOT NULL"),
            postgresql_where=text("grantee_member_id IS NOT NULL"),
        ),
        Index(
            "uq_grant_group",
            "grantor_id",
            "grantee_group_id",
            "scope",
            unique=True,
            sqlite_where=text("grantee_group_id IS NOT NULL"),
            postgresql_where=text("grantee_group_id IS NOT NULL"),
        ),
        # Ids of revoked grants are never given again (audit keys stay unambiguous).
        {"sqlite_autoincrement": True},
    )


class Event(Base):
    """A notified public-health event with its IHR Annex 2 answers and workflow status."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    hazard: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text(), default="")
    serious_impact: Mapped[bool] = mapped_column(Boolean())
    unusual_or_unexpected: Mapped[bool] = mapped_column(Boolean())
    international_spread: Mapped[bool] = mapped_column(Boolean())
    travel_or_trade_restrictions: Mapped[bool] = mapped_column(Boolean())
    detected_at: Mapped[dt.datetime] = mapped_column(DateTime())
    assessed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)
    notified_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)
    status: Mapped[str] = mapped_column(String(24))
    visibility: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime())


class Pledge(Base):
    """A donor's promise of a quantity of an item to a member or to a pool."""

    __tablename__ = "pledges"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    recipient_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True)
    recipient_pool: Mapped[str | None] = mapped_column(String(32), nullable=True)
    item: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[float] = mapped_column(Float())
    date: Mapped[dt.date] = mapped_column(Date())
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())
    declined_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)
    __table_args__ = (
        CheckConstraint(
            "(recipient_member_id IS NULL) <> (recipient_pool IS NULL)", name="pledge_recipient"
        ),
    )


class Delivery(Base):
    """A shipment against a pledge, to the member that received it (a pool passes items on)."""

    __tablename__ = "deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"), index=True)
    recipient_member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    quantity: Mapped[float] = mapped_column(Float())
    date: Mapped[dt.date] = mapped_column(Date())
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())


class DashboardSession(Base):
    """A signed-in dashboard session of one token: its own secret (hashed), expiry and end."""

    __tablename__ = "dashboard_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("tokens.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)


class MappingFile(Base):
    """An imported DHIS2/FHIR mapping file (`hub/mapping.py`); the newest row is in force."""

    __tablename__ = "dhis2_mappings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text())
    source: Mapped[str] = mapped_column(String(500))
    digest: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime())


class Job(Base):
    """A piece of work run outside the request (an assessment): its state, progress and record.

    A finished job (done or failed) is never changed: the database refuses it (triggers made by
    migration 0004), so an assessment's as-of date, inputs' stamp and results stay as they were.
    """

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(12))
    progress: Mapped[float] = mapped_column(Float(), default=0.0)
    step: Mapped[str] = mapped_column(String(200), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    scheduled: Mapped[bool] = mapped_column(Boolean(), default=False)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)
    error: Mapped[str | None] = mapped_column(Text(), nullable=True)
    params: Mapped[str] = mapped_column(Text(), default="{}")
    as_of: Mapped[dt.date] = mapped_column(Date())
    code_version: Mapped[str] = mapped_column(String(64), default="")
    input_stamp: Mapped[str] = mapped_column(String(64), default="")
    meta: Mapped[str | None] = mapped_column(Text(), nullable=True)
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="job_status"),
        CheckConstraint("progress >= 0 AND progress <= 1", name="job_progress"),
        Index("ix_jobs_status", "status", "id"),
    )


class AssessmentRow(Base):
    """One row of one table of a finished assessment, as JSON, keyed by the member it concerns.

    `location` is the member code of a per-member row (the access filter is one indexed SQL
    condition on it); an aggregate has none and lists in `covers` the members it sums over, so
    the small-aggregate rule can be applied. Rows are written once, with the job's `done`.
    """

    __tablename__ = "assessment_rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"))
    table_name: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(Integer)
    location: Mapped[str | None] = mapped_column(String(12), nullable=True)
    covers: Mapped[str | None] = mapped_column(Text(), nullable=True)
    row: Mapped[str] = mapped_column(Text())
    __table_args__ = (
        UniqueConstraint("job_id", "table_name", "seq", name="uq_assessment_row"),
        Index("ix_assessment_rows_location", "job_id", "table_name", "location"),
    )
