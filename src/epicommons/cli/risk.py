"""`epicommons risk`: seed an outbreak at a source country, run an ensemble, write risk.csv."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.console import Console

from epicommons._files import check_output, write_csv
from epicommons.errors import InputError

from . import ensemble_options as opts
from .progress import runs as runs_bar


def risk(
    source: str = typer.Option(
        ...,
        "--source",
        help="Source country (ISO3 code or name; never an airport): the seeds are split "
        "over its nodes in proportion to population.",
    ),
    out: Path = typer.Option(..., "--out", help="Folder for risk.csv (created if missing)."),
    network: str = typer.Option("builtin", "--network", help="builtin | openflights | od"),
    path: Path | None = typer.Argument(
        None, help="openflights: folder with airports.dat and routes.dat; od: the CSV file."
    ),
    level: str | None = typer.Option(
        None,
        "--level",
        help="country | airport (default: airport for openflights, country "
        "for builtin, inferred for od).",
    ),
    disease: str = typer.Option("COVID-like", "--disease", help="SIR | SEIR | SEIRD | COVID-like"),
    start: str | None = typer.Option(
        None, "--start", help="First day, YYYY-MM-DD (default today); arrival days count from it."
    ),
    days: int = typer.Option(90, "--days", help="Days to simulate."),
    seed_infections: float = typer.Option(
        10, "--seed-infections", help="Infections seeded at the source on day 0."
    ),
    runs: int = typer.Option(50, "--runs", help="Stochastic runs in the ensemble."),
    seed: int = typer.Option(0, "--seed", help="Random seed (run r uses stream (seed, r))."),
    engine: str | None = opts.ENGINE,
    workers: int | None = opts.WORKERS,
    scheduler: str | None = opts.SCHEDULER,
    report: Path | None = typer.Option(
        None, "--report", help="Also write an offline HTML report (maps, top table) to FILE.html."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Which countries import infections from an outbreak at SOURCE, how likely and how soon.

    Writes DIR/risk.csv, one row per destination country: expected_importations (infected
    travellers arriving from any country over the horizon, mean over runs), p_at_least_one,
    arrival_day_median/q05/q95 (day of the first importation after --start, over all runs;
    empty when beyond the horizon, and beyond_horizon names those: the median is a day exactly
    when p_at_least_one >= 0.5) and the effective distance from the source (Brockmann & Helbing 2013).

    Example:  epicommons risk --source ITA --out results/risk --days 60 --runs 20

    Example:  epicommons risk --source ITA --runs 400 --engine fast --workers 2 --out results/r400
    """
    from epicommons.model import build_model, preset
    from epicommons.model.engine import draws_for
    from epicommons.model.seeding import Seed, plan
    from epicommons.risk.outbreak import risk_table, run_ensemble
    from epicommons.world.countries import registry
    from epicommons.world.sources import load_network

    for name, value, low in (("--days", days, 1), ("--runs", runs, 1), ("--seed", seed, 0)):
        if value < low:
            raise InputError(f"expected a whole number >= {low}, got {value}", field=name)
    draws = draws_for(opts.engine(engine) or "stochastic", field="--engine")
    where = opts.backend(workers, scheduler)
    if not seed_infections > 0:
        raise InputError(f"expected a number > 0, got {seed_infections}", field="--seed-infections")
    try:
        first = date.fromisoformat(start) if start is not None else date.today()
    except ValueError:
        raise InputError(f"expected a date YYYY-MM-DD, got {start!r}", field="--start") from None
    check_output(out, "folder")
    if report is not None:
        from epicommons.report.target import check_target

        check_target(report)
    iso3 = registry().resolve(source, field="--source")
    if level is None and network == "openflights":
        level = "airport"
    net = load_network(network, path, level)
    net.resolve_place(iso3, "country", field="--source")  # a country, never one of its airports
    model = build_model(preset(disease), net)
    seeds = [Seed(country=iso3, count=seed_infections)]
    d = model.disease
    try:  # the seeding rules (at most the country's people, whole people), before any run
        plan(seeds, net, d.compartment_names, d.first_infected, whole=True)
    except InputError as exc:
        raise InputError(exc.message, field="--seed-infections") from None
    console = Console(stderr=True)
    with where as backend, runs_bar(quiet, console) as bar:
        task = bar.add_task(f"outbreak in {iso3}: {runs} runs", total=runs)
        ens = run_ensemble(
            model,
            seeds,
            days,
            runs,
            seed,
            **draws,
            start=first,
            backend=backend,
            progress=lambda n: bar.advance(task, n),
        )
    table = risk_table(ens, iso3, country=True)
    page = None
    if report is not None:
        from epicommons.report.format import count
        from epicommons.report.risk import risk_page

        page = risk_page(
            table,
            source=iso3,
            days=days,
            runs=runs,
            names={c.iso3: c.name for c in registry()},
            subtitle=f"{disease} disease, {count(seed_infections)} infections seeded on {first}, "
            f"{network} network, {runs} stochastic runs over {days} days (seed {seed}).",
        )
    write_csv(table, out / "risk.csv")
    if page is not None:
        from epicommons.report.target import write_page

        write_page(page, report)
    if not quiet:
        from epicommons.report.risk import COLUMNS, top_destinations
        from epicommons.report.tables import cells, rich_table

        names = {c.iso3: c.name for c in registry()}
        top = cells(top_destinations(table, names, 15), COLUMNS, missing="–")
        Console().print(rich_table(top, f"Most exposed destinations of an outbreak in {iso3}"))
        Console().print(f"wrote {out / 'risk.csv'} ({len(table)} destinations)")
        if report is not None:
            Console().print(f"wrote the report to {report}")
