"""`epicommons world network`: load a travel network and print its size, totals and busiest links."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from epicommons.errors import InputError


def network(
    source: str = typer.Option("builtin", "--source", help="builtin | openflights | od"),
    path: Path | None = typer.Argument(
        None, help="openflights: folder with airports.dat and routes.dat; od: the CSV file."
    ),
    level: str | None = typer.Option(
        None, "--level", help="country | airport (default country; od: inferred from the codes)."
    ),
    top: int = typer.Option(10, "--top", help="How many of the busiest links to list."),
    year: int = typer.Option(2020, "--year", help="Year of the population (UN WPP 2022)."),
    raw: bool = typer.Option(False, "--raw", help="Keep the raw directed flows (no balancing)."),
) -> None:
    """Print a travel network: nodes, links, travellers per day, balance and the busiest links.

    Example:  epicommons world network --source od examples/network/od_western_europe.csv

    Example:  epicommons world network --source openflights ../shared/data/openflights --level airport
    """
    if top < 0:
        raise InputError(f"expected a whole number >= 0, got {top}", field="--top")
    import numpy as np

    from epicommons.world.countries import registry
    from epicommons.world.sources import load_network

    net = load_network(source, path, level, balanced=not raw, year=year)
    gap = np.abs(net.imbalance())
    worst = int(np.argmax(gap)) if net.size else 0
    console = Console()
    console.print(f"[bold]{net.source}[/bold]")
    console.print(
        f"level {net.level}: {net.size:,} nodes, {net.n_links:,} links, "
        f"{net.total_travellers:,.0f} travellers/day, "
        f"population {net.population.sum():,.0f}"
    )
    balance = (
        "balanced (inflow = outflow at every node)"
        if net.is_balanced()
        else (
            f"NOT balanced: largest |outflow - inflow| {gap[worst]:,.1f}/day at {net.nodes[worst]}"
        )
    )
    console.print(balance)
    reg = registry()
    table = Table(title=f"{min(top, net.n_links)} busiest links")
    for column in ("from", "to", "countries"):
        table.add_column(column)
    table.add_column("travellers/day", justify="right")
    for origin, destination, flow in net.busiest(top):
        a, b = (net.country[net.index(node)] for node in (origin, destination))
        names = f"{a} -> {b}" if net.level == "airport" else f"{reg[a].name} -> {reg[b].name}"
        table.add_row(origin, destination, names, f"{flow:,.0f}")
    console.print(table)
