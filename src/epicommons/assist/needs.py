"""Needs derived from a model's projections, bounded by what a member can physically use.

A projection of cases says how many tests an adequate testing policy would ask for; what a member
can use is bounded by its laboratories' throughput and, whatever the capacity, by its population.
Sources of the numbers: docs/data/assist.md.
"""

from __future__ import annotations

import numpy as np

from epicommons.errors import InputError

# WHO: test positivity below 5% (WHO, "Public health criteria to adjust public health and social
# measures in the context of COVID-19", annex, 12 May 2020) -> at least 20 tests per confirmed case;
# WHO's range for adequate testing is 10 to 30 tests per confirmed case.
TESTS_PER_CASE = 20.0
# Germany's reported PCR laboratory capacity, calendar week 37 of 2020: 217,499 tests a day from
# 168 laboratories (Robert Koch Institute, weekly laboratory survey), i.e. 1.52 million a week for
# 83.2 million people: 18.3 tests per 1,000 people a week.
TESTS_PER_1000_PER_WEEK = 217_499 * 7 / 83_166.711


def needed_tests(
    cases: np.ndarray,
    population: np.ndarray,
    *,
    tests_per_case: float = TESTS_PER_CASE,
    capacity_per_1000: float | np.ndarray = TESTS_PER_1000_PER_WEEK,
) -> np.ndarray:
    """Tests needed per member and week: `tests_per_case` x projected cases, capped by testing
    capacity (`capacity_per_1000` tests per 1,000 people a week) and by the population (nobody is
    tested more than once a week).

    `cases`: projected new cases, (members, weeks); `population`: (members,);
    `capacity_per_1000`: one figure, or one per member.
    """
    cases = np.asarray(cases, dtype=float)
    population = np.asarray(population, dtype=float)
    capacity = np.broadcast_to(np.asarray(capacity_per_1000, dtype=float), population.shape)
    checks = (
        ("cases", cases, "projected cases >= 0"),
        ("population", population, "a population > 0"),
        ("capacity_per_1000", capacity, "a testing capacity >= 0 per 1,000 people a week"),
    )
    for name, values, what in checks:
        bad = ~np.isfinite(values) | (values < 0) | ((values == 0) & (name == "population"))
        if bad.any():
            raise InputError(f"expected {what}, got {values[bad].ravel()[0]!r}", field=name)
    if not np.isfinite(tests_per_case) or tests_per_case <= 0:
        raise InputError(
            f"expected tests per case > 0, got {tests_per_case!r}", field="tests_per_case"
        )
    if cases.ndim != 2 or cases.shape[0] != population.shape[0]:
        raise InputError(
            f"expected cases as (members, weeks) for {population.shape[0]} members, "
            f"got shape {cases.shape}",
            field="cases",
        )
    limit = np.minimum(capacity * population / 1000.0, population)
    return np.minimum(tests_per_case * cases, limit[:, None])
