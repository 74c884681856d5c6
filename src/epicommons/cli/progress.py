"""The commands' progress display: one look everywhere, on stderr (stdout is for results), gone
when done, off with --quiet."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn


def progress(quiet: bool, *columns: ProgressColumn, console: Console | None = None) -> Progress:
    """A progress display with these columns (a spinner and the task's text if none given)."""
    if not columns:
        from rich.progress import SpinnerColumn

        columns = (SpinnerColumn(), TextColumn("[bold]{task.description}"), TimeElapsedColumn())
    return Progress(
        *columns, console=console or Console(stderr=True), disable=quiet, transient=True
    )


def runs(quiet: bool, console: Console | None = None) -> Progress:
    """The bar of the commands that run ensembles, counting runs as their chunks finish."""
    from rich.progress import TimeRemainingColumn

    return progress(
        quiet,
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} runs"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )
