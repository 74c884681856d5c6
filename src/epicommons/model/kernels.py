"""Compiled inner loops of the engine: one simulated day of one run.

State `x` is `(nodes, ages, compartments)`, float64 in the deterministic engine (expected values)
and int64 in the stochastic one (people). Flows are computed as float64 in both; in the stochastic
engine they are integer-valued draws. Numba pays here: the loops skip untouched nodes and empty
cells, which NumPy cannot do without copying (see docs/performance/engine.md).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

FEW = 8  # up to this many travellers from one cell pick their links one by one
NORMAL_ABOVE = 1000.0  # binomial variance above which the normal approximation is drawn


@njit(cache=True)
def binomial(gen, n, p):
    """Binomial(n, p) draw, faster than Generator.binomial for the engine's cases.

    Exact inversion when the mean is small (the common case: few events per cell and day);
    the normal approximation, rounded and clipped to [0, n], when the variance exceeds
    `NORMAL_ABOVE` (skewness below 0.03); NumPy's exact BTPE in between.
    """
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    return binomial_logq(gen, n, p, np.log1p(-p))


@njit(cache=True, inline="always")
def binomial_logq(gen, n, p, logq):
    """As `binomial`, given log(1 - p) (known without a log call when p = 1 - exp(-h dt))."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if p > 0.5:
        return n - _binomial_low(gen, n, 1.0 - p, np.nan)
    return _binomial_low(gen, n, p, logq)


@njit(cache=True, inline="always")
def _binomial_low(gen, n, p, logq):
    """Binomial draw for 0 < p <= 0.5; logq = log(1 - p) or NaN to compute it when needed."""
    mean = n * p
    if mean < 25.0:
        q = 1.0 - p
        s = p / q
        a = (n + 1) * s
        r = np.exp(n * (np.log1p(-p) if np.isnan(logq) else logq))
        u = gen.random()
        k = 0
        while u > r:
            u -= r
            k += 1
            if k > n:
                return n
            r *= a / k - s
            if r <= 0.0:
                break
        return k
    var = mean * (1.0 - p)
    if var > NORMAL_ABOVE:
        k = np.int64(np.floor(mean + np.sqrt(var) * gen.standard_normal() + 0.5))
        return min(max(k, 0), n)
    return gen.binomial(n, p)


@njit(cache=True, inline="always")
def _split(x, p, hdt, rates, total, out, stochastic, gen):
    """Leave with probability p = 1 - exp(-hdt), then split over competing transitions in
    proportion to rates."""
    k = rates.shape[0]
    if stochastic:
        left = float(binomial_logq(gen, np.int64(x), p, -hdt)) if p < 1.0 else float(x)
        rem_rate = total
        for t in range(k - 1):
            if left <= 0.0 or rem_rate <= 0.0:
                out[t] = 0.0
                continue
            q = min(1.0, rates[t] / rem_rate)
            d = float(binomial(gen, np.int64(left), q)) if q < 1.0 else left
            out[t] = d
            left -= d
            rem_rate -= rates[t]
        out[k - 1] = left
    else:
        leave = x * p
        for t in range(k):
            out[t] = leave * rates[t] / total


@njit(cache=True)
def transitions(
    x,
    inc,
    tr_dst,
    tr_rate,
    tr_med,
    med_w,
    src_ptr,
    src_order,
    alive,
    watch,
    contacts,
    tmult,
    substeps,
    stochastic,
    gen,
    snap,
    lam,
    rates_buf,
    flow_buf,
):
    """Disease transitions over one day in `substeps` steps; adds per-transition flows to `inc`.

    Within a step every flow is computed from the state at the start of the step; competing
    risks leave a compartment with probability 1 - exp(-h dt) and split in proportion to rates.
    """
    n_nodes, n_ages, n_comp = x.shape
    n_med = med_w.shape[0]
    dt = 1.0 / substeps
    per_node = contacts.shape[0] > 1
    # sources left only spontaneously have the same probabilities everywhere: compute them once
    fixed = np.ones(n_comp, dtype=np.bool_)
    fixed_total = np.zeros(n_comp)
    for c in range(n_comp):
        for j in range(src_ptr[c], src_ptr[c + 1]):
            t = src_order[j]
            if tr_med[t] >= 0:
                fixed[c] = False
            fixed_total[c] += tr_rate[t]
    fixed_p = -np.expm1(-fixed_total * dt)
    for n in range(n_nodes):
        busy = False
        for a in range(n_ages):
            for c in watch:
                if x[n, a, c] > 0:
                    busy = True
                    break
            if busy:
                break
        if not busy:
            continue
        m = contacts[n] if per_node else contacts[0]
        for _ in range(substeps):
            for a in range(n_ages):
                for c in range(n_comp):
                    snap[a, c] = x[n, a, c]
            # force of infection lam[k, a] for each mediated transition k
            for k in range(n_med):
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
                        share = tmult[n] * inf / pop
                        for a in range(n_ages):
                            lam[k, a] += m[a, b] * share
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
                    _split(xs, p, hdt, rates_buf[: hi - lo], total, flow_buf, stochastic, gen)
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
def _to_links(k, a, c, i, lo, hi, prob, cum, p_out, indices, delta, gen, passing):
    """Move k people of cell (a, c) from node i over its links lo..hi in proportion to prob.

    Up to `FEW` pick their links one by one (multinomial); more are allocated systematically.
    With pass factors (`passing` non-empty, `(links, compartments)`), of the m people assigned
    to link e Binomial(m, passing[e, c]) cross and the others stay at the origin.
    """
    if k <= 0:
        return
    screened = passing.shape[0] > 0
    moved = 0
    if k <= FEW:
        for _ in range(k):
            e = lo + np.searchsorted(cum[lo:hi], gen.random() * cum[hi - 1], side="right")
            e = min(e, hi - 1)
            if screened:
                q = passing[e, c]
                if q <= 0.0 or (q < 1.0 and gen.random() >= q):
                    continue
            delta[indices[e], a, c] += 1
            moved += 1
        delta[i, a, c] -= moved
        return
    s = gen.random()
    given = 0
    for e in range(lo, hi):
        before = np.floor(s)
        s += k * prob[e] / p_out
        m = min(np.int64(np.floor(s) - before), k - given)
        given += m
        if e == hi - 1:
            m += k - given  # float round-off: the rest to the last link
        if screened:
            m = binomial(gen, m, passing[e, c])
        delta[indices[e], a, c] += m
        moved += m
    delta[i, a, c] -= moved


