"""Errors that mean "the input is wrong": one message naming where, and what was expected.

Every layer raises `InputError` (or a subclass) for bad user input; the CLI turns it into a one-line
message and exit status 2, the hub into an HTTP 4xx problem+json body. Anything else is a bug.
"""

from __future__ import annotations

from os import PathLike


class EpicommonsError(Exception):
    """Base class of every error epicommons raises on purpose."""


class InputError(EpicommonsError, ValueError):
    """Bad input: a file, row, column, field or key path and what was expected there.

    >>> str(InputError("expected a number, got 'x'", source="od.csv", line=3, field="travellers_per_day"))
    "od.csv, line 3, field 'travellers_per_day': expected a number, got 'x'"
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | PathLike[str] | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.source = None if source is None else str(source)
        self.line = line
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.source is not None:
            where.append(self.source)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class UnknownCountryError(InputError, LookupError):
    """A name or code that matches no country; carries the closest matches."""

    def __init__(self, name: str, suggestions: list[str], **where: object) -> None:
        self.name = name
        self.suggestions = list(suggestions)
        hint = f"; closest matches: {', '.join(self.suggestions)}" if self.suggestions else ""
        super().__init__(f"unknown country {name!r}{hint}", **where)  # type: ignore[arg-type]


class NotACountryError(InputError, LookupError):
    """A name that is known to denote something other than a country (a ship, the Olympics)."""

    def __init__(self, name: str, what: str, **where: object) -> None:
        self.name = name
        self.what = what
        super().__init__(f"{name!r} is not a country: {what}", **where)  # type: ignore[arg-type]
