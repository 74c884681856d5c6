"""What-if: one measure against a finished assessment's spread, compared run by run.

The baseline arm is the assessment's own spread rebuilt from its importation table (its seeds,
R per forecast week, network, runs and seed: `spread.plan_of`), so it reproduces the stored
expected importations exactly. The measure arm runs the same plan with the measure's
interventions (policy's compiler, as `epicommons compare` uses them) added to the weekly
schedule. Run r of both arms draws from stream (seed, r): common random numbers, so the
differences are paired, run by run (`risk.compare.paired`).

Tables: `effects` — per member and `ALL` (the members together): importations, infections and
deaths averted (baseline minus measure: mean, 95% interval of the mean, and the 5% and 95%
quantiles of the per-run differences, their 90% interval); `arrival` — per member not yet
affected: in how many runs the first infection arrives in both arms, the baseline only, the
measure only or neither, and the delay (measure's arrival day minus the baseline's, in runs
reached in the baseline, a measure arm never reached counted as the horizon: a lower bound).
The assessment's SEIR has no deaths: deaths are infections times `IFR`.
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from epicommons import __version__
from epicommons._files import atomic_folder, csv_number
from epicommons.backend import Backend
from epicommons.doubts import doubt
from epicommons.errors import InputError
from epicommons.model.modifiers import Combined
from epicommons.policy import PolicySchedule, compile_interventions, parse_interventions
from epicommons.risk.compare import WORLD, Outcomes, outcomes, paired
from epicommons.world.network import Network

from .result import Assessment
from .run import network_of
from .spread import SpreadPlan, plan_of

Kind = Literal["travel_reduction", "arrival_quarantine", "screening", "fast_lane", "vaccination"]
KINDS: tuple[str, ...] = get_args(Kind)
IFR = 0.0068  # infection fatality ratio of COVID-19 (Meyerowitz-Katz & Merone 2020)
QUARANTINE_DAYS = 14.0  # an arrival quarantine's length (WHO's 2020 guidance)
FEVER_SENSITIVITY, RISK_SENSITIVITY = 0.7, 0.25  # screening at strength 1 (Gostic et al. 2020)
VACCINATION_PACE = 0.01  # people vaccinated a day, share of the population (fast 2021 campaigns)
LARGEST = 10**6  # a day number or a count of days beyond this is no day of any horizon
OVERALL = "ALL"  # the effects row of the members together
EFFECT_COLUMNS = [
    "location",
    "metric",
    "baseline_mean",
    "measure_mean",
    "difference_mean",
    "ci_low",
    "ci_high",
    "q05",
    "q95",
]
ARRIVAL_COLUMNS = [
    "location",
    "runs_both",
    "runs_baseline_only",
    "runs_measure_only",
    "runs_neither",
    "baseline_day_median",
    "measure_day_median",
    "delay_median",
    "delay_q05",
    "delay_q95",
    "note",
]
MARKER = "whatif.json"
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Measure:
    """One measure: its kind, the members it concerns, its strength in [0, 1] (0 = no effect)
    and the days it acts, day 1 being the day after the as-of date (docs/hub.md, What-if).

    travel_reduction: travel from the members cut by `strength`; arrival_quarantine: 14 days
    for arrivals to the members, `strength` the share who comply; screening: entry screening
    of arrivals to the members, Gostic et al.'s sensitivities times `strength`; fast_lane: the
    members (two or more) keep travelling among themselves, their travel with everyone else cut
    by `strength`; vaccination: 1% of each member's people a day, `strength` the efficacy.
    """

    kind: Kind
    members: tuple[str, ...]
    strength: float
    start_day: int = 1
    days: int | None = None  # how many days it acts; None: to the horizon

    @classmethod
    def from_mapping(cls, raw: object, source: str | None = None) -> Measure:
        """A measure from JSON-like values; one InputError naming the field if bad."""
        if not isinstance(raw, Mapping):
            raise InputError("expected an object with kind, members, strength", source=source)
        unknown = sorted(set(raw) - {"kind", "members", "strength", "start_day", "days"})
        if unknown:
            raise InputError(
                "unknown field; expected kind, members, strength, start_day, days",
                source=source,
                field=f"measure.{unknown[0]}",
            )
        members = raw.get("members")
        if isinstance(members, str):
            members = [m for m in members.split(",") if m.strip()]
        if not isinstance(members, list | tuple) or not all(isinstance(m, str) for m in members):
            raise InputError(
                "expected a list of member codes", source=source, field="measure.members"
            )
        try:
            return cls(
                kind=raw.get("kind"),  # type: ignore[arg-type]
                members=tuple(m.strip().upper() for m in members),
                strength=_number(raw.get("strength"), "strength"),  # type: ignore[arg-type]
                start_day=_whole(raw.get("start_day", 1), "start_day"),  # type: ignore[arg-type]
                days=None if raw.get("days") is None else _whole(raw.get("days"), "days"),
            ).checked()
        except InputError as exc:
            raise InputError(exc.message, source=source, field=exc.field) from None

    def checked(self, horizon: int | None = None) -> Measure:
        """This measure, every field checked (against the assessment's horizon when given)."""
        if self.kind not in KINDS:
            raise InputError(
                f"expected one of {', '.join(KINDS)}, got {self.kind!r}", field="measure.kind"
            )
        if not self.members or len(set(self.members)) != len(self.members):
            raise InputError("expected one or more distinct members", field="measure.members")
        if self.kind == "fast_lane" and len(self.members) < 2:
            raise InputError("a fast lane needs two or more members", field="measure.members")
        number = isinstance(self.strength, float | int) and not isinstance(self.strength, bool)
        if not (number and 0 <= self.strength <= 1):
            raise InputError(
                f"expected a number in [0, 1], got {self.strength!r}", field="measure.strength"
            )
        last = horizon if horizon is not None else 3650
        if not 1 <= self.start_day <= last:
            raise InputError(
                f"expected a day from 1 to {last} (1 = the day after the as-of date), "
                f"got {self.start_day}",
                field="measure.start_day",
            )
        if self.days is not None and not 1 <= self.days <= last - self.start_day + 1:
            raise InputError(
                f"expected 1 to {last - self.start_day + 1} days (to the horizon, day "
                f"{last}), got {self.days}",
                field="measure.days",
            )
        return replace(self, strength=float(self.strength))

    def text(self) -> str:
        """The measure in words, for pages and summaries."""
        who = ", ".join(self.members)
        when = f"from day {self.start_day}" + (f" for {self.days} days" if self.days else "")
        what = {
            "travel_reduction": f"travel from {who} cut by {self.strength:.0%}",
            "arrival_quarantine": f"{QUARANTINE_DAYS:g}-day quarantine of arrivals to {who}, "
            f"{self.strength:.0%} compliance",
            "screening": f"entry screening of arrivals to {who} at {self.strength:.0%} of "
            "its published sensitivity",
            "fast_lane": f"fast lane among {who}, travel with others cut by {self.strength:.0%}",
            "vaccination": f"vaccination of {VACCINATION_PACE:.0%} of the people of {who} a "
            f"day, efficacy {self.strength:.0%}",
        }[self.kind]
        return f"{what}, {when}"


def _number(value: object, name: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # an integer of hundreds of digits
            number = math.inf
        if math.isfinite(number):
            return number
    raise InputError(f"expected a number in [0, 1], got {value!r:.40}", field=f"measure.{name}")


def _whole(value: object, name: str) -> int:
    if isinstance(value, float) and value.is_integer() and abs(value) < LARGEST:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < LARGEST:
        return value
    raise InputError(f"expected a whole number, got {value!r:.40}", field=f"measure.{name}")


@dataclass(frozen=True)
class WhatIf:
    """The paired comparison of one measure with an assessment's baseline: tables and metadata."""

    measure: Measure
    as_of: datetime.date
    input_stamp: str
    runs: int
    tables: dict[str, pd.DataFrame]
    notes: dict[str, Any] = field(default_factory=dict)
    code_version: str = __version__

    def meta(self) -> dict[str, Any]:
        """The metadata as JSON-ready values (what `whatif.json` holds)."""
        return {
            "code_version": self.code_version,
            "measure": asdict(self.measure),
            "measure_text": self.measure.text(),
            "as_of": self.as_of.isoformat(),
            "input_stamp": self.input_stamp,
            "runs": self.runs,
            "ifr": IFR,
            "notes": self.notes,
            "tables": {name: len(t) for name, t in self.tables.items()},
        }

    def write(self, out: Path) -> None:
        """Write the folder `out` whole (replaced atomically): one CSV per table, whatif.json."""
        with atomic_folder(out, MARKER) as tmp:
            for name, table in self.tables.items():
                table.to_csv(tmp / f"{name}.csv", index=False, float_format=csv_number)
            (tmp / MARKER).write_text(json.dumps(self.meta(), indent=2) + "\n", encoding="utf-8")


def what_if(
    assessment: Assessment,
    measure: Measure,
    *,
    network: Network | None = None,
    backend: Backend | None = None,
    progress: Progress | None = None,
) -> WhatIf:
    """The measure's paired effects against `assessment`'s spread (module docstring);
    `network` instead of loading the assessment's."""
    options = assessment.options
    measure = measure.checked(options.horizon_days)
    network = network or network_of(options)
    importation = assessment.tables["importation"]
    ready = plan_of(importation, network, options)
    if not ready.seeds:
        raise InputError(
            f"the assessment as of {assessment.as_of} seeded no infections (no member had "
            "recent cases): there is nothing to avert",
            field="assessment",
        )
    members = [str(m) for m in importation["location"]]
    outside = [m for m in measure.members if m not in members]
    if outside:
        raise InputError(
            f"{', '.join(outside)} not among the assessment's members in the network",
            field="measure.members",
        )
    schedule = Combined((ready.schedule, _compile(measure, ready, assessment.as_of)))
    report = progress or (lambda step, done, total: None)
    runs = options.runs
    arms = []
    for arm, arm_schedule in (("baseline", None), ("measure", schedule)):
        done = [0]

        def tick(n: int, arm: str = arm, done: list[int] = done) -> None:
            done[0] += n
            report(arm, done[0], runs)

        report(arm, 0, runs)
        arms.append(ready.run(arm_schedule, backend=backend, progress=tick))
    base, other = arms
    stored = importation["expected_importations"].to_numpy(float)
    index = {c: i for i, c in enumerate(base.countries)}
    again = base.expected.mean(axis=0)[[index[m] for m in members]]
    if not np.array_equal(again, stored):
        doubt(
            "the baseline does not reproduce the assessment's expected importations (made by "
            f"another code version?): largest difference {np.max(np.abs(again - stored)):.3g}",
            field="importation",
            source=f"what-if against the assessment as of {assessment.as_of}",
        )
    arms_out = [
        _members_only(outcomes(name, ens), members)
        for name, ens in (("baseline", base), ("measure", other))
    ]
    # members known to be not yet affected (not those whose nowcast failed: "unknown")
    affected = dict(zip(members, importation["affected"], strict=True))
    quiet = [m for m in members if affected[m] == "no"]
    return WhatIf(
        measure=measure,
        as_of=assessment.as_of,
        input_stamp=assessment.input_stamp,
        runs=runs,
        tables={"effects": _effects(*arms_out), "arrival": _arrival(*arms_out, quiet)},
        notes={"network": network.source, "horizon_days": options.horizon_days},
    )


def _compile(measure: Measure, ready: SpreadPlan, as_of: datetime.date) -> PolicySchedule:
    """The measure as policy's compiled schedule on the plan's model (day 0 = as_of + 1)."""
    model, horizon = ready.model, ready.options.horizon_days
    start = as_of + datetime.timedelta(days=measure.start_day)
    end = None if measure.days is None else start + datetime.timedelta(days=measure.days - 1)
    tables = [{**t, "start": start, "end": end} for t in _interventions(measure, model.network)]
    items = parse_interventions(tables, source="measure")
    try:
        return compile_interventions(
            items,
            model.network,
            model.disease,
            as_of + datetime.timedelta(days=1),
            horizon,
            age_groups=model.ages.groups,
        )
    except InputError as exc:
        raise InputError(exc.message, field="measure.members") from None


def _interventions(measure: Measure, network: Network) -> list[dict[str, Any]]:
    """The measure as scenario-file intervention tables (policy/interventions.py), undated."""
    s, members = measure.strength, list(measure.members)
    match measure.kind:
        case "travel_reduction":
            return [{"type": "travel_reduction", "from": members, "reduction": s}]
        case "arrival_quarantine":
            return [
                {
                    "type": "arrival_quarantine",
                    "to": members,
                    "days": QUARANTINE_DAYS,
                    "compliance": s,
                }
            ]
        case "screening":
            return [
                {
                    "type": "screening",
                    "to": members,
                    "exit": False,
                    "entry": True,
                    "fever_sensitivity": FEVER_SENSITIVITY * s,
                    "risk_sensitivity": RISK_SENSITIVITY * s,
                }
            ]
        case "fast_lane":
            return [{"type": "fast_lane", "group": members, "other_reduction": s}]
    # vaccination: the same share of each member's people a day, so one table per member
    return [
        {
            "type": "vaccination",
            "countries": [m],
            "efficacy": s,
            "doses_per_day": VACCINATION_PACE * _people(network, m),
        }
        for m in members
    ]


def _people(network: Network, member: str) -> float:
    place = network.resolve_place(member, "country", field="measure.members")
    return float(network.population[place.nodes].sum())


def _members_only(o: Outcomes, members: list[str]) -> Outcomes:
    """The outcomes of the members alone, deaths as infections times the IFR."""
    idx = [o.countries.index(m) for m in members]
    infections = o.infections[:, idx]
    return Outcomes(
        o.name,
        tuple(members),
        o.importations[:, idx],
        o.arrival[:, idx],
        infections,
        infections * IFR,
        o.days,
    )


def _effects(base: Outcomes, other: Outcomes) -> pd.DataFrame:
    """Averted per member and for the members together (`risk.compare.paired`'s rows)."""
    table = paired(base, other)
    table = table[table["metric"] != "arrival_delay"]  # the arrival table says more
    table = table.rename(columns={"country": "location", "scenario_mean": "measure_mean"})
    table["location"] = table["location"].replace(WORLD, OVERALL)
    return table[EFFECT_COLUMNS].reset_index(drop=True)


def _arrival(base: Outcomes, other: Outcomes, quiet: list[str]) -> pd.DataFrame:
    """Arrival of the first infection in members not yet affected, both arms, run by run."""
    rows = []
    horizon = float(base.days)
    for m in quiet:
        g = base.countries.index(m)
        a, b = base.arrival[:, g], other.arrival[:, g]
        reached_a, reached_b = np.isfinite(a), np.isfinite(b)
        delay = np.where(reached_b, b, horizon)[reached_a] - a[reached_a]
        counts = {
            "runs_both": int(np.sum(reached_a & reached_b)),
            "runs_baseline_only": int(np.sum(reached_a & ~reached_b)),
            "runs_measure_only": int(np.sum(~reached_a & reached_b)),
            "runs_neither": int(np.sum(~reached_a & ~reached_b)),
        }
        rows.append(
            {
                "location": m,
                **counts,
                "baseline_day_median": _median_day(a),
                "measure_day_median": _median_day(b),
                "delay_median": float(np.median(delay)) if delay.size else np.nan,
                "delay_q05": float(np.quantile(delay, 0.05)) if delay.size else np.nan,
                "delay_q95": float(np.quantile(delay, 0.95)) if delay.size else np.nan,
                "note": _note(counts, len(a)),
            }
        )
    return pd.DataFrame(rows, columns=ARRIVAL_COLUMNS)


def _median_day(arrival: np.ndarray) -> float:
    """The median arrival day over all runs (day 1 = the day after the as-of date); NaN when
    fewer than half the runs are reached within the horizon."""
    filled = np.where(np.isnan(arrival), np.inf, arrival)
    day = float(np.quantile(filled, 0.5, method="inverted_cdf"))
    return day + 1.0 if math.isfinite(day) else np.nan


def _note(counts: dict[str, int], runs: int) -> str:
    """What the delay rests on, in words."""
    if counts["runs_both"] + counts["runs_baseline_only"] == 0:
        under = counts["runs_measure_only"]
        tail = f", but under the measure in {under}" if under else " nor under the measure"
        return f"not reached in the baseline in any of {runs} runs{tail}: no delay to measure"
    parts = []
    if counts["runs_baseline_only"]:
        parts.append(
            f"not reached under the measure in {counts['runs_baseline_only']} of {runs} runs "
            "(delay counted to the horizon: a lower bound)"
        )
    if counts["runs_measure_only"]:
        parts.append(f"reached only under the measure in {counts['runs_measure_only']} runs")
    if counts["runs_neither"]:
        parts.append(f"reached in neither arm in {counts['runs_neither']} runs")
    return "; ".join(parts) or f"reached in both arms in all {runs} runs"
