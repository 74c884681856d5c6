"""Diseases, rate expressions, age mixing and R0 against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from epicommons.errors import InputError
from epicommons.model import Compartment, Disease, Transition, preset, seir, seird, sir
from epicommons.model.expressions import evaluate
from epicommons.model.mixing import (
    ACTIVITY_5Y,
    EPSILON,
    age_labels,
    builtin_contacts,
    check_edges,
    preferred_mixing,
)
from epicommons.model.reproduction import reproduction_number, resolve_parameters


def test_expressions():
    assert evaluate("(1 - p) * s / 2", {"p": 0.2, "s": 3.0}) == pytest.approx(1.2)
    with pytest.raises(InputError, match="unknown parameter 'q'"):
        evaluate("q * 2", {"p": 1.0}, field="transitions[0].rate")
    with pytest.raises(InputError, match="unsupported"):
        evaluate("__import__('os')", {})


def test_compartments_are_addressed_by_name():
    d = seird()
    assert d.index("D") == 4 and d.infected_names == ("E", "I")
    assert not d.compartments[d.index("D")].alive
    with pytest.raises(InputError, match="unknown compartment 'X'"):
        d.index("X")
    with pytest.raises(InputError) as err:
        Disease(
            "bad",
            (Compartment("S"), Compartment("I", infected=True)),
            (Transition("S", "J", "b", {"I": 1.0}),),
            {"b": 1.0},
        )
    assert err.value.field == "transitions[0].target"
    with pytest.raises(InputError, match="unknown disease preset"):
        preset("flu")


def test_sir_r0_continuous_and_discrete():
    d = sir(beta=0.5, gamma=0.2)
    one = (np.ones((1, 1)), np.ones(1))
    assert reproduction_number(d, d.rates(), d.weights(), *one) == pytest.approx(2.5)
    dt = 0.25
    discrete = 0.5 * dt / -np.expm1(-0.2 * dt)
    assert reproduction_number(d, d.rates(), d.weights(), *one, dt=dt) == pytest.approx(discrete)


def test_age_structured_r0_is_spectral_radius():
    m = np.array([[10.0, 2.0], [3.0, 5.0]])
    n = np.array([2e6, 6e6])
    d = seir(beta=0.03, gamma=0.25)
    expected = 0.03 / 0.25 * max(abs(np.linalg.eigvals(m * n[:, None] / n[None, :])))
    assert reproduction_number(d, d.rates(), d.weights(), m, n) == pytest.approx(expected)


def test_r0_solves_beta_and_rejects_ambiguity():
    params = resolve_parameters(sir(R0=3.0, gamma=0.2), np.ones((1, 1)), np.ones(1), None)
    assert params["beta"] == pytest.approx(0.6)
    both = sir(gamma=0.2).with_parameters(beta=0.5)
    with pytest.raises(InputError) as err:
        resolve_parameters(both, np.ones((1, 1)), np.ones(1), None)
    assert err.value.field == "parameters.R0"


@settings(max_examples=40, deadline=None)
@given(
    activity=st.lists(st.floats(0.1, 30), min_size=1, max_size=6),
    eps=st.floats(0, 1),
    data=st.data(),
)
def test_preferred_mixing_is_reciprocal_with_given_activity(activity, eps, data):
    a = np.array(activity)
    n = np.array(data.draw(st.lists(st.floats(1, 1e8), min_size=len(a), max_size=len(a))))
    m = preferred_mixing(a, n, eps)
    total = n[:, None] * m
    np.testing.assert_allclose(total, total.T, rtol=1e-9)
    np.testing.assert_allclose(m.sum(axis=1), a, rtol=1e-9)


def test_builtin_contacts_aggregate_bands():
    edges = check_edges((0, 10, 20, 40, 60))
    assert age_labels(edges) == ("0-9", "10-19", "20-39", "40-59", "60+")
    bands = np.ones((2, 21)) * np.array([[1e5], [3e5]])
    m = builtin_contacts(bands, edges)
    assert m.shape == (2, 5, 5)
    # uniform bands: group 0-9 has the mean activity of bands 0-4 and 5-9
    assert m[0, 0].sum() == pytest.approx(ACTIVITY_5Y[:2].mean())
    assert 0 < EPSILON < 1
    with pytest.raises(InputError):
        check_edges((0, 7))
