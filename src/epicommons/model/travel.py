"""Compiled travel of one day: people in mobile compartments move along the network's links.

Deterministic: expected flows. Stochastic: the infected of a node leave by one binomial draw
(everyone has the same chance to travel) and are spread over ages, compartments and links
(`infected_travellers`); the large uninfected pools are exchanged at their expected rates,
rounded to whole people without creating or losing anyone (`uninfected_pools`). Pass factors
`(links, compartments)` (an empty `(0, compartments)` array: everyone passes) scale each
compartment's flow on each link (screening, tests); those stopped stay at their origin.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from .draws import binomial

FEW = 8  # up to this many travellers from one cell pick their links one by one


class Links(NamedTuple):
    """The network's links in CSR order: row pointers, destinations, travellers per day."""

    indptr: np.ndarray
    indices: np.ndarray
    flows: np.ndarray


class Origin(NamedTuple):
    """A node's links today: position, its links lo..hi, the chance of leaving by any of them."""

    node: int
    lo: int
    hi: int
    p_out: float


@njit(cache=True)
def travel(x, links, mult, alive, mobile_draw, mobile_mean, stochastic, gen, work, passing):
    """Move the mobile compartments of `x` `(nodes, ages, compartments)` for one day.

    `mult` multiplies each link's flow; `work` is the engine's `Workspace` (its `delta`, `prob`,
    `cum`, `net` and `cells` are overwritten).
    """
    link_probabilities(x, links, mult, alive, work.prob, work.cum)
    work.delta[:] = 0
    if not stochastic:
        expected_travel(x, links, work.prob, mobile_draw, work.delta, passing)
        expected_travel(x, links, work.prob, mobile_mean, work.delta, passing)
        x += work.delta
        np.maximum(x, 0, x)  # float round-off when a day's travel empties a node
        return
    infected_travellers(x, links, mobile_draw, gen, work, passing)
    if mobile_mean.shape[0] > 0:
        uninfected_pools(x, links, mobile_mean, gen, work, passing)
    x += work.delta


@njit(cache=True, inline="always")
def link_probabilities(x, links, mult, alive, prob, cum):
    """Per-link probability of leaving by that link today (`prob`) and its running sum per
    node (`cum`): flow times multiplier over the node's people, scaled down if over 1."""
    n_nodes, n_ages, n_comp = x.shape
    indptr, flows = links.indptr, links.flows
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


@njit(cache=True, inline="always")
def expected_travel(x, links, prob, mobile, delta, passing):
    """Deterministic engine: add the expected flows of compartments `mobile` to `delta`."""
    n_ages = x.shape[1]
    indptr, indices = links.indptr, links.indices
    screened = passing.shape[0] > 0
    for i in range(x.shape[0]):
        for e in range(indptr[i], indptr[i + 1]):
            j = indices[e]
            pe = prob[e]
            if pe <= 0.0:
                continue
            for a in range(n_ages):
                for c in mobile:
                    f = x[i, a, c] * pe * (passing[e, c] if screened else 1.0)
                    delta[i, a, c] -= f
                    delta[j, a, c] += f


@njit(cache=True, inline="always")
def infected_travellers(x, links, mobile_draw, gen, work, passing):
    """Stochastic: draw the travelling infected of every node and add their moves to `delta`.
    The arrays are taken out of their tuples here, once a day, not in the per-node loops."""
    indptr, indices = links.indptr, links.indices
    prob, cum, cells, delta = work.prob, work.cum, work.cells, work.delta
    for i in range(x.shape[0]):
        lo, hi = indptr[i], indptr[i + 1]
        if lo == hi:
            continue
        p_out = 0.0
        for e in range(lo, hi):
            p_out += prob[e]
        if p_out <= 0.0:
            continue
        origin = Origin(i, lo, hi, min(p_out, 1.0))
        _node_infected(x, origin, indices, prob, cum, cells, delta, mobile_draw, gen, passing)


