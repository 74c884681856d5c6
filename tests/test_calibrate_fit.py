"""Calibration on reports the engine generated with known parameters: the likelihood point
estimate and the ABC-SMC posterior must land near the truth."""

from __future__ import annotations

import re

import numpy as np
import pytest

from epicommons.calibrate import abc_smc, build_problem, fit_likelihood, forecast
from epicommons.calibrate.observation import nb_logpmf
from epicommons.calibrate.spec import parse
from epicommons.calibrate.synthetic import blank_data, synthetic_data

SCENARIO = """
name = "two countries"
start = 2020-02-01
days = 60
seed = 3
engine = "deterministic"
[network]
source = "builtin"
[disease]
preset = "SEIR"
[disease.parameters]
R0 = 2.0
sigma = 0.4
gamma = 0.333
[[seeds]]
where = "ITA"
count = 1
[calibration]
countries = ["ITA", "ESP"]
fit_start = 2020-02-10
fit_end = 2020-03-20
change_points = [2020-03-05]
forecast_days = 14
[calibration.fit.R0]
low = 1.0
high = 4.0
per_country = true
[calibration.fit.change]
low = 0.2
high = 1.5
[calibration.fixed]
seed_size = 50
seed_day = 2
reporting = 0.5
dispersion = 50
"""
TRUTH = np.array([2.6, 2.2, 0.5])


@pytest.fixture(scope="module")
def problem():
    scenario, spec = parse(SCENARIO)
    blank = build_problem(scenario, spec, blank_data(spec.countries, scenario.start, 70))
    data = synthetic_data(blank, TRUTH, run=7)
    return build_problem(scenario, spec, data)


def test_negative_binomial_matches_scipy():
    from scipy import stats

    y, mu, k = np.array([0, 3, 17, 250]), np.array([0.5, 4.0, 20.0, 180.0]), 7.5
    expected = stats.nbinom.logpmf(y, k, k / (k + mu))  # scipy's (n, p) parametrisation
    np.testing.assert_allclose(nb_logpmf(y, mu, k), expected, rtol=1e-10)


def test_parameters_are_laid_out_by_country(problem):
    assert problem.names == ["R0[ITA]", "R0[ESP]", "change1"]
    b = problem.batch(TRUTH[None])
    # ESP's multiplier after the change point is R0_ESP / R0_base * change
    esp = problem.countries.index("ESP")
    node = problem.model.network.country.index("ESP")
    assert b.transmission[0, 1, node] == pytest.approx(2.2 / problem.base_r0 * 0.5)
    assert b.transmission[0, 0, node] == pytest.approx(2.2 / problem.base_r0)
    assert esp == 1


def test_likelihood_point_estimate_recovers_truth(problem):
    est = fit_likelihood(problem, starts=2, seed=1)
    np.testing.assert_allclose(est.values, TRUTH, rtol=0.1)
    # the optimum is at least as likely as the truth
    from epicommons.calibrate.tasks import log_likelihoods

    assert est.log_likelihood >= log_likelihoods(problem, TRUTH[None])[0] - 1e-6


@pytest.mark.slow
def test_abc_posterior_lands_near_truth(problem):
    from epicommons.calibrate.likelihood import laplace_covariance

    raw = abc_smc(problem, particles=600, max_generations=25, seed=2, regression_adjustment=False)
    post = abc_smc(problem, particles=600, max_generations=25, seed=2)  # regression-adjusted
    assert raw.adjustment is None and post.adjustment.simulations == 600
    width = np.array([3.0, 3.0, 1.3])  # prior ranges
    for p in (raw, post):
        q = p.quantiles([0.05, 0.95])
        assert np.all(q[0] <= TRUTH) and np.all(q[1] >= TRUTH)
        assert np.all(np.abs(p.mean() - TRUTH) < 0.1 * width)
        assert p.weights.sum() == pytest.approx(1.0)
    raw_q, q = raw.quantiles([0.05, 0.95]), post.quantiles([0.05, 0.95])
    assert np.all(raw_q[1] - raw_q[0] < 0.15 * width)  # far narrower than the prior
    assert np.all(q[1] - q[0] < 0.5 * (raw_q[1] - raw_q[0]))  # the adjustment narrows it
    # ... to about the width of the likelihood's Laplace approximation (an independent estimate)
    est = fit_likelihood(problem, starts=1, seed=1)
    laplace90 = 2 * 1.645 * np.sqrt(np.diag(laplace_covariance(problem, est)))
    assert np.all((q[1] - q[0] > 0.6 * laplace90) & (q[1] - q[0] < 1.6 * laplace90))
    eps = [g.epsilon for g in post.generations]
    assert all(a >= b for a, b in zip(eps, eps[1:], strict=False))  # tolerance never grows
    assert np.all(post.particles >= [1.0, 1.0, 0.2]) and np.all(post.particles <= [4.0, 4.0, 1.5])


