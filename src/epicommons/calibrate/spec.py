"""The `[calibration]` table of a scenario file: what is fitted, its priors, and the sampler.

```toml
[calibration]
countries = ["ITA", "ESP"]        # fitted countries; the network is restricted to their nodes
fit_start = 2020-02-20            # first and last day of data used in the fit
fit_end = 2020-03-25
observe = ["cases"]               # "cases" and/or "deaths"
change_points = [2020-03-10]      # transmission changes by a fitted factor from these dates
forecast_days = 28
particles = 2000                  # sampler = "apmc" (default) or "mcmc" (many parameters)
regression_adjustment = true      # regression-adjust the ABC posterior (default; see adjust.py)

[calibration.fit.R0]              # one prior per kind; per_country = one parameter per country
prior = "uniform"
low = 1.0
high = 5.0
per_country = true

[calibration.fixed]               # values of the kinds that are not fitted
seed_size = 20
```

Kinds: `R0` (basic reproduction number), `change` (factor on transmission from each change point
on), `seed_day` (days after `start`), `seed_size` (people infected then), `reporting` (fraction
of cases reported), `dispersion` (negative-binomial size of the reporting noise), `immune`
(share of each country's population already immune at `start`: a fit that starts in a later
wave estimates what the earlier ones left, with `seed_size` on `seed_day` 0 as the infections
then).
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from epicommons._files import read_text
from epicommons.errors import InputError, validate
from epicommons.model.scenario import Scenario

from .priors import Prior

KINDS = ("R0", "change", "seed_day", "seed_size", "reporting", "dispersion", "immune")
Kind = Literal["R0", "change", "seed_day", "seed_size", "reporting", "dispersion", "immune"]
DEFAULTS = {
    "change": 1.0,
    "seed_day": 0.0,
    "seed_size": 10.0,
    "reporting": 1.0,
    "dispersion": 20.0,
    "immune": 0.0,
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class FitSpec(_Strict):
    """One fitted kind: its prior and whether each country has its own value."""

    prior: Literal["uniform", "loguniform", "normal"] = "uniform"
    """The prior's family: `uniform`, `loguniform` or `normal`."""
    low: float | None = None
    """Lower bound (uniform, loguniform; optional truncation for normal)."""
    high: float | None = None
    """Upper bound."""
    mean: float | None = None
    """Mean of a normal prior."""
    sd: Annotated[float, Field(gt=0)] | None = None
    """Standard deviation of a normal prior (> 0)."""
    per_country: bool = False
    """One value per country (true) or one shared by all (false)."""

    @model_validator(mode="after")
    def _complete(self) -> FitSpec:
        if self.prior == "normal":
            if self.mean is None or self.sd is None:
                raise ValueError("a normal prior needs `mean` and `sd`")
        elif self.low is None or self.high is None:
            raise ValueError(f"a {self.prior} prior needs `low` and `high`")
        lo = -float("inf") if self.low is None else self.low
        hi = float("inf") if self.high is None else self.high
        if not lo < hi:
            raise ValueError(f"expected low < high, got {self.low} and {self.high}")
        if self.prior == "loguniform" and lo <= 0:
            raise ValueError("a loguniform prior needs low > 0")
        return self

    def to_prior(self) -> Prior:
        lo = -float("inf") if self.low is None else self.low
        hi = float("inf") if self.high is None else self.high
        return Prior(self.prior, lo, hi, self.mean or 0.0, self.sd or 1.0)


class FixedSpec(_Strict):
    """Values of kinds that are not fitted (R0 defaults to the scenario's disease)."""

    R0: Annotated[float, Field(gt=0)] | None = None
    """R0 when it is not fitted; default: the scenario's disease."""
    change: Annotated[float, Field(ge=0)] = DEFAULTS["change"]
    """Factor on transmission after each change point when not fitted."""
    seed_day: Annotated[float, Field(ge=0)] = DEFAULTS["seed_day"]
    """Seeding day (days after `start`) when not fitted."""
    seed_size: Annotated[float, Field(gt=0)] = DEFAULTS["seed_size"]
    """People seeded when not fitted."""
    reporting: Annotated[float, Field(gt=0, le=1)] = DEFAULTS["reporting"]
    """Share of infections reported, in (0, 1], when not fitted."""
    dispersion: Annotated[float, Field(gt=0)] = DEFAULTS["dispersion"]
    """Negative-binomial dispersion of reports when not fitted (larger = closer to Poisson)."""
    immune: Annotated[float, Field(ge=0, lt=1)] = DEFAULTS["immune"]
    """Share of each country's population immune at `start` (left by earlier waves), in [0, 1), when not fitted."""


