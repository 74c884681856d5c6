"""Cross-border risk: importation risk, effective distance, arrival times
from ensembles, scenario comparison with common random numbers, acting alone versus together."""

from .compare import compare, paired
from .effective_distance import effective_distance
from .importation import importation_risk, p_at_least_one
from .outbreak import arrival_distribution, importation_curve, risk_table, run_ensemble
from .together import alone_versus_together

__all__ = [
    "alone_versus_together",
    "arrival_distribution",
    "compare",
    "effective_distance",
    "importation_curve",
    "importation_risk",
    "p_at_least_one",
    "paired",
    "risk_table",
    "run_ensemble",
]
