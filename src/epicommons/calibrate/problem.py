"""A calibration problem: the model, the observed series and the map from parameters to runs.

Parameters are a vector per particle, one column per fitted (kind, country) in `names`; fixed
kinds take their `[calibration.fixed]` values. Day 0 of every run is the scenario's `start`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from epicommons.errors import InputError
from epicommons.model.engine import LEAP_ABOVE, Model, build_model
from epicommons.model.reproduction import reproduction_number
from epicommons.model.runner import load_network
from epicommons.model.scenario import Scenario
from epicommons.surveillance import CaseData
from epicommons.world.network import Network, balance

from .batch import Batch, run_batch
from .priors import Prior
from .spec import CalibrationSpec


@dataclass(frozen=True)
class Parameter:
    """One fitted column: its kind, the country it belongs to (-1: all) and change point."""

    name: str
    kind: str
    country: int
    prior: Prior
    change: int = -1


@dataclass(frozen=True, eq=False)
class Problem:
    """Everything needed to turn parameter vectors into expected observations."""

    model: Model
    countries: tuple[str, ...]
    observe: tuple[str, ...]
    compartments: tuple[str, ...]
    start: date
    days: int
    fit_days: np.ndarray  # day indices (from start) used in the fit
    observed: np.ndarray  # (days, countries, observables), NaN where not reported
    parameters: tuple[Parameter, ...]
    fixed: dict[str, float]
    base_r0: float
    bounds: np.ndarray  # piece boundaries (days): every country's change points
    change_pieces: np.ndarray  # (countries, changes): piece where change k starts; -1 none
    seed_nodes: np.ndarray
    immune_compartment: int  # index of the compartment of people immune at the start
    engine: str  # deterministic, stochastic or fast (spec.engine)
    seed: int
    leap_above: float = LEAP_ABOVE  # the fast engine's threshold (the scenario's)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    @property
    def dims(self) -> int:
        return len(self.parameters)

    def with_days(self, days: int) -> Problem:
        """The same problem simulated over another number of days (e.g. with a forecast)."""
        bounds = np.minimum(self.bounds.copy(), days)
        bounds[-1] = days
        pad = max(days - self.observed.shape[0], 0)
        observed = np.concatenate(
            [self.observed, np.full((pad, *self.observed.shape[1:]), np.nan)]
        )[:days]
        return Problem(**{**self.__dict__, "days": days, "bounds": bounds, "observed": observed})

    # -- parameters -> values per run --------------------------------------------------------
    def values(self, theta: np.ndarray, kind: str, change: int = -1) -> np.ndarray:
        """`(runs, countries)` value of a kind (for a change point) from parameter vectors."""
        theta = np.atleast_2d(theta)
        out = np.full((theta.shape[0], len(self.countries)), self.fixed[kind], dtype=float)
        for j, p in enumerate(self.parameters):
            if p.kind != kind or p.change != change:
                continue
            if p.country < 0:
                out[:] = theta[:, j : j + 1]
            else:
                out[:, p.country] = theta[:, j]
        return out

    def batch(self, theta: np.ndarray) -> Batch:
        """Engine inputs per run: transmission multipliers per piece and node, and seeds."""
        theta = np.atleast_2d(theta)
        runs = theta.shape[0]
        node_country = self._node_country()
        pieces = len(self.bounds) - 1
        factor = np.ones((runs, pieces, len(self.countries)))
        factor[:, :] = (self.values(theta, "R0") / self.base_r0)[:, None, :]
        for k in range(self.change_pieces.shape[1]):
            change = self.values(theta, "change", k)
            for c, piece in enumerate(self.change_pieces[:, k]):
                if piece > 0:
                    factor[:, piece:, c] *= change[:, c : c + 1]
        tmult = factor[:, :, node_country]
        immune = self.values(theta, "immune")
        return Batch(
            bounds=self.bounds,
            transmission=tmult,
            seed_node=self.seed_nodes,
            seed_day=self.values(theta, "seed_day"),
            seed_count=self.values(theta, "seed_size"),
            immune=immune[:, node_country] if np.any(immune > 0) else None,
            immune_compartment=self.immune_compartment,
        )

    def expected(self, theta: np.ndarray, run_ids: np.ndarray, stochastic: bool) -> np.ndarray:
        """Expected reported counts `(runs, days, countries, observables)`; stochastic runs use
        the fast engine's approximate draws when `engine` is fast."""
        theta = np.atleast_2d(theta)
        entries = run_batch(
            self.model,
            self.batch(theta),
            run_ids,
            self.seed,
            countries=self.countries,
            compartments=self.compartments,
            stochastic=stochastic,
            leap_above=self.leap_above if stochastic and self.engine == "fast" else None,
        )
        if "cases" in self.observe:
            k = self.observe.index("cases")
            entries[..., k] *= self.values(theta, "reporting")[:, None, :]
        return entries

    def dispersion(self, theta: np.ndarray) -> np.ndarray:
        """Negative-binomial size per run `(runs,)`."""
        return self.values(theta, "dispersion")[:, 0]

    def _node_country(self) -> np.ndarray:
        code = {c: k for k, c in enumerate(self.countries)}
        return np.array([code[c] for c in self.model.network.country], dtype=np.int64)

    # -- priors ------------------------------------------------------------------------------
    def sample_prior(self, gen: np.random.Generator, n: int) -> np.ndarray:
        return np.column_stack([p.prior.sample(gen, n) for p in self.parameters])

    def log_prior(self, theta: np.ndarray) -> np.ndarray:
        theta = np.atleast_2d(theta)
        return sum(p.prior.logpdf(theta[:, j]) for j, p in enumerate(self.parameters))


