"""Placeholder: replaced by the module's owner."""


def simulate() -> None:
    """Not yet available."""
