"""calibrate: fit scenario parameters to reported cases and deaths (negative-binomial likelihood,
ABC-SMC), forecast from the posterior with scored prediction intervals, and run calibrations,
ensembles and scenario sweeps in-process or on a Dask cluster. Imports model, surveillance, world.

Names are imported from their modules on first use (PEP 562): `forecast/` needs only the scores
and the backends, and should not pay for importing the model and the samplers (1.5 s).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from epicommons._lazy import lazy_exports

_EXPORTS = {
    "Adjustment": "abc",
    "Generation": "abc",
    "Posterior": "abc",
    "abc_smc": "abc",
    "abc_smc_mcmc": "abc",
    "Batch": "batch",
    "run_batch": "batch",
    "Forecast": "forecast",
    "forecast": "forecast",
    "PointEstimate": "likelihood",
    "fit_likelihood": "likelihood",
    "Prior": "priors",
    "Parameter": "problem",
    "Problem": "problem",
    "build_problem": "problem",
    "restrict": "problem",
    "CalibrationSpec": "spec",
    "load": "spec",
    "parse": "spec",
}

__all__ = [
    "Adjustment",
    "Batch",
    "CalibrationSpec",
    "Forecast",
    "Generation",
    "Parameter",
    "PointEstimate",
    "Posterior",
    "Prior",
    "Problem",
    "abc_smc",
    "abc_smc_mcmc",
    "build_problem",
    "fit_likelihood",
    "forecast",
    "load",
    "parse",
    "restrict",
    "run_batch",
]


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)


if TYPE_CHECKING:
    from .abc import Adjustment, Generation, Posterior, abc_smc, abc_smc_mcmc
    from .batch import Batch, run_batch
    from .forecast import Forecast, forecast
    from .likelihood import PointEstimate, fit_likelihood
    from .priors import Prior
    from .problem import Parameter, Problem, build_problem, restrict
    from .spec import CalibrationSpec, load, parse
