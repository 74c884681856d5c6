"""Response curves, the seam for the spread engine: validation and the least concave majorant."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from epicommons.assist.response import ResponseCurve, concavity_problem


def test_curve_from_non_concave_samples_is_its_upper_hull():
    # samples (10, 2), (20, 9), (30, 10): the hull from (0, 0) skips (10, 2) (below the chord to
    # (20, 9)), giving breakpoints (0, 0), (20, 9), (30, 10).
    curve = ResponseCurve.from_samples(
        "KEN", "vaccine", np.array([10, 20, 30.0]), np.array([2, 9, 10.0])
    )
    np.testing.assert_allclose(curve.doses, [0, 20, 30])
    np.testing.assert_allclose(curve.benefit, [0, 9, 10])
    assert curve(25) == pytest.approx(9.5)
    assert curve(100) == pytest.approx(10)  # flat after the last breakpoint


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0.5, 1e6), st.floats(0, 1e5)), min_size=1, max_size=8))
def test_majorant_is_concave_and_above_every_sample(samples):
    doses = np.array([s[0] for s in samples])
    benefit = np.array([s[1] for s in samples])
    curve = ResponseCurve.from_samples("BRA", "vaccine", doses, benefit)
    assert concavity_problem(curve.doses, curve.benefit) == ""
    assert np.all(curve(doses) >= benefit - 1e-9 * max(1.0, benefit.max()))


@pytest.mark.parametrize(
    ("doses", "benefit", "problem"),
    [
        ([0, 10, 20], [0, 5, 20], "concave"),
        ([0, 10, 5], [0, 5, 6], "increase"),
        ([1, 10], [0, 5], "first breakpoint"),
        ([0, 10, 20], [0, 5, 4], "not decrease"),
    ],
)
def test_invalid_curves_are_refused(doses, benefit, problem):
    with pytest.raises(ValueError, match=problem):
        ResponseCurve("BRA", "vaccine", np.array(doses, float), np.array(benefit, float))
