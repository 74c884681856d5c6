"""Jobs run outside the request: their rows, and the server's one worker thread that runs them.

A job is queued by a request (or by the schedule), claimed by the runner, runs on a backend from
`epicommons.backend.open_backend` (in this process by default, a local Dask cluster with
`workers`, an existing cluster with `scheduler`) and writes its progress to its row. A job left
`running` by a server that died is re-queued when the next server starts (at most
`MAX_ATTEMPTS` starts in all), then marked failed with the reason: never left running.
One runner per database: run one hub server per database (the CLI's `hub assess` runs its own
job in its own process and is never claimed by the runner).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from epicommons.errors import EpicommonsError, InputError

from .clock import utcnow
from .db import Database
from .models import Job
from .refusals import Refusal

log = logging.getLogger("epicommons.hub.jobs")

MAX_ATTEMPTS = 3  # starts of one job (the first and two after server restarts)
PROGRESS_EVERY_S = 0.5  # at most two progress writes a second per job
RESTARTED = "the server restarted during the job"

Progress = Callable[[str, int, int], None]
Handler = Callable[[Database, Job, Any, Progress], None]


@dataclass(frozen=True)
class BackendChoice:
    """Where a job's tasks run: `open_backend(workers, scheduler)`."""

    workers: int | None = None
    scheduler: str | None = None


def parse_every(text: str) -> dt.timedelta:
    """An interval such as ``7d``, ``12h``, ``30m`` or ``45s`` (for ``--assess-every``)."""
    match = re.fullmatch(r"\s*(\d{1,6})\s*([dhms])\s*", text)
    if match is None or int(match[1]) == 0:
        raise InputError(
            f"expected a positive whole number and a unit d, h, m or s (e.g. 7d), got {text!r}",
            field="--assess-every",
        )
    unit = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}[match[2]]
    return dt.timedelta(**{unit: int(match[1])})


def wake_runner(app: Any) -> None:
    """Have the server's runner (`app.state.runner`) look for a job just queued; a hub
    without one (the CLI's) leaves it for whoever runs it."""
    runner = getattr(app.state, "runner", None)
    if runner is not None:
        runner.wake()


def enqueue(
    db: Database,
    *,
    kind: str,
    as_of: dt.date,
    params: dict[str, Any],
    created_by: str,
    scheduled: bool = False,
    running: bool = False,
) -> Job:
    """Add a job; `running=True` claims it at once for the caller's own process (the CLI)."""
    now = utcnow()
    job = Job(
        kind=kind,
        status="running" if running else "queued",
        progress=0.0,
        step="started" if running else "queued",
        attempts=1 if running else 0,
        scheduled=scheduled,
        created_by=created_by,
        created_at=now,
        started_at=now if running else None,
        params=json.dumps(params, sort_keys=True),
        as_of=as_of,
        code_version="",
        input_stamp="",
    )
    with db.transaction() as session:
        session.add(job)
        session.flush()
    return job


def recover(db: Database) -> list[int]:
    """Jobs a dead server left running: re-queued, or failed after `MAX_ATTEMPTS` starts."""
    with db.transaction() as session:
        left = session.scalars(select(Job).where(Job.status == "running")).all()
        for job in left:
            if job.attempts >= MAX_ATTEMPTS:
                job.status, job.finished_at = "failed", utcnow()
                job.error = f"{RESTARTED} {job.attempts} times; not retried"
                job.step = "failed"
            else:
                job.status, job.step = "queued", f"re-queued: {RESTARTED}"
        return [j.id for j in left]


def claim_next(db: Database) -> Job | None:
    """The oldest queued job, now running (claimed by a conditional update)."""
    with db.transaction() as session:
        job = session.scalar(
            select(Job).where(Job.status == "queued").order_by(Job.id).limit(1).with_for_update()
        )
        if job is None:
            return None
        job.status, job.started_at, job.attempts = "running", utcnow(), job.attempts + 1
        job.step, job.progress = "started", 0.0
        return job


def progress_writer(db: Database, job_id: int) -> Progress:
    """A progress callback that writes the step and its fraction done to the job's row."""
    last = [0.0]

    def report(step: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < PROGRESS_EVERY_S:
            return
        last[0] = now
        fraction = min(max(done / total, 0.0), 1.0) if total > 0 else 0.0
        with db.transaction() as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == "running")
                .values(step=f"{step} {done}/{total}"[:200], progress=fraction)
            )

    return report


def fail(db: Database, job_id: int, reason: str) -> None:
    """Mark a running job failed with its reason."""
    with db.transaction() as session:
        session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "running")
            .values(status="failed", error=reason[:4000], finished_at=utcnow(), step="failed")
        )


def execute(
    db: Database,
    job: Job,
    handler: Handler,
    choice: BackendChoice,
    also: Progress | None = None,
) -> None:
    """Run one claimed job to its end: done (the handler stores it) or failed with the reason;
    progress goes to the job's row (and to `also`, e.g. the CLI's bar)."""
    from epicommons.backend import open_backend

    write = progress_writer(db, job.id)

    def report(step: str, done: int, total: int) -> None:
        write(step, done, total)
        if also is not None:
            also(step, done, total)

    try:
        with open_backend(choice.workers, choice.scheduler) as backend:
            handler(db, job, backend, report)
    except EpicommonsError as exc:
        fail(db, job.id, str(exc))
    except Refusal as exc:  # e.g. the job was taken over while it ran
        fail(db, job.id, exc.detail)
    except Exception as exc:  # a bug: the job fails with its type, the log keeps the traceback
        log.exception("job %s failed", job.id)
        fail(db, job.id, f"internal error ({type(exc).__name__}: {exc})")


class JobRunner:
    """The server's worker thread: runs queued jobs one at a time and enqueues scheduled ones."""

    def __init__(
        self,
        db: Database,
        handlers: dict[str, Handler],
        choice: BackendChoice,
        *,
        every: dt.timedelta | None = None,
        schedule: Callable[[Database], None] | None = None,
        poll_s: float = 1.0,
    ) -> None:
        self.db, self.handlers, self.choice = db, handlers, choice
        self.every, self.schedule, self.poll_s = every, schedule, poll_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Recover jobs a previous server left running, then start the worker thread."""
        for job_id in recover(self.db):
            log.warning("job %s was left running by a previous server", job_id)
        self._thread = threading.Thread(target=self._loop, name="epicommons-jobs", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for queued work now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop after the current job (a job still running then is recovered at next start)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self.every is not None and self.schedule is not None:
                    self._maybe_schedule()
                job = claim_next(self.db)
            except Exception:  # the database is down: try again at the next poll
                log.exception("the job runner could not read the jobs table")
                job = None
            if job is None:
                self._wake.wait(self.poll_s)
                self._wake.clear()
                continue
            handler = self.handlers.get(job.kind)
            if handler is None:
                fail(self.db, job.id, f"no handler for jobs of kind {job.kind!r}")
                continue
            execute(self.db, job, handler, self.choice)

    def _maybe_schedule(self) -> None:
        """Enqueue the next scheduled job once the last one is `every` old (none pending)."""
        assert self.every is not None and self.schedule is not None
        with self.db.read() as session:
            last = session.scalar(
                select(Job).where(Job.scheduled.is_(True)).order_by(Job.id.desc()).limit(1)
            )
        if last is not None and (
            last.status in ("queued", "running") or last.created_at + self.every > utcnow()
        ):
            return
        self.schedule(self.db)
