"""The `Network` helpers: balancing keeps travellers and equalises inflow and outflow."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from epicommons.cli import main
from epicommons.world.network import Network, balance, flows_from_edges

flow_matrices = st.integers(1, 12).flatmap(
    lambda n: arrays(
        float, (n, n), elements=st.one_of(st.just(0.0), st.floats(0.0, 1e6, allow_subnormal=False))
    )
)


@settings(max_examples=60, deadline=None)
@given(flow_matrices)
def test_balance_equalises_inflow_and_outflow_and_keeps_the_total(dense):
    np.fill_diagonal(dense, 0.0)
    f = balance(sp.csr_array(dense))
    inflow, outflow = f.sum(axis=0), f.sum(axis=1)
    assert np.allclose(inflow, outflow, rtol=1e-12, atol=1e-6)
    assert f.sum() == pytest.approx(dense.sum(), rel=1e-12, abs=1e-9)
    assert (f.data > 0).all()
    assert np.allclose(f.toarray(), f.toarray().T)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.floats(0.0, 1e4)), max_size=40))
def test_flows_from_edges_sums_repeats_and_drops_self_loops(edges):
    expected = np.zeros((6, 6))
    for o, d, v in edges:
        if o != d:
            expected[o, d] += v
    o, d, v = (np.array(x) for x in zip(*edges, strict=True)) if edges else ([], [], [])
    got = flows_from_edges(6, np.asarray(o), np.asarray(d), np.asarray(v, dtype=float))
    assert np.allclose(got.toarray(), expected)
    assert got.diagonal().sum() == 0


def test_a_one_way_network_is_not_balanced_until_balanced():
    flows = flows_from_edges(3, np.array([0, 1]), np.array([1, 2]), np.array([10.0, 4.0]))
    raw = Network(("A", "B", "C"), ("AAA", "BBB", "CCC"), np.ones(3), flows, "country", "test")
    assert not raw.is_balanced()
    assert raw.imbalance().tolist() == [10.0, -6.0, -4.0]  # out - in: A 10-0, B 4-10, C 0-4
    even = Network(raw.nodes, raw.country, raw.population, balance(flows), "country", "test")
    assert even.is_balanced()
    assert even.busiest(1) == [("A", "B", 5.0)]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--source", "trains"], "field 'source'"),
        (["--level", "airport"], "country level only"),
        (["--source", "openflights"], "needs a folder"),
        (["--source", "od", "--level", "street", "x.csv"], "field 'level'"),
        (["--top", "-1"], "field '--top'"),
    ],
)
def test_cli_usage_errors_exit_2(args, says, capsys):
    assert main(["world", "network", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and says in err and "Traceback" not in err


def test_cli_default_is_the_builtin_network(capsys):
    assert main(["world", "network", "--top", "2"]) == 0
    out = capsys.readouterr().out
    assert "built-in gravity model" in out and "250 nodes" in out and "2 busiest links" in out
    assert "balanced (inflow = outflow at every node)" in out