def restrict(network: Network, countries: list[str]) -> Network:
    """The network's nodes in these countries, with the travel among them (balanced)."""
    keep = np.array([i for i, c in enumerate(network.country) if c in set(countries)])
    missing = sorted(set(countries) - {network.country[i] for i in keep})
    if missing:
        raise InputError(
            f"country {missing[0]!r} is not in the network ({network.source})",
            field="calibration.countries",
        )
    flows = sp.csr_array(network.flows)[keep][:, keep]
    return Network(
        tuple(network.nodes[i] for i in keep),
        tuple(network.country[i] for i in keep),
        network.population[keep],
        balance(flows),
        network.level,
        f"{network.source}, restricted to {len(countries)} countries",
        network.notes,
        None if network.coords is None else network.coords[keep],
    )


def build_problem(
    scenario: Scenario,
    spec: CalibrationSpec,
    data: CaseData,
    base: Path = Path("."),
    source: str | None = None,
    network: Network | None = None,
) -> Problem:
    """Check the scenario, spec and data against each other and build the problem."""
    from epicommons.model.population import age_structure

    net = restrict(network or load_network(scenario, base), list(spec.countries))
    disease = scenario.build_disease(source)
    d_spec = scenario.disease
    contacts = d_spec.contacts
    if contacts != "builtin":
        p = Path(contacts).expanduser()
        contacts = p if p.is_absolute() else base / p
    ages = age_structure(
        net,
        tuple(d_spec.age_groups) if d_spec.age_groups else None,
        contacts,
        d_spec.population_year,
    )
    model = build_model(disease, net, ages, scenario.substeps)
    base_r0 = model.parameters.get("R0") or reproduction_number(
        disease,
        model.rates,
        disease.weights(model.parameters),
        ages.mean_contacts(),
        ages.population.sum(axis=0),
        1.0 / scenario.substeps,
    )
    compartments = []
    for obs in spec.observe:
        name = spec.deaths_compartment if obs == "deaths" else _cases_compartment(spec, model)
        if name not in disease.compartment_names:
            field = "deaths_compartment" if obs == "deaths" else "cases_compartment"
            raise InputError(
                f"the disease has no compartment {name!r} "
                f"(has {', '.join(disease.compartment_names)})",
                source=source,
                field=f"calibration.{field}",
            )
        compartments.append(name)
    fixed = spec.fixed.model_dump()
    fixed["R0"] = fixed["R0"] if fixed["R0"] is not None else float(base_r0)
    params: list[Parameter] = []
    own = [[(d - scenario.start).days for d in v] for v in spec.change_dates().values()]
    n_changes = max(len(v) for v in own)
    for kind, fit in spec.fit.items():
        changes = range(n_changes) if kind == "change" else [-1]
        for k in changes:
            label = kind if k < 0 else f"change{k + 1}"
            if fit.per_country:
                for c, iso in enumerate(spec.countries):
                    if k < 0 or k < len(own[c]):
                        params.append(Parameter(f"{label}[{iso}]", kind, c, fit.to_prior(), k))
            else:
                params.append(Parameter(label, kind, -1, fit.to_prior(), k))
    fit_end = (spec.fit_end - scenario.start).days
    days = fit_end + 1 + spec.forecast_days
    cuts = sorted({d for v in own for d in v})
    bounds = np.array([0, *cuts, days], dtype=np.int64)
    if cuts and cuts[-1] >= fit_end:
        raise InputError(
            "the last change point is after fit_end",
            source=source,
            field="calibration.change_points",
        )
    change_pieces = np.full((len(own), n_changes), -1, dtype=np.int64)
    for c, v in enumerate(own):
        for k, d in enumerate(v):
            change_pieces[c, k] = 1 + cuts.index(d)
    observed = observed_array(data, spec.countries, list(spec.observe), scenario.start, days)
    fit_days = np.arange((spec.fit_start - scenario.start).days, fit_end + 1)
    seen = np.isfinite(observed[fit_days]).any(axis=(0, 2))
    if not seen.all():
        who = spec.countries[int(np.flatnonzero(~seen)[0])]
        raise InputError(
            f"no {'/'.join(spec.observe)} data for {who} between {spec.fit_start} and {spec.fit_end}",
            source=data.source,
            field="country",
        )
    check_data_end(data, spec, source)
    if spec.immune_compartment not in disease.compartment_names:
        raise InputError(
            f"the disease has no compartment {spec.immune_compartment!r} "
            f"(has {', '.join(disease.compartment_names)})",
            source=source,
            field="calibration.immune_compartment",
        )
    places = [net.resolve_place(iso, "country", "calibration.countries") for iso in spec.countries]
    seed_nodes = np.array([p.nodes[np.argmax(p.weights)] for p in places], dtype=np.int64)
    return Problem(
        model=model,
        countries=tuple(spec.countries),
        observe=tuple(spec.observe),
        compartments=tuple(compartments),
        start=scenario.start,
        days=days,
        fit_days=fit_days,
        observed=observed,
        parameters=tuple(params),
        fixed=fixed,
        base_r0=float(base_r0),
        bounds=bounds,
        change_pieces=change_pieces,
        seed_nodes=seed_nodes,
        immune_compartment=disease.index(spec.immune_compartment),
        engine=spec.engine,
        seed=scenario.seed if spec.seed is None else spec.seed,
        leap_above=scenario.leap_above,
    )