def test_forecast_intervals_hold_out_data(problem):
    fc = forecast(problem, TRUTH[None], None, runs=200, seed=4)
    scores = fc.scores()
    assert len(scores) == 14 * 2  # 14 forecast days, 2 countries, cases
    table = fc.table()
    # held-out reports come from the same process: most fall inside the 90 % interval
    held = table[table["horizon"] > 0]
    inside = (held["observed"] >= held["q0.05"]) & (held["observed"] <= held["q0.95"])
    assert inside.mean() >= 0.7
    assert (scores["wis"] >= 0).all() and (scores["crps"] >= 0).all()


def test_mcmc_sampler_lands_near_truth(problem):
    from epicommons.calibrate import abc_smc_mcmc

    post = abc_smc_mcmc(problem, particles=200, max_generations=8, seed=3)
    q = post.quantiles([0.05, 0.95])
    width = np.array([3.0, 3.0, 1.3])
    assert np.all(q[0] <= TRUTH) and np.all(q[1] >= TRUTH)
    assert np.all(q[1] - q[0] < 0.1 * width)  # regression-adjusted (unadjusted: ~0.15-0.35)
    eps = [g.epsilon for g in post.generations[1:]]
    assert all(a >= b for a, b in zip(eps, eps[1:], strict=False))


def test_laplace_covariance_is_positive_and_covers(problem):
    from epicommons.calibrate.likelihood import laplace_covariance

    est = fit_likelihood(problem, starts=1, seed=1)
    cov = laplace_covariance(problem, est)
    assert np.all(np.linalg.eigvalsh(cov) > 0)
    sd = np.sqrt(np.diag(cov))
    assert np.all(np.abs(est.values - TRUTH) < 4 * sd)


def test_too_few_particles_for_the_regression_leave_the_posterior_unadjusted(problem):
    # 20 particles: at most 20 effective in the adjustment batch, fewer than 10 per coefficient
    raw = abc_smc(problem, particles=20, max_generations=2, seed=5, regression_adjustment=False)
    post = abc_smc(problem, particles=20, max_generations=2, seed=5)
    assert post.adjustment is not None and not post.adjustment.applied
    assert post.adjustment.effective_size < 10 * (problem.dims + 1)
    np.testing.assert_array_equal(post.particles, raw.particles)
    np.testing.assert_array_equal(post.weights, raw.weights)


PER_COUNTRY = SCENARIO.replace(
    "change_points = [2020-03-05]",
    "change_points = { ITA = [2020-03-01], ESP = [2020-03-08, 2020-03-15] }",
).replace("[calibration.fit.change]\n", "[calibration.fit.change]\nper_country = true\n")


def test_change_points_may_differ_by_country():
    scenario, spec = parse(PER_COUNTRY)
    p = build_problem(scenario, spec, blank_data(spec.countries, scenario.start, 70))
    assert p.names == ["R0[ITA]", "R0[ESP]", "change1[ITA]", "change1[ESP]", "change2[ESP]"]
    # from 2020-02-01: 1 March is day 29, 8 March day 36, 15 March day 43; fit_end day 48 + 14
    assert p.bounds.tolist() == [0, 29, 36, 43, 63]
    theta = np.array([[2.6, 2.2, 0.5, 0.7, 0.4]])
    t = p.batch(theta).transmission[0] * p.base_r0  # (pieces, nodes) as R0 x factors
    ita = p.model.network.country.index("ITA")
    esp = p.model.network.country.index("ESP")
    assert t[:, ita] == pytest.approx([2.6, 2.6 * 0.5, 2.6 * 0.5, 2.6 * 0.5])
    assert t[:, esp] == pytest.approx([2.2, 2.2, 2.2 * 0.7, 2.2 * 0.7 * 0.4])


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("ESP = [2020-03-08", "FRA = [2020-03-08", "change_points for FRA, which are not among"),
        ("[2020-03-08, 2020-03-15]", "[2020-03-15, 2020-03-08]", "of ESP must be increasing"),
        ("per_country = true\nlow = 0.2", "low = 0.2", "need [calibration.fit.change] per_country"),
    ],
)
def test_per_country_change_points_errors(old, new, message):
    from epicommons.errors import InputError

    with pytest.raises(InputError, match=message.replace("[", r"\[")):
        parse(PER_COUNTRY.replace(old, new))