@njit(cache=True)
def travel(
    x,
    delta,
    indptr,
    indices,
    flows,
    mult,
    alive,
    mobile_draw,
    mobile_mean,
    stochastic,
    gen,
    prob,
    cum,
    net,
    cells,
    passing,
):
    """Move people in mobile compartments along the links for one day.

    Deterministic: expected flows. Stochastic: the infected (`mobile_draw`, all ages) of a node
    leave by one binomial draw (everyone has the same chance to travel); up to `FEW` leavers are
    each a random infected person taking a random link (multinomial), more are allocated over
    ages, compartments and links by systematic sampling (each gets the floor or ceiling of its
    expected share: unbiased, exact total); compartments in `mobile_mean` (the large
    uninfected pools) are exchanged at their expected rates, rounded to whole people with one
    uniform per compartment and age (systematic rounding: unbiased, no one created or lost).
    `passing` `(links, compartments)` (empty: everyone passes) scales each compartment's flow on
    each link (screening, tests): expected flows and pools scale, drawn travellers cross with
    that probability; those stopped stay at their origin.
    """
    n_nodes, n_ages, n_comp = x.shape
    screened = passing.shape[0] > 0
    # per-link probability of leaving by that link today
    for i in range(n_nodes):
        pop = 0.0
        for a in range(n_ages):
            for c in range(n_comp):
                if alive[c]:
                    pop += x[i, a, c]
        total = 0.0
        for e in range(indptr[i], indptr[i + 1]):
            prob[e] = flows[e] * mult[e]
            total += prob[e]
        scale = 0.0
        if pop > 0.0 and total > 0.0:
            scale = 1.0 / max(pop, total)
        acc = 0.0
        for e in range(indptr[i], indptr[i + 1]):
            prob[e] *= scale
            acc += prob[e]
            cum[e] = acc
    delta[:] = 0
    if not stochastic:
        for i in range(n_nodes):
            for e in range(indptr[i], indptr[i + 1]):
                j = indices[e]
                pe = prob[e]
                if pe <= 0.0:
                    continue
                for a in range(n_ages):
                    for c in mobile_draw:
                        f = x[i, a, c] * pe * (passing[e, c] if screened else 1.0)
                        delta[i, a, c] -= f
                        delta[j, a, c] += f
                    for c in mobile_mean:
                        f = x[i, a, c] * pe * (passing[e, c] if screened else 1.0)
                        delta[i, a, c] -= f
                        delta[j, a, c] += f
        x += delta
        np.maximum(x, 0, x)  # float round-off when a day's travel empties a node
        return
    for i in range(n_nodes):
        lo, hi = indptr[i], indptr[i + 1]
        if lo == hi:
            continue
        p_out = 0.0
        for e in range(lo, hi):
            p_out += prob[e]
        if p_out <= 0.0:
            continue
        p_out = min(p_out, 1.0)
        # one draw for all travelling infected of the node (same leaving probability for all)
        n_draw = mobile_draw.shape[0]
        total = 0
        for a in range(n_ages):
            for k in range(n_draw):
                v = np.int64(x[i, a, mobile_draw[k]])
                cells[a * n_draw + k] = v
                total += v
        if total == 0:
            continue
        left = binomial(gen, total, p_out) if p_out < 1.0 else total
        if left == 0:
            continue
        if left <= FEW:  # few: each traveller is a random one of the node's infected
            for _ in range(left):
                u = gen.random() * total
                cell = 0
                acc = cells[0]
                while acc <= u and cell < n_ages * n_draw - 1:
                    cell += 1
                    acc += cells[cell]
                cells[cell] -= 1
                total -= 1
                _to_links(
                    1,
                    cell // n_draw,
                    mobile_draw[cell % n_draw],
                    i,
                    lo,
                    hi,
                    prob,
                    cum,
                    p_out,
                    indices,
                    delta,
                    gen,
                    passing,
                )
        else:  # many: systematic allocation over cells (unbiased, exact total)
            s = gen.random()
            given = 0
            for cell in range(n_ages * n_draw):
                before = np.floor(s)
                s += left * cells[cell] / total
                k = min(np.int64(np.floor(s) - before), left - given, cells[cell])
                given += k
                _to_links(
                    k,
                    cell // n_draw,
                    mobile_draw[cell % n_draw],
                    i,
                    lo,
                    hi,
                    prob,
                    cum,
                    p_out,
                    indices,
                    delta,
                    gen,
                    passing,
                )
                cells[cell] -= k
            while given < left:  # float round-off: give the rest to the fullest cell
                cell = np.argmax(cells)
                _to_links(
                    1,
                    cell // n_draw,
                    mobile_draw[cell % n_draw],
                    i,
                    lo,
                    hi,
                    prob,
                    cum,
                    p_out,
                    indices,
                    delta,
                    gen,
                    passing,
                )
                cells[cell] -= 1
                given += 1
    # uninfected pools: expected exchange in one sweep over links, then systematic rounding
    n_mean = mobile_mean.shape[0]
    width = n_ages * n_mean
    if width == 0:
        x += delta
        return
    net[:, :] = 0.0
    row = np.empty(width)
    for i in range(n_nodes):
        lo, hi = indptr[i], indptr[i + 1]
        if lo == hi:
            continue
        p_out = cum[hi - 1]
        for a in range(n_ages):
            for k in range(n_mean):
                row[a * n_mean + k] = x[i, a, mobile_mean[k]]
        if screened:
            for e in range(lo, hi):
                pe = prob[e]
                j = indices[e]
                for col in range(width):
                    f = row[col] * pe * passing[e, mobile_mean[col % n_mean]]
                    net[i, col] -= f
                    net[j, col] += f
            continue
        for col in range(width):
            net[i, col] -= row[col] * p_out
        for e in range(lo, hi):
            pe = prob[e]
            j = indices[e]
            for col in range(width):
                net[j, col] += row[col] * pe
    for a in range(n_ages):
        for k in range(n_mean):
            col = a * n_mean + k
            c = mobile_mean[k]
            s = gen.random()
            total = 0
            biggest = 0
            for j in range(n_nodes):
                v = net[j, col]
                fl = np.floor(v)
                before = np.floor(s)
                s += v - fl
                moved = np.int64(fl) + np.int64(np.floor(s) - before)
                delta[j, a, c] += moved
                total += moved
                if x[j, a, c] + delta[j, a, c] > x[biggest, a, c] + delta[biggest, a, c]:
                    biggest = j
            delta[biggest, a, c] -= total  # float round-off only: keeps the sum exactly zero
    x += delta


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


