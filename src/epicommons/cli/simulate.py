"""`epicommons simulate`: run a scenario file's ensemble and write its results as Parquet."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from epicommons.errors import InputError

from . import ensemble_options as opts
from .progress import runs as runs_bar


def simulate(
    scenario: Path = typer.Argument(..., help="Scenario TOML file (see examples/scenarios)."),
    out: Path = typer.Option(..., "--out", help="Folder for the results (created or replaced)."),
    runs: int | None = typer.Option(None, "--runs", help="Override the scenario's runs."),
    seed: int | None = typer.Option(None, "--seed", help="Override the scenario's random seed."),
    workers: int | None = opts.WORKERS,
    scheduler: str | None = opts.SCHEDULER,
    engine: str | None = opts.ENGINE,
    report: Path | None = typer.Option(
        None, "--report", help="Also write an offline HTML report (curves, maps) to FILE.html."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    r"""Simulate a scenario (network, disease, seeds, optional `\[\[interventions]]` and `groups`)
    and write summaries per country and node.

    Example:  epicommons simulate examples/scenarios/seir_builtin.toml --out results/seir

    Example:  epicommons simulate examples/scenarios/seir_builtin.toml --runs 400 --engine fast
    --workers 2 --out results/seir400
    """
    from epicommons.model import output
    from epicommons.policy import load as load_policy_scenario
    from epicommons.policy import prepare

    loaded = load_policy_scenario(scenario)
    overrides = {}
    for name, value in (("runs", runs), ("seed", seed)):
        if value is not None:
            if value < (0 if name == "seed" else 1):
                raise InputError(
                    f"expected a whole number >= {0 if name == 'seed' else 1}, got {value}",
                    field=f"--{name}",
                )
            overrides[name] = value
    chosen = opts.engine(engine, ("stochastic", "fast", "deterministic"))
    if chosen is not None:
        overrides["engine"] = chosen
    where = opts.backend(workers, scheduler)  # options checked before anything runs
    output.check_out(out)
    if report is not None:
        from epicommons.report.target import check_target

        check_target(report)
    ready = prepare(loaded, **overrides)
    spec = ready.scenario
    console = Console(stderr=True)
    with where as backend, runs_bar(quiet, console) as bar:
        task = bar.add_task(f"{spec.name}: {spec.runs} runs", total=spec.runs)
        results = ready.run(lambda n: bar.advance(task, n), backend=backend)
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
