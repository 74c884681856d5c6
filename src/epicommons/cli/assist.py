"""Placeholder: replaced by the module's owner."""


def allocate() -> None:
    """Not yet available."""


def repatriate() -> None:
    """Not yet available."""
