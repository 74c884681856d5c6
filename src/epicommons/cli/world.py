"""`epicommons world ...`: countries, populations and travel networks."""

import typer

from .world_countries import countries
from .world_network import network

app = typer.Typer(
    help="Countries, populations and travel networks.\n\nExample:  epicommons world network --source builtin",
    no_args_is_help=True,
)
app.command("countries")(countries)
app.command("network")(network)
