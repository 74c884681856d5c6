"""assess: the joint assessment as a library — members' count histories as known on a date,
stocks, pledges and the travel network in; one typed `Assessment` out (nowcasts, Rt, forecasts,
importation risk and arrival, shortfalls, a proposed split of pledges with its explanation).

    >>> from epicommons.assess import assess, read_inputs   # doctest: +SKIP
    >>> inputs, options = read_inputs(Path("data/assessment"))
    >>> assess(inputs, options).write(Path("results/assessment"))
"""

from .files import read_inputs
from .inputs import AssessmentInputs
from .options import AssessmentOptions, FairnessSpec, NeedSpec, NetworkSpec
from .result import TABLES, Assessment
from .run import assess

__all__ = [
    "TABLES",
    "Assessment",
    "AssessmentInputs",
    "AssessmentOptions",
    "FairnessSpec",
    "NeedSpec",
    "NetworkSpec",
    "assess",
    "read_inputs",
]
