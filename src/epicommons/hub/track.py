"""The forecasts' track record in the hub: an assessment's `forecast_scores` summarised
(`assess.track.summary`) per model and horizon, per model over every horizon, and per member.

The summaries over all members are aggregates: each covers the members whose forecasts it
scores, and is shown to a caller under the rule of `hub.assessments.View` (suppressed when it
covers fewer than `MIN_AGGREGATE` members and one of them does not share with the caller). The
per-member lines summarise each member's own rows and are read as those rows are (own and
shared members). A finished assessment never changes: its lines are computed once and kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .assessments import KIND, View, read_rows, records, table_names
from .models import AssessmentRow, Job
from .refusals import NotFound

TABLE = "forecast_scores"
SCORED_AGAINST = (
    "Each earlier assessment's weekly forecasts (the 7 days ending on the target date) are "
    "scored once the target week has ended, against that week's cases as known at this "
    "assessment's as-of date: the counts are revised, so the latest weeks may still grow with "
    "late reports, and a later assessment scores the same forecasts again on what it knows "
    "then. WIS (lower is better) with its parts, absolute error of the median, and the share "
    "of counts inside the 50% and 90% intervals (nominal 50% and 90%). Relative WIS: the "
    "model's mean WIS divided by the Forecast Hubs' baseline's on the same targets (below 1: "
    "better than the baseline; with one model beside the baseline, the Hubs' pairwise "
    "relative WIS)."
)


@dataclass(frozen=True)
class TrackRecord:
    """What one caller reads of an assessment's track record (rows as JSON-able dicts)."""

    job: Job
    by_horizon: list[dict[str, Any]]
    overall: list[dict[str, Any]]
    by_member: list[dict[str, Any]]
    suppressed: int  # aggregate lines the caller may not read


def scored_job(session: Session, job_id: int | None = None) -> Job:
    """The assessment asked for, or the one of the latest as-of date that scored forecasts
    (404 when there is none)."""
    if job_id is not None:
        job = session.get(Job, job_id)
        if job is None or job.kind != KIND or job.status != "done":
            raise NotFound(f"no finished assessment {job_id}")
        if TABLE not in table_names(job):
            raise NotFound(f"assessment {job_id} has no {TABLE} table")
        return job
    job = session.scalar(
        select(Job)
        .where(
            Job.kind == KIND,
            Job.status == "done",
            select(AssessmentRow.id)
            .where(AssessmentRow.job_id == Job.id, AssessmentRow.table_name == TABLE)
            .exists(),
        )
        .order_by(Job.as_of.desc(), Job.id.desc())
        .limit(1)
    )
    if job is None:
        raise NotFound("no assessment has scored forecasts yet")
    return job


def track_record(session: Session, job: Job, view: View) -> TrackRecord:
    """The job's track record as `view` may read it (see the module's docstring)."""
    lines = _lines(session, job)
    aggregates = {
        name: [r for r in lines[name] if view.allows(TABLE, None, r["members"])]
        for name in ("by_horizon", "overall")
    }
    hidden = sum(len(lines[n]) - len(aggregates[n]) for n in aggregates)
    # a member's line summarises its own rows only: it is read as its rows are
    own = [r for r in lines["by_member"] if view.allows(TABLE, r["location"], None)]
    return TrackRecord(
        job=job,
        by_horizon=[_counted(r) for r in aggregates["by_horizon"]],
        overall=[_counted(r) for r in aggregates["overall"]],
        by_member=[_counted(r) for r in own],
        suppressed=hidden,
    )


_LINES: OrderedDict[tuple[str, int], dict[str, list[dict[str, Any]]]] = OrderedDict()
_LINES_LOCK = threading.Lock()
MAX_KEPT = 32


def _lines(session: Session, job: Job) -> dict[str, list[dict[str, Any]]]:
    """Every summary line of a finished assessment, computed once and kept (it never changes;
    each caller's lines are filtered from them)."""
    import pandas as pd

    from epicommons.assess.track import summary

    key = (str(session.get_bind().url), job.id)
    with _LINES_LOCK:
        if key in _LINES:
            _LINES.move_to_end(key)
            return _LINES[key]
    scores = pd.DataFrame(read_rows(session, job, TABLE, View(True, "", frozenset())))
    lines = {
        name: records(summary(scores, by))
        for name, by in (
            ("by_horizon", ("horizon",)),
            ("overall", ()),
            ("by_member", ("location",)),
        )
    }
    with _LINES_LOCK:
        _LINES[key] = lines
        while len(_LINES) > MAX_KEPT:
            _LINES.popitem(last=False)
    return lines


def _counted(row: dict[str, Any]) -> dict[str, Any]:
    """A summary line with the number of members it covers instead of their codes."""
    return {**row, "members": len(str(row["members"]).split(","))}
