"""Scenario files: TOML validated by pydantic; every error names its key path.

```toml
name = "SEIR from one country"
start = 2027-01-01
days = 365
runs = 50
seed = 1
engine = "stochastic"          # or "deterministic", or "fast" (approximate draws of large counts)
leap_above = 25                 # fast engine: counts expected >= this (both ways) drawn normal

[network]
source = "builtin"              # builtin | openflights | od (then `path`)
level = "country"

[disease]
preset = "SEIR"                 # or `compartments` + `transitions`
age_groups = [0, 10, 20, 40, 60]
contacts = "builtin"            # or a CSV path
[disease.parameters]
R0 = 2.0

[[seeds]]
country = "ITA"                 # split over its nodes by population; or `airport = "FCO"`,
                                # `node = "FCO"`, or `where` (refused if it reads both ways)
count = 10

[outputs]
quantiles = [0.05, 0.5, 0.95]
```
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from epicommons._files import read_toml
from epicommons.errors import InputError, validate
from epicommons.world.network import PLACE_KINDS

from .disease import Compartment, Disease, Transition
from .engine import LEAP_ABOVE, draws_for
from .plausible import doubt_parameters
from .presets import preset
from .results import OutputOptions
from .seeding import Seed


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class NetworkSpec(_Strict):
    source: Literal["builtin", "openflights", "od"] = "builtin"
    """Where the travel network comes from: `builtin` (countries, gravity model fitted to OpenFlights), `openflights` (airports.dat and routes.dat in `path`) or `od` (a CSV of origin, destination, travellers_per_day in `path`)."""
    path: str | None = None
    """The OpenFlights folder or the OD CSV file (relative to the scenario file); needed unless `source = "builtin"`."""
    level: Literal["country", "airport"] | None = None
    """`country` (one node per country) or `airport` (one node per airport; OpenFlights only). Default: country, or airport for OpenFlights."""

    @model_validator(mode="after")
    def _path_when_needed(self) -> NetworkSpec:
        if self.source != "builtin" and not self.path:
            raise ValueError(f"source {self.source!r} needs `path`")
        return self


class CompartmentSpec(_Strict):
    name: str
    """The compartment's name, used in transitions and seeds (e.g. `S`, `E`, `I`, `R`)."""
    infected: bool = False
    """Whether people here carry the infection (counted in prevalence, screened at borders)."""
    mobile: bool = True
    """Whether people here travel."""
    alive: bool = True
    """Whether people here count in the living population (false for a `D` compartment)."""


class TransitionSpec(_Strict):
    source: str = Field(alias="from")
    """The compartment people leave (TOML key `from`)."""
    target: str = Field(alias="to")
    """The compartment people enter (TOML key `to`)."""
    rate: str | float
    """Per-day rate: a number or an expression of the disease's parameters (e.g. `"sigma"`, `"(1 - ifr) * gamma"`)."""
    mediated_by: dict[str, str | float] | None = None
    """For infections: the infectious compartments and their relative infectiousness (e.g. `{ I = 1.0, A = "0.5" }`); the rate is then multiplied by the contact-weighted prevalence."""


