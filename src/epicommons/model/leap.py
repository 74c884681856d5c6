"""Disease transitions of the fast engine (`kernels.Mode.leap_above` < inf), written for speed.

The same model and the same draws, in the same order, as `kernels.transitions` in fast mode (the
exact engine's kernel, kept as it is; tests/test_model_fast.py compares them draw for draw), but
what does not depend on the node is computed once per compiled call (`tables`: probabilities,
their logs, and the terms of the exact inversion of small cells left spontaneously), the per-cell
loop is written out with no array views or tuple lookups in it, and the draws are taken from the
Generator's bit generator (`draws.leap_binomial_bits`).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.np.random.generator_core import next_double

from .draws import leap_binomial_bits

ROWS = 128  # inversion terms are kept for cells of up to this many people


@njit(cache=True)
def fast_transitions(x, inc, course, tab, tmult, mode, gen, work):
    """`kernels.transitions` of the fast engine: disease transitions over one day in `substeps`
    steps, per-transition flows added to `inc`; the same draws, faster (see the module). `tab`:
    the course's `tables`, computed once per compiled call."""
    n_nodes, n_ages, n_comp = x.shape
    tr_dst, tr_rate, tr_med = course.tr_dst, course.tr_rate, course.tr_med
    src_ptr, src_order, alive, med_w = course.src_ptr, course.src_order, course.alive, course.med_w
    contacts, watch, substeps = course.contacts, course.watch, course.substeps
    snap, lam = work.snap, work.lam
    bits = gen.bit_generator
    above = mode.leap_above
    dt = 1.0 / substeps
    per_node = contacts.shape[0] > 1
    n_med = med_w.shape[0]
    tab, top, terms, filled = tab
    fixed, p_out, logq_out, logp_out = tab[0], tab[1], tab[2], tab[3]
    q_split, logq_split, logp_split = tab[4], tab[5], tab[6]
    rates = tab[7]
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
        mi = n if per_node else 0
        tm = tmult[n]
        for _ in range(substeps):
            for a in range(n_ages):
                for c in range(n_comp):
                    snap[a, c] = x[n, a, c]
            # force of infection, summed in `kernels._force_of_infection`'s order (zero terms
            # left out change no sum)
            for k in range(n_med):
                for a in range(n_ages):
                    lam[k, a] = 0.0
                for b in range(n_ages):
                    inf = 0.0
                    for c in range(n_comp):
                        if med_w[k, c] > 0.0:
                            inf += med_w[k, c] * snap[b, c]
                    if inf <= 0.0:
                        continue
                    pop = 0.0
                    for c in range(n_comp):
                        if alive[c]:
                            pop += snap[b, c]
                    if pop > 0.0:
                        share = tm * inf / pop
                        for a in range(n_ages):
                            lam[k, a] += contacts[mi, a, b] * share
            for c in range(n_comp):
                lo, hi = src_ptr[c], src_ptr[c + 1]
                if lo == hi:
                    continue
                last = src_order[hi - 1]
                for a in range(n_ages):
                    xs = np.int64(snap[a, c])
                    if xs <= 0:
                        continue
                    if fixed[c] > 0.0:
                        if p_out[c] <= 0.0:
                            continue
                        p = p_out[c]
                        mean = xs * p
                        if xs <= top[c] and not (mean >= above and xs - mean >= above):
                            # `_binomial_low_bits`'s inversion with its terms looked up
                            o = xs * (xs + 1) // 2
                            if not filled[c, xs]:
                                _fill(terms[c], o, xs, p, logq_out[c], logp_out[c])
                                filled[c, xs] = True
                            u = next_double(bits)
                            k = 0
                            r = terms[c, o]
                            while u > r:
                                u -= r
                                k += 1
                                if k > xs:
                                    k = xs
                                    break
                                r = terms[c, o + k]
                                if r <= 0.0:
                                    break
                            left = xs - k if p > 0.5 else k
                        else:
                            left = leap_binomial_bits(bits, xs, p, logq_out[c], logp_out[c], above)
                        gone = left
                        for j in range(lo, hi - 1):
                            if left <= 0:
                                break
                            d = leap_binomial_bits(
                                bits, left, q_split[j], logq_split[j], logp_split[j], above
                            )
                            if d > 0:
                                t = src_order[j]
                                x[n, a, tr_dst[t]] += d
                                inc[n, t] += d
                                left -= d
                    else:
                        total = 0.0
                        for j in range(lo, hi):
                            t = src_order[j]
                            r = tr_rate[t]
                            if tr_med[t] >= 0:
                                r *= lam[tr_med[t], a]
                            rates[j] = r
                            total += r
                        if total <= 0.0:
                            continue
                        hdt = total * dt
                        left = leap_binomial_bits(bits, xs, -np.expm1(-hdt), -hdt, np.nan, above)
                        gone = left
                        rem = total
                        for j in range(lo, hi - 1):
                            if left <= 0 or rem <= 0.0:
                                break
                            q = min(1.0, rates[j] / rem)
                            d = leap_binomial_bits(bits, left, q, np.nan, np.nan, above)
                            rem -= rates[j]
                            if d > 0:
                                t = src_order[j]
                                x[n, a, tr_dst[t]] += d
                                inc[n, t] += d
                                left -= d
                    if left > 0:
                        x[n, a, tr_dst[last]] += left
                        inc[n, last] += left
                    x[n, a, c] -= gone  # <= the step's start, <= x now: never negative