@njit(cache=True)
def run_days(
    x,
    day0,
    ndays,
    gen,
    stochastic,
    work,
    indptr,
    indices,
    flows,
    lmult,
    alive,
    infected,
    mobile_draw,
    mobile_mean,
    tr_dst,
    tr_rate,
    tr_med,
    med_w,
    src_ptr,
    src_order,
    watch,
    contacts,
    tmult,
    substeps,
    seed_node,
    seed_day,
    seed_comp,
    seed_count,
    seed_age,
    s_idx,
    prev,
    inc,
    infected_now,
    seeded,
    passing,
):
    """Days day0 .. day0+ndays of one run: travel, today's seeds, transitions, daily summaries.

    `passing` holds pass factors per link and compartment `(links, compartments)` for travel (an
    empty `(0, compartments)` array: everyone passes)."""
    for k in range(ndays):
        day = day0 + k
        travel(
            x,
            work.delta,
            indptr,
            indices,
            flows,
            lmult,
            alive,
            mobile_draw,
            mobile_mean,
            stochastic,
            gen,
            work.prob,
            work.cum,
            work.net,
            work.cells,
            passing,
        )
        seeded[k, :] = 0.0
        for j in range(seed_day.shape[0]):
            if seed_day[j] == day:
                seeded[k, seed_node[j]] += seed_people(
                    x,
                    seed_node[j],
                    s_idx,
                    seed_comp[j],
                    seed_count[j],
                    seed_age[j],
                    stochastic,
                    gen,
                )
        inc[k, :, :] = 0.0
        transitions(
            x,
            inc[k],
            tr_dst,
            tr_rate,
            tr_med,
            med_w,
            src_ptr,
            src_order,
            alive,
            watch,
            contacts,
            tmult,
            substeps,
            stochastic,
            gen,
            work.snap,
            work.lam,
            work.rates,
            work.flows,
        )
        summarise(x, infected, prev[k], infected_now[k])
