"""`epicommons assess`: one joint assessment of every member from a folder of files."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from epicommons._files import check_output
from epicommons.errors import InputError

from . import ensemble_options as opts
from .progress import progress


def assess(
    data_dir: Path = typer.Argument(
        ...,
        help="Folder with assessment.toml, counts.csv and optionally stocks.csv, "
        "pledges.csv, population.csv (docs/assess.md).",
    ),
    out: Path = typer.Option(..., "--out", help="Output folder (replaced whole)."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Assess as known on this date (default: assessment.toml's as_of)."
    ),
    past: list[Path] = typer.Option(
        [],
        "--past",
        help="An earlier assessment's output folder whose forecasts are scored (repeatable).",
    ),
    workers: int | None = opts.WORKERS,
    scheduler: str | None = opts.SCHEDULER,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress or summary."),
) -> None:
    """Assess every member as of a date: nowcasts, Rt, forecasts, importation risk, shortfalls
    and a proposed split of pledges; writes one CSV and Parquet per table, assessment.json and
    report.html into OUT.

    Example:  epicommons assess data/assessment --out results/assessment --as-of 2020-12-01 --past results/assessment-2020-11-10 --workers 2
    """
    from epicommons.assess import assess as run
    from epicommons.assess import read_inputs
    from epicommons.assess.files import read_past
    from epicommons.assess.result import MARKER
    from epicommons.backend import open_backend

    check_output(out, "folder", marker=MARKER)
    opts.check(workers, scheduler)
    day = None
    if as_of is not None:
        try:
            day = datetime.date.fromisoformat(as_of)
        except ValueError:
            raise InputError(
                f"expected a date YYYY-MM-DD, got {as_of!r}", field="--as-of"
            ) from None
    inputs, options = read_inputs(data_dir, day)
    earlier = read_past(past, inputs.as_of)
    console = Console(stderr=True)
    with (
        open_backend(workers, scheduler) as backend,
        progress(
            quiet,
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
        ) as bar,
    ):
        tick = _steps(bar)
        result = run(inputs, options, backend=backend, progress=tick, past_forecasts=earlier)
    result.write(out)
    if not quiet:
        failures = result.tables["failures"]
        console.print(
            f"assessed {len(inputs.members)} members as of {inputs.as_of}: "
            f"{len(failures)} failed steps, {len(result.tables['warnings'])} warnings, "
            f"{len(result.tables['forecast_scores'])} earlier forecasts scored"
        )
        for row in failures.itertuples():
            console.print(f"  {row.location}: {row.step} failed: {row.reason}")
        console.print(f"wrote {out}")


def assess_whatif(
    assessment_dir: Path = typer.Argument(
        ..., help="A folder written by `epicommons assess` (its assessment.json and tables)."
    ),
    measure: str = typer.Option(
        ...,
        "--measure",
        help="travel_reduction | arrival_quarantine | screening | fast_lane | vaccination.",
    ),
    members: str = typer.Option(
        ..., "--members", help="The members it concerns, comma-separated (e.g. DEU or DEU,FRA)."
    ),
    strength: float = typer.Option(
        ..., "--strength", help="In [0, 1]: 0 = no effect (docs/hub.md, What-if)."
    ),
    start_day: int = typer.Option(
        1, "--start-day", help="First day it acts; day 1 = the day after the as-of date."
    ),
    days: int | None = typer.Option(None, "--days", help="Days it acts (default: to the horizon)."),
    out: Path = typer.Option(..., "--out", help="Output folder (replaced whole)."),
    workers: int | None = opts.WORKERS,
    scheduler: str | None = opts.SCHEDULER,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress or summary."),
) -> None:
    """Compare one measure with a finished assessment's spread, run by run with the same random
    numbers: importations, infections and deaths averted per member, and arrival delays; writes
    effects.csv, arrival.csv and whatif.json into OUT.

    Example:  epicommons assess-whatif results/assessment --measure travel_reduction --members DEU --strength 0.9 --out results/whatif
    """
    from epicommons.assess import Assessment
    from epicommons.assess.whatif import MARKER, Measure, what_if
    from epicommons.backend import open_backend

    check_output(out, "folder", marker=MARKER)
    opts.check(workers, scheduler)
    spec = Measure.from_mapping(
        {
            "kind": measure,
            "members": members,
            "strength": strength,
            "start_day": start_day,
            "days": days,
        },
        source="--measure",
    )
    assessment = Assessment.read(assessment_dir)
    console = Console(stderr=True)
    with (
        open_backend(workers, scheduler) as backend,
        progress(
            quiet, TextColumn("[bold]{task.description}"), BarColumn(), console=console
        ) as bar,
    ):
        tick = _steps(bar)
        result = what_if(assessment, spec, backend=backend, progress=tick)
    result.write(out)
    if not quiet:
        from epicommons.report.format import number

        overall = result.tables["effects"].set_index(["location", "metric"])
        console.print(
            f"{spec.text()}; {result.runs} paired runs against the assessment as of {result.as_of}:"
        )
        for metric in ("importations_averted", "infections_averted", "deaths_averted"):
            row = overall.loc[("ALL", metric)]
            console.print(
                f"  {metric.replace('_', ' ')}: {number(row['difference_mean'])} "
                f"(90% of runs: {number(row['q05'])} to {number(row['q95'])})"
            )
        console.print(f"wrote {out}")


def _steps(bar: Progress) -> Callable[[str, int, int], None]:
    """A progress callback `(step, done, total)` showing each step as its own bar."""
    tasks: dict[str, int] = {}

    def tick(step: str, done: int, total: int) -> None:
        if step not in tasks:
            tasks[step] = bar.add_task(step, total=total)
        bar.update(tasks[step], completed=done, total=total)

    return tick
