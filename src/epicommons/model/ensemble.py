"""Ensembles: runs split into chunks by run index, evaluated on a backend (this process or a Dask
cluster), each chunk's outputs folded on the client as it finishes (flat memory, `summary`).

Results do not depend on the backend, the workers or the chunk size: run r always uses stream
(seed, r), and chunks are folded run by run in run order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from epicommons.backend import Backend, InOrder, InProcess, chunked

from .engine import Model, run_chunk
from .modifiers import Schedule
from .results import OutputOptions, Recorder, Results
from .seeding import Seed, SeedPlan, plan
from .summary import ChunkArrays

CHUNK = 25  # runs per chunk: its per-run daily outputs are what a worker holds and sends back


class Probe(Protocol):
    """A schedule wrapper that measures something per run (e.g. risk's importation meter): made
    fresh for each chunk on the worker, its `result()` is sent back with the chunk."""

    def __call__(self, day: int, state: Any) -> Any: ...

    def result(self) -> Any: ...


@dataclass(frozen=True)
class Job:
    """What every chunk of one ensemble shares (sent to the workers once)."""

    model: Model
    seeds: SeedPlan
    days: int
    seed: int
    draws: dict[str, Any]
    schedule: Schedule | None
    outputs: OutputOptions
    probe: Callable[[Schedule | None], Probe] | None = None


def run_runs(job: Job, runs: tuple[int, int]) -> tuple[ChunkArrays, Any]:
    """Runs lo..hi-1 of an ensemble (a backend task): their outputs and the probe's result."""
    lo, hi = runs
    rec = Recorder(job.model, job.days, hi - lo, job.outputs)
    probe = None if job.probe is None else job.probe(job.schedule)
    run_chunk(
        job.model,
        job.seeds,
        job.days,
        range(lo, hi),
        job.seed,
        **job.draws,
        schedule=job.schedule if probe is None else probe,
        observer=rec,
    )
    return rec.arrays(), None if probe is None else probe.result()


def simulate(
    model: Model,
    seeds: Sequence[Seed],
    days: int,
    runs: int,
    seed: int,
    *,
    stochastic: bool = True,
    leap_above: float | None = None,
    schedule: Schedule | None = None,
    outputs: OutputOptions | None = None,
    start: date | None = None,
    chunk: int = CHUNK,
    backend: Backend | None = None,
    probe: Callable[[Schedule | None], Probe] | None = None,
    on_probe: Callable[[int, Any], None] | None = None,
    progress: Callable[[int], None] | None = None,
    metadata: dict[str, object] | None = None,
) -> Results:
    """Run an ensemble and summarise it.

    `leap_above`: None for exact draws, a threshold for the fast engine (see `run_chunk`).
    `backend` (default in this process) evaluates the chunks; on a Dask backend the schedule is
    pickled. `probe(schedule)` makes a measuring wrapper per chunk; `on_probe(lo, result)` gets
    each chunk's result in run order. `progress` is called with the number of runs just folded.
    """
    outputs = outputs or OutputOptions()
    if runs < 1 or days < 1:
        raise ValueError("runs and days must be >= 1")
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    d = model.disease
    seed_plan = plan(
        seeds,
        model.network,
        d.compartment_names,
        d.first_infected,
        ages=model.ages.groups,
        whole=stochastic,
    )
    backend = backend or InProcess()
    job = Job(
        model,
        seed_plan,
        days,
        seed,
        {"stochastic": stochastic, "leap_above": leap_above},
        schedule,
        outputs,
        probe,
    )
    summary = outputs.summary(model, days, runs)
    bounds = chunked(runs, chunk)
    for i, (arrays, measured) in InOrder()(backend.stream(run_runs, backend.share(job), bounds)):
        lo = bounds[i][0]
        summary.fold(lo, arrays)
        if on_probe is not None:
            on_probe(lo, measured)
        if progress is not None:
            progress(arrays.runs)
    engine = "deterministic" if not stochastic else "stochastic" if leap_above is None else "fast"
    return Results.from_summary(
        summary, model, outputs, start or date.today(), seed, engine, metadata
    )
