"""An ensemble's summaries merged on the client as chunks of runs finish, in flat memory.

A chunk of runs comes back as `ChunkArrays` (its per-run arrays, rows = its runs). `Summary`
folds chunks in run order (`backend.InOrder`: a chunk that finishes early waits for the earlier
ones, at most the backend's in-flight chunks), and every sum over runs is taken run after run,
so the sums are the same whatever the backend, the workers or the chunk size: results are
bit-identical. (Node daily sums, asked for with `node_daily`, are added per chunk: sums of
whole people, exact in any order, in the stochastic engines; with the deterministic engine and
several runs — identical runs — they may differ in the last bit between chunk sizes.)

What is kept, and what is exact:
- per run, small scalars per node (arrival day, cumulative infections, susceptible people at
  the end), per country the last day's prevalence, and worldwide daily incidence: exact;
- per day, country and compartment, the sum over runs of prevalence and incidence: exact means;
- per-run daily country series only up to `OutputOptions.series_runs` runs (quantiles then
  exactly as `numpy.quantile`); beyond, one histogram per cell (`Histograms`): counts 0..9 in
  their own bins, larger counts in bins 10% wide, a quantile being its bin's value (exact below
  10, within 5% above) — memory fixed by the bins, not the runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EXACT_BELOW = 10  # counts below this have one bin each
RATIO = 1.1  # above, bins [10 * 1.1**i, 10 * 1.1**(i + 1)): a quantile within sqrt(1.1) - 1 < 5%


@dataclass(frozen=True)
class ChunkArrays:
    """One chunk's per-run outputs (rows: its runs in index order), as sent back by a worker."""

    arrival: np.ndarray  # (runs, nodes) int32, -1 never
    infections: np.ndarray  # (runs, nodes)
    susceptible: np.ndarray  # (runs, nodes)
    country_prevalence: np.ndarray  # (runs, days, countries, compartments) float32
    country_incidence: np.ndarray  # (runs, days, countries, compartments) float32
    node_prevalence_sum: np.ndarray | None  # (days, nodes, compartments), this chunk's runs
    node_incidence_sum: np.ndarray | None
    full_prevalence: np.ndarray | None  # (runs, days, nodes, compartments)
    full_incidence: np.ndarray | None

    @property
    def runs(self) -> int:
        return self.arrival.shape[0]


class Histograms:
    """Counts of runs per value bin for every cell of a `(days, countries, compartments)` grid;
    merging adds counts (exact, in any order)."""

    def __init__(self, shape: tuple[int, ...], top: float, runs: int) -> None:
        self.shape = shape
        self.bins = EXACT_BELOW + max(1, math.ceil(math.log(max(top, 1) / EXACT_BELOW, RATIO))) + 1
        self.cells = int(np.prod(shape))
        self.runs = 0
        dtype = np.uint16 if runs < np.iinfo(np.uint16).max else np.uint32
        self.counts = np.zeros((self.cells, self.bins), dtype=dtype)
        self._rows = np.arange(self.cells)

    def bin_of(self, values: np.ndarray) -> np.ndarray:
        """The bin of each value (negative as 0, beyond the top in the last bin)."""
        v = np.maximum(np.asarray(values, dtype=float), 0.0)  # float64: the same bin everywhere
        with np.errstate(divide="ignore"):
            logs = np.floor(np.log(np.maximum(v, EXACT_BELOW) / EXACT_BELOW) / math.log(RATIO))
        b = np.where(v < EXACT_BELOW, np.floor(v), EXACT_BELOW + logs)
        return np.minimum(b, self.bins - 1).astype(np.intp)

    def value_of(self, b: np.ndarray) -> np.ndarray:
        """The value a bin stands for: itself below `EXACT_BELOW`, else its geometric middle."""
        above = EXACT_BELOW * RATIO ** (b - EXACT_BELOW + 0.5)
        return np.where(b < EXACT_BELOW, b.astype(float), above)

    def add(self, run: np.ndarray) -> None:
        """Count one run's values `shape`."""
        self.counts[self._rows, self.bin_of(run.reshape(-1))] += 1
        self.runs += 1

    def quantile(self, q: float) -> np.ndarray:
        """The inverted-CDF quantile q over the runs counted, per cell `shape`."""
        rank = max(1, math.ceil(q * self.runs))
        out = np.empty(self.cells)
        step = max(1, 2**22 // self.bins)  # cells per block: the cumulative counts stay small
        for lo in range(0, self.cells, step):
            cum = np.cumsum(self.counts[lo : lo + step], axis=1, dtype=np.int64)
            out[lo : lo + step] = self.value_of((cum < rank).sum(axis=1))
        return out.reshape(self.shape)


class Summary:
    """Folds chunks of an ensemble of `runs` runs, in run order, into what `Results` holds."""

    def __init__(
        self,
        runs: int,
        days: int,
        nodes: int,
        countries: int,
        compartments: int,
        *,
        series_runs: int,
        node_daily: bool,
        full: bool,
        top: float,
    ) -> None:
        self.runs, self.days = runs, days
        shape = (days, countries, compartments)
        self.arrival = np.full((runs, nodes), -1, dtype=np.int32)
        self.infections = np.zeros((runs, nodes))
        self.susceptible = np.zeros((runs, nodes))
        self.final_prevalence = np.zeros((runs, countries, compartments))
        self.world_incidence = np.zeros((runs, days, compartments))
        self.prevalence_sum = np.zeros(shape)
        self.incidence_sum = np.zeros(shape)
        keep = runs <= series_runs
        self.country_prevalence = np.zeros((runs, *shape), np.float32) if keep else None
        self.country_incidence = np.zeros((runs, *shape), np.float32) if keep else None
        self.histograms = (
            None
            if keep
            else {
                "prevalence": Histograms(shape, top, runs),
                "incidence": Histograms(shape, top, runs),
            }
        )
        self.node_prevalence_sum = np.zeros((days, nodes, compartments)) if node_daily else None
        self.node_incidence_sum = np.zeros((days, nodes, compartments)) if node_daily else None
        n_full = (runs, days, nodes, compartments)
        self.full_prevalence = np.zeros(n_full, np.float32) if full else None
        self.full_incidence = np.zeros(n_full, np.float32) if full else None
        self.done = 0  # runs folded so far

    def fold(self, lo: int, c: ChunkArrays) -> None:
        """Add the chunk of runs lo.. (chunks in run order)."""
        if lo != self.done:
            raise ValueError(f"chunk of runs from {lo} folded after {self.done} runs")
        self.done += c.runs
        rs = slice(lo, lo + c.runs)
        self.arrival[rs] = c.arrival
        self.infections[rs] = c.infections
        self.susceptible[rs] = c.susceptible
        self.final_prevalence[rs] = c.country_prevalence[:, -1]
        self.world_incidence[rs] = c.country_incidence.sum(axis=2, dtype=float)
        for k in range(c.runs):  # run by run: the same sums whatever the chunking
            self.prevalence_sum += c.country_prevalence[k]
            self.incidence_sum += c.country_incidence[k]
            if self.histograms is not None:
                self.histograms["prevalence"].add(c.country_prevalence[k])
                self.histograms["incidence"].add(c.country_incidence[k])
        if self.country_prevalence is not None:
            self.country_prevalence[rs] = c.country_prevalence
            self.country_incidence[rs] = c.country_incidence
        if self.node_prevalence_sum is not None:
            self.node_prevalence_sum += c.node_prevalence_sum
            self.node_incidence_sum += c.node_incidence_sum
        if self.full_prevalence is not None:
            self.full_prevalence[rs] = c.full_prevalence
            self.full_incidence[rs] = c.full_incidence
