"""The spread engine against analytic results and invariants (independent expected values)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq, fsolve

from epicommons.model import (
    AgeStructure,
    Modifiers,
    Seed,
    Transfer,
    build_model,
    covid_like,
    run_chunk,
    seir,
    simulate,
    sir,
)
from epicommons.model.results import OutputOptions
from factories import StateCheck, balanced, network


def final_size(r0: float, s0: float) -> float:
    return brentq(lambda z: 1 - s0 * np.exp(-r0 * z) - z, 1e-9, 1.0)


# -- final size -------------------------------------------------------------------------------
@pytest.mark.parametrize("r0", [1.3, 2.0, 3.0, 5.0])
@pytest.mark.parametrize("make", [sir, seir])
def test_final_size_matches_analytic(r0, make):
    n, i0 = 1e7, 10.0
    m = build_model(make(R0=r0, gamma=0.2), network([n]))
    x = run_chunk(m, [Seed("N0", i0)], 1500, [0], 0, stochastic=False)[0, 0, 0]
    names = m.disease.compartment_names
    assert x[[names.index(c) for c in names if c not in ("S", "R")]].sum() < 1e-3
    z = x[names.index("R")] / n
    assert abs(z - final_size(r0, (n - i0) / n)) <= 1e-4


def test_direct_beta_converges_to_continuous_r0_with_substeps():
    """With beta given (no R0 calibration), small steps approach the ODE: R0 = beta / gamma."""
    n, gamma = 1e7, 0.2
    m = build_model(sir(beta=2.0 * gamma, gamma=gamma), network([n]), substeps=20)
    x = run_chunk(m, [Seed("N0", 10)], 600, [0], 0, stochastic=False)[0, 0, 0]
    # first-order scheme: R0 error gamma*dt/2 = 0.5 %, final size error well under 1e-2
    assert abs(x[2] / n - final_size(2.0, 1 - 1e-6)) < 1e-2


def test_age_structured_final_size_matches_multigroup_equations():
    """z_a = 1 - exp(-beta tau sum_b M_ab z_b), tau = dt/(1-exp(-gamma dt)) for the daily chain."""
    pop = np.array([3e6, 5e6, 2e6])
    contacts = np.array([[8.0, 3.0, 1.0], [2.0, 6.0, 2.0], [1.5, 4.0, 3.0]])
    beta, gamma = 0.04, 0.25
    ages = AgeStructure((0, 20, 60), pop[None, :], contacts)
    m = build_model(sir(beta=beta, gamma=gamma), network([pop.sum()]), ages)
    x = run_chunk(m, [Seed("N0", 30)], 1000, [0], 0, stochastic=False)[0, 0]
    tau = 1.0 / -np.expm1(-gamma)
    s0 = x[:, 0] + x[:, 2]  # everyone started susceptible but the seeds (taken from S)
    seeds = pop - s0
    z = fsolve(
        lambda z: 1 - (pop - seeds) / pop * np.exp(-beta * tau * contacts @ z) - z,
        np.full(3, 0.5),
        xtol=1e-13,
    )
    np.testing.assert_allclose(x[:, 2] / pop, z, atol=1e-4)


def test_covid_like_r0_closed_form():
    """R0 = beta [(1 - p_a)(d_P + d_C) + p_a r_a d_A] in continuous time (one age group)."""
    from epicommons.model.reproduction import reproduction_number

    d = covid_like(beta=0.3)
    p = dict(d.parameters)
    r0 = reproduction_number(d, d.rates(), d.weights(), np.ones((1, 1)), np.ones(1), dt=None)
    expected = 0.3 * ((1 - p["p_a"]) * (p["d_P"] + p["d_C"]) + p["p_a"] * p["r_a"] * p["d_A"])
    assert r0 == pytest.approx(expected, rel=1e-12)


def test_covid_like_deaths_per_infection_equal_ifr():
    m = build_model(covid_like(R0=2.5), network([1e7]))
    x = run_chunk(m, [Seed("N0", 100)], 800, [0], 0, stochastic=False)[0, 0, 0]
    names = m.disease.compartment_names
    infected_total = 1e7 - x[names.index("S")]
    assert x[names.index("D")] / infected_total == pytest.approx(0.0068, rel=1e-6)


# -- stochastic vs deterministic --------------------------------------------------------------
def test_stochastic_mean_matches_deterministic_at_large_n():
    n = 1e6
    m = build_model(seir(R0=2.0), network([n]))
    seeds = [Seed("N0", 200)]
    det = simulate(m, seeds, 200, 1, 0, stochastic=False)
    sto = simulate(m, seeds, 200, 60, 0, stochastic=True)
    ar_det = det.node_attack_rate()[0, 0]
    ar = sto.node_attack_rate()[:, 0]
    assert abs(ar.mean() - ar_det) < 4 * ar.std(ddof=1) / np.sqrt(len(ar)) + 1e-4
    i = m.disease.index("I")
    peak_det = det.country_prevalence[0, :, 0, i].max()
    mean_curve = sto.country_prevalence[:, :, 0, i].mean(axis=0)
    assert mean_curve.max() == pytest.approx(peak_det, rel=0.05)


# -- conservation, non-negativity ------------------------------------------------------------
@pytest.mark.parametrize("stochastic", [True, False])
@pytest.mark.parametrize("travel", [True, False])
def test_people_are_conserved(stochastic, travel):
    rng = np.random.default_rng(3)
    pop = rng.uniform(1e5, 5e6, 6).round()
    flows = balanced(6, rng, 2e3) if travel else None
    m = build_model(covid_like(R0=3.0), network(pop, flows))
    check = StateCheck()
    x = run_chunk(
        m,
        [Seed("N0", 20), Seed("N3", 5, day=10)],
        150,
        [0, 1, 2],
        5,
        stochastic=stochastic,
        schedule=check,
    )
    totals = np.array([t.sum(axis=1) for t in check.totals] + [x.sum(axis=(1, 2, 3))])
    if stochastic:
        assert x.dtype == np.int64
        assert (totals == pop.sum()).all()
    else:
        np.testing.assert_allclose(totals, pop.sum(), rtol=1e-9, atol=0)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 5),
    ages=st.integers(1, 3),
    r0=st.floats(0.5, 12.0),
    travel_share=st.floats(0.0, 1.5),
    seed_count=st.integers(1, 10_000),
    stochastic=st.booleans(),
    rng_seed=st.integers(0, 2**31),
)
def test_no_compartment_ever_negative(n, ages, r0, travel_share, seed_count, stochastic, rng_seed):
    rng = np.random.default_rng(rng_seed)
    pop = rng.integers(1, 200_000, (n, ages)).astype(float)
    flows = rng.uniform(0, 1, (n, n)) * (rng.uniform(size=(n, n)) < 0.6)
    np.fill_diagonal(flows, 0)
    flows *= travel_share * pop.sum(axis=1).min() / max(flows.sum(axis=1).max(), 1e-9)
    contacts = rng.uniform(0.1, 10, (ages, ages))
    structure = AgeStructure(tuple(range(0, 5 * ages, 5)), pop, contacts)
    m = build_model(covid_like(R0=r0), network(pop.sum(axis=1), flows), structure)
    check = StateCheck()
    seeded = min(seed_count, pop[0].sum())  # more than live there is an input error now
    x = run_chunk(
        m, [Seed("N0", seeded)], 60, [0, 1], rng_seed, stochastic=stochastic, schedule=check
    )
    assert check.min >= 0 and x.min() >= 0


# -- travel ------------------------------------------------------------------------------------
@pytest.mark.parametrize("stochastic", [True, False])
def test_unconnected_nodes_never_infected(stochastic):
    flows = np.zeros((5, 5))
    flows[0, 1] = flows[1, 0] = flows[1, 2] = flows[2, 1] = 5e3  # component {0,1,2}
    flows[3, 4] = flows[4, 3] = 5e3  # component {3,4}
    m = build_model(seir(R0=3.0), network([1e6] * 5, flows))
    res = simulate(m, [Seed("N0", 50)], 200, 8, 1, stochastic=stochastic)
    assert (res.arrival_day[:, 3:] == -1).all()
    assert (res.infections[:, 3:] == 0).all()
    assert (res.arrival_day[:, 1:3] > 0).all()


def test_balanced_travel_keeps_populations_constant_deterministic():
    rng = np.random.default_rng(11)
    pop = rng.uniform(1e5, 1e7, 8)
    m = build_model(sir(R0=2.5), network(pop, balanced(8, rng, 1e4)))
    check = StateCheck()
    run_chunk(m, [Seed("N2", 100)], 120, [0], 0, stochastic=False, schedule=check)
    np.testing.assert_allclose(
        np.array(check.totals)[:, 0], np.broadcast_to(pop, (120, 8)), rtol=1e-9
    )


def test_balanced_travel_keeps_populations_constant_stochastic():
    """Without disease nothing changes at all; with it, only by the infected travellers' noise."""
    rng = np.random.default_rng(12)
    pop = rng.uniform(1e5, 1e7, 8).round()
    m = build_model(sir(R0=2.5), network(pop, balanced(8, rng, 1e4)))
    quiet = StateCheck()
    run_chunk(m, [Seed("N2", 1, day=10_000)], 60, [0, 1], 0, schedule=quiet)
    assert (np.array(quiet.totals) == pop).all()
    busy = StateCheck()
    run_chunk(m, [Seed("N2", 100)], 120, [0, 1], 0, schedule=busy)
    drift = np.abs(np.array(busy.totals) - pop) / pop
    assert drift.max() < 1e-3