@njit(cache=True, inline="always")
def _node_infected(x, origin, indices, prob, cum, cells, delta, mobile_draw, gen, passing):
    """One binomial draw for all travelling infected of a node (same chance for all); up to
    `FEW` leavers are each a random infected person, more are allocated over cells (ages x
    compartments) by systematic sampling (floor or ceiling of the expected share: unbiased,
    exact total)."""
    n_ages = x.shape[1]
    n_draw = mobile_draw.shape[0]
    total = 0
    for a in range(n_ages):
        for k in range(n_draw):
            v = np.int64(x[origin.node, a, mobile_draw[k]])
            cells[a * n_draw + k] = v
            total += v
    if total == 0:
        return
    left = binomial(gen, total, origin.p_out) if origin.p_out < 1.0 else total
    if left == 0:
        return
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
            _send(1, cell, origin, indices, prob, cum, delta, mobile_draw, gen, passing)
        return
    s = gen.random()
    given = 0
    for cell in range(n_ages * n_draw):
        before = np.floor(s)
        s += left * cells[cell] / total
        k = min(np.int64(np.floor(s) - before), left - given, cells[cell])
        given += k
        _send(k, cell, origin, indices, prob, cum, delta, mobile_draw, gen, passing)
        cells[cell] -= k
    while given < left:  # float round-off: give the rest to the fullest cell
        cell = np.argmax(cells)
        _send(1, cell, origin, indices, prob, cum, delta, mobile_draw, gen, passing)
        cells[cell] -= 1
        given += 1


@njit(cache=True, inline="always")
def _send(k, cell, origin, indices, prob, cum, delta, mobile_draw, gen, passing):
    """Move k people of cell (age, drawn compartment) = divmod(cell, len(mobile_draw)) from the
    origin over its links in proportion to `prob`.

    Up to `FEW` pick their links one by one (multinomial); more are allocated systematically.
    With pass factors, of the m people assigned to link e Binomial(m, passing[e, c]) cross and
    the others stay at the origin.
    """
    if k <= 0:
        return
    n_draw = mobile_draw.shape[0]
    a, c = cell // n_draw, mobile_draw[cell % n_draw]
    lo, hi = origin.lo, origin.hi
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
        delta[origin.node, a, c] -= moved
        return
    s = gen.random()
    given = 0
    for e in range(lo, hi):
        before = np.floor(s)
        s += k * prob[e] / origin.p_out
        m = min(np.int64(np.floor(s) - before), k - given)
        given += m
        if e == hi - 1:
            m += k - given  # float round-off: the rest to the last link
        if screened:
            m = binomial(gen, m, passing[e, c])
        delta[indices[e], a, c] += m
        moved += m
    delta[origin.node, a, c] -= moved


@njit(cache=True, inline="always")
def uninfected_pools(x, links, mobile_mean, gen, work, passing):
    """Stochastic: the uninfected pools' expected exchange in one sweep over links (`net`),
    rounded to whole people with one uniform per compartment and age (systematic rounding:
    unbiased, no one created or lost), added to `delta`."""
    _pool_exchange(
        x, links.indptr, links.indices, mobile_mean, work.prob, work.cum, work.net, passing
    )
    _round_pools(x, mobile_mean, gen, work.net, work.delta)


@njit(cache=True, inline="always")
def _pool_exchange(x, indptr, indices, mobile_mean, prob, cum, net, passing):
    """Expected net change of each node's uninfected pools `net` `(nodes, ages x pools)`."""
    n_nodes, n_ages = x.shape[0], x.shape[1]
    n_mean = mobile_mean.shape[0]
    width = n_ages * n_mean
    screened = passing.shape[0] > 0
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


