"""Interval score, WIS and CRPS against values computed by hand and an analytic CRPS."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from epicommons.scoring import (
    covered,
    crps_ensemble,
    interval_score,
    pit_coverage,
    weighted_interval_score,
    wis_components,
)


def test_interval_score_by_hand():
    # width 3, y above the interval by 2: 3 + 2/0.2 * 2 = 23
    assert interval_score(2.0, 5.0, 7.0, 0.2) == pytest.approx(23.0)
    # y below by 1 at alpha 0.5: 3 + 4 * 1 = 7; inside: just the width
    assert interval_score(2.0, 5.0, 1.0, 0.5) == pytest.approx(7.0)
    assert interval_score(2.0, 5.0, 3.0, 0.5) == pytest.approx(3.0)


def test_wis_by_hand():
    # median 4, 50 % interval [2, 6], y = 7:
    # (0.5 * |7 - 4| + 0.25 * (4 + 4 * 1)) / 1.5 = (1.5 + 2) / 1.5
    q = {0.25: np.array(2.0), 0.5: np.array(4.0), 0.75: np.array(6.0)}
    assert weighted_interval_score(q, 7.0, alphas=(0.5,)) == pytest.approx(3.5 / 1.5)
    # two intervals (alpha 0.2 and 0.5), y = 0: median 3, [1, 5] and [2, 4]
    q = {0.1: 1.0, 0.25: 2.0, 0.5: 3.0, 0.75: 4.0, 0.9: 5.0}
    is02 = 4 + 10 * 1  # width 4, 1 below at 2/0.2
    is05 = 2 + 4 * 2  # width 2, 2 below at 2/0.5
    expected = (0.5 * 3 + 0.1 * is02 + 0.25 * is05) / 2.5
    assert weighted_interval_score(q, 0.0, alphas=(0.2, 0.5)) == pytest.approx(expected)


def test_wis_components_by_hand():
    # median 4, [2, 6], y = 7 (above): dispersion 0.25 * 4; underprediction 0.5 * 3 + 0.25 * 4 * 1
    q = {0.25: 2.0, 0.5: 4.0, 0.75: 6.0}
    parts = wis_components(q, 7.0, alphas=(0.5,))
    assert parts["dispersion"] == pytest.approx(1.0 / 1.5)
    assert parts["underprediction"] == pytest.approx(2.5 / 1.5)
    assert parts["overprediction"] == pytest.approx(0.0)
    # y = 0 below median 3, [1, 5], [2, 4]: dispersion 0.1 * 4 + 0.25 * 2 = 0.9;
    # overprediction 0.5 * 3 + 0.1 * 10 * 1 + 0.25 * 4 * 2 = 4.5; they add up to the WIS 5.4 / 2.5
    q = {0.1: 1.0, 0.25: 2.0, 0.5: 3.0, 0.75: 4.0, 0.9: 5.0}
    parts = wis_components(q, 0.0, alphas=(0.2, 0.5))
    assert parts["dispersion"] == pytest.approx(0.9 / 2.5)
    assert parts["overprediction"] == pytest.approx(4.5 / 2.5)
    assert parts["underprediction"] == pytest.approx(0.0)
    assert sum(parts.values()) == pytest.approx(5.4 / 2.5)


def test_coverage_includes_the_bounds():
    q = {0.05: np.array([1.0, 1.0, 1.0]), 0.5: np.array([2.0] * 3), 0.95: np.array([3.0] * 3)}
    assert covered(q, np.array([1.0, 3.0, 3.5]), 0.9).tolist() == [True, True, False]


def test_pit_coverage_by_hand():
    # samples 0, 1, 1, 2 and y = 1: the PIT's range is [F(0), F(1)] = [0.25, 0.75]; the central
    # 50% interval [0.25, 0.75] holds all of it, the 20% interval [0.4, 0.6] a share 0.2 / 0.5
    x = np.array([0.0, 1.0, 1.0, 2.0])
    assert pit_coverage(x, 1.0, 0.5) == pytest.approx(1.0)
    assert pit_coverage(x, 1.0, 0.2) == pytest.approx(0.4)
    # a point forecast equal to the truth covers at the nominal level, not always
    assert pit_coverage(np.array([3.0]), 3.0, 0.5) == pytest.approx(0.5)
    assert pit_coverage(np.array([3.0]), 4.0, 0.95) == 0.0
    # no ties: F(y) in the interval or not
    assert pit_coverage(np.arange(100.0), 49.5, 0.5) == 1.0
    assert pit_coverage(np.arange(100.0), 90.5, 0.5) == 0.0


def test_pit_coverage_of_a_calibrated_count_forecast_is_its_level():
    """Truth and forecast both Poisson(3): the intervals' nominal levels, where counting the
    bounds in over-covers (much of the mass sits on the bounds)."""
    gen = np.random.default_rng(3)
    samples = gen.poisson(3.0, size=(2000, 4000))
    truth = gen.poisson(3.0, size=2000)
    for level in (0.5, 0.9):
        pit = pit_coverage(samples, truth, level, axis=1).mean()
        assert pit == pytest.approx(level, abs=0.03)
        lo, hi = np.quantile(samples, [(1 - level) / 2, (1 + level) / 2], axis=1)
        assert ((lo <= truth) & (truth <= hi)).mean() > level + 0.03


def test_crps_by_hand():
    # samples 1, 2, 3 and y = 2: mean |x - y| = 2/3; sum |xi - xj| = 8; 2/3 - 8 / 18 = 2/9
    assert crps_ensemble(np.array([1.0, 2.0, 3.0]), 2.0) == pytest.approx(2 / 9)
    # one member: the absolute error
    assert crps_ensemble(np.array([4.0]), 1.5) == pytest.approx(2.5)


def test_crps_of_large_normal_ensemble_matches_the_closed_form():
    from scipy import stats

    gen = np.random.default_rng(0)
    x = gen.normal(0.0, 2.0, size=200_000)
    for y in (0.0, 1.0, -3.5):
        z = y / 2.0
        exact = 2.0 * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))
        assert crps_ensemble(x, y) == pytest.approx(exact, rel=1e-2)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=30),
    st.floats(-1e3, 1e3),
)
def test_crps_equals_the_pairwise_definition(xs, y):
    x = np.array(xs)
    direct = np.abs(x - y).mean() - np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2)
    assert crps_ensemble(x, y) == pytest.approx(direct, abs=1e-8, rel=1e-9)
    assert crps_ensemble(x, y) >= -1e-9
