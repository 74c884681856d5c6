"""Request and response bodies of the HTTP API (pydantic v2); they make the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
    field_validator,
    model_validator,
)

MemberCode = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_-]{1,11}$", examples=["KOR"])]
GroupCode = Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9_-]{1,31}$", examples=["ASEAN"])]
ItemCode = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$", examples=["masks"])]


def _iso_date(value: object) -> object:
    """Only YYYY-MM-DD text is a date here (not a Unix timestamp, as pydantic would allow)."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("expected a date YYYY-MM-DD")
    if not isinstance(value, str | dt.date) or isinstance(value, dt.datetime):
        raise ValueError("expected a date YYYY-MM-DD")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
# A pledge or a delivery: at most 1e11 units (more than the world's yearly output of masks).
Quantity = Annotated[float, Field(gt=0, le=1e11, allow_inf_nan=False)]


def _not_future(value: dt.date) -> dt.date:
    """Pledges and deliveries are records of what happened: dated no later than tomorrow (UTC)."""
    if value > dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1):
        raise ValueError("date lies in the future; record a pledge or delivery when it happens")
    return value


Day = Annotated[IsoDate, Field(ge=dt.date(1900, 1, 1)), AfterValidator(_not_future)]
# Stored times are naive UTC; answers carry the zone so that they are RFC 3339 date-times.
Utc = Annotated[dt.datetime, AfterValidator(lambda v: v if v.tzinfo else v.replace(tzinfo=dt.UTC))]
Role = Literal["reporter", "analyst", "coordinator"]
Scope = Literal["reports", "events", "ledger", "all"]
Visibility = Literal["private", "partners", "all"]
Status = Literal["signal", "under_verification", "verified", "discarded", "closed"]


