"""calibrate: fit scenario parameters to reported cases and deaths (negative-binomial likelihood,
ABC-SMC), forecast from the posterior with scored prediction intervals, and run calibrations,
ensembles and scenario sweeps in-process or on a Dask cluster. Imports model, surveillance, world.
"""

from .abc import Adjustment, Generation, Posterior, abc_smc, abc_smc_mcmc
from .backend import DaskBackend, InProcess, open_backend
from .batch import Batch, run_batch
from .forecast import Forecast, forecast
from .likelihood import PointEstimate, fit_likelihood
from .priors import Prior
from .problem import Parameter, Problem, build_problem, restrict
from .scoring import QUANTILES, crps_ensemble, interval_score, weighted_interval_score
from .spec import CalibrationSpec, load, parse

__all__ = [
    "QUANTILES",
    "Adjustment",
    "Batch",
    "CalibrationSpec",
    "DaskBackend",
    "Forecast",
    "Generation",
    "InProcess",
    "Parameter",
    "PointEstimate",
    "Posterior",
    "Prior",
    "Problem",
    "abc_smc",
    "abc_smc_mcmc",
    "build_problem",
    "crps_ensemble",
    "fit_likelihood",
    "forecast",
    "interval_score",
    "load",
    "open_backend",
    "parse",
    "restrict",
    "run_batch",
    "weighted_interval_score",
]
