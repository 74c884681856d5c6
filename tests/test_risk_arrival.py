"""risk.csv's P(at least one importation) and its arrival-day quantiles describe one distribution:
the day of first importation over all runs, never-importing runs later than the horizon."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from epicommons.model import Seed, build_model, seir
from epicommons.risk.outbreak import (
    QUANTILES,
    arrival_quantile,
    first_importation_cdf,
    risk_table,
    run_ensemble,
)
from factories import network

ensembles = st.tuples(st.integers(1, 12), st.integers(1, 40), st.integers(1, 4)).flatmap(
    lambda shape: arrays(
        float,
        shape,
        elements=st.one_of(st.just(0.0), st.floats(0.0, 0.2), st.floats(0.0, 5.0)),
    )
)


@settings(max_examples=200, deadline=None)
@given(ensembles)
def test_quantiles_agree_with_p_by_construction(importations):
    cdf = first_importation_cdf(importations)
    p = cdf[-1]
    # independent: P(no importation over the horizon) in run r is exp(-sum of its expected ones)
    independent = 1.0 - np.exp(-importations.sum(axis=1)).mean(axis=0)
    np.testing.assert_allclose(p, independent, atol=1e-12)
    days = importations.shape[1]
    previous = np.zeros_like(p)
    for _, q in QUANTILES:
        day = arrival_quantile(cdf, q)
        assert np.array_equal(np.isfinite(day), p >= q)  # e.g. a median iff P >= 0.5
        ok = np.isfinite(day)
        d = day[ok].astype(int)
        assert ((d >= 0) & (d < days)).all()
        # the quantile's defining property, from the independent per-run formula
        by = lambda k, cols: 1.0 - np.exp(-importations[:, : k + 1, cols].sum(axis=1)).mean(0)  # noqa: E731
        for j, k in zip(np.flatnonzero(ok), d, strict=True):
            assert by(k, j) >= q - 1e-12
            assert k == 0 or by(k - 1, j) < q + 1e-12
        assert (np.nan_to_num(day, nan=np.inf) >= previous).all()  # q05 <= median <= q95
        previous = np.nan_to_num(day, nan=np.inf)


def test_quantile_against_simulated_first_importations():
    # independent Monte Carlo: draw Poisson importations day by day, take the first day
    rng = np.random.default_rng(5)
    imp = rng.gamma(0.5, 0.05, size=(6, 30, 3))
    cdf = first_importation_cdf(imp)
    draws = rng.poisson(np.repeat(imp, 20_000, axis=0)) > 0  # (runs x draws, days, countries)
    first = np.where(draws.any(axis=1), draws.argmax(axis=1), np.inf)
    for _, q in QUANTILES:
        expected = np.quantile(first, q, axis=0, method="inverted_cdf")
        got = arrival_quantile(cdf, q)
        for e, g, j in zip(expected, got, range(3), strict=True):
            if np.isinf(e):
                assert np.isnan(g) or cdf[-1, j] - q < 0.01  # Monte Carlo noise at the edge
            else:
                assert abs(e - g) <= 1, (q, j, e, g)


def test_risk_table_is_consistent_on_a_real_ensemble():
    f = np.zeros((4, 4))
    for a, b, v in [(0, 1, 3000.0), (1, 2, 300.0), (2, 3, 20.0)]:
        f[a, b] = f[b, a] = v
    net = network([2e5, 3e5, 1e5, 5e4], f, nodes="ABCD", countries=("AAA", "BBB", "CCC", "DDD"))
    model = build_model(seir(R0=2.0), net)
    table = risk_table(run_ensemble(model, [Seed(country="AAA", count=5)], 60, 10, 3), "AAA")
    for name, q in QUANTILES:
        assert (table[name].notna() == (table["p_at_least_one"] >= q)).all()
    assert (table["beyond_horizon"] != "").any()  # the far end of the chain is not reached
    for _, row in table.iterrows():
        beyond = {x for x in row["beyond_horizon"].split(", ") if x}
        assert beyond == {n.removeprefix("arrival_day_") for n, q in QUANTILES if row[n] != row[n]}