class Strict(BaseModel):
    """Bodies refuse unknown fields so that a typo is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Me(BaseModel):
    member: str
    role: Role
    token_id: int


class MemberOut(BaseModel):
    code: str
    name: str
    kind: Literal["country", "organisation"]


class ImportCount(BaseModel):
    imported: int
    updated: int
    ignored: int
    deleted: int


class ConflictOut(BaseModel):
    row: int
    field: str
    reason: str


class ImportSummaryOut(BaseModel):
    """DHIS2-style import summary."""

    status: Literal["OK", "WARNING", "ERROR"]
    dryRun: bool
    replayed: bool
    importCount: ImportCount
    conflicts: list[ConflictOut]
    submission: int | None


class ValueIn(Strict):
    date: str = Field(examples=["2026-11-01"])
    indicator: str = Field(examples=["new_cases"])
    item: str | None = None
    value: float


class ReportIn(Strict):
    """A report as JSON; the same rows may be sent as CSV with header date,indicator,item,value."""

    values: list[ValueIn]


class ValueOut(BaseModel):
    member: str
    date: dt.date
    indicator: str
    item: str
    value: float
    updated_at: Utc


class AggregateOut(BaseModel):
    date: dt.date
    total: float
    members: int


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is not None:
        try:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:
            raise ValueError("time out of range") from None
    return value


MOMENT = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:[Zz]|[+-]\d{2}:\d{2})?", re.ASCII
)


def _iso_moment(value: object) -> object:
    """Only RFC 3339 text is a time here (not a Unix timestamp, number or digits, as in dates)."""
    if not isinstance(value, str) or not MOMENT.fullmatch(value):
        raise ValueError("expected a time YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]")
    return value


Moment = Annotated[
    dt.datetime, BeforeValidator(_iso_moment), Field(examples=["2026-11-20T08:00:00Z"])
]


MAX_ID = 2**31 - 1  # the largest row id the databases' integer keys hold


def row_id(text: str | None) -> int | None:
    """A row id from a page's URL or form (ASCII digits, 1 to `MAX_ID`), else None."""
    if text is None or not re.fullmatch(r"[0-9]{1,10}", text, re.ASCII):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def as_of_value(value: object) -> dt.date | dt.datetime:
    """A date (known by the end of that UTC day) or an RFC 3339 time (naive = UTC), from 1900."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, re.ASCII):
        day = dt.date.fromisoformat(value)
        if day.year < 1900:
            raise ValueError("as_of must lie after 1900")
        return day
    if not isinstance(value, str) or not MOMENT.fullmatch(value):
        raise ValueError("expected a date YYYY-MM-DD or a time YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]")
    moment = _utc(dt.datetime.fromisoformat(f"{value[:10]}T{value[11:]}".replace("z", "Z")))
    assert moment is not None
    if moment < EARLIEST:
        raise ValueError("as_of must lie after 1900")
    return moment


AsOf = Annotated[
    dt.date | dt.datetime,
    PlainValidator(as_of_value),
    WithJsonSchema(
        {
            "type": "string",
            "description": "values as known at this date (end of the UTC day) or time",
            "examples": ["2026-11-20", "2026-11-20T08:00:00Z"],
        }
    ),
]


def _plain_text(value: object) -> object:
    """Text a database stores as given: no NUL or other control characters, no lone surrogates."""
    if isinstance(value, str):
        if any(c < " " and c not in "\t\n\r" or c == "\x7f" for c in value):
            raise ValueError("control characters (such as NUL) are not allowed")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("not valid Unicode text (a lone surrogate)") from None
    return value


Text = Annotated[str, BeforeValidator(_plain_text)]
EARLIEST = dt.datetime(1900, 1, 1)


def _check_moment(value: dt.datetime | None) -> dt.datetime | None:
    value = _utc(value)
    if value is not None:
        latest = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=1)
        if not EARLIEST <= value <= latest:
            raise ValueError("time must lie between 1900 and tomorrow")
    return value


class EventIn(Strict):
    """A notification with the four IHR (2005) Annex 2 answers and its times."""

    title: Text = Field(min_length=1, max_length=200)
    hazard: Text = Field(min_length=1, max_length=64, examples=["cholera"])
    description: Text = Field(default="", max_length=5000)
    serious_impact: bool
    unusual_or_unexpected: bool
    international_spread: bool
    travel_or_trade_restrictions: bool
    detected_at: Moment
    assessed_at: Moment | None = None
    notified_at: Moment | None = None
    visibility: Visibility = "private"

    _times = field_validator("detected_at", "assessed_at", "notified_at")(_check_moment)

    @model_validator(mode="after")
    def _ordered(self) -> EventIn:
        if self.assessed_at is not None and self.assessed_at < self.detected_at:
            raise ValueError("assessed_at precedes detected_at")
        if self.notified_at is not None:
            first = self.assessed_at or self.detected_at
            if self.notified_at < first:
                raise ValueError("notified_at precedes assessment/detection")
        return self


class StatusIn(Strict):
    """A step in the workflow, optionally recording when assessment/notification happened."""

    status: Status
    assessed_at: Moment | None = None
    notified_at: Moment | None = None

    _times = field_validator("assessed_at", "notified_at")(_check_moment)


class EventOut(BaseModel):
    id: int
    member: str
    title: str
    hazard: str
    description: str
    serious_impact: bool
    unusual_or_unexpected: bool
    international_spread: bool
    travel_or_trade_restrictions: bool
    notifiable: bool = Field(description="two or more Annex 2 answers are yes")
    detected_at: Utc
    assessed_at: Utc | None
    notified_at: Utc | None
    status: Status
    visibility: Visibility
    created_at: Utc
    updated_at: Utc


class GroupIn(Strict):
    code: GroupCode
    name: Text = Field(min_length=1, max_length=200)
    members: list[MemberCode] = Field(max_length=500)


class GroupOut(BaseModel):
    code: str
    name: str
    members: list[str]


class GrantIn(Strict):
    """Let one member, or every member of a partner group, read one scope of the data."""

    grantee_member: MemberCode | None = None
    grantee_group: GroupCode | None = None
    scope: Scope

    @model_validator(mode="after")
    def _one(self) -> GrantIn:
        if (self.grantee_member is None) == (self.grantee_group is None):
            raise ValueError("give exactly one of grantee_member and grantee_group")
        return self


class GrantOut(BaseModel):
    id: int
    grantor: str
    grantee_member: str | None
    grantee_group: str | None
    scope: Scope
    created_at: Utc


class PledgeIn(Strict):
    """A promise to a member or to a pool (e.g. a stockpile), in units of `item`."""

    recipient_member: MemberCode | None = None
    recipient_pool: GroupCode | None = None
    item: ItemCode
    quantity: Quantity
    date: Day

    @model_validator(mode="after")
    def _one(self) -> PledgeIn:
        if (self.recipient_member is None) == (self.recipient_pool is None):
            raise ValueError("give exactly one of recipient_member and recipient_pool")
        return self


class PledgeOut(BaseModel):
    id: int
    donor: str
    recipient_member: str | None
    recipient_pool: str | None
    item: str
    quantity: float
    date: dt.date
    delivered: float
    declined: bool = Field(description="the recipient declined it; it is out of the ledger")


class DeliveryIn(Strict):
    """Items delivered against a pledge; `recipient_member` is needed for a pool's pledge."""

    quantity: Quantity
    date: Day
    recipient_member: MemberCode | None = None


