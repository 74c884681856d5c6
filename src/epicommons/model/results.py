"""Results of an ensemble: summaries gathered as runs go, full arrays only on request.

Kept per run (small): arrival day, cumulative infections and susceptible people at the end per
node (the attack rate's denominator, `at_risk`), the last day's prevalence per country and the
daily incidence worldwide; daily prevalence and incidence per country as exact sums over runs
(means) and, for quantiles across runs, per run up to `series_runs` runs, as histograms beyond
(`summary`). Per node daily values are kept as running sums (means) when asked for, and full
`(runs, days, nodes, compartments)` arrays only with `full=True`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
from numba import njit

from .engine import Model
from .summary import ChunkArrays, Histograms, Summary


@dataclass(frozen=True)
class OutputOptions:
    """What to keep. `quantiles` are computed across runs."""

    quantiles: tuple[float, ...] = (0.05, 0.5, 0.95)
    node_daily: bool = False
    full: bool = False
    series_runs: int = 100  # per-run daily country series kept up to this many runs

    def summary(self, model: Model, days: int, runs: int) -> Summary:
        """The client's fold of an ensemble of `runs` runs with these options."""
        n, g, c = (
            model.network.size,
            len(set(model.network.country)),
            len(model.disease.compartments),
        )
        return Summary(
            runs,
            days,
            n,
            g,
            c,
            series_runs=self.series_runs,
            node_daily=self.node_daily,
            full=self.full,
            top=float(model.ages.population.sum()),
        )


class Recorder:
    """Collects the days of one chunk of runs (rows: its runs) into `ChunkArrays`."""

    def __init__(self, model: Model, days: int, runs: int, options: OutputOptions) -> None:
        net = model.network
        d = model.disease
        self.model, self.days, self.options = model, days, options
        n, c, t = net.size, len(d.compartments), len(d.transitions)
        self.countries = tuple(sorted(set(net.country)))
        code = {k: i for i, k in enumerate(self.countries)}
        self._cidx = np.array([code[k] for k in net.country], dtype=np.int64)
        self._order = np.argsort(self._cidx, kind="stable")
        self._starts = np.searchsorted(self._cidx[self._order], np.arange(len(self.countries)))
        self._entry = np.zeros((t, c))
        self._entry[np.arange(t), model.tr_dst] = 1.0
        self._susceptible = d.index(d.susceptible)
        self._infection = np.zeros(t)
        self._infection[
            [
                i
                for i, tr in enumerate(d.transitions)
                if tr.mediated and d.compartments[model.tr_dst[i]].infected
            ]
        ] = 1.0
        g = len(self.countries)
        self.arrival = np.full((runs, n), -1, dtype=np.int32)
        self.infections = np.zeros((runs, n))
        self.susceptible = np.zeros((runs, n))  # at the end of the last day
        self.country_prevalence = np.zeros((runs, days, g, c), dtype=np.float32)
        self.country_incidence = np.zeros((runs, days, g, c), dtype=np.float32)
        self.node_prevalence_sum = np.zeros((days, n, c)) if options.node_daily else None
        self.node_incidence_sum = np.zeros((days, n, c)) if options.node_daily else None
        self.full_prevalence = np.zeros((runs, days, n, c), np.float32) if options.full else None
        self.full_incidence = np.zeros((runs, days, n, c), np.float32) if options.full else None

    def _by_country(self, a: np.ndarray) -> np.ndarray:
        return np.add.reduceat(a[:, self._order], self._starts, axis=1)

    def record(
        self,
        day: int,
        prevalence: np.ndarray,
        incidence: np.ndarray,
        infected_now: np.ndarray,
        seeded: np.ndarray,
    ) -> None:
        if self.node_prevalence_sum is None and self.full_prevalence is None:
            _record_countries(
                day,
                prevalence,
                incidence,
                infected_now,
                seeded,
                self._cidx,
                self.model.tr_dst,
                self._infection,
                self.arrival,
                self.infections,
                self.country_prevalence,
                self.country_incidence,
            )
            if day == self.days - 1:
                self.susceptible[:] = prevalence[..., self._susceptible]
            return
        entries = incidence @ self._entry  # (runs, nodes, compartments)
        self.infections += incidence @ self._infection + seeded
        if day == self.days - 1:
            self.susceptible[:] = prevalence[..., self._susceptible]
        arrival = self.arrival
        arrival[(arrival < 0) & (infected_now >= 1.0)] = day
        self.country_prevalence[:, day] = self._by_country(prevalence)
        self.country_incidence[:, day] = self._by_country(entries)
        if self.node_prevalence_sum is not None:
            self.node_prevalence_sum[day] += prevalence.sum(axis=0)
            self.node_incidence_sum[day] += entries.sum(axis=0)
        if self.full_prevalence is not None:
            self.full_prevalence[:, day] = prevalence
            self.full_incidence[:, day] = entries

    def arrays(self) -> ChunkArrays:
        """This chunk's outputs, to send back to the client (the model stays behind)."""
        return ChunkArrays(
            self.arrival,
            self.infections,
            self.susceptible,
            self.country_prevalence,
            self.country_incidence,
            self.node_prevalence_sum,
            self.node_incidence_sum,
            self.full_prevalence,
            self.full_incidence,
        )


