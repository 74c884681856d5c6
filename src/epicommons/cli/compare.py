"""`epicommons compare`: run scenarios with the same random streams and write paired effects."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from epicommons._files import check_output, write_csv
from epicommons.errors import InputError

from . import ensemble_options as opts
from .progress import runs as runs_bar


def compare(
    scenarios: list[Path] = typer.Argument(
        ..., help="Scenario TOML files; the first is the baseline the others are compared with."
    ),
    out: Path = typer.Option(..., "--out", help="Folder for compare.csv (created if missing)."),
    runs: int | None = typer.Option(None, "--runs", help="Override the scenarios' runs."),
    engine: str | None = opts.ENGINE,
    workers: int | None = opts.WORKERS,
    scheduler: str | None = opts.SCHEDULER,
    report: Path | None = typer.Option(
        None, "--report", help="Also write an offline HTML report (effects, maps) to FILE.html."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Compare scenarios run by run (common random numbers) against the first one.

    Writes DIR/compare.csv: per scenario, country (and WORLD) and metric (importations_averted,
    arrival_delay, infections_averted, deaths_averted) the baseline and scenario means, the
    mean paired difference with its 95% interval and the 5%/95% quantiles over runs.

    Example:  epicommons compare examples/policy/baseline.toml examples/policy/cut90.toml --out results/cmp

    Example:  epicommons compare examples/policy/baseline.toml examples/policy/cut90.toml
    --runs 400 --engine fast --workers 2 --out results/cmp400
    """
    from epicommons.policy import load
    from epicommons.risk.compare import compare as run_compare

    if runs is not None and runs < 2:
        raise InputError(f"expected a whole number >= 2, got {runs}", field="--runs")
    chosen = opts.engine(engine)
    where = opts.backend(workers, scheduler)
    check_output(out, "folder")
    if report is not None:
        from epicommons.report.target import check_target

        check_target(report)
    loaded = [load(p) for p in scenarios]  # everything validated before anything runs
    total = sum(runs or s.scenario.runs for s in loaded)
    with where as backend, runs_bar(quiet) as bar:
        task = bar.add_task(f"{len(loaded)} scenarios", total=total)
        table = run_compare(
            loaded,
            runs=runs,
            engine=chosen,
            backend=backend,
            progress=lambda n: bar.advance(task, n),
        )
    page = None
    if report is not None:
        from epicommons.report.compare import compare_page
        from epicommons.world.countries import registry

        first = loaded[0].scenario
        page = compare_page(
            table,
            baseline=first.name if first.name != "scenario" else loaded[0].path.stem,
            names={c.iso3: c.name for c in registry()},
            subtitle=f"{len(loaded)} scenarios, {runs or first.runs} paired runs over "
            f"{first.days} days from {first.start}.",
        )
    write_csv(table, out / "compare.csv")
    if page is not None:
        from epicommons.report.target import write_page

        write_page(page, report)
    if not quiet:
        from epicommons.report.compare import WORLD_COLUMNS, world_effects
        from epicommons.report.tables import cells, rich_table

        world = cells(world_effects(table), WORLD_COLUMNS, missing="–")
        Console().print(rich_table(world, "Worldwide effects against the first scenario"))
        Console().print(f"wrote {out / 'compare.csv'}")
        if report is not None:
            Console().print(f"wrote the report to {report}")
