"""Scenario files: TOML validated by pydantic; every error names its key path.

```toml
name = "SEIR from one country"
start = 2027-01-01
days = 365
runs = 50
seed = 1
engine = "stochastic"          # or "deterministic"

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
country = "ITA"                 # or `node = "FCO"`, or `where` (either, nodes first)
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

from .disease import Compartment, Disease, Transition
from .presets import preset
from .results import OutputOptions
from .seeding import Seed


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NetworkSpec(_Strict):
    source: Literal["builtin", "openflights", "od"] = "builtin"
    path: str | None = None
    level: Literal["country", "airport"] | None = None

    @model_validator(mode="after")
    def _path_when_needed(self) -> NetworkSpec:
        if self.source != "builtin" and not self.path:
            raise ValueError(f"source {self.source!r} needs `path`")
        return self


class CompartmentSpec(_Strict):
    name: str
    infected: bool = False
    mobile: bool = True
    alive: bool = True


class TransitionSpec(_Strict):
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    rate: str | float
    mediated_by: dict[str, str | float] | None = None


class DiseaseSpec(_Strict):
    preset: str | None = None
    name: str | None = None
    compartments: list[CompartmentSpec] | None = None
    transitions: list[TransitionSpec] | None = None
    parameters: dict[str, float] = Field(default_factory=dict)
    age_groups: list[int] | None = None
    contacts: str = "builtin"
    population_year: Annotated[int, Field(ge=1950, le=2100)] = 2025

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
    node: str | None = None
    country: str | None = None
    count: Annotated[float, Field(gt=0)]
    day: Annotated[int, Field(ge=0)] = 0
    days: list[Annotated[int, Field(ge=0)]] | None = None
    compartment: str | None = None
    age: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _one_place(self) -> SeedSpec:
        given = [k for k in ("where", "node", "country") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of `where`, `node` or `country`"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self


class OutputSpec(_Strict):
    format: Literal["parquet"] = "parquet"
    quantiles: list[Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=lambda: [0.05, 0.5, 0.95]
    )
    node_daily: bool = False
    full: bool = False


class Scenario(_Strict):
    name: str = "scenario"
    start: date = date(2027, 1, 1)
    days: Annotated[int, Field(gt=0, le=3650)]
    runs: Annotated[int, Field(gt=0)] = 10
    seed: Annotated[int, Field(ge=0)] = 0
    engine: Literal["stochastic", "deterministic"] = "stochastic"
    substeps: Annotated[int, Field(ge=1, le=100)] = 1
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    network: NetworkSpec = Field(default_factory=NetworkSpec)
    disease: DiseaseSpec
    seeds: Annotated[list[SeedSpec], Field(min_length=1)]
    outputs: OutputSpec = Field(default_factory=OutputSpec)

    def build_disease(self, source: str | None = None) -> Disease:
        """The `Disease` this scenario describes (preset or custom), errors naming the key."""
        spec = self.disease
        try:
            if spec.preset is not None:
                d = preset(spec.preset, **spec.parameters)
                return d
            return Disease(
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
