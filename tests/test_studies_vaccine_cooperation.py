"""The vaccine cooperation study: allocation rules equal their definitions, doses never exceed the
supply, and the engine runs behave as the vaccine's efficacy and supply say they must."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from epicommons.cli import main
from epicommons.errors import InputError
from epicommons.model.reproduction import reproduction_number
from epicommons.studies import risk_groups as rg
from epicommons.studies import vaccine_cooperation as vs
from epicommons.studies import vaccine_supply as supply
from epicommons.studies.vaccine_plan import optimised_plan
from epicommons.world.network import Network
from factories import network

COUNTRIES = ("USA", "JPN", "NGA", "IND", "BRA")  # USA, JPN high income (World Bank FY2021)


def small_network() -> Network:
    flows = np.full((5, 5), 30.0)
    np.fill_diagonal(flows, 0.0)
    return network([3e5, 2e5, 4e5, 5e5, 3e5], flows, nodes=COUNTRIES, countries=COUNTRIES)


SETTING = vs.StudySetting(
    seed_country="IND",
    seed_count=50,
    early_mitigation=(),
    mitigation=0.3,
    supply=6e5,
    weeks=10,
)


@pytest.fixture(scope="module")
def study() -> vs.StudyResult:
    return vs.run_study(small_network(), SETTING, runs=3, seed=5)


@settings(max_examples=60, deadline=None)
@given(
    pop=st.lists(st.floats(1e3, 1e8), min_size=2, max_size=8),
    frac=st.floats(0.0, 0.9),
    weeks=st.integers(1, 12),
)
def test_proportional_arm_is_proportional_to_population(pop, frac, weeks) -> None:
    pop = np.array(pop)
    weekly = frac * pop.sum() / weeks
    out = supply.weekly_allocation("proportional", weekly, weeks, pop, np.zeros(pop.size, bool))
    np.testing.assert_allclose(out, np.outer(np.full(weeks, weekly), pop / pop.sum()), rtol=1e-9)


@settings(max_examples=80, deadline=None)
@given(
    pop=st.lists(st.floats(1e3, 1e8), min_size=2, max_size=8),
    hic_bits=st.lists(st.booleans(), min_size=8, max_size=8),
    frac=st.floats(0.0, 1.5),
    weeks=st.integers(1, 12),
    cap=st.floats(0.0, 1.0),
)
def test_high_income_first_fills_high_income_before_others(pop, hic_bits, frac, weeks, cap):
    pop = np.array(pop)
    hic = np.array(hic_bits[: pop.size])
    weekly = frac * pop.sum() / weeks
    out = supply.weekly_allocation("high_income_first", weekly, weeks, pop, hic, cap)
    assert (out >= 0).all()
    assert (out.sum(axis=1) <= weekly * (1 + 1e-9) + 1e-6).all()  # never more than the supply
    assert (out.sum(axis=0) <= pop * (1 + 1e-9)).all()  # never more than the people
    hic_got = np.cumsum(out[:, hic].sum(axis=1))
    for w in range(weeks):
        if out[w, ~hic].sum() > 1e-6 * weekly:
            # others get doses only once high-income countries reached their cap
            assert hic_got[w] >= cap * pop[hic].sum() * (1 - 1e-9) - 1e-6
    if hic.any() and (~hic).any() and frac <= 1:
        # everything is delivered while someone still has room
        assert out.sum() == pytest.approx(
            min(weekly * weeks, pop[hic].sum() * cap + pop[~hic].sum())
        )


@settings(max_examples=60, deadline=None)
@given(
    group_pop=st.lists(st.floats(0, 1e5), min_size=4, max_size=4),
    daily=st.lists(st.floats(0, 3e4), min_size=1, max_size=20),
)
def test_administration_serves_the_oldest_first(group_pop, daily) -> None:
    gp = np.array([group_pop])
    d = np.array(daily)[:, None]
    given_ = supply.administer(d, gp)
    assert (given_.sum(axis=2) <= d * (1 + 1e-12) + 1e-9).all()
    assert (given_.sum(axis=0) <= gp * (1 + 1e-12) + 1e-9).all()
    done = np.cumsum(given_, axis=0)[:, 0, :]
    for t in range(len(daily)):
        for g in range(3):
            if given_[t, 0, g] > 0:  # a younger group vaccinated: all older groups are full
                np.testing.assert_allclose(done[t, g + 1 :], gp[0, g + 1 :], rtol=1e-9)


def test_beta_gives_the_requested_r0_by_the_engines_next_generation_matrix() -> None:
    """With every group susceptible (shares 1) the NGM is beta * D * a a^T: its spectral radius
    from the engine's own reproduction_number must be beta * D * sum(a^2)."""
    demo = rg.demography(small_network())
    disease = rg.group_disease(demo, 2.5)
    p = disease.parameters
    r = reproduction_number(
        disease, disease.rates(), disease.weights(), np.ones((1, 1)), np.ones(1), dt=1.0
    )
    assert r == pytest.approx(p["beta"] * rg.infectious_days() * float(np.sum(demo.activity**2)))
    # at the world's group shares: R0 = beta * D * sum(a^2 s)
    assert p["beta"] * rg.infectious_days() * float(
        np.sum(demo.activity**2 * demo.world_shares)
    ) == pytest.approx(2.5)


def test_group_ifr_lies_within_verity_bands() -> None:
    demo = rg.demography(small_network())
    np.testing.assert_allclose(demo.shares.sum(axis=1), 1.0)
    assert 0.0193 <= demo.world_ifr[3] <= 0.078  # 65+: between the 60-69 and 80+ bands
    assert 0.000309 <= demo.world_ifr[1] <= 0.00161  # 20-49: between 20-29 and 40-49
    assert (np.diff(demo.world_ifr) > 0).all()