@njit(cache=True)
def tables(course, needed=True):
    """What the fast transitions look up instead of computing per cell, once per compiled call
    (nothing unless `needed`). `tab`, by row: per compartment, 1 where it is left only
    spontaneously, then its leaving probability per step and that probability's logs as
    `kernels._split` computes them; per position j of `src_order`, the conditional probability
    of taking transition j among those leaving (`_split`'s q; 0 from where its remaining rate is
    used up) and its logs; last, scratch for the rates of a cell. `top`, `terms`, `filled`: for
    each compartment left only spontaneously, the terms of the inversion `draws` makes for cells
    of 1 .. top[c] people (those it draws by inversion, up to ROWS): row n from n (n + 1) / 2 on,
    filled when first used."""
    tr_rate, tr_med, src_ptr, src_order = (
        course.tr_rate,
        course.tr_med,
        course.src_ptr,
        course.src_order,
    )
    dt = 1.0 / course.substeps
    n_comp = (src_ptr.shape[0] - 1) if needed else 0
    tab = np.zeros((8, max(n_comp, src_order.shape[0] if needed else 0, 1)))
    for c in range(n_comp):
        total = 0.0
        tab[0, c] = 1.0
        for j in range(src_ptr[c], src_ptr[c + 1]):
            t = src_order[j]
            if tr_med[t] >= 0:
                tab[0, c] = 0.0
            total += tr_rate[t]
        p = -np.expm1(-total * dt)
        tab[1, c], tab[2, c], tab[3, c] = p, -(total * dt), np.log1p(-(1.0 - p))
        rem = total
        for j in range(src_ptr[c], src_ptr[c + 1] - 1):
            if rem <= 0.0:
                break
            r = tr_rate[src_order[j]]
            q = min(1.0, r / rem)
            tab[4, j], tab[5, j], tab[6, j] = q, np.log1p(-q), np.log1p(-(1.0 - q))
            rem -= r
    top = np.zeros(n_comp, dtype=np.int64)
    for c in range(n_comp):
        p = tab[1, c]
        if tab[0, c] > 0.0 and 0.0 < p < 1.0:
            side = p if p <= 0.5 else 1.0 - p
            while top[c] < ROWS and (top[c] + 1) * side < 25.0:
                top[c] += 1
    terms = np.empty((n_comp, (ROWS + 1) * (ROWS + 2) // 2))
    return tab, top, terms, np.zeros((n_comp, ROWS + 1), dtype=np.bool_)


@njit(cache=True, inline="always")
def _fill(terms, o, n, p, logq, logp):
    """Terms r_0 .. r_n of `_binomial_low_bits`'s inversion of Binomial(n, p) (drawn on the side
    p or 1 - p it draws), computed as it computes them, from `terms[o]` on."""
    side, log_stay = (p, logq) if p <= 0.5 else (1.0 - p, logp)
    s = side / (1.0 - side)
    a = (n + 1) * s
    r = np.exp(n * log_stay)
    terms[o] = r
    for k in range(1, n + 1):
        r *= a / k - s
        terms[o + k] = r
