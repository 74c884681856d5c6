"""The spread engine: a `Model` (disease + network + ages as arrays) stepped day by day.

State is `(runs, nodes, ages, compartments)`. Each day: the schedule's modifiers (transfers
first), travel along the network, today's seeds, then the disease transitions in `substeps` steps
(seeded people start travelling the next day).
Run r draws from its own stream `SeedSequence([seed, r])`, so run r of two scenarios shares its
randomness (common random numbers) whatever the chunking or the number of workers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from epicommons.errors import InputError
from epicommons.world.network import Network

from . import kernels
from .disease import Disease
from .mixing import AgeStructure
from .modifiers import Schedule, apply_transfers, multipliers, pass_factors
from .reproduction import resolve_parameters
from .seeding import Seed, SeedPlan, plan
from .travel import Links


@dataclass(frozen=True, eq=False)
class Model:
    """Everything the engine needs as arrays. Build it with `build_model`."""

    disease: Disease
    network: Network
    ages: AgeStructure
    parameters: dict[str, float]
    substeps: int
    rates: np.ndarray
    tr_src: np.ndarray
    tr_dst: np.ndarray
    tr_med: np.ndarray
    med_w: np.ndarray
    src_ptr: np.ndarray
    src_order: np.ndarray
    alive: np.ndarray
    infected: np.ndarray
    mobile_draw: np.ndarray
    mobile_mean: np.ndarray
    watch: np.ndarray
    contacts: np.ndarray

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.network.size, self.ages.groups, len(self.disease.compartments)

    def initial_state(self, stochastic: bool) -> np.ndarray:
        """Everyone susceptible: `(nodes, ages, compartments)`."""
        x = np.zeros(self.shape, dtype=np.int64 if stochastic else float)
        s = self.disease.index(self.disease.susceptible)
        pop = self.ages.population
        x[:, :, s] = np.rint(pop) if stochastic else pop
        return x


def build_model(
    disease: Disease, network: Network, ages: AgeStructure | None = None, substeps: int = 1
) -> Model:
    """Check a disease against a network and age structure and compile both to arrays.

    Without `ages`, one age group with the network's populations and contact matrix [[1]].
    `R0` (if given) is turned into the transmission rate for this model's time step.
    """
    if substeps < 1:
        raise InputError(f"expected substeps >= 1, got {substeps}", field="substeps")
    ages = ages or AgeStructure.single(network.population)
    if ages.population.shape[0] != network.size:
        raise InputError("age structure and network have different numbers of nodes")
    dt = 1.0 / substeps
    params = resolve_parameters(disease, ages.mean_contacts(), ages.population.sum(axis=0), dt)
    rates = disease.rates(params)
    weights = disease.weights(params)
    names = disease.compartment_names
    src = np.array([names.index(t.source) for t in disease.transitions], dtype=np.int64)
    dst = np.array([names.index(t.target) for t in disease.transitions], dtype=np.int64)
    mediated = [i for i, t in enumerate(disease.transitions) if t.mediated]
    tr_med = np.full(len(src), -1, dtype=np.int64)
    tr_med[mediated] = np.arange(len(mediated))
    med_w = weights[mediated] if mediated else np.zeros((0, len(names)))
    order = np.argsort(src, kind="stable").astype(np.int64)
    ptr = np.searchsorted(src[order], np.arange(len(names) + 1)).astype(np.int64)
    alive, infected, mobile = (
        disease.mask("alive"),
        disease.mask("infected"),
        disease.mask("mobile"),
    )
    has_spont = np.zeros(len(names), dtype=bool)
    has_spont[src[tr_med < 0]] = True
    watch = np.flatnonzero(has_spont | (med_w > 0).any(axis=0)).astype(np.int64)
    contacts = ages.contacts if ages.contacts.ndim == 3 else ages.contacts[None]
    return Model(
        disease=disease,
        network=network,
        ages=ages,
        parameters=params,
        substeps=substeps,
        rates=rates,
        tr_src=src,
        tr_dst=dst,
        tr_med=tr_med,
        med_w=np.ascontiguousarray(med_w),
        src_ptr=ptr,
        src_order=order,
        alive=alive,
        infected=infected,
        mobile_draw=np.flatnonzero(mobile & infected & alive).astype(np.int64),
        mobile_mean=np.flatnonzero(mobile & ~infected & alive).astype(np.int64),
        watch=watch,
        contacts=np.ascontiguousarray(contacts, dtype=float),
    )


LEAP_ABOVE = 25.0  # fast engine: counts drawn approximately from this expected size up
# fast engine: infected people travel at expected rates between two nodes that each have at least
# MEAN_FACTOR x leap_above of them (1,000 by default: outbreaks past their random start)
MEAN_FACTOR = 40.0
BUFFER_BYTES = 64 * 2**20  # daily outputs buffered per compiled call, all runs of a chunk


ENGINES = ("stochastic", "deterministic", "fast")


def draws_for(engine: str, leap_above: float = LEAP_ABOVE, field: str = "engine") -> dict:
    """`run_chunk`'s `stochastic` and `leap_above` for an engine name (see ENGINES)."""
    if engine not in ENGINES:
        raise InputError(f"expected one of {', '.join(ENGINES)}, got {engine!r}", field=field)
    return {
        "stochastic": engine != "deterministic",
        "leap_above": float(leap_above) if engine == "fast" else None,
    }


