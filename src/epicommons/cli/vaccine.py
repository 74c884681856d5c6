"""`epicommons vaccine-study`: the vaccine cooperation study (proportional vs high-income first)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.console import Console

from . import ensemble_options as opts
from .progress import progress
from .progress import runs as runs_bar


def vaccine_study(
    out: Path = typer.Option(..., "--out", help="Folder for the tables and summary.md."),
    runs: int = typer.Option(20, "--runs", help="Stochastic runs per arm (same runs in each arm)."),
    seed: int = typer.Option(1, "--seed", help="Random seed (common to all arms)."),
    r0: float = typer.Option(2.5, "--r0", help="Basic reproduction number before mitigation."),
    mitigation: float = typer.Option(0.44, "--mitigation", help="Transmission reduction, 0-1."),
    mitigation_file: Path | None = typer.Option(
        None, "--mitigation-file", help="CSV iso3,reduction overriding --mitigation per country."
    ),
    efficacy: float = typer.Option(0.8, "--efficacy", help="Share of vaccinated made immune."),
    supply: float = typer.Option(2e9, "--supply", help="Courses delivered over --weeks."),
    weeks: int = typer.Option(24, "--weeks", help="Weeks of delivery from 2020-03-16."),
    deterministic: bool = typer.Option(False, "--deterministic", help="Mean-field, one run."),
    engine: str | None = opts.ENGINE,
    workers: int | None = opts.WORKERS,
    scheduler: str | None = opts.SCHEDULER,
    optimised: bool = typer.Option(
        False, "--optimised", help="Add the allocator's deaths-averted plan as a third arm."
    ),
    curve_runs: int = typer.Option(10, "--curve-runs", help="Runs per response-curve level."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress or summary."),
) -> None:
    """Deaths averted worldwide and per country when a fixed vaccine supply is shared by population
    or sent first to high-income countries (setting of Chinazzi et al. 2020), on the built-in
    network. With --optimised, a third arm follows the allocator's plan (objective deaths averted,
    response curves sampled from the engine). Writes world.csv, income.csv, countries.csv,
    summary.md (and plan.csv with --optimised).

    Example:  epicommons vaccine-study --runs 20 --out results/vaccine_study

    Example:  epicommons vaccine-study --runs 200 --engine fast --workers 2 --out results/vs200
    """
    import pandas as pd
    from rich.progress import TextColumn, TimeElapsedColumn

    from epicommons._files import check_output, write_files
    from epicommons.errors import InputError
    from epicommons.model.engine import draws_for
    from epicommons.report.vaccine_study import vaccine_study_markdown
    from epicommons.studies.vaccine_cooperation import StudySetting, read_mitigation, run_study
    from epicommons.studies.vaccine_plan import optimised_plan
    from epicommons.studies.vaccine_supply import ARMS
    from epicommons.world.sources import load_network

    chosen = opts.engine(engine)
    if chosen is not None and deterministic:
        raise InputError("give either --engine or --deterministic, not both", field="--engine")
    draws = draws_for("deterministic" if deterministic else chosen or "stochastic")
    where = opts.backend(workers, scheduler)
    check_output(out, "folder")
    setting = StudySetting(
        R0=r0,
        mitigation=mitigation,
        efficacy=efficacy,
        supply=supply,
        weeks=weeks,
        country_mitigation=read_mitigation(mitigation_file) if mitigation_file else (),
    )
    setting.check()
    runs = 1 if deterministic else runs
    network = load_network("builtin")
    arms = ARMS if optimised else ARMS[:3]
    plan = None
    files = {}
    with where as backend:
        if optimised:
            with progress(quiet, TextColumn("[bold]response curves"), TimeElapsedColumn()) as bar:
                bar.add_task("curves")
                plan, _ = optimised_plan(
                    network,
                    setting,
                    runs=1 if deterministic else curve_runs,
                    seed=seed,
                    **draws,
                    backend=backend,
                )
            files["plan.csv"] = pd.DataFrame(
                {
                    "country": network.nodes,
                    "population": network.population,
                    "courses_optimised": plan,
                    "courses_proportional": setting.supply
                    * network.population
                    / network.population.sum(),
                }
            )
        with runs_bar(quiet) as bar:
            task = bar.add_task("vaccine study", total=len(arms) * runs)
            result = run_study(
                network,
                setting,
                runs=runs,
                seed=seed,
                arms=arms,
                **draws,
                plan=plan,
                backend=backend,
                progress=lambda n: bar.advance(task, n),
            )
    command = (
        f"epicommons vaccine-study --runs {runs} --seed {seed} --r0 {r0} --mitigation {mitigation}"
        f" --efficacy {efficacy} --supply {supply:g} --weeks {weeks}"
        + (" --deterministic" if deterministic else "")
        + (f" --engine {engine}" if chosen is not None else "")
        + (f" --mitigation-file {mitigation_file}" if mitigation_file else "")
        + (f" --optimised --curve-runs {curve_runs}" if optimised else "")
        + f" --out {out}"
    )
    text = vaccine_study_markdown(result, command)
    write_files(
        out,
        {
            "world.csv": result.world_table(),
            "income.csv": result.income_table(),
            "countries.csv": result.country_table(),
            "summary.md": text,
            **files,
        },
    )
    if not quiet:
        Console().print(text)
        Console().print(f"wrote {4 + len(files)} files to {out} ({date.today()})")
