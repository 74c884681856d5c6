"""Assistance to members in need: allocating scarce supplies and vaccines (HiGHS), explaining the
plan, the pledges-and-deliveries ledger, and repatriation scheduling.

    >>> from epicommons.assist import read_problem, solve, explain   # doctest: +SKIP
    >>> plan = solve(read_problem("examples/assist/allocation/problem.toml"))
    >>> print(explain(plan).text)
"""

from .explain import Explanation, explain, measures
from .ledger import DELIVERY_FIELDS, PLEDGE_FIELDS, Delivery, Ledger, Pledge
from .problem import AllocationProblem, Fairness, Item
from .problem_file import read_problem
from .repatriation import RepatriationPlan, Schedule, explain_schedule, schedule
from .repatriation_file import read_plan
from .response import ResponseCurve
from .rules import baseline, waterfill
from .solve import Allocation, solve

__all__ = [
    "DELIVERY_FIELDS",
    "PLEDGE_FIELDS",
    "Allocation",
    "AllocationProblem",
    "Delivery",
    "Explanation",
    "Fairness",
    "Item",
    "Ledger",
    "Pledge",
    "RepatriationPlan",
    "ResponseCurve",
    "Schedule",
    "baseline",
    "explain",
    "explain_schedule",
    "measures",
    "read_plan",
    "read_problem",
    "schedule",
    "solve",
    "waterfill",
]
