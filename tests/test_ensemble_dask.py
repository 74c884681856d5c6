"""Every ensemble gives the same numbers, bit for bit, in this process and on real Dask
LocalClusters over loopback (threads and processes, 1 and 2 workers) whatever the chunk size;
the client folds chunks as they finish and holds O(chunk) per-run daily state."""

from __future__ import annotations

import threading
from dataclasses import fields

import numpy as np
import pandas as pd
import pytest

from epicommons.backend import IN_FLIGHT, InOrder, InProcess, open_backend
from epicommons.model import build_model, seir
from epicommons.model.ensemble import simulate
from epicommons.model.results import OutputOptions, Results
from epicommons.model.seeding import Seed
from epicommons.model.summary import EXACT_BELOW, Histograms
from epicommons.policy import load, prepare
from epicommons.risk.compare import compare
from epicommons.risk.outbreak import run_ensemble
from epicommons.studies.vaccine_cooperation import StudySetting, run_study
from epicommons.world.sources import load_network
from factories import balanced, network

BACKENDS = ("threads-1", "threads-2", "processes-2")


@pytest.fixture(scope="module")
def clusters():
    """One cluster of each kind for the whole module (starting one takes seconds)."""
    opened = {}
    stack = []
    for name in BACKENDS:
        kind, n = name.split("-")
        ctx = open_backend(int(n), processes=kind == "processes")
        opened[name] = ctx.__enter__()
        stack.append(ctx)
    yield opened
    for ctx in reversed(stack):
        ctx.__exit__(None, None, None)


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(4)
    return build_model(seir(R0=2.5), network(rng.uniform(2e4, 2e5, 12), balanced(12, rng, 400)))


def _same_results(a: Results, b: Results) -> None:
    for f in fields(Results):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=f.name)
    pd.testing.assert_frame_equal(a.country_daily(), b.country_daily(), check_exact=True)


def _each_backend(clusters):
    yield "in-process", InProcess()
    yield from clusters.items()


def test_simulate_is_bit_identical_on_every_backend_and_chunking(model, clusters):
    seeds = [Seed("N0", 10)]
    ref = simulate(model, seeds, 90, 9, 21, chunk=9, start=pd.Timestamp("2027-01-01").date())
    assert not np.array_equal(ref.infections[0], ref.infections[1])  # runs differ
    for name, backend in _each_backend(clusters):
        for chunk in (1, 4):
            got = simulate(
                model,
                seeds,
                90,
                9,
                21,
                chunk=chunk,
                backend=backend,
                start=ref.start,
            )
            _same_results(ref, got)
        assert name  # every backend was run


def test_risk_importations_are_bit_identical_on_every_backend(model, clusters):
    ref = run_ensemble(model, [Seed("N0", 10)], 60, 7, 3, chunk=7, leap_above=25.0)
    assert ref.expected.sum() > 0
    for _name, backend in _each_backend(clusters):
        got = run_ensemble(
            model, [Seed("N0", 10)], 60, 7, 3, chunk=2, leap_above=25.0, backend=backend
        )
        for key in ("expected", "cumulative", "first_cdf", "importations"):
            np.testing.assert_array_equal(getattr(ref, key), getattr(got, key), err_msg=key)
        np.testing.assert_array_equal(ref.arrival(), got.arrival())


SCENARIO = """
name = "{name}"
start = 2027-01-01
days = 40
runs = 5
seed = 7
engine = "fast"
[network]
source = "builtin"
[disease]
preset = "SEIR"
[[seeds]]
country = "ITA"
count = 20
"""
CUT = """
[[interventions]]
type = "travel_reduction"
start = 2027-01-05
from = ["ITA"]
reduction = 0.9
"""


def test_compare_is_bit_identical_on_every_backend(tmp_path, clusters):
    base, cut = tmp_path / "base.toml", tmp_path / "cut.toml"
    base.write_text(SCENARIO.format(name="base"))
    cut.write_text(SCENARIO.format(name="cut") + CUT)
    scenarios = [load(base), load(cut)]
    ref = compare(scenarios)
    averted = ref[(ref["country"] == "WORLD") & (ref["metric"] == "importations_averted")]
    assert float(averted["difference_mean"].iloc[0]) > 0  # the cut averts importations
    for _name, backend in _each_backend(clusters):
        pd.testing.assert_frame_equal(ref, compare(scenarios, backend=backend), check_exact=True)


def test_prepared_scenario_runs_the_same_on_a_cluster(tmp_path, clusters):
    path = tmp_path / "cut.toml"
    path.write_text(SCENARIO.format(name="cut") + CUT)
    ready = prepare(load(path), runs=4)
    ref = ready.run()
    _same_results(ref, ready.run(backend=clusters["processes-2"]))


def test_vaccine_study_is_bit_identical_on_every_backend(clusters):
    net = load_network("builtin")
    setting = StudySetting(end=StudySetting().vaccination_start.replace(month=5))
    ref = run_study(net, setting, runs=3, seed=2, leap_above=25.0, chunk=3)
    assert (ref.deaths[0] > 0).any()
    for _name, backend in (("in-process", InProcess()), *clusters.items()):
        got = run_study(net, setting, runs=3, seed=2, leap_above=25.0, chunk=2, backend=backend)
        np.testing.assert_array_equal(ref.deaths, got.deaths)
        pd.testing.assert_frame_equal(ref.world_table(), got.world_table(), check_exact=True)


