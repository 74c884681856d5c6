"""`epicommons world countries`: list countries, or those matching a name, with population."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from epicommons.errors import InputError
from epicommons.world.countries import registry
from epicommons.world.groups import read_groups, resolve_group
from epicommons.world.population import population_matrix


def countries(
    search: str | None = typer.Option(
        None, "--search", help="A name, alias or code; lists the matching countries."
    ),
    year: int = typer.Option(2020, "--year", help="Year of the population (UN WPP 2022)."),
    group: str | None = typer.Option(
        None, "--group", help="Only members of a group: continent:Europe, who:EUR, or a user group."
    ),
    groups_file: str | None = typer.Option(
        None, "--groups-file", help="TOML or CSV file of user groups for --group."
    ),
) -> None:
    """List countries: ISO3, ISO2, name, continent, WHO region and population.

    Example:  epicommons world countries --search korea --year 2020
    """
    reg = registry()
    if search is not None:
        found = reg.search(search, limit=len(reg))
        if not found:
            raise InputError(f"no country matches {search!r}", field="--search")
    else:
        found = list(reg)
    if group is not None:
        user = read_groups(groups_file) if groups_file else None
        members = resolve_group(group, user)
        found = [c for c in found if c.iso3 in members]
    elif groups_file is not None:
        raise InputError("--groups-file needs --group", field="--groups-file")

    try:
        people = population_matrix([c.iso3 for c in found], year).sum(axis=1)
    except InputError as exc:
        raise InputError(exc.message, field="--year") from None
    table = Table(title=f"{len(found)} countries, population {year} (UN WPP 2022)")
    for column in ("ISO3", "ISO2", "name", "continent", "WHO region"):
        table.add_column(column)
    table.add_column("population", justify="right")
    for country, persons in zip(found, people, strict=True):
        table.add_row(
            country.iso3,
            country.iso2,
            country.name,
            country.continent,
            country.who_region or "-",
            f"{persons:,.0f}",
        )
    Console().print(table)
