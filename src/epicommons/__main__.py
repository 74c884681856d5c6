"""`python -m epicommons` runs the command line."""

from epicommons.cli import run

run()
