"""Results of an ensemble: summaries gathered as runs go, full arrays only on request.

Kept per run (small): arrival day, cumulative infections and susceptible people at the end per
node (the attack rate's denominator, `at_risk`), and daily prevalence and
incidence per country (for quantiles across runs). Per node daily values are kept as running sums
(means) when asked for, and full `(runs, days, nodes, compartments)` arrays only with `full=True`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from .engine import Model


@dataclass(frozen=True)
class OutputOptions:
    """What to keep. `quantiles` are computed across runs."""

    quantiles: tuple[float, ...] = (0.05, 0.5, 0.95)
    node_daily: bool = False
    full: bool = False


class Recorder:
    """Collects one chunk of runs after another (runs in index order) into `Results` arrays."""

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
        self._offset = 0
        self._size = 0

    def chunk(self, offset: int, size: int) -> Recorder:
        """Direct the next days to runs `offset .. offset + size` of the ensemble."""
        self._offset, self._size = offset, size
        return self

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
        rs = slice(self._offset, self._offset + self._size)
        entries = incidence @ self._entry  # (runs, nodes, compartments)
        self.infections[rs] += incidence @ self._infection + seeded
        if day == self.days - 1:
            self.susceptible[rs] = prevalence[..., self._susceptible]
        arrival = self.arrival[rs]
        arrival[(arrival < 0) & (infected_now >= 1.0)] = day
        self.country_prevalence[rs, day] = self._by_country(prevalence)
        self.country_incidence[rs, day] = self._by_country(entries)
        if self.node_prevalence_sum is not None:
            self.node_prevalence_sum[day] += prevalence.sum(axis=0)
            self.node_incidence_sum[day] += entries.sum(axis=0)
        if self.full_prevalence is not None:
            self.full_prevalence[rs, day] = prevalence
            self.full_incidence[rs, day] = entries

    def merge(self, other: Recorder, offset: int) -> None:
        """Add a recorder of runs `offset ..` (from another worker) into this one."""
        rs = slice(offset, offset + other.arrival.shape[0])
        self.arrival[rs] = other.arrival
        self.infections[rs] = other.infections
        self.susceptible[rs] = other.susceptible
        self.country_prevalence[rs] = other.country_prevalence
        self.country_incidence[rs] = other.country_incidence
        if self.node_prevalence_sum is not None:
            self.node_prevalence_sum += other.node_prevalence_sum
            self.node_incidence_sum += other.node_incidence_sum
        if self.full_prevalence is not None:
            self.full_prevalence[rs] = other.full_prevalence
            self.full_incidence[rs] = other.full_incidence


@dataclass
class Results:
    """An ensemble's outputs with labelled axes.

    Arrays: `arrival_day (runs, nodes)` (-1: never), `infections (runs, nodes)` (cumulative,
    including seeds, wherever the infected person lives), `susceptible (runs, nodes)` (at the
    end), `country_prevalence` / `country_incidence (runs, days, countries,
    compartments)` (incidence = people entering the compartment that day), optional node means
    `(days, nodes, compartments)` and full arrays `(runs, days, nodes, compartments)`.
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
    country_prevalence: np.ndarray
    country_incidence: np.ndarray
    node_prevalence_mean: np.ndarray | None = None
    node_incidence_mean: np.ndarray | None = None
    full_prevalence: np.ndarray | None = None
    full_incidence: np.ndarray | None = None
    metadata: dict[str, object] = field(default_factory=dict)

    @classmethod
    def from_recorder(
        cls,
        rec: Recorder,
        start: date,
        seed: int,
        engine: str,
        metadata: dict[str, object] | None = None,
    ) -> Results:
        m = rec.model
        runs = rec.arrival.shape[0]
        mean = lambda a: None if a is None else a / runs  # noqa: E731
        return cls(
            nodes=m.network.nodes,
            node_country=m.network.country,
            node_population=m.ages.population.sum(axis=1),
            countries=rec.countries,
            compartments=m.disease.compartment_names,
            infected=m.disease.infected_names,
            start=start,
            days=rec.days,
            runs=runs,
            seed=seed,
            engine=engine,
            quantiles=tuple(rec.options.quantiles),
            arrival_day=rec.arrival,
            infections=rec.infections,
            susceptible=rec.susceptible,
            country_prevalence=rec.country_prevalence,
            country_incidence=rec.country_incidence,
            node_prevalence_mean=mean(rec.node_prevalence_sum),
            node_incidence_mean=mean(rec.node_incidence_sum),
            full_prevalence=rec.full_prevalence,
            full_incidence=rec.full_incidence,
            metadata=dict(metadata or {}),
        )

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
        for measure, arr in (
            ("prevalence", self.country_prevalence),
            ("incidence", self.country_incidence),
        ):
            cols = {
                "date": np.repeat(dates, g * c),
                "country": np.tile(np.repeat(self.countries, c), self.days),
                "compartment": np.tile(self.compartments, self.days * g),
                "measure": measure,
                "mean": arr.mean(axis=0, dtype=float).ravel(),
            }
            for q in self.quantiles:
                cols[f"q{_pct(q)}"] = np.quantile(arr, q, axis=0).ravel()
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