class DiseaseSpec(_Strict):
    preset: str | None = None
    """A built-in disease: `SIR`, `SEIR`, `SEIRD` or `COVID-like` (or give `compartments` and `transitions`)."""
    name: str | None = None
    """The name of a custom disease."""
    compartments: list[CompartmentSpec] | None = None
    """A custom disease's compartments (`[[disease.compartments]]` tables)."""
    transitions: list[TransitionSpec] | None = None
    """A custom disease's transitions (`[[disease.transitions]]` tables)."""
    parameters: dict[str, float] = Field(default_factory=dict)
    """Parameter values, per day where they are rates (e.g. `R0 = 2.0`, `sigma = 0.2`, `gamma = 0.25`); presets fill the rest with their defaults. Each must be `R0` or a name the disease's rates use (a typo is an error listing the valid names)."""
    age_groups: list[int] | None = None
    """Lower bounds of the age groups in years, starting at 0 (e.g. `[0, 10, 20, 40, 60]`); omitted = one age group."""
    contacts: str = "builtin"
    """Age mixing: `builtin` (Prem et al. 2021 contact matrices as shipped by epydemix) or the path of a CSV matrix."""
    population_year: Annotated[int, Field(ge=1950, le=2100)] = 2025
    """The year of the UN WPP population by age used for every country (1950–2100)."""

    @model_validator(mode="after")
    def _preset_or_custom(self) -> DiseaseSpec:
        custom = self.compartments is not None or self.transitions is not None
        if (self.preset is None) == (not custom):
            raise ValueError("give either `preset` or `compartments` and `transitions`")
        if custom and (self.compartments is None or self.transitions is None):
            raise ValueError("a custom disease needs both `compartments` and `transitions`")
        return self


