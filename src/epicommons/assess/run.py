"""`assess`: one joint assessment of all members as of a date — surveillance per member as
backend tasks, then spread over the network, then supplies — into one `Assessment`.

A member whose step fails is recorded in `failures` (location, step, reason) and the rest
completes. Deterministic: every member and step draws from its own stream (seed, member, step),
and the backend returns results in chunk order, so the tables are identical on every backend.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from epicommons import __version__
from epicommons.backend import Backend, InProcess
from epicommons.doubts import doubt
from epicommons.surveillance.estimate import output_columns
from epicommons.world.network import Network

from .inputs import AssessmentInputs
from .options import AssessmentOptions
from .result import Assessment
from .spread import spread
from .steps import STEP_ERRORS, MemberResult, member_chunk
from .supplies import ALLOCATION_COLUMNS, EXPLANATION_COLUMNS, allocate, shortfalls
from .track import checked_past, no_scores, score_forecasts

MEMBERS_PER_TASK = 5
COLUMNS = {
    "nowcast": ["location", "target_end_date", "horizon", "observed", "quantile", "value"],
    "rt": ["location", *output_columns(True, True)[1:]],
    "forecast": ["location", "model", "chosen", "target_end_date", "horizon", "quantile", "value"],
    "curve": ["location", "date", "known", "corrected", "q0.025", "q0.25", "q0.75", "q0.975"],
    "warnings": ["location", "step", "message"],
    "failures": ["location", "step", "reason"],
    "allocation": ALLOCATION_COLUMNS,
    "explanation": EXPLANATION_COLUMNS,
    "shadow_prices": ["item", "week", "shadow_price"],
}
SPLIT = ("allocation", "explanation", "shadow_prices")
Progress = Callable[[str, int, int], None]


def assess(
    inputs: AssessmentInputs,
    options: AssessmentOptions | None = None,
    *,
    backend: Backend | None = None,
    progress: Progress | None = None,
    past_forecasts: pd.DataFrame | None = None,
) -> Assessment:
    """Assess every member of `inputs` as of `inputs.as_of` (see docs/assess.md); with
    `past_forecasts` (earlier assessments' `forecast` rows and their `as_of`: `track.py`),
    score those whose target week is complete (`forecast_scores`)."""
    options = options or AssessmentOptions()
    inputs = inputs.checked()
    past = None if past_forecasts is None else checked_past(past_forecasts, inputs.as_of)
    backend = backend or InProcess()
    report = progress or (lambda step, done, total: None)
    population = _population(inputs, options)
    network = inputs.network or network_of(options)
    by_member = {str(k): g.reset_index(drop=True) for k, g in inputs.counts.groupby("location")}
    shared = backend.share(
        {
            "counts": {m: by_member.get(m) for m in inputs.members},
            "as_of": inputs.as_of,
            "options": options,
            "population": population,
        }
    )
    chunks = [
        tuple(inputs.members[i : i + MEMBERS_PER_TASK])
        for i in range(0, len(inputs.members), MEMBERS_PER_TASK)
    ]
    done = [0]

    def tick(_: int) -> None:
        done[0] += 1
        report("surveillance", done[0], len(chunks))

    report("surveillance", 0, len(chunks))
    results: list[MemberResult] = [
        r for block in backend.map(member_chunk, shared, chunks, on_done=tick) for r in block
    ]
    report("spread", 0, 1)
    importation, arrival, spread_warnings, spread_failures = spread(
        results, network, inputs.as_of, options
    )
    report("spread", 1, 1)
    report("supplies", 0, 1)
    shortfall, supply_warnings = shortfalls(
        results, inputs.stocks, population, inputs.as_of, options
    )
    try:
        allocation, explanation, shadow, text, pledge_warnings = allocate(
            shortfall, inputs.pledges, population, options
        )
    except STEP_ERRORS as exc:  # e.g. a fairness rule no split can meet
        allocation, explanation, shadow = (pd.DataFrame(columns=COLUMNS[n]) for n in SPLIT)
        text, pledge_warnings = f"No split proposed: {exc}", []
        spread_failures.append({"location": "", "step": "allocation", "reason": str(exc)})
    report("supplies", 1, 1)
    report("track record", 0, 1)
    scores = (
        no_scores()
        if past is None
        else score_forecasts(past, inputs.counts, inputs.as_of, inputs.members)
    )
    report("track record", 1, 1)
    warnings = [w for r in results for w in r.warnings]
    warnings += spread_warnings + supply_warnings + pledge_warnings
    failures = [r.failure for r in results if r.failure is not None] + spread_failures
    _tell(warnings)
    tables = {
        "nowcast": _concat(results, "nowcast"),
        "rt": _concat(results, "rt"),
        "forecast": _concat(results, "forecast"),
        "importation": importation,
        "arrival": arrival,
        "shortfall": shortfall,
        "allocation": allocation,
        "explanation": explanation,
        "warnings": pd.DataFrame(warnings, columns=COLUMNS["warnings"]),
        "failures": pd.DataFrame(failures, columns=COLUMNS["failures"]),
        "forecast_scores": scores,
        "curve": _concat(results, "curve"),
        "shadow_prices": shadow,
    }
    return Assessment(
        as_of=inputs.as_of,
        options=options,
        code_version=__version__,
        input_stamp=inputs.stamp(past),
        tables=tables,
        notes={
            "members": list(inputs.members),
            "network": network.source,
            "allocation_text": text,
        },
    )


def _tell(warnings: list[dict[str, str]]) -> None:
    """Doubtful values are never silent: each warning, the members with the same one together."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for w in warnings:
        grouped.setdefault((w["step"], w["message"]), []).append(w["location"])
    for (step, message), where in grouped.items():
        named = [m for m in where if m]
        shown = ", ".join(named[:12]) + (f" and {len(named) - 12} more" if len(named) > 12 else "")
        doubt(message, field=step, source=f"assessment of {shown}" if named else "assessment")


def _concat(results: list[MemberResult], name: str) -> pd.DataFrame:
    frames = [r.tables[name] for r in results if name in r.tables]
    if not frames:
        return pd.DataFrame({c: [] for c in COLUMNS[name]})
    return pd.concat(frames, ignore_index=True)


def _population(inputs: AssessmentInputs, options: AssessmentOptions) -> dict[str, float]:
    """People per member: the inputs' own figures, else the world registry (UN WPP 2022)."""
    if inputs.population is not None:
        return {m: float(inputs.population[m]) for m in inputs.members}
    from epicommons.world.population import has_population, population

    return {m: population(m, options.network.year) for m in inputs.members if has_population(m)}


def network_of(options: AssessmentOptions) -> Network:
    """The travel network the options name (an assessment's, and its what-ifs')."""
    from epicommons.world.sources import load_network

    spec = options.network
    return load_network(spec.source, spec.path, year=spec.year)