def _cases_compartment(spec: CalibrationSpec, model: Model) -> str:
    """Entries into this compartment are cases: the one given, else the first infectious one."""
    if spec.cases_compartment:
        return spec.cases_compartment
    d = model.disease
    infectious = model.med_w.sum(axis=0) > 0
    names = [c for i, c in enumerate(d.compartment_names) if infectious[i]]
    return names[0] if names else d.first_infected


def check_data_end(data: CaseData, spec: CalibrationSpec, source: str | None = None) -> None:
    """Refuse a `fit_end` after the last report of a fitted country: days past the data's end
    would be fitted as if nothing had been reported."""
    table = data.table
    for country in spec.countries:
        rows = table[table["country"] == country]
        reported = rows[list(spec.observe)].notna().any(axis=1)
        if not reported.any():
            continue  # no reports at all: named by the fit window's own check
        last = pd.Timestamp(rows.loc[reported, "date"].max()).date()
        if spec.fit_end > last:
            raise InputError(
                f"fit_end {spec.fit_end} is after the data's last date {last} ({country}, "
                f"{data.source or 'the data'}); expected fit_end <= {last}",
                source=source,
                field="calibration.fit_end",
            )


def observed_array(
    data: CaseData, countries: list[str], observe: list[str], start: date, days: int
) -> np.ndarray:
    """`(days, countries, observables)` from the case table; NaN where there is no report."""
    table = data.table
    if not data.has_dates:
        raise InputError("calibration needs dated case data", source=data.source, field="date")
    out = np.full((days, len(countries), len(observe)), np.nan)
    offset = (pd.to_datetime(table["date"]) - pd.Timestamp(start)).dt.days.to_numpy()
    code = {c: k for k, c in enumerate(countries)}
    where = np.array([code.get(c, -1) for c in table["country"]])
    ok = (where >= 0) & (offset >= 0) & (offset < days)
    for k, obs in enumerate(observe):
        if obs == "deaths" and table["deaths"].isna().all():
            raise InputError("the data have no deaths", source=data.source, field="deaths")
        values = table[obs].to_numpy(float)
        out[offset[ok], where[ok], k] = values[ok]
    return out
