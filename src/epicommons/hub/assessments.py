"""Assessments in the hub: inputs built from the database as of a date, results stored and read
back under the access rule.

Inputs: every country member's `new_cases` history as known at the end of the as-of date (the
reporting triangle, `revisions.count_history`), its latest stocks on or before the date
(`revisions.values_as_of`), and the pledges and deliveries dated on or before it, undeclined
(the ledger's own `as_of` rule), and the forecasts of the finished assessments of earlier as-of
dates (the newest of each date), which the library scores (`forecast_scores`): they are inputs,
in the input stamp. The library (`epicommons.assess`) does the rest.

Who reads what (`View`): a coordinator reads every row; a member reads its own rows, the rows of
members that share their reports with it (directly or through a group), and the proposal's line
for itself only (`allocation` and the per-member `explanation` rows). A row with no member (an
aggregate, or a country that is not a member) is an aggregate over the members it `covers`; it is
suppressed when it covers fewer than `MIN_AGGREGATE` members and any of them does not share with
the caller, so no small total singles out a member that has not shared.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from epicommons.errors import InputError

from . import figures
from .access import Principal, readable_members
from .clock import utcnow
from .db import Database
from .jobs import Progress
from .models import AssessmentRow, Delivery, Job, Member, Pledge
from .refusals import Clash, NotFound

if TYPE_CHECKING:
    import pandas as pd

    from epicommons.assess import Assessment, AssessmentInputs, AssessmentOptions
    from epicommons.assess.whatif import WhatIf
    from epicommons.backend import Backend

KIND = "assessment"
LABELS = {KIND: "assessment", "whatif": "what-if"}  # a job kind in refusals
MIN_AGGREGATE = 5  # k: an aggregate over fewer members is shown only if all of them share
OWN_LINE_ONLY = ("allocation", "explanation")  # the proposal: each member sees its own line
MEMBER_COLUMNS = ("location", "member")  # where a table names the member a row concerns


def options_from(params: dict[str, Any], source: str = "options") -> AssessmentOptions:
    """The library's options from a request's or the CLI's parameters (one InputError if bad)."""
    from epicommons.assess import AssessmentOptions
    from epicommons.errors import validate

    return validate(AssessmentOptions, params, source=source)


def member_codes(session: Session) -> list[str]:
    """The members an assessment covers: every country member, by code."""
    return list(
        session.scalars(select(Member.code).where(Member.kind == "country").order_by(Member.code))
    )


def end_of(day: dt.date) -> dt.datetime:
    """The last moment of a day (naive UTC): what was known "on" that date."""
    return dt.datetime.combine(day, dt.time.max)


def build_inputs(session: Session, as_of: dt.date) -> AssessmentInputs:
    """The library's inputs from the database, as known at the end of `as_of`."""
    import pandas as pd

    from epicommons.assess import AssessmentInputs

    from .revisions import count_history, values_as_of

    members = member_codes(session)
    if not members:
        raise InputError("the hub has no country members to assess", field="members")
    known = end_of(as_of)
    counts = count_history(session, indicator="new_cases", as_of=known, members=members)
    counts = counts[pd.to_datetime(counts["report_date"]).dt.date <= as_of]
    stock_rows = values_as_of(
        session, as_of=known, members=members, indicators=["stock"], start=None, end=as_of
    )
    return AssessmentInputs(
        as_of=as_of,
        members=tuple(members),
        counts=counts.reset_index(drop=True),
        stocks=_latest_stocks(pd.DataFrame(stock_rows)),
        pledges=_open_pledges(session, as_of),
    )


def _latest_stocks(values: pd.DataFrame) -> pd.DataFrame:
    """Each member's latest stock of each item (location, item, quantity, date)."""
    import pandas as pd

    columns = ["location", "item", "quantity", "date"]
    if values.empty:
        return pd.DataFrame(columns=columns)
    frame = values.rename(columns={"member": "location", "value": "quantity"})
    frame = frame.sort_values(["location", "item", "date"]).groupby(["location", "item"]).tail(1)
    return frame[columns].reset_index(drop=True)


