"""Ensembles: many runs in chunks (bounded memory), optionally over worker processes.

Results do not depend on chunk size or worker count: run r always uses stream (seed, r).
"""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date

from .engine import Model, run_chunk
from .modifiers import Schedule
from .results import OutputOptions, Recorder, Results
from .seeding import Seed, plan


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
    chunk: int = 25,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    metadata: dict[str, object] | None = None,
) -> Results:
    """Run an ensemble and summarise it.

    `leap_above`: None for exact draws, a threshold for the fast engine (see `run_chunk`).
    `progress` is called with the number of run-days just completed. With `workers > 1` the
    runs are split in contiguous blocks over processes (the schedule must then be picklable).
    """
    outputs = outputs or OutputOptions()
    d = model.disease
    seed_plan = plan(
        seeds,
        model.network,
        d.compartment_names,
        d.first_infected,
        ages=model.ages.groups,
        whole=stochastic,
    )
    if runs < 1 or days < 1:
        raise ValueError("runs and days must be >= 1")
    rec = Recorder(model, days, runs, outputs)
    workers = max(1, min(workers, runs))
    draws = {"stochastic": stochastic, "leap_above": leap_above}
    if workers == 1:
        _blocks(rec, model, seed_plan, days, range(runs), seed, draws, schedule, chunk, progress)
    else:
        try:
            pickle.dumps(schedule)
        except (pickle.PicklingError, AttributeError, TypeError):
            raise ValueError(
                "with workers > 1 the schedule must be picklable "
                "(a module-level class or function, not a lambda)"
            ) from None
        bounds = [runs * k // workers for k in range(workers + 1)]
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            futures = [
                pool.submit(
                    _worker,
                    model,
                    seed_plan,
                    days,
                    bounds[k],
                    bounds[k + 1],
                    seed,
                    draws,
                    schedule,
                    outputs,
                    chunk,
                )
                for k in range(workers)
            ]
            for k, fut in enumerate(futures):
                rec.merge(fut.result(), bounds[k])
                if progress is not None:
                    progress((bounds[k + 1] - bounds[k]) * days)
    engine = "deterministic" if not stochastic else "stochastic" if leap_above is None else "fast"
    return Results.from_recorder(rec, start or date.today(), seed, engine, metadata)


def _blocks(rec, model, seed_plan, days, run_ids, seed, draws, schedule, chunk, progress) -> None:
    """Runs `run_ids` chunk by chunk; recorder row k holds run_ids[k]; `draws` holds
    `run_chunk`'s stochastic and leap_above."""
    run_ids = list(run_ids)
    for lo in range(0, len(run_ids), chunk):
        block = run_ids[lo : lo + chunk]
        rec.chunk(lo, len(block))
        tick = None if progress is None else (lambda _day, n=len(block): progress(n))
        run_chunk(
            model,
            seed_plan,
            days,
            block,
            seed,
            **draws,
            schedule=schedule,
            observer=rec,
            on_day=tick,
        )


def _worker(model, seed_plan, days, lo, hi, seed, draws, schedule, outputs, chunk):
    """Runs lo..hi (their own streams) into a fresh recorder, rows from 0."""
    rec = Recorder(model, days, hi - lo, outputs)
    _blocks(rec, model, seed_plan, days, range(lo, hi), seed, draws, schedule, chunk, None)
    return rec