class DeliveryOut(BaseModel):
    id: int
    pledge: int
    recipient_member: str
    quantity: float
    date: dt.date


class LedgerRow(BaseModel):
    """One row of a ledger view (fields not in the chosen view are null)."""

    pledge_id: str | None = None
    donor: str | None = None
    recipient: str | None = None
    item: str
    date: dt.date | None = None
    pledged: float
    delivered: float
    outstanding: float | None = None
    over_delivered: float | None = None
    beyond_pledges: float | None = None
    share_delivered: float | None = None


class RtWindow(BaseModel):
    date_start: dt.date
    date_end: dt.date
    mean: float | None
    std: float | None
    q025: float | None
    median: float | None
    q975: float | None
    note: str | None = Field(None, description="why the window is empty (e.g. reporting stopped)")


class RtOut(BaseModel):
    """Rt per window; numbers are null where a window holds no information."""

    member: str
    method: Literal["cori", "wallinga-teunis"]
    si_mean: float
    si_sd: float
    window: int
    filled_days: int
    estimates: list[RtWindow]


JobStatus = Literal["queued", "running", "done", "failed"]


class AssessmentIn(Strict):
    """Start an assessment of every member as known at the end of `as_of` (default: today)."""

    as_of: Day | None = None
    options: dict[str, object] = Field(
        default_factory=dict,
        description="the assessment's options (`epicommons.assess.AssessmentOptions`), e.g. "
        '{"runs": 50, "seed": 1}',
    )


class AssessmentOut(BaseModel):
    """An assessment job: its state, progress and record; `tables` once it is done."""

    id: int
    kind: str
    status: JobStatus
    progress: float = Field(description="fraction of the current step done, 0 to 1")
    step: str
    attempts: int
    scheduled: bool
    as_of: dt.date
    created_by: str
    created_at: Utc
    started_at: Utc | None
    finished_at: Utc | None
    error: str | None = Field(description="why it failed (the text for coordinators only)")
    params: dict[str, object]
    code_version: str
    input_stamp: str = Field(description="SHA-256 of the inputs the assessment read")
    tables: list[str]
    failures: list[dict[str, object]] = Field(
        default_factory=list, description="members' failed steps the caller may read"
    )


class TrackLine(BaseModel):
    """One line of the forecasts' track record: a model's mean scores over its scored targets."""

    model: str = Field(description="the assessment's model, or `baseline` (the reference)")
    horizon: int | None = Field(None, description="weeks ahead (absent: over every horizon)")
    location: str | None = Field(None, description="the member (per-member lines only)")
    relative_wis: float | None = Field(
        description="mean WIS over the baseline's on the same targets (below 1: better)"
    )
    wis: float
    baseline_wis: float
    dispersion: float
    overprediction: float
    underprediction: float
    abs_error: float = Field(description="mean absolute error of the median")
    coverage_50: float | None = Field(description="share inside the 50% interval (nominal 0.5)")
    coverage_90: float | None = Field(description="share inside the 90% interval (nominal 0.9)")
    n: int = Field(description="forecasts scored")
    members: int = Field(description="members whose forecasts are scored")


class TrackRecordOut(BaseModel):
    """An assessment's scores of the earlier assessments' forecasts, as the caller may read."""

    assessment: int
    as_of: dt.date = Field(description="the counts are those known at the end of this date")
    scored_against: str
    by_horizon: list[TrackLine] = Field(description="per model and horizon, all members")
    overall: list[TrackLine] = Field(description="per model over every horizon, all members")
    by_member: list[TrackLine] = Field(description="per member the caller reads, and model")
    suppressed: int = Field(
        description="aggregate lines withheld: fewer than 5 members, one not sharing with you"
    )


class WhatIfIn(Strict):
    """Compare a measure with an assessment's spread (default: the latest finished one)."""

    assessment: int | None = Field(None, ge=1, le=MAX_ID)
    measure: dict[str, object] = Field(
        description="kind (travel_reduction, arrival_quarantine, screening, fast_lane, "
        "vaccination), members, strength in [0, 1], start_day (1 = the day after the as-of "
        'date), days; e.g. {"kind": "travel_reduction", "members": ["DEU"], "strength": 0.9}',
    )


class WhatIfOut(AssessmentOut):
    """A what-if job: its state, progress and record, the assessment and the measure in words."""

    assessment: int | None
    measure: str
