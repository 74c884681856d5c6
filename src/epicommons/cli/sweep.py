"""`epicommons sweep`: run a scenario for every combination of a grid of parameter values."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

from . import ensemble_options as opts
from .progress import progress


def sweep(
    scenario: Path = typer.Argument(..., help="Scenario TOML file."),
    grid: Path = typer.Option(
        ..., "--grid", help=r"TOML with a \[grid] table: key path = \[values] (example above)."
    ),
    out: Path = typer.Option(
        ..., "--out", help="Output Parquet file (one row per variant and country)."
    ),
    workers: int | None = opts.WORKERS,
    scheduler: str | None = opts.SCHEDULER,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    r"""Sweep a scenario over a grid; every variant uses the scenario's seed (paired runs).

    The grid file gives key paths of the scenario, each with the values to try; every
    combination is one variant (here 3 x 2 = 6), e.g. examples/calibration/grid.toml:

    \[grid]
    "disease.parameters.R0" = \[1.5, 2.0, 3.0]
    "seeds\[0].count" = \[10, 100]

    Example:  epicommons sweep examples/calibration/sweep_seir.toml
    --grid examples/calibration/grid.toml --out results/sweep.parquet --workers 2
    """
    import pandas as pd

    from epicommons._files import atomic_file, check_output, read_toml
    from epicommons.backend import open_backend
    from epicommons.calibrate import sweep as sweeps

    opts.check(workers, scheduler)
    check_output(out, "file", suffixes=(".parquet",))
    data, _ = read_toml(scenario, "scenario")
    data.pop("calibration", None)
    points = sweeps.variants(data, sweeps.read_grid(grid), grid, scenario)
    with (
        open_backend(workers, scheduler) as backend,
        progress(
            quiet,
            TextColumn("[bold]sweep"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(backend.name),
            TimeElapsedColumn(),
        ) as bar,
    ):
        task = bar.add_task("sweep", total=len(points))
        shared = backend.share(sweeps.shared_network(points))
        tables = backend.map(
            sweeps.run_variant, shared, points, on_done=lambda _i: bar.advance(task)
        )
    frame = pd.concat(tables, ignore_index=True)
    with atomic_file(out, "wb") as handle:
        frame.to_parquet(handle, index=False)
    if not quiet:
        Console().print(
            f"{len(points)} variants x {points[0].scenario.runs} runs on {backend.name}; "
            f"wrote {len(frame)} rows to {out}"
        )
