"""`epicommons simulate`: run a scenario file's ensemble and write its results as Parquet."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from epicommons.errors import InputError

from .progress import progress


def simulate(
    scenario: Path = typer.Argument(..., help="Scenario TOML file (see examples/scenarios)."),
    out: Path = typer.Option(..., "--out", help="Folder for the results (created or replaced)."),
    runs: int | None = typer.Option(None, "--runs", help="Override the scenario's runs."),
    seed: int | None = typer.Option(None, "--seed", help="Override the scenario's random seed."),
    workers: int | None = typer.Option(None, "--workers", help="Worker processes."),
    engine: str | None = typer.Option(
        None, "--engine", help="Override the scenario's engine: stochastic, deterministic, fast."
    ),
    report: Path | None = typer.Option(
        None, "--report", help="Also write an offline HTML report (curves, maps) to FILE.html."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    r"""Simulate a scenario (network, disease, seeds, optional `\[\[interventions]]` and `groups`)
    and write summaries per country and node.

    Example:  epicommons simulate examples/scenarios/seir_builtin.toml --out results/seir
    """
    from epicommons.model import output
    from epicommons.model.engine import draws_for
    from epicommons.policy import load as load_policy_scenario
    from epicommons.policy import prepare

    loaded = load_policy_scenario(scenario)
    overrides = {}
    for name, value in (("runs", runs), ("seed", seed), ("workers", workers)):
        if value is not None:
            if value < (0 if name == "seed" else 1):
                raise InputError(
                    f"expected a whole number >= {0 if name == 'seed' else 1}, got {value}",
                    field=f"--{name}",
                )
            overrides[name] = value
    if engine is not None:
        draws_for(engine, field="--engine")  # the one check of engine names
        overrides["engine"] = engine
    output.check_out(out)
    if report is not None:
        from epicommons.report.target import check_target

        check_target(report)
    ready = prepare(loaded, **overrides)
    spec = ready.scenario
    console = Console(stderr=True)
    total = spec.runs * spec.days
    with progress(
        quiet,
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} run-days"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        task = bar.add_task(f"{spec.name}: {spec.runs} runs", total=total)
        results = ready.run(lambda n: bar.advance(task, n))
    written = ready.write(results, out)
    if report is not None:
        from epicommons.report.simulation import simulation_page
        from epicommons.report.target import write_page
        from epicommons.world.countries import registry

        names = {c.iso3: c.name for c in registry()}
        written.append(write_page(simulation_page(results, names=names, title=spec.name), report))
    if quiet:
        return
    table = Table(
        title=f"{spec.name}: {spec.runs} {spec.engine} runs, {spec.days} days "
        f"(first 15 countries by median arrival)"
    )
    for col in ("country", "reached", "median arrival day", "median attack rate"):
        table.add_column(col, justify="left" if col == "country" else "right")
    summary = results.country_table().head(15)
    for row in summary.itertuples():
        day = (
            "-"
            if row.arrival_day_median != row.arrival_day_median
            else f"{row.arrival_day_median:.0f}"
        )
        table.add_row(row.country, f"{row.runs_reached:.0%}", day, f"{row.attack_rate_median:.1%}")
    Console().print(table)
    Console().print(f"wrote {len(written)} files to {out}")
