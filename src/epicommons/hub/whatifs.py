"""What-ifs in the hub: one measure against a finished assessment's spread, as a job.

`start` checks the measure against the assessment (the latest finished one unless one is
chosen) before anything is queued: a bad measure is refused (422) naming the field, an unknown
assessment is 404, an unfinished one 409. The job (`run_job`) rebuilds the assessment from its
rows, runs `epicommons.assess.whatif.what_if` on the job's backend and stores its tables in
`assessment_rows` under the what-if's own job id, read back under the assessments' access
rule (`assessments.View`): a member reads its own rows and those of members that share with it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from . import assessments
from .db import Database
from .jobs import Progress, enqueue
from .models import Job
from .refusals import Clash, NotFound

if TYPE_CHECKING:
    from epicommons.assess.whatif import Measure
    from epicommons.backend import Backend

KIND = "whatif"


def start(db: Database, actor: str, measure: object, assessment_id: int | None = None) -> Job:
    """Queue a what-if of `measure` (JSON-like) against an assessment, every check first."""
    from epicommons.assess.whatif import Measure

    spec = Measure.from_mapping(measure, source="measure")
    with db.read() as session:
        if assessment_id is None:
            base = assessments.latest_done(session)
            if base is None:
                raise NotFound("no finished assessment to compare with")
        else:
            base = assessments.get_job(session, assessment_id)
        if base.status != "done":
            raise Clash(f"assessment {base.id} is {base.status}; a what-if needs a finished one")
        meta = assessments.metadata_of(base)
    horizon = int(meta.get("options", {}).get("horizon_days", 0)) or None
    spec = spec.checked(horizon)
    members = set(meta.get("members", []))
    outside = [m for m in spec.members if m not in members]
    if outside:
        from epicommons.errors import InputError

        raise InputError(
            f"{', '.join(outside)} not among the members of assessment {base.id}",
            source="measure",
            field="measure.members",
        )
    return enqueue(
        db,
        kind=KIND,
        as_of=base.as_of,
        params={"assessment": base.id, "measure": measure_json(spec)},
        created_by=actor,
    )


def measure_json(spec: Measure) -> dict[str, Any]:
    """A measure as stored in the job's parameters."""
    from dataclasses import asdict

    out = asdict(spec)
    out["members"] = list(spec.members)
    return out


def run_job(db: Database, job: Job, backend: Backend, progress: Progress) -> None:
    """The runner's handler: rebuild the assessment from its rows, compare, store."""
    import pandas as pd

    from epicommons.assess.whatif import Measure, what_if
    from epicommons.doubts import collecting

    params = json.loads(job.params)
    spec = Measure.from_mapping(params["measure"], source="measure")
    progress("assessment", 0, 1)
    base = assessments.load(db, int(params["assessment"]))
    with collecting() as doubts:  # doubtful values are rows of `warnings`, not server log lines
        result = what_if(base, spec, backend=backend, progress=progress)
    result.tables["warnings"] = pd.DataFrame(
        [{"location": "", "step": d.field or "", "message": d.message} for d in doubts],
        columns=["location", "step", "message"],
    )
    assessments.store(db, job.id, result, base.notes.get("members", []))


def summary(job: Job, *, detail: bool) -> dict[str, Any]:
    """A what-if job as the API answers it: the job's record with its measure in words."""
    from epicommons.assess.whatif import Measure

    out = assessments.job_summary(job, detail=detail)
    params = out["params"]
    out["assessment"] = params.get("assessment")
    out["measure"] = Measure.from_mapping(params.get("measure", {})).text()
    return out
