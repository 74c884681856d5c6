"""Epidemic growth rate r and doubling time, with intervals, two ways.

1. From R through the generation interval (Wallinga & Lipsitch 2007): R = 1 / M(-r), with M the
   moment generating function of the generation interval, here the discrete serial interval w
   used for Rt: 1/R = Σ_k w_k e^{-r k}. The map R → r is increasing, so R's quantiles map to r's.
2. From a log-linear fit of smoothed incidence: a centred moving average, then least squares of
   log(incidence) on day over each window. The slope is a linear map of the raw days in the
   window and its smoothing margins, so its variance is σ² |Mᵀc|² with σ² the residual variance
   of a straight line through the raw log counts of that span (the OLS interval on smoothed
   values would ignore the correlation the moving average creates, and be far too narrow).
Doubling time is ln 2 / r for r > 0 (infinite otherwise; a negative r means halving).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from epicommons.errors import InputError

from .cases import CaseData
from .estimate import NUMBER_COLUMNS, as_case_data

LN2 = float(np.log(2.0))
NO_GROWTH = "a day without cases in the smoothed window (no log-linear fit)"


def growth_rate_from_r(
    r_values: np.ndarray, si_distr: np.ndarray, *, iterations: int = 60
) -> np.ndarray:
    """Solve 1/R = Σ_k w_k e^{-r k} for r, elementwise (NaN stays NaN, R = 0 gives -inf).

    Newton on g(r) = log Σ w_k e^{-rk} + log R, which is convex and decreasing, so the iterates
    converge monotonically after the first step from r = 0.
    """
    w = np.asarray(si_distr, dtype=float)
    if w.ndim != 1 or np.any(w < 0) or w.sum() <= 0 or w[0] != 0:
        raise InputError("the serial interval must be non-negative with w[0] = 0", field="w")
    support = np.flatnonzero(w > 0)
    k = support.astype(float)
    log_w = np.log(w[support])
    big_r = np.asarray(r_values, dtype=float)
    out = np.full(big_r.shape, np.nan)
    ok = np.isfinite(big_r) & (big_r > 0)
    out[np.isfinite(big_r) & (big_r == 0)] = -np.inf
    target = -np.log(big_r[ok])
    r = np.zeros(target.shape)
    for _ in range(iterations):
        exponent = log_w[None, :] - r[:, None] * k[None, :]
        log_m = special.logsumexp(exponent, axis=1)
        mean_k = np.exp(special.logsumexp(exponent, axis=1, b=k[None, :]) - log_m)
        step = (log_m - target) / mean_k  # g / -g'
        r = r + step
        if np.all(np.abs(step) <= 1e-14 * np.maximum(1.0, np.abs(r))):
            break
    out[ok] = r
    return out


def doubling_time(r: np.ndarray) -> np.ndarray:
    """ln 2 / r where r > 0, +inf where r ≤ 0 (the epidemic is not doubling)."""
    r = np.asarray(r, dtype=float)
    with np.errstate(divide="ignore"):
        return np.where(r > 0, LN2 / np.where(r > 0, r, 1.0), np.where(np.isnan(r), np.nan, np.inf))


def growth_from_rt(
    rt: pd.DataFrame, si_distr: np.ndarray, *, lower: str = "q0.025", upper: str = "q0.975"
) -> pd.DataFrame:
    """Add r (from the posterior mean and median) and its interval, and doubling times, to an Rt
    table from `estimate_rt`: columns `r`, `r_lower`, `r_upper`, `doubling_time`,
    `doubling_lower`, `doubling_upper` (the doubling interval comes from r's, reversed); Rt's
    empty windows (a reporting gap, ...) stay empty and keep their `note`."""
    out = rt.drop(columns=[c for c in NUMBER_COLUMNS if c in rt.columns])
    out["r"] = growth_rate_from_r(rt["q0.5"].to_numpy(), si_distr)
    out["r_lower"] = growth_rate_from_r(rt[lower].to_numpy(), si_distr)
    out["r_upper"] = growth_rate_from_r(rt[upper].to_numpy(), si_distr)
    _add_doubling(out)
    if "note" in out:
        out["note"] = out.pop("note")
    return out


def _add_doubling(frame: pd.DataFrame) -> None:
    frame["doubling_time"] = doubling_time(frame["r"].to_numpy())
    frame["doubling_lower"] = doubling_time(frame["r_upper"].to_numpy())
    frame["doubling_upper"] = doubling_time(frame["r_lower"].to_numpy())


def moving_average(incidence: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average over `width` days (odd); the ends without a full window are NaN."""
    if width < 1 or width % 2 == 0:
        raise InputError(
            f"the smoothing width must be an odd number of days, got {width}", field="smooth"
        )
    x = np.atleast_2d(np.asarray(incidence, dtype=float))
    out = np.full(x.shape, np.nan)
    half = width // 2
    c = np.concatenate([np.zeros((x.shape[0], 1)), np.cumsum(x, axis=1)], axis=1)
    if x.shape[1] >= width:
        out[:, half : x.shape[1] - half] = (c[:, width:] - c[:, :-width]) / width
    return out


def loglinear_growth(
    incidence: np.ndarray, *, smooth: int = 7, window: int = 14, level: float = 0.95
) -> dict[str, np.ndarray]:
    """Growth rate by least squares of log(smoothed incidence) on day, per sliding window.

    `incidence`: (series, T). Returns arrays (series, windows) `t_start`, `t_end` (1-based, the
    window's days), `r`, `r_lower`, `r_upper`; windows with a non-positive smoothed value are NaN.
    """
    if window < 3:
        raise InputError(f"the fit window must be at least 3 days, got {window}", field="window")
    if not 0 < level < 1:
        raise InputError(f"the interval level must be in (0, 1), got {level}", field="level")
    raw = np.atleast_2d(np.asarray(incidence, dtype=float))
    y_all = moving_average(raw, smooth)
    n_days = y_all.shape[1]
    if n_days < window + smooth - 1:
        raise InputError(
            f"{n_days} days are fewer than the {window}-day fit window plus smoothing",
            field="window",
        )
    log_y = _log_positive(y_all)
    views = np.lib.stride_tricks.sliding_window_view(log_y, window, axis=1)  # (n, W, window)
    x = np.arange(window, dtype=float) - (window - 1) / 2.0
    sxx = float(np.sum(x**2))
    slope = np.einsum("nwk,k->nw", views, x) / sxx
    # The slope is a linear map of the raw days under the window and its smoothing margins:
    # Var = σ² |Mᵀc|², σ² from a straight-line fit to the raw log counts of that span.
    half_width = smooth // 2
    span = window + smooth - 1
    kernel = np.zeros(span)
    for offset in range(smooth):
        kernel[offset : offset + window] += x / sxx / smooth
    raw_views = np.lib.stride_tricks.sliding_window_view(_log_positive(raw), span, axis=1)
    xs = np.arange(span, dtype=float) - (span - 1) / 2.0
    raw_slope = np.einsum("nwk,k->nw", raw_views, xs) / np.sum(xs**2)
    residual = raw_views - raw_views.mean(axis=2, keepdims=True) - raw_slope[..., None] * xs
    sigma2 = np.sum(residual**2, axis=2) / (span - 2)
    n_fit = slope.shape[1] - 2 * half_width
    slope = slope[:, half_width : half_width + n_fit]
    se = np.sqrt(sigma2[:, :n_fit] * np.sum(kernel**2))
    half = special.stdtrit(span - 2, 0.5 + level / 2.0) * se
    t_start = np.arange(1 + half_width, 1 + half_width + n_fit)
    return {
        "t_start": t_start,
        "t_end": t_start + window - 1,
        "r": slope,
        "r_lower": slope - half,
        "r_upper": slope + half,
    }


def _log_positive(values: np.ndarray) -> np.ndarray:
    """log of positive values, NaN elsewhere (zero days make a window's fit undefined)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(values > 0, np.log(np.where(values > 0, values, 1.0)), np.nan)


def growth_from_incidence(
    data: CaseData | pd.DataFrame | np.ndarray,
    *,
    smooth: int = 7,
    window: int = 14,
    level: float = 0.95,
) -> pd.DataFrame:
    """Log-linear growth rate and doubling time per country and window, as one table:
    `country`, `t_start`, `t_end`, (`date_start`, `date_end`), `r`, `r_lower`, `r_upper`,
    `doubling_time`, `doubling_lower`, `doubling_upper`, `note` (why a window is empty: no
    cases in it, or a reporting gap of the cleaning record within its smoothed days)."""
    cases = as_case_data(data)
    gaps = cases.report.gaps_by_series()
    parts = []
    for s in cases.series():
        fit = loglinear_growth(s.total[None, :], smooth=smooth, window=window, level=level)
        part = pd.DataFrame({"t_start": fit["t_start"], "t_end": fit["t_end"]})
        if cases.has_country:
            part.insert(0, "country", s.country)
        if cases.has_dates and s.dates is not None:
            part["date_start"] = s.dates[fit["t_start"] - 1]
            part["date_end"] = s.dates[fit["t_end"] - 1]
        for key in ("r", "r_lower", "r_upper"):
            part[key] = fit[key][0]
        part["note"] = np.where(part["r"].isna(), NO_GROWTH, "")
        margin = smooth // 2  # the fit reads the smoothed days, which reach this far out
        for gap in gaps.get(s.country, ()):
            hit = gap.overlaps(fit["t_start"] - margin, fit["t_end"] + margin)
            part.loc[hit, ["r", "r_lower", "r_upper"]] = np.nan
            part.loc[hit, "note"] = gap.reason()
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    _add_doubling(frame)
    return frame[[c for c in frame.columns if c != "note"] + ["note"]]
