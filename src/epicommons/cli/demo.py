"""`epicommons demo`: the main job on built-in data."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table


def world_summary(console: Console, year: int = 2020) -> None:
    """Countries, world population, the built-in network's size and its ten busiest links."""
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
    pairs = [(a, b, f) for a, b, f in net.busiest(20) if a < b][:10]
    table = Table(title="The ten busiest country pairs (travellers per day, each way)")
    table.add_column("between")
    table.add_column("and")
    table.add_column("travellers/day", justify="right")
    for a, b, flow in pairs:
        table.add_row(reg[a].name, reg[b].name, f"{flow:,.0f}")
    console.print(table)


def demo() -> None:
    """Run the main job on built-in data and print a summary.

    Example:  epicommons demo
    """
    world_summary(Console())