@njit(cache=True)
def _record_countries(
    day,
    prevalence,
    incidence,
    infected_now,
    seeded,
    cidx,
    tr_dst,
    infection,
    arrival,
    infections,
    country_prevalence,
    country_incidence,
):
    """`Recorder.record` without node outputs, compiled: one pass over runs and nodes instead
    of a dozen array operations per day (a tenth of a fast airport run). Sums in node order,
    as `np.add.reduceat` over the country-sorted nodes takes them."""
    runs, n_nodes, n_comp = prevalence.shape
    n_tr = incidence.shape[2]
    g = country_prevalence.shape[2]
    prev = np.zeros((g, n_comp))
    inc = np.zeros((g, n_comp))
    for r in range(runs):
        prev[:, :] = 0.0
        inc[:, :] = 0.0
        for n in range(n_nodes):
            k = cidx[n]
            for c in range(n_comp):
                prev[k, c] += prevalence[r, n, c]
            new = seeded[r, n]
            for t in range(n_tr):
                inc[k, tr_dst[t]] += incidence[r, n, t]
                new += incidence[r, n, t] * infection[t]
            infections[r, n] += new
            if arrival[r, n] < 0 and infected_now[r, n] >= 1.0:
                arrival[r, n] = day
        for k in range(g):
            for c in range(n_comp):
                country_prevalence[r, day, k, c] = prev[k, c]
                country_incidence[r, day, k, c] = inc[k, c]


