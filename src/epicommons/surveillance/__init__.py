"""Surveillance analytics: read case reports (JHU, OWID, tidy CSV) with a cleaning report,
estimate Rt exactly as EpiEstim 2.2.4 does (Cori; Wallinga–Teunis), growth and doubling time."""

from .cases import CASE_COLUMNS, CaseData, Series
from .cleaning import CleaningReport, CleaningRules
from .cori import QUANTILES, RtEstimate, Windows, cori_posterior, overall_infectivity
from .estimate import estimate_rt, output_columns
from .growth import (
    doubling_time,
    growth_from_incidence,
    growth_from_rt,
    growth_rate_from_r,
    loglinear_growth,
)
from .readers import read_cases, read_jhu, read_owid, read_tidy
from .serial_interval import check_si_distr, discr_si, read_si_distr
from .wallinga_teunis import wallinga_teunis

__all__ = [
    "CASE_COLUMNS",
    "QUANTILES",
    "CaseData",
    "CleaningReport",
    "CleaningRules",
    "RtEstimate",
    "Series",
    "Windows",
    "check_si_distr",
    "cori_posterior",
    "discr_si",
    "doubling_time",
    "estimate_rt",
    "growth_from_incidence",
    "growth_from_rt",
    "growth_rate_from_r",
    "loglinear_growth",
    "output_columns",
    "overall_infectivity",
    "read_cases",
    "read_jhu",
    "read_owid",
    "read_si_distr",
    "read_tidy",
    "wallinga_teunis",
]
