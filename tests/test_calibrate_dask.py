"""Same seed, same numbers: in-process and on real Dask LocalClusters (loopback) with 1 or 2
workers; a sweep through the CLI on a local cluster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from epicommons.backend import open_backend
from epicommons.calibrate import abc_smc, build_problem, forecast
from epicommons.calibrate.spec import parse
from epicommons.calibrate.synthetic import blank_data, synthetic_data
from epicommons.cli import main

SCENARIO = """
start = 2020-02-01
days = 40
seed = 5
[disease]
preset = "SEIR"
[disease.parameters]
R0 = 2.0
[[seeds]]
where = "ITA"
count = 20
[calibration]
countries = ["ITA", "CHE"]
fit_start = 2020-02-05
fit_end = 2020-03-05
engine = "stochastic"
forecast_days = 7
[calibration.fit.R0]
low = 1.0
high = 3.0
[calibration.fit.seed_day]
low = 0
high = 10
"""


@pytest.fixture(scope="module")
def problem():
    scenario, spec = parse(SCENARIO)
    blank = build_problem(scenario, spec, blank_data(spec.countries, scenario.start, 40))
    return build_problem(scenario, spec, synthetic_data(blank, np.array([1.8, 3.0]), run=1))


def _abc(problem, backend):
    return abc_smc(problem, particles=600, max_generations=3, seed=11, backend=backend)


def test_abc_and_forecast_identical_across_backends(problem):
    with open_backend() as local:
        ref = _abc(problem, local)
        ref_fc = forecast(problem, ref.particles, ref.weights, runs=300, seed=3, backend=local)
    for workers in (1, 2):
        with open_backend(workers, processes=False) as cluster:
            assert cluster.name.startswith("local dask cluster")
            post = _abc(problem, cluster)
            fc = forecast(problem, post.particles, post.weights, runs=300, seed=3, backend=cluster)
        np.testing.assert_array_equal(post.particles, ref.particles)
        np.testing.assert_array_equal(post.weights, ref.weights)
        np.testing.assert_array_equal(fc.samples, ref_fc.samples)


@pytest.mark.slow
def test_worker_processes_give_the_same_ensemble(problem):
    theta = np.array([[1.8, 3.0], [2.2, 1.0]])
    with open_backend() as local:
        ref = forecast(problem, theta, None, runs=260, seed=9, backend=local)
    with open_backend(2, processes=True) as cluster:
        fc = forecast(problem, theta, None, runs=260, seed=9, backend=cluster)
    np.testing.assert_array_equal(fc.samples, ref.samples)


def test_existing_scheduler_address(problem):
    from distributed import LocalCluster

    theta = np.array([[1.8, 3.0]])
    with open_backend() as local:
        ref = forecast(problem, theta, None, runs=50, seed=2, backend=local)
    with (
        LocalCluster(
            n_workers=1,
            processes=False,
            protocol="tcp://",
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        open_backend(scheduler=cluster.scheduler_address) as remote,
    ):
        assert remote.name.startswith("dask scheduler tcp://127.0.0.1:")
        fc = forecast(problem, theta, None, runs=50, seed=2, backend=remote)
    np.testing.assert_array_equal(fc.samples, ref.samples)


@pytest.mark.slow
def test_sweep_on_local_cluster_equals_in_process(tmp_path):
    scen = tmp_path / "s.toml"
    scen.write_text(SCENARIO.split("[calibration]")[0].replace("days = 40", "days = 30\nruns = 4"))
    grid = tmp_path / "g.toml"
    grid.write_text('[grid]\n"disease.parameters.R0" = [1.5, 2.5]\n"seeds[0].count" = [5, 50]\n')
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    assert main(["sweep", str(scen), "--grid", str(grid), "--out", str(a), "--quiet"]) == 0
    args = ["sweep", str(scen), "--grid", str(grid), "--out", str(b), "--quiet", "--workers", "2"]
    assert main(args) == 0
    ta, tb = pd.read_parquet(a), pd.read_parquet(b)
    pd.testing.assert_frame_equal(ta, tb)
    assert sorted(ta["variant"].unique()) == [0, 1, 2, 3]
    # paired runs: a higher R0 never lowers Italy's median attack rate at the same seeding
    ita = ta[ta["country"] == "ITA"].set_index(["seeds[0].count", "disease.parameters.R0"])
    for count in (5, 50):
        assert (
            ita.loc[(count, 2.5), "attack_rate_median"]
            > ita.loc[(count, 1.5), "attack_rate_median"]
        )


def test_the_fast_engine_calibrates_with_its_own_draws_the_same_on_a_cluster(problem):
    from dataclasses import replace

    fast = replace(problem, engine="fast")
    theta = np.array([[1.8, 3.0], [2.4, 1.0]])
    with open_backend() as local:
        exact = forecast(problem, theta, None, runs=8, seed=2, backend=local)
        ref = forecast(fast, theta, None, runs=8, seed=2, backend=local)
    with open_backend(2, processes=False) as cluster:
        got = forecast(fast, theta, None, runs=8, seed=2, backend=cluster)
    np.testing.assert_array_equal(got.samples, ref.samples)
    assert not np.array_equal(ref.samples, exact.samples)  # large counts drawn approximately
    # the same epidemic: the fast engine draws its own numbers (runs are independent of the
    # exact ones), so the two ensembles' mean totals agree within their Monte Carlo error
    fast_total = ref.samples.reshape(len(ref.samples), -1).sum(axis=1)
    exact_total = exact.samples.reshape(len(exact.samples), -1).sum(axis=1)
    se = np.sqrt(
        fast_total.var(ddof=1) / fast_total.size + exact_total.var(ddof=1) / exact_total.size
    )
    assert abs(fast_total.mean() - exact_total.mean()) < 3 * se
