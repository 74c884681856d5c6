"""Errors that mean "the input is wrong": one message naming where, and what was expected.

Every layer raises `InputError` (or a subclass) for bad user input; the CLI turns it into a one-line
message and exit status 2, the hub into an HTTP 4xx problem+json body. Anything else is a bug.
"""

from __future__ import annotations

import difflib
from os import PathLike
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError


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


def validate(model: type[BaseModel], data: object, source: str | PathLike[str] | None = None):
    """`model.model_validate(data)`, with a pydantic error turned into one `InputError`."""
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise from_validation(exc, source, model) from None


def from_validation(
    exc: ValidationError,
    source: str | PathLike[str] | None = None,
    model: type[BaseModel] | None = None,
) -> InputError:
    """The one translation of a pydantic error: key path `a[0].b`, and for an unknown key the
    valid keys there (nearest first), so every file's mistakes read the same.

    Union tags that pydantic inserts into the location (`interventions[0].screening.x`) are left
    out of the key path when `model` is given to tell them apart from keys.
    """
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    path, keys = _walk(model, loc) if model is not None else (_plain_path(loc), None)
    kind = err["type"]
    msg = str(err["msg"]).removeprefix("Value error, ")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        msg = "unknown key"
        if keys:
            name = str(loc[-1])
            near = difflib.get_close_matches(name, keys, n=3, cutoff=0.6)
            if near:
                msg += f"; did you mean {' or '.join(repr(k) for k in near)}?"
            msg += f" Valid keys here: {', '.join(sorted(keys))}"
    elif kind == "union_tag_invalid":
        disc = str(ctx.get("discriminator", "'type'")).strip("'")
        msg = f"unknown {disc} {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
        path = f"{path}.{disc}" if path else disc
    elif kind == "union_tag_not_found":
        disc = str(ctx.get("discriminator", "'type'")).strip("'")
        msg = f"missing `{disc}`"
        if model is not None and (tags := _tags_at(model, loc)):
            msg += f"; expected one of {', '.join(tags)}"
    elif kind == "missing":
        msg = "missing required key"
    else:
        got = err.get("input")
        if isinstance(got, str | int | float | bool) and len(repr(got)) <= 40:
            msg += f", got {got!r}"
    if exc.error_count() > 1:
        msg += f" (and {exc.error_count() - 1} more problem(s))"
    return InputError(msg, source=source, field=path or None)


def _plain_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if part == "[key]":
            continue
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def _walk(model: type[BaseModel], loc: tuple) -> tuple[str, list[str] | None]:
    """Follow `loc` through `model`'s annotations: the key path without union tags, and the
    valid keys of the table the last part names a key of (None where it is not a model)."""
    out = ""
    current: list[object] = [model]
    for i, part in enumerate(loc):
        if part == "[key]":
            continue
        last = i == len(loc) - 1
        members = [t for c in current for t in _unwrap(c)]
        chosen = [m for m in members if _is_model(m) and part in _tag_names(m)]
        if chosen and not any(_is_model(m) and str(part) in _keys(m) for m in members):
            current = chosen  # a union tag, not a key
            continue
        if last:
            keys = sorted({k for m in members if _is_model(m) for k in _keys(m)}) or None
            out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
            return out, keys
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
        current = [nxt for m in members for nxt in _step(m, part)]
    return out, None


def _tags_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """The tag values of the union that `loc` points at (for a missing discriminator)."""
    current: list[object] = [model]
    for part in loc:
        if part == "[key]":
            continue
        current = [nxt for c in current for m in _unwrap(c) for nxt in _step(m, part)]
    tags = []
    for m in (t for c in current for t in _unwrap(c)):
        if _is_model(m):
            tags += [t for t in _tag_names(m) if t != m.__name__]
    return tags


def _is_model(tp: object) -> bool:
    return isinstance(tp, type) and hasattr(tp, "model_fields")


def _keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _tag_names(model: type[BaseModel]) -> set[str]:
    """What pydantic may write in a location for a union member: its class name and the values
    of its Literal fields (the discriminator)."""
    from typing import Literal, get_args, get_origin

    names = {model.__name__}
    for f in model.model_fields.values():
        if get_origin(f.annotation) is Literal:
            names |= {str(a) for a in get_args(f.annotation)}
    return names


def _unwrap(tp: object) -> list[object]:
    """The concrete types behind Annotated/Optional/Union."""
    import types
    import typing

    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [t for a in typing.get_args(tp) for t in _unwrap(a)]
    return [tp]


def _step(tp: object, part: object) -> list[object]:
    """The type(s) found at `part` inside `tp` (a model field, a list item, a dict value)."""
    import typing

    if _is_model(tp):
        for name, f in tp.model_fields.items():  # type: ignore[attr-defined]
            if part in (name, f.alias):
                return [f.annotation]
        return []
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (list, tuple, set, frozenset) and args:
        return [args[0]]
    if origin is dict and len(args) == 2:
        return [args[1]]
    return []