@njit(cache=True, inline="always")
def _round_pools(x, mobile_mean, gen, net, delta):
    """Systematic rounding of `net` into whole people in `delta`, summing to zero exactly."""
    n_nodes, n_ages = x.shape[0], x.shape[1]
    n_mean = mobile_mean.shape[0]
    for a in range(n_ages):
        for k in range(n_mean):
            col = a * n_mean + k
            c = mobile_mean[k]
            s = gen.random()
            total = 0
            for j in range(n_nodes):
                v = net[j, col]
                fl = np.floor(v)
                before = np.floor(s)
                s += v - fl
                moved = np.int64(fl) + np.int64(np.floor(s) - before)
                delta[j, a, c] += moved
                total += moved
            if total != 0:  # float round-off only: the fullest node keeps the sum exactly zero
                biggest = 0
                for j in range(1, n_nodes):
                    if x[j, a, c] + delta[j, a, c] > x[biggest, a, c] + delta[biggest, a, c]:
                        biggest = j
                delta[biggest, a, c] -= total


@njit(cache=True)
def routes(links, mult, passing, mobile_mean, route, outflow):
    """Fast engine, once per compiled call: each node's flows (times multipliers) as running sums
    over its links (`route`) and in total (`outflow`). Returns whether the uninfected pools
    pass freely (no pass factor below 1 on them), so that `routed_pools` may move them."""
    indptr, flows = links.indptr, links.flows
    for i in range(indptr.shape[0] - 1):
        acc = 0.0
        for e in range(indptr[i], indptr[i + 1]):
            acc += flows[e] * mult[e]
            route[e] = acc
        outflow[i] = acc
    for e in range(passing.shape[0]):
        for c in mobile_mean:
            if passing[e, c] != 1.0:
                return False
    return True


@njit(cache=True)
def leap_travel(x, links, mult, alive, mobile_draw, mobile_mean, gen, work, passing, free):
    """Fast engine's travel of one day: the uninfected pools by `routed_pools` if they pass
    `free`ly, else as in the exact engine; the infected by `leap_infected`."""
    delta = work.delta
    if mobile_mean.shape[0] > 0:
        if free:
            routed_pools(x, links, alive, mobile_mean, gen, work)
        else:
            link_probabilities(x, links, mult, alive, work.prob, work.cum)
            uninfected_pools(x, links, mobile_mean, gen, work, passing)
    leap_infected(x, links, alive, mobile_draw, gen, work, passing)
    x += delta
    delta[:] = 0


@njit(cache=True, inline="always")
def routed_pools(x, links, alive, mobile_mean, gen, work):
    """Fast engine: the uninfected pools' expected exchange of one day, as `uninfected_pools`
    makes it (flow over max(people, outflow) of each pool), from each node's routes of the
    compiled call (`work.route`, `work.outflow`) instead of the day's link probabilities, and
    rounded the same way."""
    indptr, indices = links.indptr, links.indices
    route, outflow, net = work.route, work.outflow, work.net
    n_nodes, n_ages, n_comp = x.shape
    n_mean = mobile_mean.shape[0]
    width = n_ages * n_mean
    row = np.empty(width)
    net[:, :] = 0.0
    for i in range(n_nodes):
        lo, hi = indptr[i], indptr[i + 1]
        w = outflow[i]
        if lo == hi or w <= 0.0:
            continue
        pop = 0.0
        for a in range(n_ages):
            for c in range(n_comp):
                if alive[c]:
                    pop += x[i, a, c]
        if pop <= 0.0:
            continue
        scale = 1.0 / max(pop, w)
        for a in range(n_ages):
            for k in range(n_mean):
                col = a * n_mean + k
                row[col] = x[i, a, mobile_mean[k]] * scale
                net[i, col] -= w * row[col]
        prev = 0.0
        for e in range(lo, hi):
            f = route[e] - prev
            prev = route[e]
            j = indices[e]
            for col in range(width):
                net[j, col] += f * row[col]
    _round_pools(x, mobile_mean, gen, net, work.delta)