@pytest.mark.parametrize("stochastic", [True, False])
def test_arrival_order_along_a_chain(stochastic):
    n = 6
    flows = np.zeros((n, n))
    for i in range(n - 1):
        flows[i, i + 1] = flows[i + 1, i] = 2e3
    m = build_model(seir(R0=2.5), network([1e6] * n, flows))
    res = simulate(m, [Seed("N0", 50)], 300, 10, 4, stochastic=stochastic)
    arrival = res.arrival_day
    assert (arrival >= 0).all()
    steps = np.diff(arrival, axis=1)
    assert (steps > 0).all() if stochastic else (steps >= 0).all()


# -- modifiers ----------------------------------------------------------------------------------
def test_modifiers_stop_travel_and_transmission():
    flows = np.array([[0, 5e3], [5e3, 0]])
    m = build_model(seir(R0=3.0), network([1e6, 1e6], flows))
    seeds = [Seed("N0", 50)]
    closed = simulate(m, seeds, 100, 5, 0, schedule=lambda d, s: Modifiers(travel=np.zeros(2)))
    assert (closed.infections[:, 1] == 0).all() and (closed.infections[:, 0] > 1000).all()
    no_spread = simulate(
        m, seeds, 100, 5, 0, schedule=lambda d, s: Modifiers(transmission=np.zeros(2))
    )
    assert (no_spread.infections == np.array([50, 0])).all()
    vaccinated = simulate(
        m,
        seeds,
        100,
        5,
        0,
        schedule=lambda d, s: Modifiers(transfers=(Transfer("S", "R", 1.0),)) if d == 0 else None,
    )
    assert (vaccinated.infections == 0).all()  # no one left to seed or infect


