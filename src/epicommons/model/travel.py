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
    """The network's links in CSR order: row pointers, destinations, travellers per day; and
    the same links by destination (`in_ptr` rows, their origins `in_src` and positions
    `in_link` in CSR order) for the fast engine's gather."""

    indptr: np.ndarray
    indices: np.ndarray
    flows: np.ndarray
    in_ptr: np.ndarray
    in_src: np.ndarray
    in_link: np.ndarray


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
def routes(links, mult, passing, mobile_mean, route, outflow, in_flow):
    """Fast engine, once per compiled call: each node's flows (times multipliers) as running sums
    over its links (`route`) and in total (`outflow`), and each link's flow in destination order
    (`in_flow`). Returns whether the uninfected pools pass freely (no pass factor below 1 on
    them), so that `expected_exchange` may move them."""
    indptr, flows = links.indptr, links.flows
    for i in range(indptr.shape[0] - 1):
        acc = 0.0
        for e in range(indptr[i], indptr[i + 1]):
            acc += flows[e] * mult[e]
            route[e] = acc
        outflow[i] = acc
    for q in range(links.in_link.shape[0]):
        e = links.in_link[q]
        in_flow[q] = flows[e] * mult[e]
    for e in range(passing.shape[0]):
        for c in mobile_mean:
            if passing[e, c] != 1.0:
                return False
    return True


@njit(cache=True)
def leap_travel(
    x, links, mult, alive, mobile_draw, mobile_mean, gen, work, passing, free, mean_above
):
    """Fast engine's travel of one day. If the uninfected pools pass `free`ly: their expected
    exchange (`expected_exchange`), with the infected between two `big_nodes` when no pass
    factor applies at all, the other infected drawn by `leap_infected`, all settled into whole
    people by `settle`. Else the pools as in the exact engine, the infected by `leap_infected`."""
    big = work.big
    big[:] = False
    if links.indices.shape[0] == 0:
        return
    if free:
        if passing.shape[0] == 0 and mean_above < np.inf:
            big_nodes(x, mobile_draw, mean_above, big)
        expected_exchange(x, links, alive, mobile_mean, mobile_draw, work)
        leap_infected(x, links, alive, mobile_draw, gen, work, passing)
        settle(x, mobile_mean, mobile_draw, gen, work)
        return
    if mobile_mean.shape[0] > 0:
        link_probabilities(x, links, mult, alive, work.prob, work.cum)
        uninfected_pools(x, links, mobile_mean, gen, work, passing)
    leap_infected(x, links, alive, mobile_draw, gen, work, passing)
    x += work.delta
    work.delta[:] = 0


@njit(cache=True, inline="always")
def big_nodes(x, mobile_draw, mean_above, big):
    """Mark the nodes with at least `mean_above` people in the travelling infected
    compartments: between two of them the infected travel at expected rates."""
    n_ages = x.shape[1]
    for i in range(x.shape[0]):
        total = 0
        for a in range(n_ages):
            for c in mobile_draw:
                total += x[i, a, c]
        big[i] = total >= mean_above


@njit(cache=True, inline="always")
def expected_exchange(x, links, alive, mobile_mean, mobile_draw, work):
    """Fast engine: the expected net change of one day `work.net` `(nodes, columns)` of the
    uninfected pools (columns a * pools + k) and, between two `work.big` nodes, of the infected
    (the columns after), as `uninfected_pools` makes it (flow over max(people, outflow)), from
    the routes of the compiled call. Each node's shares first (`work.rows`), then each node
    gathers its arrivals over its incoming links."""
    indptr, indices = links.indptr, links.indices
    in_ptr, in_src = links.in_ptr, links.in_src
    route, outflow, in_flow = work.route, work.outflow, work.in_flow
    net, rows, big = work.net, work.rows, work.big
    n_nodes, n_ages, n_comp = x.shape
    n_mean, n_draw = mobile_mean.shape[0], mobile_draw.shape[0]
    pools, width = n_ages * n_mean, n_ages * (n_mean + n_draw)
    for i in range(n_nodes):
        for col in range(width):
            rows[i, col] = 0.0
            net[i, col] = 0.0
        w = outflow[i]
        if w <= 0.0:
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
                rows[i, col] = x[i, a, mobile_mean[k]] * scale
                net[i, col] = -w * rows[i, col]
        if big[i]:
            small, last = _to_small(route, indices, big, indptr[i], indptr[i + 1])
            work.small[i], work.last[i] = small, last
            sent = w - small
            for a in range(n_ages):
                for k in range(n_draw):
                    col = pools + a * n_draw + k
                    rows[i, col] = x[i, a, mobile_draw[k]] * scale
                    net[i, col] = -sent * rows[i, col]
    for j in range(n_nodes):  # unsigned indices: no wraparound checks (~1/3 of the time)
        cols = np.uint64(width if big[j] else pools)
        jj = np.uint64(j)
        for q in range(in_ptr[j], in_ptr[j + 1]):
            i = np.uint64(in_src[q])
            f = in_flow[q]
            for col in range(cols):
                net[jj, col] += f * rows[i, col]