def _open_pledges(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Pledges dated on or before `as_of` and not declined by then, with what was delivered."""
    import pandas as pd

    delivered = (
        select(func.coalesce(func.sum(Delivery.quantity), 0.0))
        .where(Delivery.pledge_id == Pledge.id, Delivery.date <= as_of)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Member.code, Pledge.item, Pledge.quantity, delivered)
        .join(Member, Member.id == Pledge.donor_id)
        .where(
            Pledge.date <= as_of,
            or_(Pledge.declined_at.is_(None), Pledge.declined_at > end_of(as_of)),
        )
        .order_by(Pledge.id)
    ).all()
    return pd.DataFrame(
        [(d, i, float(q), float(x)) for d, i, q, x in rows],
        columns=["donor", "item", "pledged", "delivered"],
    )


def past_forecasts(session: Session, as_of: dt.date) -> pd.DataFrame | None:
    """The `forecast` rows of the finished assessments of dates before `as_of` (the newest
    assessment of each date), with their `as_of`; None when there is none."""
    import pandas as pd

    found = session.scalars(
        select(Job)
        .where(Job.kind == KIND, Job.status == "done", Job.as_of < as_of)
        .order_by(Job.as_of, Job.id)
    ).all()
    newest = {j.as_of: j for j in found}  # of each date, the highest id: the newest
    everything = View(True, "", frozenset())
    frames = [
        pd.DataFrame(read_rows(session, j, "forecast", everything)).assign(as_of=day.isoformat())
        for day, j in sorted(newest.items())
        if "forecast" in table_names(j)
    ]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else None


def run_job(db: Database, job: Job, backend: Backend, progress: Progress) -> None:
    """The runner's handler: build the inputs as of the job's date (and the earlier
    assessments' forecasts), assess, store."""
    from epicommons.assess import assess
    from epicommons.doubts import collecting

    options = options_from(json.loads(job.params))
    progress("inputs", 0, 1)
    with db.read() as session:
        inputs = build_inputs(session, job.as_of)
        past = past_forecasts(session, job.as_of)
    with collecting():  # doubtful values are rows of the `warnings` table, not server log lines
        result = assess(inputs, options, backend=backend, progress=progress, past_forecasts=past)
    progress("figures", 0, 1)
    drawn = figures.draw(result.tables, backend)
    store(db, job.id, result, inputs.members, drawn)


def _plain(value: Any) -> Any:
    """A table cell as JSON: dates as ISO text, NaN as null, NumPy scalars as Python's."""
    import pandas as pd

    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table's rows as JSON-able dicts, in column order."""
    columns = [str(c) for c in frame.columns]
    return [
        {c: _plain(v) for c, v in zip(columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def _row_member(row: dict[str, Any], members: set[str]) -> str | None:
    for column in MEMBER_COLUMNS:
        value = row.get(column)
        if isinstance(value, str) and value in members:
            return value
    return None


def store(
    db: Database,
    job_id: int,
    result: Assessment | WhatIf,
    members: Sequence[str],
    drawn: Sequence[tuple[str | None, str, str]] = (),
) -> None:
    """Write a job's result rows (an assessment's, a what-if's) and its `drawn` figures
    (`figures.draw`), and mark it done, in one transaction (never partial)."""
    member_set = set(members)
    everyone = ",".join(sorted(members))  # what an aggregate row sums over
    meta = result.meta()
    meta["columns"] = {name: _dtypes(frame) for name, frame in result.tables.items()}
    rows: list[dict[str, Any]] = []
    for name, frame in result.tables.items():
        for seq, row in enumerate(records(frame)):
            where = _row_member(row, member_set)
            rows.append(
                {
                    "job_id": job_id,
                    "table_name": name,
                    "seq": seq,
                    "location": where,
                    "covers": None if where else everyone,
                    "row": json.dumps(row, separators=(",", ":"), allow_nan=False),
                }
            )
    rows += figures.rows(drawn, job_id, everyone)
    with db.transaction() as session:
        if rows:
            session.execute(insert(AssessmentRow), rows)
        done = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "running")
            .values(
                status="done",
                progress=1.0,
                step="done",
                finished_at=utcnow(),
                code_version=result.code_version[:64],
                input_stamp=result.input_stamp[:64],
                meta=json.dumps(meta, default=str),
            )
        )
        if done.rowcount != 1:
            raise Clash(f"job {job_id} is no longer running; its results were not stored")


def _dtypes(frame: pd.DataFrame) -> list[list[str]]:
    """Each column's name and type in order, `date` for a column of dates (text in the JSON)."""
    out = []
    for name, kind in frame.dtypes.items():
        values = frame[name].dropna()
        dates = (
            str(kind) == "object" and len(values) > 0 and all(type(v) is dt.date for v in values)
        )
        out.append([str(name), "date" if dates else str(kind)])
    return out


@dataclass(frozen=True)
class View:
    """What one caller reads of assessments: every row, or the rows of `members` (own first)."""

    everything: bool
    own: str
    members: frozenset[str]

    def allows(self, table: str, location: str | None, covers: str | None) -> bool:
        """The access rule for one stored row (see the module's docstring)."""
        if self.everything:
            return True
        if location is not None:
            return location == self.own or (table not in OWN_LINE_ONLY and location in self.members)
        covered = set((covers or "").split(",")) - {""}
        return len(covered) >= MIN_AGGREGATE or covered <= self.members


def view_of(session: Session, caller: Principal) -> View:
    """The caller's view: coordinators see everything; members what they read of reports."""
    if caller.role == "coordinator":
        return View(True, caller.member_code, frozenset())
    codes = session.scalars(select(Member.code).where(readable_members(caller, "reports")))
    return View(False, caller.member_code, frozenset(codes) | {caller.member_code})


def get_job(session: Session, job_id: int, kind: str = KIND) -> Job:
    """A job of this kind (an assessment by default) by id (404 if there is none)."""
    job = session.get(Job, job_id)
    if job is None or job.kind != kind:
        raise NotFound(f"no {LABELS[kind]} {job_id}")
    return job


def list_jobs(
    session: Session, *, limit: int, offset: int, status: str | None = None, kind: str = KIND
) -> list[Job]:
    """Jobs of this kind (assessments by default), newest first."""
    q = select(Job).where(Job.kind == kind)
    if status is not None:
        q = q.where(Job.status == status)
    return list(session.scalars(q.order_by(Job.id.desc()).limit(limit).offset(offset)))


def count_jobs(session: Session, kind: str = KIND) -> int:
    """How many jobs of this kind (assessments by default) there are."""
    return session.scalar(select(func.count()).select_from(Job).where(Job.kind == kind)) or 0


def metadata_of(job: Job) -> dict[str, Any]:
    """A finished assessment's metadata (`Assessment.meta()` as stored)."""
    return json.loads(job.meta or "{}")


def latest_done(session: Session) -> Job | None:
    """The newest finished assessment, if any."""
    found = list_jobs(session, limit=1, offset=0, status="done")
    return found[0] if found else None


def read_rows(
    session: Session,
    job: Job,
    table: str,
    view: View,
    locations: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """The rows of one table of a finished assessment that the view allows, in table order."""
    label = LABELS.get(job.kind, job.kind)
    if job.status != "done":
        raise Clash(f"{label} {job.id} is {job.status}; its tables exist once it is done")
    if table not in table_names(job):
        raise NotFound(f"{label} {job.id} has no table {table!r}")
    q = select(AssessmentRow.location, AssessmentRow.covers, AssessmentRow.row).where(
        AssessmentRow.job_id == job.id, AssessmentRow.table_name == table
    )
    if locations is not None:
        q = q.where(AssessmentRow.location.in_(list(locations)))
    elif not view.everything:
        q = q.where(
            or_(AssessmentRow.location.in_(sorted(view.members)), AssessmentRow.location.is_(None))
        )
    return [
        json.loads(row)
        for where, covers, row in session.execute(q.order_by(AssessmentRow.seq))
        if view.allows(table, where, covers)
    ]


def table_names(job: Job) -> list[str]:
    """The tables a finished assessment holds (from its stored metadata)."""
    if not job.meta:
        return []
    return list(json.loads(job.meta).get("columns", {}))


def _kinds(job: Job, table: str) -> list[list[str]]:
    return json.loads(job.meta or "{}").get("columns", {}).get(table, [])


def columns(job: Job, table: str) -> list[str]:
    """A stored table's columns, in order."""
    return [name for name, _ in _kinds(job, table)]


def frame(job: Job, table: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows back into a table with the stored column order and types."""
    import pandas as pd

    kinds = _kinds(job, table)
    out = pd.DataFrame(rows, columns=[name for name, _ in kinds])
    for name, kind in kinds:
        column = out[name]
        if kind == "date":
            out[name] = [None if v is None else dt.date.fromisoformat(v) for v in column]
        elif kind.startswith("datetime64"):
            out[name] = pd.to_datetime(column).astype(kind)
        elif kind in ("float64", "int64", "bool", "Int64", "boolean"):
            out[name] = column.astype(kind)
    return out


def load(db: Database, job_id: int) -> Assessment:
    """A finished assessment rebuilt from its rows (the library's `Assessment.from_tables`)."""
    from epicommons.assess import Assessment

    everything = View(True, "", frozenset())
    with db.read() as session:
        job = get_job(session, job_id)
        tables = {
            name: frame(job, name, read_rows(session, job, name, everything))
            for name in table_names(job)
        }
    return Assessment.from_tables(json.loads(job.meta or "{}"), tables)


def job_summary(job: Job, *, detail: bool) -> dict[str, Any]:
    """A job as the API answers it; the error's text only with `detail` (coordinators)."""
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "progress": job.progress,
        "step": job.step,
        "attempts": job.attempts,
        "scheduled": job.scheduled,
        "as_of": job.as_of,
        "created_by": job.created_by,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "error": job.error if detail else (f"the {LABELS[job.kind]} failed" if job.error else None),
        "params": json.loads(job.params),
        "code_version": job.code_version,
        "input_stamp": job.input_stamp,
        "tables": table_names(job),
    }


def summary_lines(session: Session, job: Job) -> list[str]:
    """What `hub assess` prints about a job: its record and, once done, its tables' sizes."""
    lines = [f"as of {job.as_of.isoformat()}, {job.step}"]
    if job.status != "done":
        return [*lines, f"error: {job.error}"] if job.error else lines
    counts = dict(
        session.execute(
            select(AssessmentRow.table_name, func.count())
            .where(AssessmentRow.job_id == job.id)
            .group_by(AssessmentRow.table_name)
        ).all()
    )
    members = session.scalar(
        select(func.count(func.distinct(AssessmentRow.location))).where(
            AssessmentRow.job_id == job.id, AssessmentRow.location.is_not(None)
        )
    )
    lines.append(f"{members} members; inputs {job.input_stamp[:12]}; code {job.code_version}")
    lines.append(", ".join(f"{name} {counts.get(name, 0):,}" for name in table_names(job)))
    if counts.get("failures"):
        lines.append(f"{counts['failures']} failed step(s): see the failures table")
    return lines


def jobs_table(found: Sequence[Job]) -> pd.DataFrame:
    """Jobs as a table for people (the CLI's `hub assessments`)."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "id": j.id,
                "status": j.status,
                "as of": j.as_of.isoformat(),
                "step": j.step,
                "progress": j.progress,
                "created": j.created_at.isoformat(timespec="seconds"),
                "by": j.created_by,
                "error": j.error or "",
            }
            for j in found
        ]
    )