def test_an_immune_share_at_the_start_acts_like_a_smaller_r0_while_few_are_infected():
    # infections per day are beta I/N x S: with a share f immune at the start S = (1 - f) N - C,
    # with R0 (1 - f) and nobody immune S = N - C scaled by (1 - f); both are equal while the
    # cumulative infections C are a tiny share of N (50 seeded in tens of millions)
    f = 0.4
    immune = SCENARIO.replace("dispersion = 50", f"dispersion = 50\nimmune = {f}")
    s1, spec1 = parse(immune)
    s0, spec0 = parse(SCENARIO)
    p1 = build_problem(s1, spec1, blank_data(spec1.countries, s1.start, 70))
    p0 = build_problem(s0, spec0, blank_data(spec0.countries, s0.start, 70))
    theta = np.array([[2.6, 2.2, 0.8]])
    with_immunity = p1.expected(theta, np.array([0]), stochastic=False)[0, :40, :, 0]
    smaller_r0 = p0.expected(theta * [1 - f, 1 - f, 1.0], np.array([0]), stochastic=False)
    assert with_immunity.sum() > 1000  # an epidemic, not nothing
    np.testing.assert_allclose(with_immunity, smaller_r0[0, :40, :, 0], rtol=2e-3, atol=1e-6)
    # and it is not the same as no immunity at the same R0
    plain = p0.expected(theta, np.array([0]), stochastic=False)[0, :40, :, 0]
    assert plain.sum() > 2 * with_immunity.sum()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "dispersion = 50",
            "dispersion = 50\n[calibration.fit.immune]\nlow = 0\nhigh = 1.2",
            "[0, 1)",
        ),
        ("dispersion = 50", "dispersion = 50\nimmune = 1.0", "calibration.fixed.immune"),
        ("[calibration]", "[calibration]\nimmune_compartment = 'V'", "no compartment 'V'"),
    ],
)
def test_immune_share_errors(old, new, message):
    from epicommons.errors import InputError

    with pytest.raises(InputError, match=re.escape(message)):
        scenario, spec = parse(SCENARIO.replace(old, new, 1))
        build_problem(scenario, spec, blank_data(spec.countries, scenario.start, 70))


SEED_ONLY = SCENARIO.replace(
    "[calibration.fit.R0]\nlow = 1.0\nhigh = 4.0\nper_country = true\n"
    "[calibration.fit.change]\nlow = 0.2\nhigh = 1.5\n",
    '[calibration.fit.seed_size]\nprior = "loguniform"\nlow = {low}\nhigh = 1e7\n',
).replace("seed_size = 50\n", "change = 0.5\n")


@pytest.mark.parametrize("low", [5, 50])
def test_laplace_steps_follow_a_log_uniform_scale_and_stay_inside_the_box(low):
    from epicommons.calibrate.likelihood import PointEstimate, laplace_covariance
    from epicommons.calibrate.tasks import log_likelihoods

    scenario, spec = parse(SEED_ONLY.format(low=low))
    blank = build_problem(scenario, spec, blank_data(spec.countries, scenario.start, 70))
    problem = build_problem(scenario, spec, synthetic_data(blank, np.array([50.0]), run=7))
    assert problem.names == ["seed_size"]
    # independent curvature: a parabola through the log-likelihood on 40..60
    x = np.linspace(40.0, 60.0, 21)
    a = np.polyfit(x, log_likelihoods(problem, x[:, None]), 2)[0]
    sd = 1.0 / np.sqrt(-2.0 * a)
    # at 50, on the lower bound when low = 50; a step of 1e-3 of the box width would be 10,000
    est = PointEstimate(problem.names, np.array([50.0]), 0.0, 0, True)
    laplace = np.sqrt(laplace_covariance(problem, est)[0, 0])
    assert laplace == pytest.approx(sd, rel=0.1)
