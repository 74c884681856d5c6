"""Surveillance analytics: read case reports (JHU, OWID, tidy CSV) with a cleaning report that
also finds series that stop reporting, estimate Rt exactly as EpiEstim 2.2.4 does (Cori;
Wallinga–Teunis), growth and doubling time, leaving windows over reporting gaps empty.

Names are imported from their modules on first use (PEP 562), so that `epicommons rt` on a JHU
file loads neither pandas nor the growth and long-format code it does not run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from epicommons._lazy import lazy_exports

_EXPORTS = {
    "CASE_COLUMNS": "cases",
    "CaseData": "cases",
    "Series": "cases",
    "CleaningReport": "cleaning",
    "CleaningRules": "cleaning",
    "ReportingGap": "cleaning",
    "STOP_DAYS": "cleaning",
    "find_reporting_gaps": "cleaning",
    "RtOptions": "options",
    "QUANTILES": "cori",
    "RtEstimate": "cori",
    "Windows": "cori",
    "cori_posterior": "cori",
    "overall_infectivity": "cori",
    "estimate_rt": "estimate",
    "estimate_rt_columns": "estimate",
    "output_columns": "estimate",
    "doubling_time": "growth",
    "growth_from_incidence": "growth",
    "growth_from_rt": "growth",
    "growth_rate_from_r": "growth",
    "loglinear_growth": "growth",
    "read_cases": "readers",
    "read_jhu": "jhu",
    "read_owid": "long_formats",
    "read_tidy": "long_formats",
    "check_si_distr": "serial_interval",
    "discr_si": "serial_interval",
    "read_si_distr": "serial_interval",
    "wallinga_teunis": "wallinga_teunis",
}

__all__ = [
    "CASE_COLUMNS",
    "CaseData",
    "CleaningReport",
    "CleaningRules",
    "QUANTILES",
    "STOP_DAYS",
    "ReportingGap",
    "RtEstimate",
    "RtOptions",
    "Series",
    "Windows",
    "check_si_distr",
    "cori_posterior",
    "discr_si",
    "doubling_time",
    "estimate_rt",
    "estimate_rt_columns",
    "find_reporting_gaps",
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


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)


if TYPE_CHECKING:
    from .cases import CASE_COLUMNS, CaseData, Series
    from .cleaning import (
        STOP_DAYS,
        CleaningReport,
        CleaningRules,
        ReportingGap,
        find_reporting_gaps,
    )
    from .cori import QUANTILES, RtEstimate, Windows, cori_posterior, overall_infectivity
    from .estimate import estimate_rt, estimate_rt_columns, output_columns
    from .growth import (
        doubling_time,
        growth_from_incidence,
        growth_from_rt,
        growth_rate_from_r,
        loglinear_growth,
    )
    from .jhu import read_jhu
    from .long_formats import read_owid, read_tidy
    from .options import RtOptions
    from .readers import read_cases
    from .serial_interval import check_si_distr, discr_si, read_si_distr
    from .wallinga_teunis import wallinga_teunis
