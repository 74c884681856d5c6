"""Placeholder: replaced by the module's owner."""

import typer

app = typer.Typer(help="Administer the member hub.", no_args_is_help=True)


def serve() -> None:
    """Not yet available."""
