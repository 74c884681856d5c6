"""Per-compartment pass probabilities of travellers under screening, tests and quarantine.

A factor 1 means every traveller of that compartment enters the destination's community; a
factor below 1 is the share who do (the others are detected, or leave quarantine no longer
infected). Uninfected compartments always pass. Effects act through the disease's natural
history (`policy.natural_history` chain), never as flat percentages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy.linalg import expm

from epicommons.errors import InputError
from epicommons.model.disease import Disease

from .natural_history import History, Quarantine, history, still_infected_when_released
from .screening import Screening, decision_tree


def symptomatic_default(disease: Disease) -> list[str]:
    """Compartments where symptoms show, when not declared: `Is`, else `I`."""
    for name in ("Is", "I"):
        if name in disease.infected_names:
            return [name]
    raise InputError(
        "cannot tell which compartments are symptomatic; declare `symptomatic_compartments`"
    )


def _full(disease: Disease, h: History, infected_pass: np.ndarray) -> np.ndarray:
    out = np.ones(len(disease.compartments))
    for i, name in enumerate(h.names):
        out[disease.index(name)] = infected_pass[i]
    return out


def check_names(disease: Disease, names: Sequence[str], field: str, infected: bool = True) -> None:
    """Every name must be a (by default infected) compartment of the disease."""
    known = disease.infected_names if infected else disease.compartment_names
    for name in names:
        if name not in known:
            raise InputError(
                f"unknown {'infected ' if infected else ''}compartment {name!r}; "
                f"expected one of {', '.join(known)}",
                field=f"{field}.{name}",
            )


def screening_pass(
    disease: Disease,
    symptomatic_compartments: Sequence[str],
    *,
    symptomatic: float,
    aware: float,
    fever_sensitivity: float,
    risk_sensitivity: float,
    flight_days: float,
    exit: bool,
    entry: bool,
) -> np.ndarray:
    """Share of travellers per compartment who pass exit and/or entry screening: the Gostic et
    al. 2020 decision tree (`policy.screening`) on the disease's compartments, with progression
    during the flight from the natural history."""
    h = history(disease)
    sym = np.isin(np.array(h.names), list(symptomatic_compartments))
    rule = Screening(
        symptomatic, aware, fever_sensitivity, risk_sensitivity, flight_days, exit, entry
    )
    missed = decision_tree(sym, expm(h.generator * flight_days), rule)["missed"]
    return _full(disease, h, missed)


def test_pass(disease: Disease, sensitivity: Mapping[str, float]) -> np.ndarray:
    """Share per compartment who test negative (a test on the day of departure)."""
    out = np.ones(len(disease.compartments))
    for name, s in sensitivity.items():
        out[disease.index(name)] = 1.0 - s
    return out


def quarantine_pass(
    disease: Disease,
    days: float,
    compliance: float,
    isolate_on: Sequence[str],
    exit_test: Mapping[str, float] | None,
) -> np.ndarray:
    """Share per compartment still infected and undetected when released from quarantine."""
    h = history(disease)
    q = Quarantine(days, compliance, tuple(isolate_on), dict(exit_test) if exit_test else None)
    p = np.array([still_infected_when_released(h, h.start(n), q) for n in h.names])
    return _full(disease, h, p)
