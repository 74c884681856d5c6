"""Ready-made diseases: SIR, SEIR, SEIRD and a COVID-like model, with cited default parameters.

Sources (full references in docs/data/model.md):
- SIR/SEIR: pandemic influenza A(H1N1) 2009 as fitted in GLEaM, Balcan et al. 2009, BMC Medicine
  7:45 — R0 1.75, mean latent period 1.1 days, mean infectious period 2.5 days.
- SEIRD: Ebola virus disease, West Africa 2014, WHO Ebola Response Team 2014, NEJM 371:1481 —
  R0 1.71 (Guinea), mean incubation 11.4 days, case fatality 70.8 %; infectious period in the
  community taken as the mean time from onset to hospitalisation, 5.0 days.
- COVID-like: Davies et al. 2020, Nature Medicine 26:1205 (latent 3.0 d, preclinical 2.1 d, clinical
  2.9 d, subclinical 5.0 d, subclinical infectiousness 0.5); asymptomatic fraction 0.20,
  Buitrago-Garcia et al. 2020, PLoS Medicine 17:e1003346; IFR 0.68 %, Meyerowitz-Katz & Merone
  2020, Int J Infect Dis 101:138; R0 2.5, WHO–China Joint Mission report 2020 (2–2.5).
"""

from __future__ import annotations

from collections.abc import Callable

from epicommons.errors import InputError

from .disease import Compartment, Disease, Transition


def sir(**parameters: float) -> Disease:
    """Susceptible, infectious, recovered."""
    return Disease(
        "SIR",
        (Compartment("S"), Compartment("I", infected=True), Compartment("R")),
        (Transition("S", "I", "beta", {"I": 1.0}), Transition("I", "R", "gamma")),
        _params({"R0": 1.75, "gamma": 1 / 2.5}, parameters),
    )


def seir(**parameters: float) -> Disease:
    """Susceptible, exposed (infected, not yet infectious), infectious, recovered."""
    return Disease(
        "SEIR",
        (
            Compartment("S"),
            Compartment("E", infected=True),
            Compartment("I", infected=True),
            Compartment("R"),
        ),
        (
            Transition("S", "E", "beta", {"I": 1.0}),
            Transition("E", "I", "sigma"),
            Transition("I", "R", "gamma"),
        ),
        _params({"R0": 1.75, "sigma": 1 / 1.1, "gamma": 1 / 2.5}, parameters),
    )


def seird(**parameters: float) -> Disease:
    """SEIR where a fraction `ifr` of the infectious die (dead neither mix nor travel)."""
    return Disease(
        "SEIRD",
        (
            Compartment("S"),
            Compartment("E", infected=True),
            Compartment("I", infected=True),
            Compartment("R"),
            Compartment("D", mobile=False, alive=False),
        ),
        (
            Transition("S", "E", "beta", {"I": 1.0}),
            Transition("E", "I", "sigma"),
            Transition("I", "R", "(1 - ifr) * gamma"),
            Transition("I", "D", "ifr * gamma"),
        ),
        _params({"R0": 1.71, "sigma": 1 / 11.4, "gamma": 1 / 5.0, "ifr": 0.708}, parameters),
    )


def covid_like(**parameters: float) -> Disease:
    """Exposed, pre-symptomatic, asymptomatic, symptomatic, recovered, dead.

    E splits into pre-symptomatic (then symptomatic) with probability 1 - p_a and asymptomatic
    with p_a; symptomatic people die with probability ifr / (1 - p_a) so that deaths per infection
    equal `ifr`; symptomatic people do not travel.
    """
    return Disease(
        "COVID-like",
        (
            Compartment("S"),
            Compartment("E", infected=True),
            Compartment("Ip", infected=True),
            Compartment("Ia", infected=True),
            Compartment("Is", infected=True, mobile=False),
            Compartment("R"),
            Compartment("D", mobile=False, alive=False),
        ),
        (
            Transition("S", "E", "beta", {"Ip": 1.0, "Is": 1.0, "Ia": "r_a"}),
            Transition("E", "Ip", "(1 - p_a) / d_E"),
            Transition("E", "Ia", "p_a / d_E"),
            Transition("Ip", "Is", "1 / d_P"),
            Transition("Ia", "R", "1 / d_A"),
            Transition("Is", "R", "(1 - ifr / (1 - p_a)) / d_C"),
            Transition("Is", "D", "ifr / (1 - p_a) / d_C"),
        ),
        _params(
            {
                "R0": 2.5,
                "d_E": 3.0,
                "d_P": 2.1,
                "d_C": 2.9,
                "d_A": 5.0,
                "p_a": 0.2,
                "r_a": 0.5,
                "ifr": 0.0068,
            },
            parameters,
        ),
    )


PRESETS: dict[str, Callable[..., Disease]] = {
    "SIR": sir,
    "SEIR": seir,
    "SEIRD": seird,
    "COVID-like": covid_like,
}


def preset(name: str, **parameters: float) -> Disease:
    """A preset by name (case-insensitive), with parameters overriding its defaults."""
    for key, make in PRESETS.items():
        if key.lower() == name.lower():
            return make(**parameters)
    raise InputError(f"unknown disease preset {name!r}; expected one of {', '.join(PRESETS)}")


def _params(defaults: dict[str, float], given: dict[str, float]) -> dict[str, float]:
    merged = {**defaults, **given}
    if "beta" in given and "R0" not in given:
        merged.pop("R0")  # an explicit beta replaces the default R0
    return merged
