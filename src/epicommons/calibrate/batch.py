"""Batched runs of the engine where every run has its own parameter values.

Calibration evaluates thousands of parameter sets ("particles"); each is one run of the engine
with its own transmission multiplier per node (piecewise constant between change points) and its
own seeding (day and size per node). The engine's `run_chunk` shares seeds across runs and calls
the schedule once per run and day; this adapter instead advances each run with the engine's
`Stepper` once per piece, passing that run's multipliers and seeds.
Run r draws from `model.stream(seed, r)`, so results do not depend on how runs are chunked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from epicommons.model import DayBuffers, Stepper
from epicommons.model.engine import Model, stream
from epicommons.model.seeding import SeedPlan


@dataclass(frozen=True)
class Batch:
    """Per-run engine inputs for `runs` runs.

    bounds: day boundaries of the pieces `(pieces + 1,)`, from 0 to the number of days.
    transmission: multiplier per run, piece and node `(runs, pieces, nodes)`.
    seed_node: node of each seed `(seeds,)`; seed_day and seed_count `(runs, seeds)` (a
    fractional day splits the seed over the two neighbouring days, so fits see a smooth response).
    immune: share of each node's susceptibles moved to compartment `immune_compartment` before
    day 0 `(runs, nodes)` (None: nobody immune).
    """

    bounds: np.ndarray
    transmission: np.ndarray
    seed_node: np.ndarray
    seed_day: np.ndarray
    seed_count: np.ndarray
    immune: np.ndarray | None = None
    immune_compartment: int = -1

    @property
    def runs(self) -> int:
        return int(self.transmission.shape[0])


def country_matrix(model: Model, countries: Sequence[str]) -> np.ndarray:
    """`(nodes, countries)` 0/1 matrix adding nodes up into the given countries."""
    code = {c: k for k, c in enumerate(countries)}
    m = np.zeros((model.network.size, len(countries)))
    for i, c in enumerate(model.network.country):
        if c in code:
            m[i, code[c]] = 1.0
    return m


def entries_matrix(model: Model, compartments: Sequence[str]) -> np.ndarray:
    """`(transitions, k)` 0/1 matrix: people entering each named compartment."""
    m = np.zeros((len(model.tr_dst), len(compartments)))
    for k, name in enumerate(compartments):
        m[model.tr_dst == model.disease.index(name), k] = 1.0
    return m


def run_batch(
    model: Model,
    batch: Batch,
    run_ids: Sequence[int] | np.ndarray,
    seed: int,
    *,
    countries: Sequence[str],
    compartments: Sequence[str],
    stochastic: bool = False,
    leap_above: float | None = None,
) -> np.ndarray:
    """Daily people entering `compartments`, per country: `(runs, days, countries, k)`;
    `leap_above`: the fast engine's threshold (None: exact draws)."""
    d = model.disease
    days = int(batch.bounds[-1])
    to_country = country_matrix(model, countries)
    entries = entries_matrix(model, compartments)
    stepper = Stepper(model, stochastic, leap_above)
    buffers = DayBuffers.zeros(1, days, model).run(0)
    first = d.index(d.first_infected)
    x0 = model.initial_state(stochastic)
    out = np.zeros((len(run_ids), days, len(countries), len(compartments)))
    bounds = np.asarray(batch.bounds, dtype=np.int64)
    for r, run in enumerate(run_ids):
        gen = stream(seed, int(run))
        x = x0.copy()
        if batch.immune is not None:
            susceptible = d.index(d.susceptible)
            moved = x[:, :, susceptible] * batch.immune[r][:, None]
            moved = np.rint(moved).astype(x.dtype) if stochastic else moved
            x[:, :, susceptible] -= moved
            x[:, :, batch.immune_compartment] += moved
        node, day, count = _split_seeds(batch.seed_node, batch.seed_day[r], batch.seed_count[r])
        seeds = SeedPlan(
            node=node,
            day=day,
            compartment=np.full(len(node), first, dtype=np.int64),
            count=count,
            age=np.full(len(node), -1, dtype=np.int64),
        )
        for p in range(len(bounds) - 1):
            lo, hi = int(bounds[p]), int(bounds[p + 1])
            if hi <= lo:
                continue
            stepper.advance(
                x,
                gen,
                lo,
                hi - lo,
                seeds,
                buffers.days(lo, hi),
                transmission=np.ascontiguousarray(batch.transmission[r, p], dtype=float),
            )
        out[r] = np.einsum("dnt,tk,nc->dck", buffers.incidence, entries, to_country, optimize=True)
    return out


def _split_seeds(
    node: np.ndarray, day: np.ndarray, count: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeds on fractional days as two seeds on whole days (weights 1 - frac and frac)."""
    day = np.maximum(np.asarray(day, dtype=float), 0.0)
    lo = np.floor(day)
    frac = day - lo
    nodes = np.concatenate([node, node]).astype(np.int64)
    days = np.concatenate([lo, lo + 1]).astype(np.int64)
    counts = np.concatenate([count * (1 - frac), count * frac]).astype(float)
    keep = counts > 0
    return nodes[keep], days[keep], counts[keep]