@dataclass
class Results:
    """An ensemble's outputs with labelled axes.

    Arrays: `arrival_day (runs, nodes)` (-1: never), `infections (runs, nodes)` (cumulative,
    including seeds, wherever the infected person lives), `susceptible (runs, nodes)` (at the
    end), `final_prevalence (runs, countries, compartments)` (the last day), `world_incidence
    (runs, days, compartments)`, the means over runs `prevalence_mean` / `incidence_mean (days,
    countries, compartments)` (incidence = people entering the compartment that day); per run
    `country_prevalence` / `country_incidence (runs, days, countries, compartments)` up to
    `series_runs` runs, else None and `histograms` for quantiles (use `daily_quantile`);
    optional node means `(days, nodes, compartments)` and full arrays `(runs, days, nodes,
    compartments)`.
    """

    nodes: tuple[str, ...]
    node_country: tuple[str, ...]
    node_population: np.ndarray
    countries: tuple[str, ...]
    compartments: tuple[str, ...]
    infected: tuple[str, ...]
    start: date
    days: int
    runs: int
    seed: int
    engine: str
    quantiles: tuple[float, ...]
    arrival_day: np.ndarray
    infections: np.ndarray
    susceptible: np.ndarray
    final_prevalence: np.ndarray
    world_incidence: np.ndarray
    prevalence_mean: np.ndarray
    incidence_mean: np.ndarray
    country_prevalence: np.ndarray | None
    country_incidence: np.ndarray | None
    histograms: dict[str, Histograms] | None = None
    node_prevalence_mean: np.ndarray | None = None
    node_incidence_mean: np.ndarray | None = None
    full_prevalence: np.ndarray | None = None
    full_incidence: np.ndarray | None = None
    metadata: dict[str, object] = field(default_factory=dict)

    @classmethod
    def from_summary(
        cls,
        summary: Summary,
        model: Model,
        options: OutputOptions,
        start: date,
        seed: int,
        engine: str,
        metadata: dict[str, object] | None = None,
    ) -> Results:
        """The results of a fully folded ensemble."""
        s, runs = summary, summary.runs
        if s.done != runs:
            raise ValueError(f"{s.done} of {runs} runs were folded")
        mean = lambda a: None if a is None else a / runs  # noqa: E731
        return cls(
            nodes=model.network.nodes,
            node_country=model.network.country,
            node_population=model.ages.population.sum(axis=1),
            countries=tuple(sorted(set(model.network.country))),
            compartments=model.disease.compartment_names,
            infected=model.disease.infected_names,
            start=start,
            days=s.days,
            runs=runs,
            seed=seed,
            engine=engine,
            quantiles=tuple(options.quantiles),
            arrival_day=s.arrival,
            infections=s.infections,
            susceptible=s.susceptible,
            final_prevalence=s.final_prevalence,
            world_incidence=s.world_incidence,
            prevalence_mean=s.prevalence_sum / runs,
            incidence_mean=s.incidence_sum / runs,
            country_prevalence=s.country_prevalence,
            country_incidence=s.country_incidence,
            histograms=s.histograms,
            node_prevalence_mean=mean(s.node_prevalence_sum),
            node_incidence_mean=mean(s.node_incidence_sum),
            full_prevalence=s.full_prevalence,
            full_incidence=s.full_incidence,
            metadata=dict(metadata or {}),
        )

    def daily_mean(self, measure: str) -> np.ndarray:
        """Mean over runs of `measure` (prevalence or incidence) `(days, countries, compartments)`."""
        return {"prevalence": self.prevalence_mean, "incidence": self.incidence_mean}[measure]

    def daily_quantile(self, measure: str, q: float) -> np.ndarray:
        """Quantile q over runs of `measure` `(days, countries, compartments)`: numpy's (linear)
        from the per-run series, or the histogram's (module `summary`) beyond `series_runs`."""
        runs = {"prevalence": self.country_prevalence, "incidence": self.country_incidence}[measure]
        if runs is not None:
            return np.quantile(runs, q, axis=0)
        return self.histograms[measure].quantile(q)

    # -- per-run derived quantities -----------------------------------------------------------
    def _country_members(self) -> list[np.ndarray]:
        code = np.array(self.node_country)
        return [np.flatnonzero(code == c) for c in self.countries]

    def country_arrival_day(self) -> np.ndarray:
        """First day any node of the country had an infected person `(runs, countries)`; NaN never."""
        a = np.where(self.arrival_day < 0, np.inf, self.arrival_day.astype(float))
        out = np.stack([a[:, idx].min(axis=1) for idx in self._country_members()], axis=1)
        return np.where(np.isinf(out), np.nan, out)

    def country_population(self) -> np.ndarray:
        return np.array([self.node_population[idx].sum() for idx in self._country_members()])

    def _by_country(self, a: np.ndarray) -> np.ndarray:
        return np.stack([a[:, idx].sum(axis=1) for idx in self._country_members()], axis=1)

    def country_attack_rate(self) -> np.ndarray:
        """Share of the people at risk in the country who were infected there `(runs, countries)`,
        in [0, 1] (`at_risk`)."""
        inf = self._by_country(self.infections)
        return _share(
            inf, at_risk(self.country_population(), self._by_country(self.susceptible), inf)
        )

    def node_attack_rate(self) -> np.ndarray:
        """Share of the people at risk at each node who were infected there `(runs, nodes)`."""
        return _share(
            self.infections, at_risk(self.node_population, self.susceptible, self.infections)
        )

    # -- tables ----------------------------------------------------------------------------
    def country_table(self) -> pd.DataFrame:
        """Per country: share of runs reached, median (and quantiles of) arrival day, attack rate."""
        arr = self.country_arrival_day()
        ar = self.country_attack_rate()
        reached = np.isfinite(arr)
        table = {
            "country": list(self.countries),
            "population": self.country_population(),
            "runs_reached": reached.mean(axis=0),
        }
        with np.errstate(all="ignore"):
            for q in self.quantiles:
                table[f"arrival_day_q{_pct(q)}"] = _nanquantile(arr, q)
            table["arrival_day_median"] = _nanquantile(arr, 0.5)
            table["attack_rate_mean"] = ar.mean(axis=0)
            for q in self.quantiles:
                table[f"attack_rate_q{_pct(q)}"] = np.quantile(ar, q, axis=0)
            table["attack_rate_median"] = np.median(ar, axis=0)
        return (
            pd.DataFrame(table)
            .sort_values(["arrival_day_median", "country"], na_position="last")
            .reset_index(drop=True)
        )

    def node_table(self) -> pd.DataFrame:
        """Per node: share of runs reached, median arrival day, mean and median attack rate."""
        arr = np.where(self.arrival_day < 0, np.nan, self.arrival_day.astype(float))
        ar = self.node_attack_rate()
        with np.errstate(all="ignore"):
            return pd.DataFrame(
                {
                    "node": list(self.nodes),
                    "country": list(self.node_country),
                    "population": self.node_population,
                    "runs_reached": np.isfinite(arr).mean(axis=0),
                    "arrival_day_median": _nanquantile(arr, 0.5),
                    "attack_rate_mean": ar.mean(axis=0),
                    "attack_rate_median": np.median(ar, axis=0),
                }
            )

    def country_daily(self) -> pd.DataFrame:
        """Long table: date, country, compartment, measure (prevalence/incidence), mean, quantiles."""
        frames = []
        dates = [self.start + timedelta(days=d) for d in range(self.days)]
        g, c = len(self.countries), len(self.compartments)
        for measure in ("prevalence", "incidence"):
            cols = {
                "date": np.repeat(dates, g * c),
                "country": np.tile(np.repeat(self.countries, c), self.days),
                "compartment": np.tile(self.compartments, self.days * g),
                "measure": measure,
                "mean": self.daily_mean(measure).ravel(),
            }
            for q in self.quantiles:
                cols[f"q{_pct(q)}"] = self.daily_quantile(measure, q).ravel()
            frames.append(pd.DataFrame(cols))
        return pd.concat(frames, ignore_index=True)

    def node_daily(self) -> pd.DataFrame | None:
        """Long table of per node daily means (only if `node_daily` output was requested)."""
        if self.node_prevalence_mean is None:
            return None
        n, c = len(self.nodes), len(self.compartments)
        dates = [self.start + timedelta(days=d) for d in range(self.days)]
        return pd.DataFrame(
            {
                "date": np.repeat(dates, n * c),
                "node": np.tile(np.repeat(self.nodes, c), self.days),
                "compartment": np.tile(self.compartments, self.days * n),
                "prevalence_mean": self.node_prevalence_mean.ravel(),
                "incidence_mean": self.node_incidence_mean.ravel(),
            }
        )

    def runs_table(self) -> pd.DataFrame:
        """One row per run and node: arrival day and cumulative infections."""
        r, n = self.arrival_day.shape
        return pd.DataFrame(
            {
                "run": np.repeat(np.arange(r), n),
                "node": np.tile(self.nodes, r),
                "arrival_day": self.arrival_day.ravel(),
                "infections": self.infections.ravel(),
            }
        )


def at_risk(population: np.ndarray, susceptible: np.ndarray, infections: np.ndarray) -> np.ndarray:
    """People at risk at a place over the horizon: its population, or more when visitors count:
    everyone infected there and everyone still susceptible there at the end was a susceptible
    person present there (people have no home in the model: they are where they travel)."""
    return np.maximum(population, susceptible + infections)


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    return np.divide(part, whole, out=np.zeros(np.broadcast(part, whole).shape), where=whole > 0)


def _pct(q: float) -> str:
    return f"{q * 100:g}".replace(".", "_")


def _nanquantile(a: np.ndarray, q: float) -> np.ndarray:
    """Quantile over runs counting never-reached runs as +inf (NaN if at or beyond them)."""
    filled = np.where(np.isnan(a), np.inf, a)
    out = np.quantile(filled, q, axis=0, method="inverted_cdf")
    return np.where(np.isinf(out), np.nan, out)
