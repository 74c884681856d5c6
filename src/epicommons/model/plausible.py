"""Doubtful disease parameters: possible values far outside what any known infection shows, let
through with a warning (`epicommons.doubts`) rather than refused; impossible ones are errors
where the disease is built."""

from __future__ import annotations

from collections.abc import Mapping

from epicommons.doubts import doubt

from .disease import Disease

R0_DOUBTFUL_ABOVE = 20.0  # measles, the most transmissible infection known: 12–18
SHORTEST_STAY_DAYS = 1 / 24  # a mean stay of under an hour in a compartment
LONGEST_STAY_DAYS = 365.0  # a mean stay of over a year


def doubt_parameters(
    disease: Disease, given: Mapping[str, float], source: str | None = None
) -> None:
    """Doubts for a given R0 above 20 and for a compartment's mean stay (1 / its exit rate, where
    the rate is one parameter) under an hour or over a year."""
    r0 = given.get("R0")
    if r0 is not None and r0 > R0_DOUBTFUL_ABOVE:
        doubt(
            f"R0 = {_number(r0)} is above that of any known infection (measles: 12–18)",
            field="disease.parameters.R0",
            source=source,
        )
    for tr in disease.transitions:
        name = tr.rate if isinstance(tr.rate, str) else None
        if tr.mediated or name not in given:
            continue
        rate = float(given[name])
        if rate <= 0:
            continue  # a closed transition: the disease's own checks say what is allowed
        stay = 1.0 / rate
        if stay < SHORTEST_STAY_DAYS or stay > LONGEST_STAY_DAYS:
            doubt(
                f"{name} = {_number(rate)} per day means a mean stay of {_days(stay)} in "
                f"{tr.source!r} before {tr.target!r}",
                field=f"disease.parameters.{name}",
                source=source,
            )


def _number(value: float) -> str:
    """A parameter as people read it: 1,000,000,000, not 1e+09."""
    return f"{value:,.0f}" if abs(value) >= 1e5 else f"{value:.4g}"


def _days(stay: float) -> str:
    if stay < 1:
        return f"{stay * 24:.2g} hours"
    return f"{stay:,.0f} days"
