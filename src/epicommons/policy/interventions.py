"""Interventions as declared in a scenario's `[[interventions]]` tables (pydantic, tagged by `type`).

Every intervention has `start` and optional `end` dates (inclusive; no end = to the end of the
simulation) and a target. Route targets name sets of countries (names, ISO codes or groups such
as `who:EUR`, `continent:Europe` or a user group): `from`, `to` (either may be omitted = any
country) or `between` (both ends in the set); `directions = "both"` also covers the reverse
routes. Only routes that cross a border are targeted unless `domestic = true`. Targets are
countries: on an airport network a code that is also an airport is refused, never guessed ("CAN"
is Guangzhou and Canada: write "Canada"); a named country must have a node in the network, a
group keeps its members that do.

```toml
[[interventions]]
type = "travel_reduction"
start = 2027-01-20
end = 2027-03-31
from = ["CHN"]
reduction = 0.9
```
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, use_attribute_docstrings=True)

    start: date
    """First day the intervention acts (YYYY-MM-DD, inclusive)."""
    end: date | None = None
    """Last day it acts (inclusive); omitted = to the end of the simulation."""
    label: str | None = None
    """A name for reports."""

    @model_validator(mode="after")
    def _ordered(self):
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class RouteTarget(_Base):
    """Routes from, to or between sets of countries."""

    from_: list[str] | None = Field(default=None, alias="from")
    """Origin countries (ISO3 codes, names or groups such as `who:EUR`, `continent:Europe`); omitted = any (TOML key `from`)."""
    to: list[str] | None = None
    """Destination countries; omitted = any."""
    between: list[str] | None = None
    """Routes with both ends in this set (instead of `from`/`to`)."""
    directions: Literal["one", "both"] = "one"
    """`one` (the routes as given) or `both` (also the reverse routes)."""
    domestic: bool = False
    """Also target routes inside one country."""

    @model_validator(mode="after")
    def _one_target(self):
        if self.between is not None and (self.from_ is not None or self.to is not None):
            raise ValueError("give `between`, or `from` and/or `to`, not both")
        if self.between is None and self.from_ is None and self.to is None:
            raise ValueError("give the routes: `from`, `to` or `between`")
        return self


class TravelReduction(RouteTarget):
    """Fewer travellers on the targeted routes: flows times (1 - reduction)."""

    type: Literal["travel_reduction"]
    """`travel_reduction`."""
    reduction: Probability
    """Share of travellers removed from the targeted routes, in [0, 1]."""


class Screening(RouteTarget):
    """Exit and/or entry screening (Gostic et al. 2020) of travellers on the targeted routes."""

    type: Literal["screening"]
    """`screening`."""
    exit: bool = True
    """Screen travellers when they leave."""
    entry: bool = True
    """Screen travellers when they arrive."""
    symptomatic: Probability = 0.75
    """Share of infected travellers who develop symptoms, in [0, 1]."""
    aware: Probability = 0.2
    """Share of travellers aware of an exposure risk who report it, in [0, 1]."""
    fever_sensitivity: Probability = 0.7
    """Share of symptomatic travellers caught by fever screening, in [0, 1]."""
    risk_sensitivity: Probability = 0.25
    """Share of aware travellers caught by questionnaires, in [0, 1]."""
    flight_days: Annotated[float, Field(ge=0, le=3)] = 1.0
    """Days between exit and entry screening (0–3)."""
    symptomatic_compartments: list[str] | None = None
    """Compartments counted as symptomatic; default: the disease's symptomatic ones."""

    @model_validator(mode="after")
    def _somewhere(self):
        if not (self.exit or self.entry):
            raise ValueError("screening needs `exit` or `entry` (or both)")
        return self


class PreDepartureTest(RouteTarget):
    """A test on the day of departure; positive travellers do not travel."""

    type: Literal["pre_departure_test"]
    """`pre_departure_test`."""
    sensitivity: dict[str, Probability]
    """Test sensitivity per compartment (e.g. `{ E = 0.3, I = 0.9 }`), each in [0, 1]."""


class ArrivalQuarantine(RouteTarget):
    """Quarantine of `days` on arrival; onset of symptoms in quarantine leads to isolation."""

    type: Literal["arrival_quarantine"]
    """`arrival_quarantine`."""
    days: Annotated[float, Field(ge=0, le=60)]
    """Days of quarantine on arrival (0–60)."""
    compliance: Probability = 1.0
    """Share of travellers who complete it, in [0, 1]."""
    isolate_on: list[str] | None = None
    """Compartments whose onset in quarantine leads to isolation."""
    exit_test: dict[str, Probability] | None = None
    """Sensitivity per compartment of a test at the end of quarantine."""


class FastLane(_Base):
    """Members of `group` keep travelling between themselves under a test and a short
    quarantine, while their routes to and from everyone else are cut by `other_reduction`."""

    type: Literal["fast_lane"]
    """`fast_lane`."""
    group: list[str]
    """The member countries of the lane (codes, names or a group)."""
    test_sensitivity: dict[str, Probability] = Field(default_factory=dict)
    """Sensitivity per compartment of the lane's test."""
    quarantine_days: Annotated[float, Field(ge=0, le=60)] = 0.0
    """Days of quarantine inside the lane (0–60)."""
    compliance: Probability = 1.0
    """Share of lane travellers who comply, in [0, 1]."""
    other_reduction: Probability = 0.9
    """Share of travel removed between lane members and everyone else, in [0, 1]."""


class TransmissionReduction(_Base):
    """Domestic transmission times (1 - reduction) in `countries` (distancing, closures)."""

    type: Literal["transmission_reduction"]
    """`transmission_reduction`."""
    countries: list[str]
    """Countries where it applies (codes, names or a group)."""
    reduction: Probability
    """Share of domestic transmission removed, in [0, 1]."""


class Vaccination(_Base):
    """A campaign: `doses_per_day` per country, to susceptible people, oldest age groups first
    unless `age_priority` lists age-group indices in order; protected people move to `target`."""

    type: Literal["vaccination"]
    """`vaccination`."""
    countries: list[str]
    """Countries that vaccinate (codes, names or a group)."""
    doses_per_day: Annotated[float, Field(gt=0)]
    """Doses given per day in EACH listed country (people per day, > 0; not a total shared between them)."""
    efficacy: Probability
    """Share of vaccinated susceptible people protected, in [0, 1]."""
    age_priority: list[Annotated[int, Field(ge=0)]] | None = None
    """Age-group indices in the order they are vaccinated; default: oldest first."""
    target: str = "R"
    """The compartment protected people move to."""


Intervention = Annotated[
    TravelReduction
    | Screening
    | PreDepartureTest
    | ArrivalQuarantine
    | FastLane
    | TransmissionReduction
    | Vaccination,
    Field(discriminator="type"),
]


class Interventions(BaseModel):
    """The `[[interventions]]` list of a scenario."""

    model_config = ConfigDict(extra="ignore")

    interventions: list[Intervention] = Field(default_factory=list)
