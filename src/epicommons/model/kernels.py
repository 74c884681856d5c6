"""Compiled inner loops of the engine: one simulated day of one run.

State `x` is `(nodes, ages, compartments)`, float64 in the deterministic engine (expected values)
and int64 in the stochastic one (people). Flows are computed as float64 in both; in the stochastic
engine they are integer-valued draws. Numba pays here: the loops skip untouched nodes and empty
cells, which NumPy cannot do without copying (see docs/performance/engine.md). Arguments come
grouped in NamedTuples (`Course`, `Links`, `Seeds`, `Today`, `Daily`, `Workspace`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from .draws import leap_binomial
from .leap import fast_transitions, tables
from .travel import leap_travel, routes, travel


class Mode(NamedTuple):
    """How a run is drawn: deterministic (expected values), stochastic exact (`leap_above` =
    inf) or fast (normal draws where the expected count and what stays are >= `leap_above`,
    and the fast travel of `travel.leap_travel`: infected travellers at expected rates between
    two nodes with >= `mean_above` infected each)."""

    stochastic: bool
    leap_above: float
    mean_above: float = np.inf


class Course(NamedTuple):
    """The disease compiled to arrays (see `engine.build_model`)."""

    alive: np.ndarray  # (compartments,) bool
    infected: np.ndarray  # (compartments,) bool
    mobile_draw: np.ndarray  # travelling infected compartments: drawn one by one
    mobile_mean: np.ndarray  # travelling uninfected pools: exchanged at expected rates
    tr_dst: np.ndarray  # (transitions,) target compartment
    tr_rate: np.ndarray  # (transitions,) rate per day
    tr_med: np.ndarray  # (transitions,) row of med_w or -1 (spontaneous)
    med_w: np.ndarray  # (mediated, compartments) infectiousness weights
    src_ptr: np.ndarray  # transitions leaving compartment c: src_order[src_ptr[c]:src_ptr[c+1]]
    src_order: np.ndarray
    watch: np.ndarray  # compartments whose presence makes a node busy
    contacts: np.ndarray  # (1 or nodes, ages, ages)
    substeps: int
    susceptible: int  # compartment that seeds are taken from


class Seeds(NamedTuple):
    """Seeds as arrays, one entry per seed (see `seeding.SeedPlan`)."""

    node: np.ndarray
    day: np.ndarray
    compartment: np.ndarray
    count: np.ndarray
    age: np.ndarray  # -1: spread over ages


class Today(NamedTuple):
    """Modifiers in force: per-link travel and per-node transmission multipliers, pass factors
    `(links, compartments)` (empty `(0, compartments)`: everyone passes)."""

    travel: np.ndarray
    transmission: np.ndarray
    passing: np.ndarray


class Daily(NamedTuple):
    """Daily outputs of one run: prevalence `(days, nodes, compartments)`, incidence per
    transition `(days, nodes, transitions)`, infected and seeded people `(days, nodes)`."""

    prevalence: np.ndarray
    incidence: np.ndarray
    infected_now: np.ndarray
    seeded: np.ndarray


class Workspace(NamedTuple):
    """Scratch arrays reused across days (allocated once per chunk)."""

    delta: np.ndarray
    snap: np.ndarray
    lam: np.ndarray
    rates: np.ndarray
    flows: np.ndarray
    prob: np.ndarray
    cum: np.ndarray
    net: np.ndarray
    cells: np.ndarray
    route: np.ndarray  # fast engine: running sums of flows per node's links (`travel.routes`)
    outflow: np.ndarray  # fast engine: travellers per day leaving each node
    big: np.ndarray  # fast engine: nodes whose infected travel at expected rates between them
    rows: np.ndarray  # fast engine: each node's travelling shares per column (`expected_exchange`)
    small: np.ndarray  # fast engine: a big node's flow to nodes that are not big
    last: np.ndarray  # fast engine: a big node's last link to a node that is not big
    in_flow: np.ndarray  # fast engine: each link's flow, in destination order


@njit(cache=True)
def run_days(x, day0, ndays, gen, mode, course, links, seeds, today, out, work):
    """Days day0 .. day0+ndays of one run: travel, today's seeds, transitions (the fast engine's
    by `leap.fast_transitions`, the same draws faster), daily summaries."""
    fast = mode.stochastic and mode.leap_above < np.inf
    free = False
    tab = tables(course, fast)
    if fast:
        free = routes(
            links,
            today.travel,
            today.passing,
            course.mobile_mean,
            work.route,
            work.outflow,
            work.in_flow,
        )
    for k in range(ndays):
        day = day0 + k
        if fast:
            leap_travel(
                x,
                links,
                today.travel,
                course.alive,
                course.mobile_draw,
                course.mobile_mean,
                gen,
                work,
                today.passing,
                free,
                mode.mean_above,
            )
        else:
            travel(
                x,
                links,
                today.travel,
                course.alive,
                course.mobile_draw,
                course.mobile_mean,
                mode.stochastic,
                gen,
                work,
                today.passing,
            )
        out.seeded[k, :] = 0.0
        for j in range(seeds.day.shape[0]):
            if seeds.day[j] == day:
                out.seeded[k, seeds.node[j]] += seed_people(
                    x,
                    seeds.node[j],
                    course.susceptible,
                    seeds.compartment[j],
                    seeds.count[j],
                    seeds.age[j],
                    mode.stochastic,
                    gen,
                )
        out.incidence[k, :, :] = 0.0
        if fast:
            fast_transitions(x, out.incidence[k], course, tab, today.transmission, mode, gen, work)
        else:
            transitions(x, out.incidence[k], course, today.transmission, mode, gen, work)
        summarise(x, course.infected, out.prevalence[k], out.infected_now[k])


@njit(cache=True, inline="always")
def _split(x, p, hdt, rates, total, out, mode, gen):
    """Leave with probability p = 1 - exp(-hdt), then split over competing transitions in
    proportion to rates."""
    k = rates.shape[0]
    if mode.stochastic:
        above = mode.leap_above
        left = float(leap_binomial(gen, np.int64(x), p, -hdt, above)) if p < 1.0 else float(x)
        rem_rate = total
        for t in range(k - 1):
            if left <= 0.0 or rem_rate <= 0.0:
                out[t] = 0.0
                continue
            q = min(1.0, rates[t] / rem_rate)
            d = float(leap_binomial(gen, np.int64(left), q, np.nan, above)) if q < 1.0 else left
            out[t] = d
            left -= d
            rem_rate -= rates[t]
        out[k - 1] = left
    else:
        leave = x * p
        for t in range(k):
            out[t] = leave * rates[t] / total


@njit(cache=True)
def transitions(x, inc, course, tmult, mode, gen, work):
    """Disease transitions over one day in `substeps` steps; adds per-transition flows to `inc`.

    Within a step every flow is computed from the state at the start of the step; competing
    risks leave a compartment with probability 1 - exp(-h dt) and split in proportion to rates.
    Nodes with nobody in a `watch` compartment are skipped. The arrays are taken out of their
    tuples here, once a day: taking them out in the per-cell loop costs ~15 % of a run.
    """
    n_nodes, n_ages, n_comp = x.shape
    tr_dst, tr_rate, tr_med = course.tr_dst, course.tr_rate, course.tr_med
    src_ptr, src_order, alive, med_w = course.src_ptr, course.src_order, course.alive, course.med_w
    contacts, watch, substeps = course.contacts, course.watch, course.substeps
    snap, lam, rates_buf, flow_buf = work.snap, work.lam, work.rates, work.flows
    dt = 1.0 / substeps
    per_node = contacts.shape[0] > 1
    fixed, fixed_total, fixed_p = _spontaneous(tr_rate, tr_med, src_ptr, src_order, dt)
    for n in range(n_nodes):
        if not _busy(x, n, watch):
            continue
        m = contacts[n] if per_node else contacts[0]
        for _ in range(substeps):
            for a in range(n_ages):
                for c in range(n_comp):
                    snap[a, c] = x[n, a, c]
            _force_of_infection(snap, m, tmult[n], alive, med_w, lam)
            for c in range(n_comp):
                lo, hi = src_ptr[c], src_ptr[c + 1]
                if lo == hi:
                    continue
                for a in range(n_ages):
                    xs = snap[a, c]
                    if xs <= 0:
                        continue
                    if fixed[c]:
                        total = fixed_total[c]
                        for j in range(lo, hi):
                            rates_buf[j - lo] = tr_rate[src_order[j]]
                    else:
                        total = 0.0
                        for j in range(lo, hi):
                            t = src_order[j]
                            r = tr_rate[t]
                            if tr_med[t] >= 0:
                                r *= lam[tr_med[t], a]
                            rates_buf[j - lo] = r
                            total += r
                    if total <= 0.0:
                        continue
                    hdt = total * dt
                    p = fixed_p[c] if fixed[c] else -np.expm1(-hdt)
                    _split(xs, p, hdt, rates_buf[: hi - lo], total, flow_buf, mode, gen)
                    gone = 0.0
                    for j in range(lo, hi):
                        f = flow_buf[j - lo]
                        if f > 0.0:
                            t = src_order[j]
                            gone += f
                            x[n, a, tr_dst[t]] += f
                            inc[n, t] += f
                    # one subtraction, floored at 0: float round-off never makes people negative
                    x[n, a, c] = max(x[n, a, c] - gone, 0)


@njit(cache=True, inline="always")
def _spontaneous(tr_rate, tr_med, src_ptr, src_order, dt):
    """Sources left only spontaneously have the same probabilities everywhere: which
    compartments they are, their total rate and leaving probability per step (once a day)."""
    n_comp = src_ptr.shape[0] - 1
    fixed = np.ones(n_comp, dtype=np.bool_)
    fixed_total = np.zeros(n_comp)
    for c in range(n_comp):
        for j in range(src_ptr[c], src_ptr[c + 1]):
            t = src_order[j]
            if tr_med[t] >= 0:
                fixed[c] = False
            fixed_total[c] += tr_rate[t]
    return fixed, fixed_total, -np.expm1(-fixed_total * dt)


@njit(cache=True, inline="always")
def _busy(x, n, watch):
    """Whether node n has anyone in a compartment that can start or undergo a transition."""
    for a in range(x.shape[1]):
        for c in watch:
            if x[n, a, c] > 0:
                return True
    return False


@njit(cache=True, inline="always")
def _force_of_infection(snap, m, tmult, alive, med_w, lam):
    """lam[k, a]: force of infection on age a of each mediated transition k (weights med_w[k]),
    from the node's state `snap` `(ages, compartments)`, contact matrix m, transmission
    multiplier."""
    n_ages, n_comp = snap.shape
    for k in range(med_w.shape[0]):
        for a in range(n_ages):
            lam[k, a] = 0.0
        for b in range(n_ages):
            pop = 0.0
            inf = 0.0
            for c in range(n_comp):
                if alive[c]:
                    pop += snap[b, c]
                inf += med_w[k, c] * snap[b, c]
            if inf > 0.0 and pop > 0.0:
                share = tmult * inf / pop
                for a in range(n_ages):
                    lam[k, a] += m[a, b] * share


@njit(cache=True)
def summarise(x, infected, prev, infected_now):
    """Prevalence by node and compartment (summed over ages) and infected people per node."""
    n_nodes, n_ages, n_comp = x.shape
    for n in range(n_nodes):
        tot = 0.0
        for c in range(n_comp):
            s = 0.0
            for a in range(n_ages):
                s += x[n, a, c]
            prev[n, c] = s
            if infected[c]:
                tot += s
        infected_now[n] = tot


@njit(cache=True)
def seed_people(x, node, s, target, count, age, stochastic, gen):
    """Move up to `count` susceptible people at `node` into `target`: all in age group `age`, or
    (age < 0) spread over ages in proportion to the susceptibles (one by one if stochastic)."""
    n_ages = x.shape[1]
    if age >= 0:
        m = min(x[node, age, s], count if not stochastic else np.floor(count + 0.5))
        x[node, age, s] -= m
        x[node, age, target] += m
        return float(m)
    total = 0.0
    for a in range(n_ages):
        total += x[node, a, s]
    if total <= 0.0:
        return 0.0
    if not stochastic:
        share = min(count / total, 1.0)
        moved = 0.0
        for a in range(n_ages):
            m = x[node, a, s] * share
            x[node, a, s] -= m
            x[node, a, target] += m
            moved += m
        return moved
    k = min(np.int64(np.floor(count + 0.5)), np.int64(total))
    left = np.int64(total)
    for _ in range(k):
        u = gen.random() * left
        a = 0
        acc = x[node, 0, s]
        while acc <= u and a < n_ages - 1:
            a += 1
            acc += x[node, a, s]
        x[node, a, s] -= 1
        x[node, a, target] += 1
        left -= 1
    return float(k)
