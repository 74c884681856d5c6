"""`epicommons demo`: the main job on built-in data."""


def demo() -> None:
    """Run the main job on built-in data.

    Example:  epicommons demo
    """