@njit(cache=True, inline="always")
def leap_infected(x, links, alive, mobile_draw, gen, work, passing):
    """Fast engine: the travelling infected of each node with infection, one exact binomial per
    node (everyone has the same chance, p = outflow / people, at most 1), spread over its links by
    systematic sampling (unbiased, exact total; up to `FEW` travellers each pick a link), and
    each link's travellers over cells (ages x infected compartments): up to `FEW` one by one, each
    a random infected person of the node, more by systematic sampling. Leavers are taken from
    `x`, arrivals added to `delta`."""
    indptr, indices = links.indptr, links.indices
    route, outflow, cells, delta = work.route, work.outflow, work.cells, work.delta
    n_ages = x.shape[1]
    n_draw = mobile_draw.shape[0]
    width = n_ages * n_draw
    screened = passing.shape[0] > 0
    for i in range(x.shape[0]):
        lo, hi = indptr[i], indptr[i + 1]
        w = outflow[i]
        if lo == hi or w <= 0.0:
            continue
        total = 0
        for a in range(n_ages):
            for k in range(n_draw):
                v = np.int64(x[i, a, mobile_draw[k]])
                cells[a * n_draw + k] = v
                total += v
        if total == 0:
            continue
        pop = 0.0
        for a in range(n_ages):
            for c in range(x.shape[2]):
                if alive[c]:
                    pop += x[i, a, c]
        p_out = w / pop if pop > w else 1.0
        left = binomial(gen, total, p_out) if p_out < 1.0 else total
        if left == 0:
            continue
        if left <= FEW:  # few: each picks a link and is a random one of the node's infected
            for _ in range(left):
                e = lo + np.searchsorted(route[lo:hi], gen.random() * w, side="right")
                e = min(e, hi - 1)
                j = indices[e]
                cell = _pick(cells, total, gen)
                total -= 1
                a, c = cell // n_draw, mobile_draw[cell % n_draw]
                crossed = 1 if not screened else binomial(gen, 1, passing[e, c])
                x[i, a, c] -= crossed
                delta[j, a, c] += crossed
            continue
        s = gen.random()
        given = 0
        prev = 0.0
        for e in range(lo, hi):
            before = np.floor(s)
            s += left * (route[e] - prev) / w
            prev = route[e]
            m = min(np.int64(np.floor(s) - before), left - given)
            if e == hi - 1:
                m = left - given  # float round-off: the rest to the last link
            given += m
            if m <= 0:
                continue
            j = indices[e]
            if m <= FEW:  # `_pick` written out: a call here costs its arrays' reference counts
                for _ in range(m):
                    u = gen.random() * total
                    cell = 0
                    acc = cells[0]
                    while acc <= u and cell < width - 1:
                        cell += 1
                        acc += cells[cell]
                    cells[cell] -= 1
                    total -= 1
                    a, c = cell // n_draw, mobile_draw[cell % n_draw]
                    crossed = 1 if not screened else binomial(gen, 1, passing[e, c])
                    x[i, a, c] -= crossed
                    delta[j, a, c] += crossed
                continue
            u = gen.random()
            share = m / total
            got = 0
            for cell in range(width):
                u += cells[cell] * share
                k = min(np.int64(u) - got, m - got, cells[cell])
                if cell == width - 1 and got + k < m:  # float round-off: the rest from the
                    cell = np.argmax(cells)  # fullest cell
                    k = min(m - got, cells[cell])
                    u = 0.0
                if k <= 0:
                    continue
                got += k
                cells[cell] -= k
                a, c = cell // n_draw, mobile_draw[cell % n_draw]
                if screened:
                    k = binomial(gen, k, passing[e, c])
                x[i, a, c] -= k
                delta[j, a, c] += k
            total -= got


@njit(cache=True, inline="always")
def _pick(cells, total, gen):
    """A random one of the `total` people counted in `cells`, taken out: its cell."""
    u = gen.random() * total
    cell = 0
    acc = cells[0]
    last = cells.shape[0] - 1
    while acc <= u and cell < last:
        cell += 1
        acc += cells[cell]
    cells[cell] -= 1
    return cell
