"""`AssessmentOptions`: every setting of a joint assessment, validated once (TOML `[assessment]`).

Defaults are those of the parts it combines: the nowcast's empirical method, the renewal
forecaster's COVID-19 serial interval (Nishiura et al. 2020), the assist package's 20 tests per
confirmed case (WHO), and an SEIR engine whose generation time (latent + infectious days) equals
that serial interval's mean.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from epicommons.scoring import QUANTILES

TESTS_PER_CASE = 20.0  # assist.needs.TESTS_PER_CASE (WHO: positivity below 5%)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NeedSpec(_Model):
    """What one projected case asks for of an item, and the most a person can use a week."""

    unit: str = "unit"
    per_case: float = Field(gt=0)
    per_person_per_week: float = Field(1.0, gt=0)


class FairnessSpec(_Model):
    """The assistance allocator's fairness rule (assist.Fairness)."""

    rule: Literal["none", "proportional_floor", "covax", "need_weighted", "max_min"] = (
        "need_weighted"
    )
    share: float = Field(0.5, ge=0, le=1)
    phase1_coverage: float = Field(0.20, ge=0, le=1)
    min_need_share: float = Field(0.0, ge=0, le=1)


class NetworkSpec(_Model):
    """The travel network: the built-in gravity model, an OpenFlights folder or an OD CSV."""

    source: Literal["builtin", "openflights", "od"] = "builtin"
    path: str | None = None
    year: int = Field(2020, ge=1950, le=2100)


class AssessmentOptions(_Model):
    """How to assess: nowcast, Rt, forecast, spread and supply settings (see docs/assess.md)."""

    nowcast_method: Literal["empirical", "model", "combined", "auto"] = (
        "empirical"  # nowcast.METHODS
    )
    max_delay: int = Field(14, ge=1, le=60)  # days: the nowcast's target
    nowcast_window: int = Field(28, ge=8, le=365)  # reference days used to estimate delays
    nowcast_paths: int = Field(200, ge=10, le=5000)
    quantiles: tuple[float, ...] = QUANTILES
    si_mean: float = Field(4.7, gt=1)  # days; Nishiura et al. 2020
    si_sd: float = Field(2.9, gt=0)
    rt_window: int = Field(7, ge=2, le=28)
    rt_days: int = Field(28, ge=7, le=3650)  # Rt windows ending in the last rt_days days
    forecast_weeks: int = Field(4, ge=1, le=8)
    forecast_paths: int = Field(5, ge=1, le=200)  # nowcast paths each forecast starts from
    forecast_samples: int = Field(500, ge=50, le=20000)  # in all, over those paths
    horizon_days: int = Field(28, ge=1, le=365)
    runs: int = Field(50, ge=1, le=10000)
    seed: int = Field(1, ge=0)
    engine: Literal["exact", "fast"] = "exact"
    latent_days: float = Field(2.0, gt=0)
    infectious_days: float = Field(2.7, gt=0)
    ascertainment: float = Field(1.0, gt=0, le=1)  # share of infections that are reported
    affected_days: int = Field(14, ge=1, le=365)  # a member with cases in these days is affected
    default_r: float = Field(1.0, ge=0, le=20)  # R of places with no estimate (non-members)
    stale_stock_days: int = Field(28, ge=1)
    fairness: FairnessSpec = FairnessSpec()
    needs: dict[str, NeedSpec] = Field(
        default_factory=lambda: {"test_kit": NeedSpec(unit="test", per_case=TESTS_PER_CASE)}
    )
    network: NetworkSpec = NetworkSpec()

    @field_validator("quantiles")
    @classmethod
    def _levels(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value or any(not 0 < q < 1 for q in value):
            raise ValueError("expected levels strictly between 0 and 1")
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _window(self) -> AssessmentOptions:
        if 0.5 not in self.quantiles:
            raise ValueError("the quantiles must include the median, 0.5")
        if not self.needs:
            raise ValueError("expected at least one item in [assessment.needs]")
        return self
