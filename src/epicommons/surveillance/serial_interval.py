"""Serial interval distributions on whole days, discretised exactly as EpiEstim 2.2.4 does.

`w[k]` is the probability that the serial interval is `k` days (k = 0, 1, ...); EpiEstim requires
`w[0] == 0` and a sum of 1 within 0.01, and uses the parametric discretisation unnormalised.
"""

from __future__ import annotations

import functools
import math
from os import PathLike

import numpy as np

from epicommons.doubts import doubt
from epicommons.errors import InputError

from .incomplete_gamma import gammainc

SI_DOUBTFUL_ABOVE = 30.0  # days: a serial interval longer than a month is doubtful
SUM_TOLERANCE = 0.01  # EpiEstim's check_si_distr: |sum(w) - 1| > 0.01 is an error


def check_si_parameters(mean: float, sd: float) -> None:
    """A gamma serial interval needs a finite mean above 1 day (EpiEstim's offset gamma starts at
    1) and a finite sd above 0; NaN is refused, not passed on as blank estimates."""
    if not (math.isfinite(mean) and mean > 1):
        raise InputError(
            f"the serial interval's mean must be a finite number of days > 1, got {mean}",
            field="si_mean",
        )
    if not (math.isfinite(sd) and sd > 0):
        raise InputError(
            f"the serial interval's sd must be a finite number of days > 0, got {sd}",
            field="si_sd",
        )
    if mean > SI_DOUBTFUL_ABOVE:
        doubt(
            f"a serial interval of {mean:,.0f} days is longer than that of the infections Rt is "
            "usually estimated for (respiratory infections 2–10 days, Ebola about 15): is the "
            "unit days?",
            field="si_mean",
        )


def discr_si(k: np.ndarray, mean: float, sd: float) -> np.ndarray:
    """Discretised gamma serial interval (Cori et al. 2013, web appendix 11), as EpiEstim `discr_si`.

    The offset gamma (shape ((mean-1)/sd)^2, scale sd^2/(mean-1)) is integrated against a triangular
    kernel, so sum(k * w_k) is the mean; negative values from rounding are set to 0; not renormalised.
    """
    check_si_parameters(mean, sd)
    k = np.asarray(k, dtype=float)
    return _discretised(k.tobytes(), k.shape, float(mean), float(sd)).copy()


@functools.lru_cache(maxsize=256)
def _discretised(k_bytes: bytes, shape: tuple[int, ...], mean: float, sd: float) -> np.ndarray:
    """`discr_si` of checked parameters, cached: an assessment asks for the same one per member
    and forecast (131 times), and each takes 17 ms of incomplete gamma functions."""
    k = np.frombuffer(k_bytes, dtype=float).reshape(shape)
    a = ((mean - 1.0) / sd) ** 2
    b = sd**2 / (mean - 1.0)

    def cdf(shape: float, x: np.ndarray) -> np.ndarray:  # R's pgamma(x, shape, scale = b)
        return gammainc(shape, np.maximum(x, 0.0) / b)

    with np.errstate(all="ignore"):  # an sd far below a day overflows the gamma's shape
        res = k * cdf(a, k) + (k - 2) * cdf(a, k - 2) - 2 * (k - 1) * cdf(a, k - 1)
        res = res + a * b * (2 * cdf(a + 1, k - 1) - cdf(a + 1, k - 2) - cdf(a + 1, k))
    if not np.all(np.isfinite(res)):
        raise InputError(
            f"a gamma serial interval with mean {mean:g} and sd {sd:g} days cannot be "
            "discretised on whole days (its shape overflows); use a larger sd or give the "
            "distribution itself",
            field="si_sd",
        )
    return np.maximum(res, 0.0)


def check_si_distr(w: np.ndarray, *, source: str | None = None) -> np.ndarray:
    """Validate a non-parametric serial interval as EpiEstim does: w[0] = 0, w >= 0, sum 1 ± 0.01."""
    w = np.asarray(w, dtype=float)
    if w.ndim != 1 or w.size == 0:
        raise InputError("the serial interval must be a non-empty vector", source=source)
    if not np.all(np.isfinite(w)):
        raise InputError("the serial interval must hold finite numbers", source=source, field="w")
    if w[0] != 0:
        raise InputError(
            f"the serial interval must start at k = 0 with w = 0 (no same-day transmission), "
            f"got w[0] = {w[0]}",
            source=source,
            line=2 if source else None,
            field="w",
        )
    if np.any(w < 0):
        k = int(np.flatnonzero(w < 0)[0])
        raise InputError(
            f"w[{k}] = {w[k]} is negative",
            source=source,
            line=k + 2 if source else None,
            field="w",
        )
    total = float(w.sum())
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise InputError(
            f"the serial interval must sum to 1 (± {SUM_TOLERANCE}), it sums to {total:.6g}",
            source=source,
            field="w",
        )
    return w


def read_si_distr(path: str | PathLike[str]) -> np.ndarray:
    """Read a serial interval CSV with columns `k,w` (k = 0, 1, 2, ... consecutive, from 0)."""
    import pandas as pd  # here: the parametric path of `epicommons rt` must not pay its import

    source = str(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the serial interval CSV: {exc}", source=source) from exc
    table.columns = [c.strip() for c in table.columns]
    for column in ("k", "w"):
        if column not in table.columns:
            raise InputError(f"missing column {column!r} (expected columns k,w)", source=source)
    if len(table) == 0:
        raise InputError("the serial interval CSV has no rows", source=source)
    ws = np.empty(len(table), dtype=float)
    for i, (k_text, w_text) in enumerate(zip(table["k"], table["w"], strict=True)):
        line = i + 2
        try:
            k_value = float(k_text)
        except ValueError:
            raise InputError(
                f"expected an integer, got {k_text!r}", source=source, line=line, field="k"
            ) from None
        if not k_value.is_integer() or k_value != i:
            raise InputError(
                f"k must run 0, 1, 2, ... in order; expected {i}, got {k_text!r}",
                source=source,
                line=line,
                field="k",
            )
        try:
            ws[i] = float(w_text)
        except ValueError:
            raise InputError(
                f"expected a number, got {w_text!r}", source=source, line=line, field="w"
            ) from None
    return check_si_distr(ws, source=source)