@njit(cache=True, inline="always")
def settle(x, mobile_mean, mobile_draw, gen, work):
    """Fast engine: `work.net` rounded to whole people by systematic rounding over nodes, one
    uniform per column (unbiased, each column summing to zero exactly), added to `x` with the
    drawn arrivals of `work.delta` (which is left zeroed)."""
    net, delta, big = work.net, work.delta, work.big
    n_nodes, n_ages = x.shape[0], x.shape[1]
    n_mean, n_draw = mobile_mean.shape[0], mobile_draw.shape[0]
    pools, width = n_ages * n_mean, n_ages * (n_mean + n_draw)
    phase = np.empty(width)
    for col in range(width):
        phase[col] = gen.random()
    total = np.zeros(width, dtype=np.int64)
    for j in range(n_nodes):
        for a in range(n_ages):
            for k in range(n_mean):
                col = a * n_mean + k
                m = _round_next(net[j, col], phase, col)
                total[col] += m
                x[j, a, mobile_mean[k]] += m
            for k in range(n_draw):
                c = mobile_draw[k]
                if big[j]:
                    col = pools + a * n_draw + k
                    m = _round_next(net[j, col], phase, col)
                    total[col] += m
                    x[j, a, c] += m
                if delta[j, a, c] != 0:
                    x[j, a, c] += delta[j, a, c]
                    delta[j, a, c] = 0
    for col in range(width):  # float round-off only: the fullest node keeps each sum zero
        if total[col] != 0:
            if col < pools:
                a, c = col // n_mean, mobile_mean[col % n_mean]
            else:
                a, c = (col - pools) // n_draw, mobile_draw[(col - pools) % n_draw]
            biggest = 0
            for j in range(1, n_nodes):
                if x[j, a, c] > x[biggest, a, c]:
                    biggest = j
            x[biggest, a, c] -= total[col]


@njit(cache=True, inline="always")
def _round_next(v, phase, col):
    """The next node's whole people of column col in systematic rounding: floor(v), plus one
    when the running fractional sum `phase[col]` (from a uniform) crosses an integer."""
    if v == 0.0:
        return 0
    fl = np.floor(v)
    before = np.floor(phase[col])
    phase[col] += v - fl
    return np.int64(fl) + np.int64(np.floor(phase[col]) - before)


@njit(cache=True, inline="always")
def leap_infected(x, links, alive, mobile_draw, gen, work, passing):
    """Fast engine: the travelling infected of each node with infection, one exact binomial per
    node (everyone has the same chance, p = outflow / people, at most 1), spread over its links by
    systematic sampling (unbiased, exact total; up to `FEW` travellers each pick a link), and
    each link's travellers over cells (ages x infected compartments): up to `FEW` one by one, each
    a random infected person of the node, more by systematic sampling. Leavers are taken from
    `x`, arrivals added to `delta`. From a `work.big` node only the links to nodes that are not
    big are drawn here (the others moved at expected rates by `expected_exchange`): of the infected
    not expected to leave by those, less one per cell for the rounding, each leaves by one of
    them with probability (their flow) / (people - flow to big nodes)."""
    indptr, indices = links.indptr, links.indices
    route, outflow, cells, delta, big = work.route, work.outflow, work.cells, work.delta, work.big
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
        last = hi - 1
        if big[i]:
            w, last = work.small[i], work.last[i]  # from `expected_exchange`
            if w <= 0.0:
                continue
            sent = outflow[i] - w
            away = sent / max(pop, outflow[i])  # the share expected to leave to big nodes
            total = 0
            for cell in range(width):
                cells[cell] = max(cells[cell] - np.int64(np.ceil(cells[cell] * away)) - 1, 0)
                total += cells[cell]
            if total == 0:
                continue
            pop -= sent
        p_out = w / pop if pop > w else 1.0
        left = binomial(gen, total, p_out) if p_out < 1.0 else total
        if left == 0:
            continue
        if left <= FEW and not big[i]:  # few: each picks a link, a random one of the infected
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
        for e in range(lo, last + 1):
            f = route[e] - prev
            prev = route[e]
            j = indices[e]
            if big[i] and big[j]:
                continue
            before = np.floor(s)
            s += left * f / w
            m = min(np.int64(np.floor(s) - before), left - given)
            if e == last:
                m = left - given  # float round-off: the rest to the last link
            given += m
            if m <= 0:
                continue
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
def _to_small(route, indices, big, lo, hi):
    """Flow per day of links lo..hi (one node's) to nodes that are not big, and the last such
    link (lo - 1 if none)."""
    flow = 0.0
    last = lo - 1
    prev = 0.0
    for e in range(lo, hi):
        if not big[indices[e]]:
            flow += route[e] - prev
            last = e
        prev = route[e]
    return flow, last


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
