"""Doubtful values: possible, but unlikely enough that a reader must be told — never silent.

Impossible values are errors (`errors.InputError`); a doubtful one (R0 = 50, a serial interval of
two months) is let through with a `Doubt`. Library code calls `doubt(...)`; within `collecting()`
(the CLI wraps every command in it) the doubts are gathered for the summary and every report page
written meanwhile; outside it they are Python warnings (`DoubtfulValue`), so a library user sees
them too. One home for the rule, whatever the analysis.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


class DoubtfulValue(UserWarning):
    """The warning category of a doubt raised outside `collecting()`."""


@dataclass(frozen=True)
class Doubt:
    """One doubtful value: what is doubtful and why, and where it came from."""

    message: str
    field: str | None = None
    source: str | None = None

    def __str__(self) -> str:
        where = ": ".join(
            x for x in (self.source, f"field {self.field!r}" if self.field else None) if x
        )
        return f"{where}: {self.message}" if where else self.message


_found: ContextVar[list[Doubt] | None] = ContextVar("epicommons_doubts", default=None)


def doubt(message: str, *, field: str | None = None, source: str | None = None) -> None:
    """Record a doubtful value (once per run: the same doubt twice is one)."""
    found = _found.get()
    item = Doubt(message, field, source)
    if found is None:
        warnings.warn(str(item), DoubtfulValue, stacklevel=2)
    elif item not in found:
        found.append(item)


@contextmanager
def collecting() -> Iterator[list[Doubt]]:
    """Gather the doubts raised inside the block (the list fills as they come)."""
    found: list[Doubt] = []
    token = _found.set(found)
    try:
        yield found
    finally:
        _found.reset(token)


def collected() -> tuple[Doubt, ...]:
    """The doubts gathered so far in the current `collecting()` block (none outside one)."""
    return tuple(_found.get() or ())
