"""`epicommons demo`: the main job on built-in data."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from .progress import runs as runs_bar


def world_summary(console: Console, year: int = 2020) -> None:
    """Countries, world population, the built-in network's size and its busiest country pairs."""
    from epicommons.world.countries import registry
    from epicommons.world.population import population_matrix
    from epicommons.world.sources import load_network

    reg = registry()
    pops = population_matrix(reg.codes, year).sum(axis=1)
    net = load_network("builtin", year=year)
    console.print(
        f"[bold]World[/bold] ({year}): {len(reg)} countries and territories, "
        f"population {pops.sum() / 1e9:.2f} billion (UN WPP 2022)"
    )
    console.print(
        f"[bold]Built-in travel network[/bold]: {net.size} countries, {net.n_links:,} links, "
        f"{net.total_travellers:,.0f} international travellers per day"
    )
    # Balanced flows are symmetric: list each pair of countries once.
    pairs = [(a, b, f) for a, b, f in net.busiest(20) if a < b][:5]
    console.print(
        "Busiest pairs: "
        + "; ".join(f"{reg[a].name}–{reg[b].name} {f:,.0f}/day" for a, b, f in pairs)
    )


def demo(
    out: Path = typer.Option(Path("out/demo"), "--out", help="Folder for report.html and tables."),
    source: str = typer.Option("ITA", "--source", help="Country where the outbreak starts."),
    runs: int = typer.Option(30, "--runs", help="Stochastic runs per scenario."),
    days: int = typer.Option(150, "--days", help="Days simulated."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Run the main job on built-in data: outbreak, importation risk, three scenarios compared
    run by run, an allocation of test kits, and an offline HTML report.

    Example:  epicommons demo --source ITA --runs 30 --out out/demo
    """
    from epicommons._files import check_output
    from epicommons.errors import InputError
    from epicommons.studies import demo as study
    from epicommons.world.countries import registry

    if runs < 2:
        raise InputError(f"expected at least 2 runs, got {runs}", field="--runs")
    if days < 28:
        raise InputError(f"expected at least 28 days, got {days}", field="--days")
    check_output(out, "folder")
    reg = registry()
    settings = study.DemoSettings(
        source=reg.resolve(source, field="--source"), runs=runs, days=days
    )
    console = Console()
    began = time.perf_counter()
    world_summary(console)
    with runs_bar(quiet) as bar:
        task = bar.add_task("3 scenarios", total=3 * runs)
        result = study.run(out, settings, progress=lambda n: bar.advance(task, n))

    name = reg[settings.source].name
    risk = Table(title=f"Outbreak in {name}: the ten most exposed countries (no measures)")
    for col in ("country", "expected importations", "P(≥1)", "median arrival day", "eff. distance"):
        risk.add_column(col, justify="left" if col == "country" else "right")
    for row in result.risk.head(10).itertuples():
        risk.add_row(
            reg[row.destination].name,
            f"{row.expected_importations:,.1f}",
            f"{row.p_at_least_one:.2f}",
            "—"
            if row.arrival_day_median != row.arrival_day_median
            else f"{row.arrival_day_median:.0f}",
            f"{row.effective_distance:.2f}",
        )
    console.print(risk)

    effects = Table(title="Worldwide effect against no measures (mean, 95% interval, paired runs)")
    for col in (
        "scenario",
        "importations averted",
        "infections averted",
        "deaths averted",
        "arrival delay (days)",
    ):
        effects.add_column(col, justify="left" if col == "scenario" else "right")
    world = study.world_effects(result.effects)
    for scenario in study.SCENARIOS[1:]:
        rows = world[world["scenario"] == scenario].set_index("metric")
        cells = [
            f"{rows.loc[m, 'difference_mean']:,.0f} ({rows.loc[m, 'ci_low']:,.0f} to {rows.loc[m, 'ci_high']:,.0f})"
            if m != "arrival_delay"
            else f"{rows.loc[m, 'difference_mean']:.1f} ({rows.loc[m, 'ci_low']:.1f} to {rows.loc[m, 'ci_high']:.1f})"
            for m in (
                "importations_averted",
                "infections_averted",
                "deaths_averted",
                "arrival_delay",
            )
        ]
        effects.add_row(study.LABELS[scenario], *cells)
    console.print(effects)

    alloc = Table(title="Test kits for the members most at risk")
    for col in ("member", "need", "delivered", "share met"):
        alloc.add_column(col, justify="left" if col == "member" else "right")
    for row in result.allocation.members.itertuples():
        alloc.add_row(row.name, f"{row.need:,.0f}", f"{row.delivered:,.0f}", f"{row.share_met:.0%}")
    console.print(alloc)
    console.print(
        f"Report: {result.report}  (tables beside it; scenario files in {out / 'scenarios'})\n"
        f"Done in {time.perf_counter() - began:.0f} s."
    )
