"""Interventions as declared in a scenario's `[[interventions]]` tables (pydantic, tagged by `type`).

Every intervention has `start` and optional `end` dates (inclusive; no end = to the end of the
simulation) and a target. Route targets name sets of countries (names, ISO codes or groups such
as `who:EUR`, `continent:Europe` or a user group): `from`, `to` (either may be omitted = any
country) or `between` (both ends in the set); `directions = "both"` also covers the reverse
routes. Only routes that cross a border are targeted unless `domestic = true`.

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
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: date
    end: date | None = None
    label: str | None = None

    @model_validator(mode="after")
    def _ordered(self):
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class RouteTarget(_Base):
    """Routes from, to or between sets of countries."""

    from_: list[str] | None = Field(default=None, alias="from")
    to: list[str] | None = None
    between: list[str] | None = None
    directions: Literal["one", "both"] = "one"
    domestic: bool = False

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
    reduction: Probability


class Screening(RouteTarget):
    """Exit and/or entry screening (Gostic et al. 2020) of travellers on the targeted routes."""

    type: Literal["screening"]
    exit: bool = True
    entry: bool = True
    symptomatic: Probability = 0.75
    aware: Probability = 0.2
    fever_sensitivity: Probability = 0.7
    risk_sensitivity: Probability = 0.25
    flight_days: Annotated[float, Field(ge=0, le=3)] = 1.0
    symptomatic_compartments: list[str] | None = None

    @model_validator(mode="after")
    def _somewhere(self):
        if not (self.exit or self.entry):
            raise ValueError("screening needs `exit` or `entry` (or both)")
        return self


class PreDepartureTest(RouteTarget):
    """A test on the day of departure; positive travellers do not travel."""

    type: Literal["pre_departure_test"]
    sensitivity: dict[str, Probability]


class ArrivalQuarantine(RouteTarget):
    """Quarantine of `days` on arrival; onset of symptoms in quarantine leads to isolation."""

    type: Literal["arrival_quarantine"]
    days: Annotated[float, Field(ge=0, le=60)]
    compliance: Probability = 1.0
    isolate_on: list[str] | None = None
    exit_test: dict[str, Probability] | None = None


class FastLane(_Base):
    """Members of `group` keep travelling between themselves under a test and a short
    quarantine, while their routes to and from everyone else are cut by `other_reduction`."""

    type: Literal["fast_lane"]
    group: list[str]
    test_sensitivity: dict[str, Probability] = Field(default_factory=dict)
    quarantine_days: Annotated[float, Field(ge=0, le=60)] = 0.0
    compliance: Probability = 1.0
    other_reduction: Probability = 0.9


class TransmissionReduction(_Base):
    """Domestic transmission times (1 - reduction) in `countries` (distancing, closures)."""

    type: Literal["transmission_reduction"]
    countries: list[str]
    reduction: Probability


class Vaccination(_Base):
    """A campaign: `doses_per_day` per country, to susceptible people, oldest age groups first
    unless `age_priority` lists age-group indices in order; protected people move to `target`."""

    type: Literal["vaccination"]
    countries: list[str]
    doses_per_day: Annotated[float, Field(gt=0)]
    efficacy: Probability
    age_priority: list[Annotated[int, Field(ge=0)]] | None = None
    target: str = "R"


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
