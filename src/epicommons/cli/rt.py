"""Placeholder: replaced by the module's owner."""


def rt() -> None:
    """Not yet available."""