def stream(seed: int, run: int) -> np.random.Generator:
    """The random stream of one run: the same for the same (seed, run) in every scenario."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, run])))


@dataclass(frozen=True)
class DayBuffers:
    """Daily outputs of runs: prevalence `(runs, days, nodes, compartments)`, incidence per
    transition `(runs, days, nodes, transitions)`, infected and seeded people `(runs, days, nodes)`.
    """

    prevalence: np.ndarray
    incidence: np.ndarray
    infected_now: np.ndarray
    seeded: np.ndarray

    @classmethod
    def zeros(cls, runs: int, days: int, model: Model) -> DayBuffers:
        n, _, c = model.shape
        t = len(model.disease.transitions)
        return cls(
            np.zeros((runs, days, n, c)),
            np.zeros((runs, days, n, t)),
            np.zeros((runs, days, n)),
            np.zeros((runs, days, n)),
        )

    def run(self, r: int) -> DayBuffers:
        """The buffers of run r alone: `(days, ...)` views."""
        return DayBuffers(
            self.prevalence[r], self.incidence[r], self.infected_now[r], self.seeded[r]
        )

    def days(self, lo: int, hi: int) -> DayBuffers:
        """Days lo .. hi - 1 of one run's buffers (from `run`): views."""
        return DayBuffers(
            self.prevalence[lo:hi],
            self.incidence[lo:hi],
            self.infected_now[lo:hi],
            self.seeded[lo:hi],
        )


class Stepper:
    """Advances one run's state by whole days with the compiled kernels.

    The engine's per-run entry point: `run_chunk` uses it, and so does code that gives each run
    its own inputs (calibration: transmission per run and period, seeds per run). The scratch
    arrays are allocated once and reused by every call.
    """

    def __init__(self, model: Model, stochastic: bool, leap_above: float | None = None) -> None:
        n, a, c = model.shape
        net = model.network
        self.model = model
        if leap_above is not None and not leap_above > 0:
            raise ValueError(f"leap_above must be > 0, got {leap_above}")
        self.stochastic = stochastic
        self.mode = kernels.Mode(
            stochastic,
            np.inf if leap_above is None else float(leap_above),
            np.inf if leap_above is None else MEAN_FACTOR * float(leap_above),
        )
        indices = net.flows.indices.astype(np.int64)
        by_destination = np.argsort(indices, kind="stable")
        origins = np.repeat(np.arange(n), np.diff(net.flows.indptr))
        self.links = Links(
            net.flows.indptr.astype(np.int64),
            indices,
            net.flows.data.astype(float),
            np.searchsorted(indices[by_destination], np.arange(n + 1)).astype(np.int64),
            origins[by_destination].astype(np.int64),
            by_destination.astype(np.int64),
        )
        self._ones_links, self._ones_nodes = np.ones(self.links.flows.size), np.ones(n)
        self._everyone_passes = np.zeros((0, c))
        d = model.disease
        self.course = kernels.Course(
            model.alive,
            model.infected,
            model.mobile_draw,
            model.mobile_mean,
            model.tr_dst,
            model.rates,
            model.tr_med,
            model.med_w,
            model.src_ptr,
            model.src_order,
            model.watch,
            model.contacts,
            model.substeps,
            d.index(d.susceptible),
        )
        widest = int(np.diff(model.src_ptr).max(initial=1))
        self.work = kernels.Workspace(
            delta=np.zeros((n, a, c), dtype=np.int64 if stochastic else float),
            snap=np.zeros((a, c)),
            lam=np.zeros((max(len(model.med_w), 1), a)),
            rates=np.zeros(widest),
            flows=np.zeros(widest),
            prob=np.zeros(self.links.flows.size),
            cum=np.zeros(self.links.flows.size),
            net=np.zeros((n, a * max(len(model.mobile_mean) + len(model.mobile_draw), 1))),
            cells=np.zeros(a * max(len(model.mobile_draw), 1), dtype=np.int64),
            route=np.zeros(self.links.flows.size),
            outflow=np.zeros(n),
            big=np.zeros(n, dtype=np.bool_),
            rows=np.zeros((n, a * (len(model.mobile_mean) + len(model.mobile_draw)))),
            small=np.zeros(n),
            last=np.zeros(n, dtype=np.int64),
            in_flow=np.zeros(self.links.flows.size),
        )

    def advance(
        self,
        x: np.ndarray,
        gen: np.random.Generator,
        day0: int,
        days: int,
        seeds: SeedPlan,
        out: DayBuffers,
        *,
        transmission: np.ndarray | None = None,
        travel: np.ndarray | None = None,
        passing: np.ndarray | None = None,
    ) -> None:
        """Days day0 .. day0 + days - 1 of one run, in place on `x` `(nodes, ages,
        compartments)`; `out` holds at least `days` days (one run's `DayBuffers`).

        transmission: multiplier per node `(nodes,)`; travel: multiplier per link `(links,)`;
        passing: pass factors `(links, compartments)`; None means 1 everywhere.
        """
        today = kernels.Today(
            self._ones_links if travel is None else travel,
            self._ones_nodes if transmission is None else transmission,
            self._everyone_passes if passing is None else passing,
        )
        kernels.run_days(
            x,
            day0,
            days,
            gen,
            self.mode,
            self.course,
            self.links,
            kernels.Seeds(seeds.node, seeds.day, seeds.compartment, seeds.count, seeds.age),
            today,
            kernels.Daily(out.prevalence, out.incidence, out.infected_now, out.seeded),
            self.work,
        )


