"""Needs derived from projections (issue 13 item 5c): WHO's tests per case, capped by testing
capacity and population; impossible inputs are errors naming the field."""

from __future__ import annotations

import numpy as np
import pytest

from epicommons.assist.needs import TESTS_PER_1000_PER_WEEK, needed_tests
from epicommons.errors import InputError

GERMANY = 83_166_711  # Destatis, population on 31 December 2019


def test_few_cases_need_twenty_tests_each():
    # WHO: positivity below 5% -> 20 tests per confirmed case.
    need = needed_tests(np.array([[10.0, 1_000.0]]), np.array([GERMANY]))
    np.testing.assert_allclose(need, [[200.0, 20_000.0]])


def test_capacity_caps_germany_at_its_reported_lab_capacity():
    # RKI, calendar week 37 of 2020: capacity for 217,499 PCR tests a day. A projected wave of
    # 5 million cases a week (100 million tests at 20 per case) needs no more than that capacity.
    need = needed_tests(np.array([[5e6, 1e3]]), np.array([GERMANY]))
    assert need[0, 0] == pytest.approx(217_499 * 7)
    assert need[0, 1] == pytest.approx(20_000)
    assert abs(TESTS_PER_1000_PER_WEEK - 18.3) < 0.05


def test_population_caps_any_capacity():
    # Nobody is tested more than once a week, whatever the capacity figure.
    need = needed_tests(np.array([[1e9]]), np.array([1_000.0]), capacity_per_1000=5_000)
    assert need[0, 0] == pytest.approx(1_000.0)


def test_capacity_per_member():
    need = needed_tests(
        np.full((2, 1), 1e6), np.array([1e6, 1e6]), capacity_per_1000=np.array([1.0, 10.0])
    )
    np.testing.assert_allclose(need[:, 0], [1_000.0, 10_000.0])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"cases": [[-1.0]]}, "cases"),
        ({"cases": [[np.nan]]}, "cases"),
        ({"population": [0.0]}, "population"),
        ({"capacity_per_1000": -1.0}, "capacity_per_1000"),
        ({"tests_per_case": 0.0}, "tests_per_case"),
        ({"cases": [1.0]}, "cases"),
    ],
)
def test_impossible_inputs_name_the_field(kwargs, field):
    args = {"cases": [[1.0]], "population": [100.0], **kwargs}
    with pytest.raises(InputError) as err:
        needed_tests(**args)
    assert err.value.field == field
