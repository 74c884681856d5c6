"""Importations measured from a running engine, without touching its randomness.

`ImportationMeter` wraps the engine's schedule: each day it passes the schedule's modifiers
through unchanged and records, per run and destination country, the expected number of infected
travellers crossing a border that day given the state (the engine's travel law, today's travel
multipliers and per-compartment pass factors). Summed over days this is the run's expected
importations L_r; P(at least one importation in run r) = 1 - exp(-L_r). Using expectations given
the state removes the travel-draw noise from comparisons, and the engine's random streams are
not touched, so common random numbers still pair the runs of two scenarios.

A meter measures one chunk of runs (made fresh per chunk on the worker: `meter_for`);
`Importations` folds the chunks' measurements on the client, in run order.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import scipy.sparse as sp

from epicommons.model.engine import Model
from epicommons.model.modifiers import Modifiers, Schedule

from .importation import p_at_least_one

PASSING = "travel_by_compartment"


class ImportationMeter:
    """A `Schedule` that records importations per run, day and destination country of one
    chunk of runs (a `model.ensemble.Probe`: `result()` after the chunk)."""

    def __init__(self, model: Model, days: int, schedule: Schedule | None = None) -> None:
        net = model.network
        self.schedule, self.days = schedule, days
        f = net.flows
        self.origin = np.repeat(np.arange(net.size), np.diff(f.indptr))
        self.flows = f.data.astype(float)
        self.countries = tuple(sorted(set(net.country)))
        code = {c: i for i, c in enumerate(self.countries)}
        node_code = np.array([code[c] for c in net.country])
        self.cross = np.flatnonzero(node_code[self.origin] != node_code[f.indices])
        self.cross_origin = self.origin[self.cross]
        self.to_country = sp.csr_array(
            (
                np.ones(self.cross.size),
                (np.arange(self.cross.size), node_code[f.indices[self.cross]]),
            ),
            shape=(self.cross.size, len(self.countries)),
        )
        self.out = np.bincount(self.origin, weights=self.flows, minlength=net.size)
        self.mobile = model.mobile_draw  # infected, mobile, alive compartments
        self.alive = np.flatnonzero(model.alive)
        self.n = net.size
        self._blocks: list[np.ndarray] = []

    def __call__(self, day: int, state: np.ndarray) -> Modifiers | None:
        mods = self.schedule(day, state) if self.schedule is not None else None
        if day == 0:
            self._blocks.append(
                np.zeros((state.shape[0], self.days, len(self.countries)), dtype=np.float32)
            )
        self._blocks[-1][:, day] = self._expected(state, mods)
        return mods

    def _expected(self, state: np.ndarray, mods: Modifiers | None) -> np.ndarray:
        """Expected infected travellers on border-crossing links, by destination country."""
        runs = state.shape[0]
        travel = None if mods is None or mods.travel is None else np.asarray(mods.travel)
        passing = None if mods is None else getattr(mods, PASSING, None)
        if travel is None:
            flows, out = self.flows[self.cross][None, :], self.out[None, :]
        else:
            full = np.broadcast_to(self.flows * travel, (runs, len(self.flows)))
            flows = full[:, self.cross]
            out = (
                np.stack(
                    [
                        np.bincount(self.origin, weights=full[r], minlength=self.n)
                        for r in range(runs)
                    ]
                )
                if travel.ndim == 2
                else np.bincount(self.origin, weights=full[0], minlength=self.n)[None, :]
            )
        by_comp = state.sum(axis=2, dtype=float)  # (runs, nodes, compartments)
        inf_nodes = by_comp[..., self.mobile]  # (runs, nodes, k)
        # only links whose origin has infected travellers in some run carry importations today
        busy = np.flatnonzero(inf_nodes.any(axis=(0, 2))[self.cross_origin])
        if busy.size == 0:
            return np.zeros((runs, len(self.countries)))
        origin = self.cross_origin[busy]
        pop = by_comp[..., self.alive].sum(axis=2)
        denom = np.maximum(pop, out)[:, origin]
        flows = np.broadcast_to(flows, (runs, self.cross.size))[:, busy]
        prob = np.divide(flows, denom, out=np.zeros(denom.shape), where=denom > 0)
        inf = inf_nodes[:, origin]
        if passing is None:
            per_link = inf.sum(axis=2) * prob
        else:
            p = np.asarray(passing)[..., self.cross[busy], :][..., self.mobile]  # (links, k)
            per_link = np.einsum("rlk,...lk->rl", inf, p) * prob
        return np.asarray(per_link @ self.to_country[busy])

    def daily(self) -> np.ndarray:
        """Expected importations `(runs, days, countries)`."""
        return (
            np.concatenate(self._blocks, axis=0)
            if self._blocks
            else np.zeros((0, self.days, len(self.countries)), dtype=np.float32)
        )

    result = daily


class Importations:
    """Chunks' importations folded on the client, run by run in run order: per run the expected
    importations over the horizon, per day the mean cumulative expectation and P(at least one
    by then); the per-run daily values only up to `series_runs` runs."""

    def __init__(self, runs: int, days: int, countries: int, series_runs: int) -> None:
        self.expected = np.zeros((runs, countries))
        self.cum_sum = np.zeros((days, countries))
        self.p_sum = np.zeros((days, countries))
        keep = runs <= series_runs
        self.daily = np.zeros((runs, days, countries), np.float32) if keep else None
        self.runs = runs

    def fold(self, lo: int, daily: np.ndarray) -> None:
        """Add the importations `(runs, days, countries)` of the chunk of runs lo.."""
        self.expected[lo : lo + len(daily)] = daily.sum(axis=1, dtype=float)
        for k in range(len(daily)):
            cum = np.cumsum(daily[k], axis=0, dtype=float)
            self.cum_sum += cum
            self.p_sum += p_at_least_one(cum)
        if self.daily is not None:
            self.daily[lo : lo + len(daily)] = daily


def meter_for(model: Model, days: int) -> Callable[[Schedule | None], ImportationMeter]:
    """A probe factory for `model.ensemble.simulate`: a fresh meter around each chunk's schedule."""
    return partial(_meter, model, days)


def _meter(model: Model, days: int, schedule: Schedule | None) -> ImportationMeter:
    return ImportationMeter(model, days, schedule)