class DayObserver(Protocol):
    """Receives each simulated day of a chunk of runs (see `results.Recorder`)."""

    def record(
        self,
        day: int,
        prevalence: np.ndarray,
        incidence: np.ndarray,
        infected_now: np.ndarray,
        seeded: np.ndarray,
    ) -> None: ...


def run_chunk(
    model: Model,
    seeds: SeedPlan | Sequence[Seed],
    days: int,
    runs: Sequence[int],
    seed: int,
    *,
    stochastic: bool = True,
    leap_above: float | None = None,
    schedule: Schedule | None = None,
    observer: DayObserver | None = None,
    on_day: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Simulate `runs` (run indices) for `days` days; returns the final state.

    `leap_above` (stochastic only): None draws every count exactly; a number is the fast
    engine, which draws the normal approximation where the expected count and what stays are
    both at least that many, exchanges the uninfected pools daily from routes computed once per
    compiled call and spreads a node's infected travellers over links first (see
    docs/validation/engine.md).
    The observer gets per day: prevalence `(runs, nodes, compartments)`, incidence per transition
    `(runs, nodes, transitions)`, infected people `(runs, nodes)` and seeded people `(runs, nodes)`.
    """
    d = model.disease
    if not isinstance(seeds, SeedPlan):
        seeds = plan(
            seeds,
            model.network,
            d.compartment_names,
            d.first_infected,
            ages=model.ages.groups,
            whole=stochastic,
        )
    n, c, t = model.shape[0], model.shape[2], len(d.transitions)
    r_count = len(runs)
    gens = [stream(seed, r) for r in runs]
    x = np.repeat(model.initial_state(stochastic)[None], r_count, axis=0)
    stepper = Stepper(model, stochastic, leap_above)
    links = model.network.n_links
    # without a schedule, runs advance many days per compiled call (output buffers bounded)
    per_day = r_count * n * (c + t + 2) * 8
    span = 1 if schedule is not None else int(max(1, min(days, BUFFER_BYTES // per_day)))
    out = DayBuffers.zeros(r_count, span, model)
    day = 0
    while day < days:
        block = min(span, days - day)
        mods = schedule(day, x) if schedule is not None else None
        tmult, lmult = multipliers(mods, r_count, n, links)
        passing = pass_factors(mods, r_count, links, c)
        for r in range(r_count):
            if mods is not None and mods.transfers:
                apply_transfers(x[r], mods, d, r, stochastic, gens[r])
            stepper.advance(
                x[r],
                gens[r],
                day,
                block,
                seeds,
                out.run(r),
                transmission=None if tmult is None else tmult[r],
                travel=None if lmult is None else lmult[r],
                passing=passing if passing.ndim == 2 else passing[r],
            )
        for k in range(block):
            if observer is not None:
                observer.record(
                    day + k,
                    out.prevalence[:, k],
                    out.incidence[:, k],
                    out.infected_now[:, k],
                    out.seeded[:, k],
                )
            if on_day is not None:
                on_day(day + k)
        day += block
    return x
