"""Recalibration of a nowcast's central spread from its own past errors, known on the as-of date.

The same method is run at each of the `past` previous as-of dates on what was known then; for
every row that has since been completely reported, the factor by which that nowcast's 50%
interval would have had to be stretched about its median to just reach the final count is
recorded, per horizon. Their median (the stretch that would have made half of them cover),
shrunk towards 1 by the number of past nowcasts (`shrink` of them weigh as much as the prior
stretch of 1), then stretches the current sample paths about their median: with `tails="own"`
within the 25–75% levels, fading to no stretch at the 2.5% and 97.5% levels (the tails stay
the method's own); with `tails="stretched"` at every level (the method's shape kept, its scale
corrected). (Stretching the 95% intervals by the 95% quantile of the past needs instead was
measured and dropped: with about 20 past nowcasts that quantile is the worst one, and after the
Christmas weeks it tripled the outer intervals for 20 weeks; WIS on SARI 2024/25 went from 0.58
to 0.64.) Each path keeps its rank, so sums over rows stay as coherent as the
method's own paths. It is the empirical method's idea (intervals from past errors) applied to a
model, and it uses only cells known on the as-of date (`NowcastInputs.counts` holds no other).

The past nowcasts depend only on what was known at their own as-of dates, so they are cached by
content (a backtest meets each of them again at every later as-of date) and drawn with a
generator seeded by that content: a cached and a fresh one are identical.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import Literal

import numpy as np
from scipy.stats import norm

from .nowcast_core import NowcastInputs

MIN_PAST = 5  # fewer complete past nowcasts of a horizon: no recalibration there
STRETCH = (1 / 3, 3.0)  # the stretch is kept within these bounds
CACHE_SIZE = 2048  # past nowcasts kept (16 kB each for 4 rows of 500 paths)
Drawn = tuple[np.ndarray, dict[str, object]]  # sample paths (rows, n) and diagnostics
Tails = Literal["own", "stretched"]  # how the outer levels move with the central stretch
Sampler = Callable[[NowcastInputs, np.random.Generator], Drawn]
_CACHE: OrderedDict[bytes, Drawn] = OrderedDict()


def recalibrate(
    inp: NowcastInputs,
    paths: np.ndarray,
    sample: Sampler,
    past: int,
    tag: str,
    shrink: float,
    tails: Tails,
) -> tuple[np.ndarray, np.ndarray]:
    """`paths` (rows, n) of the nowcast of `inp`, stretched about their medians by what its
    method (`sample`: inputs and generator to paths and diagnostics) needed at the `past`
    previous as-of dates; `tag` names the method and its settings in the cache. Returns the
    paths and the stretch of each row."""
    stretch = past_stretch(inp, sample, past, tag, shrink)
    return stretched(paths, stretch, tails), stretch


def past_stretch(
    inp: NowcastInputs, sample: Sampler, past: int, tag: str, shrink: float
) -> np.ndarray:
    """Per nowcast row (oldest first), the median stretch of the 50% interval that the past
    nowcasts needed, shrunk towards 1 (`shrink` past nowcasts weigh as much as 1); 1 where fewer
    than MIN_PAST are complete."""
    counts, known_at, h_n = inp.counts, inp.known_at, inp.incomplete
    t_n = counts.shape[0]
    complete = ~np.isnan(counts).any(axis=1)
    final = np.where(complete, np.nansum(counts, axis=1), np.nan)
    need: list[list[float]] = [[] for _ in range(h_n)]  # by horizon, 0 = the latest row
    for back in range(1, past + 1):
        cut = t_n - 1 - back  # the as-of row then
        if cut + 1 < inp.window + 2 * h_n - 1:
            break  # too little history then (as `nowcast` requires)
        rows = cut - np.arange(h_n)  # horizon h's row
        if not complete[rows].any():
            continue
        then = replace(
            inp,
            counts=np.where(known_at[: cut + 1] <= cut, counts[: cut + 1], np.nan),
            known_at=known_at[: cut + 1],
            weekday=None if inp.weekday is None else inp.weekday[: cut + 1],
        )
        old = past_paths(then, sample, tag)[0]  # (h_n, n), oldest row first
        for h, row in enumerate(rows):
            if complete[row]:
                need[h].append(needed_stretch(old[h_n - 1 - h], final[row]))
    out = np.ones(h_n)
    for h, values in enumerate(need):
        if len(values) >= MIN_PAST:
            weight = len(values) / (len(values) + shrink)
            raw = max(float(np.median(values)), 1e-3)
            out[h_n - 1 - h] = np.clip(raw**weight, *STRETCH)
    return out


def needed_stretch(paths: np.ndarray, truth: float) -> float:
    """The stretch of the 50% interval of `paths` about their median that just reaches `truth`
    (the half-width on its side of the median, at least 0.5)."""
    low, mid, high = np.quantile(paths, (0.25, 0.5, 0.75))
    width = high - mid if truth >= mid else mid - low
    return abs(truth - mid) / max(width, 0.5)


def stretched(paths: np.ndarray, stretch: np.ndarray, tails: Tails = "own") -> np.ndarray:
    """Each row's paths moved about its median: by the row's stretch within the 25–75% levels,
    and beyond them by 1 at 2.5–97.5% (`own`, interpolated in between on the normal scale) or by
    the same stretch (`stretched`); ranks kept, values rounded and not below 0."""
    n = paths.shape[1]
    z = np.abs(norm.ppf((np.arange(n) + 0.5) / n))
    z50, z95 = norm.ppf(0.75), norm.ppf(0.975)
    out = np.empty_like(paths, dtype=float)
    for i, row in enumerate(paths):
        order = np.argsort(row, kind="stable")
        value = row[order].astype(float)
        mid = np.median(value)
        scale = np.interp(z, (z50, z95), (stretch[i], 1.0 if tails == "own" else stretch[i]))
        moved = np.maximum.accumulate(mid + scale * (value - mid))
        out[i, order] = np.maximum(np.round(moved), 0.0)
    return out


def clear_cache() -> None:
    """Forget the cached past nowcasts (a benchmark's repeats then each pay for them)."""
    _CACHE.clear()


def past_paths(inp: NowcastInputs, sample: Sampler, tag: str) -> Drawn:
    """The paths of the nowcast of `inp` by the method `tag`, from the cache or drawn with a
    generator seeded by the content (so both are the same)."""
    digest = hashlib.sha1(tag.encode())
    digest.update(np.ascontiguousarray(inp.counts).tobytes())
    digest.update(repr((inp.counts.shape, inp.incomplete, inp.window, inp.n_paths)).encode())
    if inp.weekday is not None:
        digest.update(np.ascontiguousarray(inp.weekday).tobytes())
    key = digest.digest()
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    drawn = sample(inp, np.random.default_rng(int.from_bytes(key[:8], "little")))
    _CACHE[key] = drawn
    if len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return drawn