class CalibrationSpec(_Strict):
    countries: Annotated[list[str], Field(min_length=1)]
    """Countries fitted (ISO3 codes or names)."""
    fit_start: date
    """First date of the reports used (YYYY-MM-DD)."""
    fit_end: date
    """Last date of the reports used; reports after it score the forecast."""
    observe: Annotated[list[Literal["cases", "deaths"]], Field(min_length=1)] = ["cases"]
    """What is fitted: `cases`, `deaths` or both."""
    cases_compartment: str | None = None
    """The compartment whose entries are reported as cases; default: the disease's first infectious one."""
    deaths_compartment: str = "D"
    """The compartment whose entries are reported as deaths."""
    immune_compartment: str = "R"
    """The compartment that holds the people immune at `start` (kind `immune`)."""
    change_points: list[date] | dict[str, list[date]] = Field(default_factory=list)
    """Dates after which transmission is multiplied by `change`: one list for every country, or a table of lists by country (`{ITA = [2020-03-10], ESP = [2020-03-14]}`; a country not in it has none)."""
    forecast_days: Annotated[int, Field(ge=0, le=365)] = 28
    """Days forecast after `fit_end` (0–365)."""
    engine: Literal["deterministic", "stochastic", "fast"] = "deterministic"
    """The engine of the ABC-SMC runs and the forecast (the likelihood fit is always deterministic); `fast`: stochastic with the scenario's `leap_above`."""
    seed: Annotated[int, Field(ge=0)] | None = None
    """Random seed of the fit; default: the scenario's seed."""
    sampler: Literal["apmc", "mcmc"] = "apmc"
    """ABC-SMC sampler: `apmc` (adaptive population Monte Carlo) or `mcmc`."""
    particles: Annotated[int, Field(ge=20)] = 1000
    """Particles per ABC generation (≥ 20)."""
    alpha: Annotated[float, Field(gt=0, lt=1)] = 0.3
    """Share of particles kept each generation (0–1)."""
    min_acceptance: Annotated[float, Field(gt=0, lt=1)] = 0.02
    """Stop when the acceptance rate falls below this (0–1)."""
    max_generations: Annotated[int, Field(ge=1, le=100)] = 30
    """Stop after this many generations (1–100)."""
    regression_adjustment: StrictBool = True
    """Regression-adjust the ABC posterior (Beaumont et al. 2002)."""
    forecast_runs: Annotated[int, Field(ge=10)] = 500
    """Runs drawn from the posterior for the forecast (≥ 10)."""
    starts: Annotated[int, Field(ge=1, le=50)] = 4
    """Starting points of the likelihood fit (1–50)."""
    fit: dict[Kind, FitSpec]
    """Fitted kinds and their priors (`[calibration.fit.R0]`, …; kinds: R0, change, seed_day, seed_size, reporting, dispersion)."""
    fixed: FixedSpec = Field(default_factory=FixedSpec)
    """Values of the kinds not fitted (`[calibration.fixed]`)."""

    @model_validator(mode="after")
    def _consistent(self) -> CalibrationSpec:
        if self.fit_end < self.fit_start:
            raise ValueError("fit_end is before fit_start")
        if not self.fit:
            raise ValueError("nothing to fit: add at least one [calibration.fit.<kind>] table")
        if len(set(self.countries)) != len(self.countries):
            raise ValueError("countries are repeated")
        if isinstance(self.change_points, dict):
            unknown = sorted(set(self.change_points) - set(self.countries))
            if unknown:
                raise ValueError(
                    f"change_points for {', '.join(unknown)}, which are not among the countries"
                )
        dates = self.change_dates()
        for iso, points in dates.items():
            if sorted(points) != points or len(set(points)) != len(points):
                where = f" of {iso}" if isinstance(self.change_points, dict) else ""
                raise ValueError(f"change_points{where} must be increasing dates")
        immune = self.fit.get("immune")
        if immune is not None and not (
            immune.prior != "normal" and 0 <= immune.low < immune.high < 1  # type: ignore[operator]
        ):
            raise ValueError("the prior of `immune` must be uniform or loguniform within [0, 1)")
        if "change" in self.fit and not any(dates.values()):
            raise ValueError("fitting `change` needs change_points")
        fit = self.fit.get("change")
        if fit is not None and not fit.per_country and len({len(v) for v in dates.values()}) > 1:
            raise ValueError(
                "countries with different numbers of change points need "
                "[calibration.fit.change] per_country = true"
            )
        return self

    def change_dates(self) -> dict[str, list[date]]:
        """Each country's change points (the shared list, or its own)."""
        if isinstance(self.change_points, dict):
            return {c: list(self.change_points.get(c, [])) for c in self.countries}
        return {c: list(self.change_points) for c in self.countries}


class CalibrationFile(_Strict):
    """A scenario file with its `[calibration]` table."""

    calibration: CalibrationSpec


def parse(text: str, source: str | Path | None = None) -> tuple[Scenario, CalibrationSpec]:
    """Validate a scenario with a `[calibration]` table; errors name the file and key path."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", source=source) from None
    if "calibration" not in data:
        raise InputError("no [calibration] table", source=source, field="calibration")
    calibration = {"calibration": data.pop("calibration")}
    scenario = validate(Scenario, data, source)
    spec = validate(CalibrationFile, calibration, source).calibration
    points = spec.change_points
    listed = points.items() if isinstance(points, dict) else [("", points)]
    for iso, dates in listed:
        for i, d in enumerate(dates):
            if d <= scenario.start:
                raise InputError(
                    f"change point {d} is not after the scenario's start {scenario.start}",
                    source=source,
                    field=f"calibration.change_points{'.' + iso if iso else ''}[{i}]",
                )
    if spec.fit_start < scenario.start:
        raise InputError(
            f"fit_start {spec.fit_start} is before the scenario's start {scenario.start}",
            source=source,
            field="calibration.fit_start",
        )
    return scenario, spec


def load(path: str | Path) -> tuple[Scenario, CalibrationSpec, str]:
    """Read and validate a calibration scenario file; returns scenario, spec and text."""
    text = read_text(path, "scenario")
    scenario, spec = parse(text, source=path)
    return scenario, spec, text
