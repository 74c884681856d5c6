"""epicommons: a shared platform for joint epidemic prevention and control across countries."""

__version__ = "0.1.0"