def test_doses_given_never_exceed_the_supply_and_arms_follow_their_rules(study) -> None:
    s = SETTING
    for i in range(len(study.arms)):
        assert study.given[i].sum() <= s.supply * (1 + 1e-9)
        assert (study.given[i] <= study.delivered[i] * (1 + 1e-12) + 1e-9).all()
    prop = study.given[study.arms.index("proportional")]
    np.testing.assert_allclose(prop / prop.sum(), study.population / study.population.sum())
    hic_arm = study.given[study.arms.index("high_income_first")]
    hic = np.array([c in {"USA", "JPN"} for c in COUNTRIES])
    np.testing.assert_array_equal(study.high_income, hic)
    np.testing.assert_allclose(hic_arm[hic], study.population[hic])  # covered in full
    assert hic_arm[~hic].sum() == pytest.approx(s.supply - study.population[hic].sum())


def test_vaccination_averts_deaths_in_the_paired_runs(study) -> None:
    world = study.deaths.sum(axis=2)
    none = world[study.arms.index("none")]
    assert (none > 0).all()
    for arm in ("proportional", "high_income_first"):
        assert (world[study.arms.index(arm)] < none).all()


def test_efficacy_zero_averts_exactly_nothing_with_common_random_numbers() -> None:
    res = vs.run_study(small_network(), replace(SETTING, efficacy=0.0), runs=2, seed=9)
    for i in range(1, len(res.arms)):
        np.testing.assert_array_equal(res.deaths[i], res.deaths[0])


def test_everyone_immune_on_day_zero_leaves_only_the_seeds_to_die() -> None:
    net = small_network()
    setting = replace(
        SETTING,
        vaccination_start=SETTING.start,
        efficacy=1.0,
        supply=float(net.population.sum()) * 7,
        weeks=1,
    )
    res = vs.run_study(net, setting, runs=2, seed=3, arms=("none", "proportional"))
    none, vacc = res.deaths.sum(axis=2)
    assert (none > 100).all()
    assert (vacc <= setting.seed_count * rg.VERITY_IFR_PCT.max() / 100 * 2).all()


def test_tables_pair_the_runs(study) -> None:
    world = study.world_table().set_index("arm")
    assert world.loc["none", "averted_share"] == 0
    countries = study.country_table()
    assert set(countries["country"]) == set(COUNTRIES)
    income = study.income_table()
    assert set(income["income_group"]) == {"high income", "other"}
    sums = countries.groupby("arm")["courses_given"].sum()
    assert sums["proportional"] == pytest.approx(SETTING.supply)


def test_bad_setting_is_refused_with_status_two(tmp_path, capsys) -> None:
    status = main(["vaccine-study", "--efficacy", "1.5", "--out", str(tmp_path / "o"), "-q"])
    assert status == 2
    err = capsys.readouterr().err
    assert "efficacy" in err and err.startswith("error:")
    assert not (tmp_path / "o").exists()
    with pytest.raises(InputError):
        vs.run_study(small_network(), SETTING, runs=1, arms=("proportional",))
    with pytest.raises(InputError):
        vs.StudySetting(end=date(2019, 1, 1)).check()


def test_mitigation_file_errors_name_the_row(tmp_path) -> None:
    good = tmp_path / "m.csv"
    good.write_text("iso3,reduction\nusa,0.5\nIND,0.25\n")
    assert vs.read_mitigation(good) == (("USA", 0.5), ("IND", 0.25))
    bad = tmp_path / "bad.csv"
    bad.write_text("iso3,reduction\nUSA,0.5\nIND,1.5\n")
    with pytest.raises(InputError) as err:
        vs.read_mitigation(bad)
    assert err.value.line == 3 and err.value.field == "reduction"
    status = main(["vaccine-study", "--mitigation-file", str(bad), "--out", str(tmp_path / "o")])
    assert status == 2 and not (tmp_path / "o").exists()


def test_country_mitigation_changes_only_through_transmission() -> None:
    """Full suppression everywhere (reduction near 1 from day 0) leaves deaths near the seeds'."""
    s = replace(
        SETTING,
        mitigation_start=SETTING.start,
        country_mitigation=tuple((c, 0.99) for c in COUNTRIES),
    )
    res = vs.run_study(small_network(), s, runs=2, seed=1, arms=("none",))
    assert (res.deaths.sum(axis=2) <= s.seed_count * rg.VERITY_IFR_PCT.max() / 100 * 3).all()


def test_optimised_plan_beats_the_proportional_one_on_its_own_curves() -> None:
    """The LP optimum is at least as good as any feasible plan on the same concave curves, and
    the optimised arm delivers exactly the plan's shares."""
    net = small_network()
    plan, curves = optimised_plan(net, SETTING, levels=(0.5, 1.0), runs=2, seed=4)
    assert (plan >= -1e-6).all() and plan.sum() <= SETTING.supply * (1 + 1e-6)
    assert (plan <= net.population * (1 + 1e-9)).all()
    prop = SETTING.supply * net.population / net.population.sum()
    by_member = {c.member: c for c in curves}
    value = lambda x: sum(by_member[m](x[i]) for i, m in enumerate(net.nodes) if m in by_member)  # noqa: E731
    assert value(plan) >= value(prop) - 1e-6 * value(prop)
    res = vs.run_study(net, SETTING, runs=1, seed=4, arms=("none", "optimised"), plan=plan)
    np.testing.assert_allclose(res.delivered[1], plan / plan.sum() * res.delivered[1].sum())
    with pytest.raises(InputError):
        vs.run_study(net, SETTING, runs=1, arms=("none", "optimised"))