class SeedSpec(_Strict):
    where: str | None = None
    """A node id or a country; refused when it reads both ways (on the airport network `CAN` is Guangzhou and Canada)."""
    node: str | None = None
    """A node id of the network (an IATA code on airport networks, an ISO3 code on country networks)."""
    airport: str | None = None
    """One airport (IATA code) of an airport-level network."""
    country: str | None = None
    """A country (ISO3 code or name); the infections are split over its nodes in proportion to their population."""
    count: Annotated[float, Field(gt=0)]
    """People infected at the start, in `compartment` (people, > 0; at most the people there)."""
    day: Annotated[int, Field(ge=0)] = 0
    """The day of the simulation (0 = `start`) on which they are seeded."""
    days: list[Annotated[int, Field(ge=0)]] | None = None
    """Several seeding days; `count` people are seeded on each."""
    compartment: str | None = None
    """Where the seeded people go; default: the disease's first infected compartment."""
    age: Annotated[int, Field(ge=0)] | None = None
    """The age-group index (0 = youngest) seeded; default: spread over age groups by population."""

    @model_validator(mode="after")
    def _one_place(self) -> SeedSpec:
        given = [k for k in PLACE_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of `country`, `airport`, `node` or `where`"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self


class OutputSpec(_Strict):
    format: Literal["parquet"] = "parquet"
    """The results' file format (Parquet)."""
    quantiles: list[Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=lambda: [0.05, 0.5, 0.95]
    )
    """Quantiles of the ensemble written for every series (each in [0, 1])."""
    node_daily: bool = False
    """Also write daily series per node (large on airport networks)."""
    full: bool = False
    """Also write every run's full daily state (very large; for small studies)."""


class Scenario(_Strict):
    name: str = "scenario"
    """A label for the results and reports."""
    start: date = date(2027, 1, 1)
    """The date of day 0 (YYYY-MM-DD)."""
    days: Annotated[int, Field(gt=0, le=3650)]
    """How many days to simulate (1–3650)."""
    runs: Annotated[int, Field(gt=0)] = 10
    """Stochastic runs in the ensemble (the deterministic engine runs once)."""
    seed: Annotated[int, Field(ge=0)] = 0
    """Random seed; run r draws from the stream (seed, r), so scenarios with the same seed are paired run by run."""
    engine: Literal["stochastic", "deterministic", "fast"] = "stochastic"
    """`stochastic` (chain-binomial, integer people, exact draws), `deterministic` (mean-field, fractions of people) or `fast` (stochastic, large counts drawn by their normal approximation — see `leap_above` — uninfected pools exchanged daily at expected rates, infected travellers drawn except between two outbreaks: docs/validation/engine.md)."""
    leap_above: Annotated[float, Field(gt=0)] = LEAP_ABOVE
    """Fast engine: a cell's leavers are drawn normal when both the expected count and the expected stayers are at least this many, exactly otherwise; infected people travel at expected rates between two nodes that each have at least 40 times this many infected, and are drawn exactly on every other link (> 0)."""
    substeps: Annotated[int, Field(ge=1, le=100)] = 1
    """Steps per day of the engine (1–100)."""
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    """Worker processes of a local Dask cluster for the ensemble (1–64; 1: this process; `--workers`/`--scheduler` override it)."""
    network: NetworkSpec = Field(default_factory=NetworkSpec)
    """The travel network (`[network]`)."""
    disease: DiseaseSpec
    """The disease (`[disease]`)."""
    seeds: Annotated[list[SeedSpec], Field(min_length=1)]
    """Where and when the epidemic starts (`[[seeds]]`, at least one)."""
    outputs: OutputSpec = Field(default_factory=OutputSpec)
    """What is written (`[outputs]`)."""

    def build_disease(self, source: str | None = None) -> Disease:
        """The `Disease` this scenario describes (preset or custom), errors naming the key."""
        spec = self.disease
        try:
            if spec.preset is not None:
                disease = preset(spec.preset, **spec.parameters)
            else:
                disease = Disease(
                    spec.name or self.name,
                    tuple(Compartment(**c.model_dump()) for c in spec.compartments or []),
                    tuple(
                        Transition(t.source, t.target, t.rate, t.mediated_by)
                        for t in spec.transitions or []
                    ),
                    spec.parameters,
                )
        except InputError as exc:
            raise InputError(
                exc.message,
                source=source,
                field=f"disease.{exc.field}" if exc.field else "disease.preset",
            ) from None
        # a parameter is known when a rate uses it, it is R0 or the preset sets it by default
        defaults = set(disease.parameters) - set(spec.parameters)
        known = disease.used_parameters() | defaults | {"R0"}
        for name in spec.parameters:
            if name not in known:
                raise InputError(
                    f"no rate of the disease uses parameter {name!r}; "
                    f"expected one of {', '.join(sorted(known))}",
                    source=source,
                    field=f"disease.parameters.{name}",
                )
        doubt_parameters(disease, spec.parameters, source)
        return disease

    def seed_keys(self) -> list[tuple[str, str]]:
        """Key paths of each of `seed_list()`'s seeds: its table and its day (`seeds[1]`,
        `seeds[1].days[2]` for a list of days)."""
        return [
            (f"seeds[{i}]", f"seeds[{i}].day" if s.days is None else f"seeds[{i}].days[{k}]")
            for i, s in enumerate(self.seeds)
            for k in range(1 if s.days is None else len(s.days))
        ]

    def draws(self) -> dict:
        """The engine's `stochastic` and `leap_above` arguments for this scenario's `engine`."""
        return draws_for(self.engine, self.leap_above)

    def seed_list(self) -> list[Seed]:
        out = []
        for s in self.seeds:
            for day in s.days if s.days is not None else [s.day]:
                out.append(
                    Seed(
                        s.where,
                        s.count,
                        day,
                        s.compartment,
                        s.age,
                        node=s.node,
                        airport=s.airport,
                        country=s.country,
                    )
                )
        return out

    def output_options(self) -> OutputOptions:
        o = self.outputs
        return OutputOptions(tuple(o.quantiles), o.node_daily, o.full)


def parse(text: str, source: str | Path | None = None) -> Scenario:
    """Validate scenario TOML text; raises InputError naming the file and key path."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", source=source) from None
    return from_data(data, source)


def from_data(data: dict, source: str | Path | None = None) -> Scenario:
    """Validate scenario tables already read; a `[calibration]` table points to `calibrate`."""
    if "calibration" in data:
        raise InputError(
            "this is a calibration file: run it with `epicommons calibrate`, or remove the "
            "[calibration] table to simulate",
            source=source,
            field="calibration",
        )
    return validate(Scenario, data, source)


def load(path: str | Path) -> tuple[Scenario, str]:
    """Read and validate a scenario file; returns the scenario and its text."""
    data, text = read_toml(path, "scenario")
    return from_data(data, source=path), text
