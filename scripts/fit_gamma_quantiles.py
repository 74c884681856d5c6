"""Fit and store the Chebyshev coefficients of gamma quantiles for EpiEstim's seven probabilities.

Writes src/epicommons/surveillance/data/gamma_quantile_chebyshev.json, read by
`epicommons.surveillance.gamma_quantiles` so that `epicommons rt` does not import scipy. The fit is
`fit_coefficients` (scipy.special.gammaincinv at the Chebyshev nodes); tests check the stored
numbers against a fresh fit.

Usage: .venv/bin/python scripts/fit_gamma_quantiles.py
"""

from __future__ import annotations

import json
from pathlib import Path

import scipy

from epicommons.surveillance.cori import QUANTILES
from epicommons.surveillance.gamma_quantiles import (
    DEGREE,
    SMALL_SHAPE,
    STORED_FITS,
    fit_coefficients,
)

OUT = Path(__file__).resolve().parents[1] / "src/epicommons/surveillance/data" / STORED_FITS


def main() -> None:
    stored = {
        "about": "Chebyshev coefficients of Q(a, q)/a in x = 2 u / u_max - 1, u = a^(-1/2), "
        "a >= small_shape; fitted by scripts/fit_gamma_quantiles.py",
        "scipy": scipy.__version__,
        "degree": DEGREE,
        "small_shape": SMALL_SHAPE,
        "coefficients": {repr(q): fit_coefficients(q).tolist() for q in QUANTILES},
    }
    OUT.write_text(json.dumps(stored, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
