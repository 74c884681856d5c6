"""Jobs outside the request: claiming, recovery after a dead server, and finished jobs frozen by
the database itself (triggers of migration 0004, on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from epicommons.errors import InputError
from epicommons.hub import admin, jobs
from epicommons.hub.db import open_database
from epicommons.hub.models import AssessmentRow, Job
from test_hub_support import backend_params, fresh_database

DAY = dt.date(2026, 11, 30)


@pytest.fixture(params=backend_params())
def db(request, tmp_path):
    fresh = fresh_database(request.param, tmp_path)
    database = open_database(fresh.url)
    admin.init(database)
    yield database
    database.dispose()
    fresh.close()


def queue(db, n: int = 1) -> list[int]:
    return [
        jobs.enqueue(db, kind="assessment", as_of=DAY, params={}, created_by="test").id
        for _ in range(n)
    ]


def status(db, job_id: int) -> Job:
    with db.read() as s:
        return s.get(Job, job_id)


def test_jobs_are_claimed_oldest_first_and_once(db):
    first, second = queue(db, 2)
    assert jobs.claim_next(db).id == first
    assert jobs.claim_next(db).id == second
    assert jobs.claim_next(db) is None
    assert (status(db, first).status, status(db, first).attempts) == ("running", 1)


def test_a_job_left_running_is_requeued_then_failed_never_left_running(db):
    (job_id,) = queue(db)
    for attempt in range(1, jobs.MAX_ATTEMPTS + 1):
        assert jobs.claim_next(db).id == job_id  # the server claims it ...
        assert status(db, job_id).attempts == attempt
        assert jobs.recover(db) == [job_id]  # ... dies, and the next server starts
        row = status(db, job_id)
        if attempt < jobs.MAX_ATTEMPTS:
            assert (row.status, row.step) == ("queued", f"re-queued: {jobs.RESTARTED}")
    row = status(db, job_id)
    assert row.status == "failed"
    assert row.error == f"{jobs.RESTARTED} {jobs.MAX_ATTEMPTS} times; not retried"
    assert jobs.recover(db) == []


def test_progress_is_written_to_the_row(db):
    (job_id,) = queue(db)
    jobs.claim_next(db)
    write = jobs.progress_writer(db, job_id)
    write("forecast", 3, 3)  # a finished step is always written
    row = status(db, job_id)
    assert (row.step, row.progress) == ("forecast 3/3", 1.0)


def test_a_failing_handler_fails_its_job_with_the_reason(db):
    (job_id,) = queue(db)
    job = jobs.claim_next(db)

    def handler(database, claimed, backend, progress):
        progress("inputs", 0, 1)
        raise InputError("no member has reported new_cases", field="members")

    jobs.execute(db, job, handler, jobs.BackendChoice())
    row = status(db, job_id)
    assert row.status == "failed"
    assert row.error == "field 'members': no member has reported new_cases"


def finish(db, job_id: int) -> None:
    """Store one row and mark the job done, as `assessments.store` does."""
    with db.transaction() as s:
        s.execute(
            insert(AssessmentRow).values(
                job_id=job_id, table_name="rt", seq=0, location="KOR", row=json.dumps({"r": 1})
            )
        )
        s.execute(update(Job).where(Job.id == job_id).values(status="done", progress=1.0))


@pytest.mark.parametrize(
    "change",
    [
        lambda j: update(Job).where(Job.id == j).values(input_stamp="forged"),
        lambda j: update(Job).where(Job.id == j).values(status="queued"),
        lambda j: delete(Job).where(Job.id == j),
        lambda j: update(AssessmentRow).where(AssessmentRow.job_id == j).values(row="{}"),
        lambda j: delete(AssessmentRow).where(AssessmentRow.job_id == j),
        lambda j: insert(AssessmentRow).values(
            job_id=j, table_name="rt", seq=1, location="JPN", row="{}"
        ),
    ],
    ids=["stamp", "status", "delete-job", "edit-row", "delete-row", "add-row"],
)
def test_a_finished_assessment_is_never_changed(db, change):
    (job_id,) = queue(db)
    jobs.claim_next(db)
    finish(db, job_id)
    with pytest.raises(DBAPIError, match="never changed"), db.transaction() as s:
        s.execute(change(job_id))
    row = status(db, job_id)
    assert (row.status, row.input_stamp) == ("done", "")
    with db.read() as s:
        assert [r for (r,) in s.execute(select(AssessmentRow.row))] == ['{"r": 1}']


def test_a_failed_job_is_never_changed_either(db):
    (job_id,) = queue(db)
    jobs.claim_next(db)
    jobs.fail(db, job_id, "boom")
    with pytest.raises(DBAPIError, match="never changed"), db.transaction() as s:
        s.execute(text("UPDATE jobs SET status = 'queued' WHERE id = :j"), {"j": job_id})
    assert status(db, job_id).status == "failed"


@pytest.mark.parametrize(
    ("text_", "expected"),
    [
        ("7d", dt.timedelta(days=7)),
        ("12h", dt.timedelta(hours=12)),
        (" 2s ", dt.timedelta(seconds=2)),
    ],
)
def test_intervals(text_, expected):
    assert jobs.parse_every(text_) == expected


@pytest.mark.parametrize("bad", ["7", "0d", "1w", "-1d", "1.5h", ""])
def test_bad_intervals_are_input_errors(bad):
    with pytest.raises(InputError, match="--assess-every"):
        jobs.parse_every(bad)
