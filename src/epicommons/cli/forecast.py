"""`epicommons forecast-evaluate`: forecast at each origin from the data up to it, score against
what was reported later beside the Forecast Hub baseline, and write the tables and a report."""

from __future__ import annotations

import re
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from epicommons.errors import InputError

from . import ensemble_options as opts
from .progress import progress


def _date(text: str, option: str):
    import numpy as np

    try:
        return np.datetime64(text, "D")
    except ValueError:
        raise InputError(f"expected a date YYYY-MM-DD, got {text!r}", field=option) from None


def _weeks(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+)\s*w?\s*", text)
    if not match or int(match.group(1)) < 1:
        raise InputError(f"expected a number of weeks such as 4w, got {text!r}", field="--every")
    return int(match.group(1))


def forecast_evaluate(
    cases: Path = typer.Argument(
        ..., help="Daily cases (JHU, OWID or tidy CSV) or a weekly CSV (date, value[, location])."
    ),
    country: list[str] = typer.Option(
        [], "--country", help="Countries (ISO3 or name; repeat or comma-separate). Default: all."
    ),
    model: str = typer.Option(
        "renewal",
        "--model",
        help="baseline, renewal, ensemble (quantile average of renewal and baseline) or "
        "mechanistic (one calibrate likelihood fit per origin and country, daily cases only); "
        "comma-separate to compare several (the first one's fans are drawn).",
    ),
    start: str = typer.Option(..., "--from", help="First forecast origin (YYYY-MM-DD)."),
    end: str = typer.Option(..., "--to", help="Last forecast origin (YYYY-MM-DD)."),
    every: str = typer.Option("4w", "--every", help="Weeks between origins, e.g. 4w."),
    horizons: int = typer.Option(4, "--horizons", help="Weeks ahead to forecast."),
    week: str = typer.Option(
        "epi", "--week", help="Weekly targets: epi (weeks ending Saturday) or iso (Sunday)."
    ),
    age_group: str = typer.Option("00+", "--age-group", help="Weekly files: the age group."),
    triangle: Path | None = typer.Option(
        None,
        "--triangle",
        help="Weekly files: a reporting triangle of the same series; each origin then forecasts "
        "the series as known on it (real-time data), scored against the latest data.",
    ),
    correct: bool = typer.Option(
        True,
        "--nowcast/--no-nowcast",
        help="With --triangle: correct the incomplete last weeks by the nowcast first.",
    ),
    out: Path = typer.Option(..., "--out", help="Folder for the tables (created or replaced)."),
    report: Path | None = typer.Option(None, "--report", help="Also write an HTML report."),
    workers: int | None = opts.WORKERS,
    scheduler: str | None = opts.SCHEDULER,
    seed: int = typer.Option(0, "--seed", help="Random seed of the sample paths."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Evaluate forecasts of weekly counts over past origins (WIS, coverage, relative WIS).

    Forecast origins are week ends (the first on or after --from, then every --every weeks);
    each model sees only the data dated up to its origin and is scored on the later weeks.

    Example:  epicommons forecast-evaluate time_series_covid19_confirmed_global.csv
    --country DEU,FRA,ITA --model renewal --from 2020-04-01 --to 2022-03-31 --every 4w
    --out results/forecast --report results/forecast.html --workers 2

    Real-time SARI:  epicommons forecast-evaluate SARI__latest_data-SARI-sari.csv --week iso
    --triangle SARI__reporting_triangle-icosari-sari.csv --from 2023-10-01 --to 2025-09-28
    --every 1w --out results/sari-realtime
    """

    from epicommons.backend import open_backend
    from epicommons.forecast import output as evaluation_output
    from epicommons.forecast.evaluate import (
        EvaluationSpec,
        check_origins,
        evaluate,
        forecast_origins,
        relative_wis,
    )
    from epicommons.report.target import check_target

    models = _check_options(model, week, horizons, workers, scheduler)
    model = models[0]
    first, last = _date(start, "--from"), _date(end, "--to")
    if last < first:
        raise InputError(f"--to {end} is before --from {start}", field="--to")
    origins = forecast_origins(first, last, _weeks(every), week)  # type: ignore[arg-type]
    evaluation_output.check_out(out, evaluation_output.EVALUATION_MARKER)
    if report is not None:
        check_target(report)
    series = _read(cases, _countries(country), age_group)
    if triangle is not None:
        series = _as_known(series, triangle, age_group, correct, origins)
    spec = EvaluationSpec(
        models=tuple(m for m in models if m != "baseline"),
        horizons=horizons,
        week=week,  # type: ignore[arg-type]
        seed=seed,
    )
    check_origins(series, origins, spec)
    console = Console(stderr=True)
    with (
        open_backend(workers, scheduler) as backend,
        progress(
            quiet,
            TextColumn("[bold]forecast origins"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} {task.fields[info]}"),
            TimeElapsedColumn(),
            console=console,
        ) as bar,
    ):
        task = bar.add_task("origins", total=len(origins), info=backend.name)
        scores = evaluate(series, origins, spec, backend, lambda _: bar.advance(task))
        backend_name = backend.name
    if scores.empty:
        raise InputError("no forecast target has been reported yet: nothing to score", field="--to")
    tables = {
        "scores.parquet": scores,
        "summary.csv": relative_wis(scores),
        "relative_wis_by_horizon.csv": relative_wis(scores, ["horizon"]),
        "relative_wis_by_country.csv": relative_wis(scores, ["country"]),
    }
    notes = _notes(tables["summary.csv"], tables["relative_wis_by_horizon.csv"], model)
    meta = {
        "data": str(cases),
        "countries": [s.country for s in series],
        "models": models,
        "origins": [str(o) for o in origins],
        "horizons": horizons,
        "week": "epidemiological weeks ending Saturday" if week == "epi" else "ISO weeks",
        "data_at_origin": _vintage_note(triangle, correct),
        "renewal_settings": spec.renewal.__dict__,
        "seed": seed,
        "backend": backend_name,
        "warnings": notes[1:],
        "summary": tables["summary.csv"].to_dict("records"),
    }
    written = evaluation_output.write(out, tables, meta, evaluation_output.EVALUATION_MARKER)
    if report is not None:
        _write_report(report, tables, model, series, origins, notes, cases, meta["data_at_origin"])
        written.append(report)
    if quiet:
        return
    _print_summary(tables, notes)
    Console().print(f"wrote {len(written)} files ({out}{', ' + str(report) if report else ''})")


def _as_known(series, triangle: Path, age_group: str, correct: bool, origins):
    """The weekly series as known at each origin from the triangle (checked before work)."""
    from epicommons.forecast.vintage import earliest_origin, with_triangle
    from epicommons.surveillance.triangle import read_triangle

    known = with_triangle(series, read_triangle(triangle), age_group, corrected=correct)
    if correct and origins[0] < earliest_origin(known):
        raise InputError(
            f"the nowcast needs history: the first origin with --triangle must be on or after "
            f"{earliest_origin(known)} (or use --no-nowcast)",
            field="--from",
        )
    return known


def _vintage_note(triangle: Path | None, correct: bool) -> str:
    """How the data at each origin were taken, for the metadata."""
    if triangle is None:
        return "the latest data cut at the origin"
    return f"as known on the origin from {triangle}" + (
        ", the last weeks corrected by the nowcast" if correct else ", uncorrected"
    )


def _check_options(
    model: str, week: str, horizons: int, workers: int | None = None, scheduler: str | None = None
) -> list[str]:
    """The models asked for (first = the one reported on); every option checked before work."""
    from epicommons.forecast.evaluate import MODELS

    models = [m.strip() for m in model.split(",") if m.strip()]
    if not models:
        raise InputError("expected at least one model", field="--model")
    for m in models:
        if m not in MODELS:
            raise InputError(
                f"unknown model {m!r}; expected one of {', '.join(MODELS)}", field="--model"
            )
    if week not in ("epi", "iso"):
        raise InputError(f"expected epi or iso, got {week!r}", field="--week")
    if horizons < 1:
        raise InputError(f"expected --horizons >= 1, got {horizons}", field="--horizons")
    opts.check(workers, scheduler)
    return models


def _countries(country: list[str]) -> list[str]:
    from epicommons.world.countries import registry

    reg = registry()
    return [
        reg.resolve(n.strip(), field="--country")
        for v in country
        for n in v.split(",")
        if n.strip()
    ]


def forecast(
    cases: Path = typer.Argument(
        ..., help="Daily cases (JHU, OWID or tidy CSV) or a weekly CSV (date, value[, location])."
    ),
    country: list[str] = typer.Option(
        [], "--country", help="Countries (ISO3 or name; repeat or comma-separate). Default: all."
    ),
    model: str = typer.Option(
        "renewal",
        "--model",
        help="baseline, renewal, ensemble or mechanistic; comma-separate for several.",
    ),
    date: str | None = typer.Option(
        None,
        "--date",
        help="Forecast from the week ending on or before this date (default: "
        "the last complete week of the data).",
    ),
    horizons: int = typer.Option(4, "--horizons", help="Weeks ahead to forecast."),
    week: str = typer.Option(
        "epi", "--week", help="Weekly targets: epi (weeks ending Saturday) or iso (Sunday)."
    ),
    age_group: str = typer.Option("00+", "--age-group", help="Weekly files: the age group."),
    out: Path = typer.Option(..., "--out", help="Folder for the outputs (created or replaced)."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the sample paths."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary."),
) -> None:
    """Forecast weekly counts 1..H weeks ahead: weekly and daily quantiles and sample paths.

    Weekly quantiles are quantiles of the weekly sums of the sample paths (not sums of daily
    quantiles); the levels are the Forecast Hubs' 23.

    Example:  epicommons forecast time_series_covid19_confirmed_global.csv --country ITA
    --date 2021-03-06 --out results/ita
    """
    import numpy as np

    from epicommons.forecast import output as forecast_output
    from epicommons.forecast.evaluate import EvaluationSpec, forecasts_at
    from epicommons.forecast.weeks import week_end_on_or_before

    models = _check_options(model, week, horizons)
    forecast_output.check_out(out, forecast_output.FORECAST_MARKER)
    series = _read(cases, _countries(country), age_group)
    day = _date(date, "--date") if date is not None else min(s.dates[-1] for s in series)
    if series[0].step_days == 1:
        origin = week_end_on_or_before(day, week)  # type: ignore[arg-type]
    else:  # a weekly series: its last week on or before the day
        weeks = series[0].dates[series[0].dates <= day]
        if weeks.size == 0:
            raise InputError(f"the data start after {day}", field="--date")
        origin = weeks[-1]
    spec = EvaluationSpec(
        models=tuple(m for m in models if m != "baseline"),
        horizons=horizons,
        week=week,  # type: ignore[arg-type]
        seed=seed,
    )
    forecasts = [fc for s in series for fc in forecasts_at(s, origin, spec) if fc.model in models]
    tables = forecast_output.forecast_tables(forecasts)
    record, warnings = _track_record(series, origin, spec, models)
    meta = {
        "data": str(cases),
        "countries": [s.country for s in series],
        "models": models,
        "origin": str(origin),
        "horizons": horizons,
        "week": "epidemiological weeks ending Saturday" if week == "epi" else "ISO weeks",
        "levels": list(spec.levels),
        "renewal_settings": spec.renewal.__dict__,
        "seed": seed,
        "recent_track_record": record,
        "warnings": warnings,
    }
    written = forecast_output.write(out, tables, meta, forecast_output.FORECAST_MARKER)
    if quiet:
        return
    table = Table(title=f"weekly forecasts from {origin} (median and 90% interval)")
    for col in ("country", "model", "week ending", "median", "90% interval"):
        table.add_column(col, justify="left" if col in ("country", "model") else "right")
    w = tables["weekly.parquet"]
    for _, r in w.iterrows():
        table.add_row(
            r["country"],
            r["model"],
            str(np.datetime64(r["week_end"], "D")),
            f"{r['q0.5']:,.0f}",
            f"{r['q0.05']:,.0f} - {r['q0.95']:,.0f}",
        )
    Console().print(table)
    for note in warnings:
        Console().print(note)
    Console().print(f"wrote {len(written)} files to {out}")


def _track_record(series, origin, spec, models: list[str]) -> tuple[list[dict], list[str]]:
    """Each model's relative WIS on its own recent past (8 weekly origins, data known at the
    origin only), and a warning for each model worse than the baseline there."""
    from epicommons.forecast.evaluate import recent_record

    if not spec.models:
        return [], []
    try:
        table = recent_record(series, origin, spec)
    except InputError as exc:
        return [], [f"warning: no recent track record ({exc})"]
    table = table[table["model"].isin(models)]
    warnings = [
        f"warning: {r.model} is worse than the baseline on its recent past: relative WIS "
        f"{r.relative_wis:.2f} (its forecasts from the last 8 weekly origins, scored on the "
        f"data known at {origin}); prefer the baseline or the ensemble"
        for r in table.itertuples()
        if r.model != "baseline" and r.relative_wis > 1
    ]
    cols = ["model", "relative_wis", "coverage_50", "coverage_90", "n"]
    return table[cols].to_dict("records"), warnings


def _read(cases: Path, wanted: list[str], age_group: str):
    """The series to evaluate: daily case data through surveillance's readers, or weekly."""
    from epicommons.forecast.series import from_case_data
    from epicommons.forecast.weekly_file import is_weekly_file, read_weekly
    from epicommons.surveillance.readers import read_cases

    if is_weekly_file(cases):
        series = read_weekly(cases, age_group=age_group)
        have = {s.country: s for s in series}
        for code in wanted:
            if code not in have:
                raise InputError(
                    f"country {code!r} is not in the input", source=cases, field="country"
                )
        return [have[c] for c in wanted] if wanted else series
    data = read_cases(cases, with_deaths=False)
    if wanted:
        data = data.select(wanted)
    return from_case_data(data.series())


def _notes(overall, by_horizon, model: str) -> list[str]:
    """The headline, then a warning for every horizon where the model is worse than the baseline
    and for 90% intervals covering outside 80-95%."""
    row = overall[overall["model"] == model].iloc[0]
    notes = [
        f"{model}: relative WIS {row['relative_wis']:.3f} over {int(row['n']):,} forecasts; "
        f"50% intervals cover {row['coverage_50']:.0%}, 90% intervals {row['coverage_90']:.0%}."
    ]
    if model == "baseline":
        return notes
    mine = by_horizon[by_horizon["model"] == model]
    for _, r in mine.iterrows():
        if r["relative_wis"] > 1:
            notes.append(
                f"warning: at {int(r['horizon'])} week(s) ahead {model} is worse than the "
                f"baseline (relative WIS {r['relative_wis']:.2f})."
            )
    if not 0.8 <= row["coverage_90"] <= 0.95:
        notes.append(
            f"warning: the 90% intervals cover {row['coverage_90']:.0%} of the reported weeks "
            "(well calibrated: 80-95%)."
        )
    return notes


def _print_summary(tables, notes: list[str]) -> None:
    table = Table(title="relative WIS against the Forecast Hub baseline")
    wide = tables["relative_wis_by_horizon.csv"].pivot(
        index="model", columns="horizon", values="relative_wis"
    )
    overall = tables["summary.csv"].set_index("model")
    table.add_column("model")
    for h in wide.columns:
        table.add_column(f"{h} wk", justify="right")
    for col in ("all", "50% cover", "90% cover"):
        table.add_column(col, justify="right")
    for m in wide.index:
        table.add_row(
            m,
            *(f"{v:.2f}" for v in wide.loc[m]),
            f"{overall.loc[m, 'relative_wis']:.2f}",
            f"{overall.loc[m, 'coverage_50']:.0%}",
            f"{overall.loc[m, 'coverage_90']:.0%}",
        )
    console = Console()
    console.print(table)
    for note in notes[1:]:
        console.print(note)


def _write_report(report, tables, model, series, origins, notes, cases, vintage: str) -> None:
    from epicommons.report.forecast import forecast_page
    from epicommons.report.target import write_page
    from epicommons.world.countries import registry

    reg = registry()
    names = {s.country: reg[s.country].name if s.country else "series" for s in series}
    subtitle = (
        f"{cases.name}: {len(series)} series, {len(origins)} origins "
        f"({origins[0]} to {origins[-1]}), model {model}; data at each origin: {vintage}"
    )
    page = forecast_page(
        tables["scores.parquet"],
        tables["relative_wis_by_horizon.csv"],
        tables["relative_wis_by_country.csv"],
        tables["summary.csv"],
        model=model,
        names=names,
        subtitle=subtitle,
        notes=notes,
    )
    write_page(page, report)