# -- common random numbers ---------------------------------------------------------------------
def test_run_i_is_the_same_whatever_the_ensemble():
    rng = np.random.default_rng(5)
    m = build_model(seir(R0=2.0), network(rng.uniform(1e5, 1e6, 5), balanced(5, rng, 500)))
    seeds = [Seed("N0", 10)]
    a = simulate(m, seeds, 120, 6, 99, chunk=4)
    b = simulate(m, seeds, 120, 3, 99, chunk=1)
    c = simulate(m, seeds, 120, 6, 99, chunk=5)
    np.testing.assert_array_equal(a.arrival_day[:3], b.arrival_day)
    np.testing.assert_array_equal(a.country_prevalence[:3], b.country_prevalence)
    np.testing.assert_array_equal(a.country_prevalence, c.country_prevalence)
    assert not np.array_equal(a.country_prevalence[0], a.country_prevalence[1])
    d = simulate(m, seeds, 120, 6, 100)
    assert not np.array_equal(a.country_prevalence, d.country_prevalence)


def test_a_change_where_no_infection_reaches_leaves_runs_identical():
    flows = np.zeros((4, 4))
    flows[0, 1] = flows[1, 0] = 3e3
    m = build_model(seir(R0=2.0), network([1e6] * 4, flows))
    seeds = [Seed("N0", 10)]
    base = simulate(m, seeds, 150, 5, 7)
    # halve transmission at node 3, which no infection can reach
    other = simulate(
        m, seeds, 150, 5, 7, schedule=lambda d, s: Modifiers(transmission=np.array([1, 1, 1, 0.5]))
    )
    np.testing.assert_array_equal(base.country_prevalence, other.country_prevalence)
    # halving it at the seeded node changes the runs
    third = simulate(
        m, seeds, 150, 5, 7, schedule=lambda d, s: Modifiers(transmission=np.array([0.5, 1, 1, 1]))
    )
    assert not np.array_equal(base.country_prevalence, third.country_prevalence)


