"""Placeholder: replaced by the module's owner."""


def network() -> None:
    """Not yet available."""
