"""Placeholder: replaced by the module's owner."""


def countries() -> None:
    """Not yet available."""