# -- reference implementation and sampler -------------------------------------------------------
def test_stochastic_seir_matches_epydemix_reference():
    """Same model in epydemix 1.5 (outputs saved by scripts/epydemix_reference.py)."""
    import json
    from pathlib import Path

    ref = json.loads(
        (Path(__file__).parent / "data/model/epydemix_seir_reference.json").read_text()
    )
    spec = ref["spec"]
    pop = np.array(spec["population"], dtype=float)
    ages = AgeStructure((0, 20, 60), pop[None, :], np.array(spec["contacts"]))
    disease = seir(beta=spec["beta"], sigma=spec["sigma"], gamma=spec["gamma"])
    m = build_model(disease, network([pop.sum()]), ages)
    runs = 200
    res = simulate(
        m,
        [Seed("N0", spec["seed_count"], age=spec["seed_group"])],
        spec["days"],
        runs,
        3,
        outputs=OutputOptions(series_runs=runs),  # per-run series: the peak day of each run
    )
    prev_r = res.country_prevalence[:, -1, 0, m.disease.index("R")]
    # per-age attack rates are not in the summaries: use the total, and the peak day of I
    total_ref = float(np.dot(ref["attack_rate_mean"], pop) / pop.sum())
    sd_ref = float(np.sqrt(np.dot(np.square(ref["attack_rate_std"]), np.square(pop))) / pop.sum())
    ours = prev_r / pop.sum()
    se = np.sqrt(ours.var(ddof=1) / runs + sd_ref**2 / spec["runs"])
    assert abs(ours.mean() - total_ref) < 4 * se + 1e-4
    peak = res.country_prevalence[:, :, 0, m.disease.index("I")].argmax(axis=1)
    se_peak = np.sqrt(peak.var(ddof=1) / runs + ref["peak_day_std"] ** 2 / spec["runs"])
    assert abs(peak.mean() - ref["peak_day_mean"]) < 4 * se_peak + 0.5


@pytest.mark.parametrize(
    ("n", "p"),
    [
        (5, 0.1),
        (40, 0.7),
        (300, 0.5),
        (10**6, 2e-5),
        (10**7, 0.3),
        (100, 0.2),  # mean 20: inversion near its upper end
        (2000, 0.4),  # variance 480: NumPy's BTPE
        (20000, 0.025),  # mean 500, small p
    ],
)
def test_binomial_sampler_against_scipy(n, p):
    """Exact regimes (inversion, BTPE) pass a chi-square test; the normal regime (variance >
    1000) has the right mean and variance."""
    from numba import njit
    from scipy import stats

    from epicommons.model.draws import NORMAL_ABOVE, binomial

    @njit
    def draws(gen, n, p, k):
        out = np.empty(k, np.int64)
        for i in range(k):
            out[i] = binomial(gen, n, p)
        return out

    k = 100_000
    x = draws(np.random.default_rng(12), n, p, k)
    assert x.min() >= 0 and x.max() <= n
    var = n * p * (1 - p)
    if var > NORMAL_ABOVE:
        assert abs(x.mean() - n * p) < 5 * np.sqrt(var / k)
        assert x.var() == pytest.approx(var, rel=0.03)
        return
    support = np.arange(n + 1)
    expected = stats.binom.pmf(support, n, p) * k
    keep = expected > 20
    observed = np.bincount(x, minlength=n + 1)[: n + 1]
    rest_obs, rest_exp = observed[~keep].sum(), expected[~keep].sum()
    obs = np.append(observed[keep], rest_obs)
    exp = np.append(expected[keep], rest_exp)
    assert stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue > 1e-3