PEAKS = """
import json, sys, tracemalloc
import numpy as np
from factories import balanced, network
from epicommons.model import build_model, seir
from epicommons.model.ensemble import simulate
from epicommons.model.results import OutputOptions
from epicommons.model.seeding import Seed

rng = np.random.default_rng(4)
model = build_model(seir(R0=2.5), network(rng.uniform(2e4, 2e5, 40), balanced(40, rng, 400)))
simulate(model, [Seed("N0", 10)], 60, 2, 1)  # compiled code and caches loaded first
peaks = []
for runs in json.loads(sys.argv[1]):
    tracemalloc.start()
    simulate(model, [Seed("N0", 10)], 60, runs, 1, chunk=4, outputs=OutputOptions(series_runs=4))
    peaks.append(tracemalloc.get_traced_memory()[1])
    tracemalloc.stop()
print(json.dumps(peaks))
"""


def test_memory_is_flat_in_the_runs():
    """Four times the runs adds only the small per-run scalars, never per-run daily series
    (peak traced memory of ensembles in a fresh process: no cluster threads allocating beside)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(here.parent / "src"), str(here)])}
    done = subprocess.run(
        [sys.executable, "-c", PEAKS, "[12, 48]"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    small, large = json.loads(done.stdout.strip().splitlines()[-1])
    n = g = 40
    c, days = 4, 60
    scalars = n * (4 + 8 + 8) + g * c * 8 + days * c * 8  # arrival, infections, ..., world
    series = days * g * c * 2 * 4  # one run's daily country prevalence and incidence
    extra = large - small
    assert extra < 36 * scalars * 2 + 64 * 1024
    assert extra < 36 * series / 4  # per-run series would have needed 4x what was added


def test_more_runs_than_series_runs_gives_histogram_quantiles(model):
    seeds = [Seed("N0", 10)]
    full = simulate(model, seeds, 60, 12, 5, outputs=OutputOptions(series_runs=12))
    folded = simulate(model, seeds, 60, 12, 5, chunk=5, outputs=OutputOptions(series_runs=4))
    assert folded.country_prevalence is None and full.country_prevalence is not None
    np.testing.assert_array_equal(full.prevalence_mean, folded.prevalence_mean)  # means exact
    for q in (0.05, 0.5, 0.95):
        exact = np.quantile(full.country_prevalence, q, axis=0, method="inverted_cdf")
        approx = folded.daily_quantile("prevalence", q)
        small = exact < EXACT_BELOW
        np.testing.assert_array_equal(approx[small], exact[small])
        assert np.all(np.abs(approx[~small] / exact[~small] - 1) <= np.sqrt(1.1) - 1 + 1e-12)


def test_histogram_merges_in_any_order():
    rng = np.random.default_rng(0)
    values = rng.integers(0, 10**6, size=(20, 3, 2)).astype(float)
    a, b = Histograms((3, 2), 1e6, 20), Histograms((3, 2), 1e6, 20)
    for r in range(20):
        a.add(values[r])
    for r in reversed(range(20)):
        b.add(values[r])
    np.testing.assert_array_equal(a.counts, b.counts)
    np.testing.assert_array_equal(a.quantile(0.5), b.quantile(0.5))


def test_the_stream_never_runs_ahead_of_a_late_chunk(clusters):
    """With chunk 0 held back, at most `window - 1` later chunks finish before it: what the
    client holds to put chunks back in order is bounded by the backend, not by the chunks."""
    backend = clusters["threads-2"]  # workers are threads of this process: they see GATE
    window = IN_FLIGHT * 2
    GATE.clear()
    stream = backend.stream(_held, None, list(range(4 * window)))
    ahead = 0
    for i, _ in stream:
        if i == 0:
            break
        ahead += 1
        if ahead == window - 1:
            GATE.set()
    assert ahead == window - 1
    assert sorted(i for i, _ in stream) == [k for k in range(1, 4 * window) if k >= window]


def test_in_order_puts_chunks_back_in_order_and_counts_what_waits():
    order = InOrder()
    assert list(order([(2, "c"), (0, "a"), (3, "d"), (1, "b")])) == [
        (0, "a"),
        (1, "b"),
        (2, "c"),
        (3, "d"),
    ]
    assert order.most_waiting == 3


GATE = threading.Event()


def _held(_shared: None, i: int) -> int:
    """Chunk 0 waits for the gate; the others return at once."""
    if i == 0:
        GATE.wait(120)  # a safety net only: the test sets it
    return i


@pytest.mark.slow
def test_simulate_command_on_two_workers_writes_the_same_tables(tmp_path):
    from epicommons.cli import main

    path = tmp_path / "s.toml"
    path.write_text(SCENARIO.format(name="s") + CUT)
    a, b = tmp_path / "a", tmp_path / "b"
    argv = ["simulate", str(path), "--runs", "6", "--quiet", "--out"]
    assert main([*argv, str(a)]) == 0
    assert main([*argv, str(b), "--workers", "2"]) == 0
    tables = sorted(a.glob("*.parquet"))
    assert tables
    for t in tables:
        pd.testing.assert_frame_equal(
            pd.read_parquet(t), pd.read_parquet(b / t.name), check_exact=True
        )
