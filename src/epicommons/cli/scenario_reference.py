"""The scenario file reference (docs/scenario.md), generated from the pydantic models that
validate scenario files, so the page cannot drift from what the code accepts."""

from __future__ import annotations

import datetime as dt
import inspect
import re
import types
import typing
from collections.abc import Iterator

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

HEADER = """# Scenario file reference

Generated from the models that validate scenario files (`epicommons scenario reference
--out docs/scenario.md`); a test fails when they change and this page does not. Start a file
with `epicommons scenario init`, check it with `epicommons scenario validate FILE`.

Units: days and dates are calendar days (YYYY-MM-DD); rates are per day; counts are people;
shares lie in [0, 1]. Keys are case-sensitive; an unknown key is an error that lists the valid
keys of its table.
"""


def _sections() -> list[tuple[str, type[BaseModel], str | None]]:
    """(TOML table, model, module whose docstring holds the example) in reading order."""
    from epicommons.calibrate import spec
    from epicommons.model import scenario
    from epicommons.policy import interventions as iv

    return [
        ("top level", scenario.Scenario, scenario.__name__),
        ("[network]", scenario.NetworkSpec, None),
        ("[disease]", scenario.DiseaseSpec, None),
        ("[[disease.compartments]]", scenario.CompartmentSpec, None),
        ("[[disease.transitions]]", scenario.TransitionSpec, None),
        ("[[seeds]]", scenario.SeedSpec, None),
        ("[outputs]", scenario.OutputSpec, None),
        ('[[interventions]] type = "travel_reduction"', iv.TravelReduction, iv.__name__),
        ('[[interventions]] type = "screening"', iv.Screening, None),
        ('[[interventions]] type = "pre_departure_test"', iv.PreDepartureTest, None),
        ('[[interventions]] type = "arrival_quarantine"', iv.ArrivalQuarantine, None),
        ('[[interventions]] type = "fast_lane"', iv.FastLane, None),
        ('[[interventions]] type = "transmission_reduction"', iv.TransmissionReduction, None),
        ('[[interventions]] type = "vaccination"', iv.Vaccination, None),
        ("[calibration]", spec.CalibrationSpec, spec.__name__),
        ("[calibration.fit.KIND]", spec.FitSpec, None),
        ("[calibration.fixed]", spec.FixedSpec, None),
    ]


def reference() -> str:
    """The whole reference page as Markdown."""
    parts = [HEADER]
    for table, model, example_module in _sections():
        parts.append(f"\n## {table}\n")
        doc = inspect.getdoc(model)
        if doc and model.__doc__ is not None and "__doc__" in vars(model):
            parts.append(doc.split("\n\n")[0].replace("\n", " ") + "\n")
        if example_module is not None:
            example = _example(example_module)
            if example:
                parts.append(f"\nExample:\n\n```toml\n{example}\n```\n")
        parts.append("\n| key | type | default | meaning |\n|---|---|---|---|\n")
        parts.extend(f"| {row} |\n" for row in _rows(model))
    parts.append(
        '\nA file may also name a `groups` file (`groups = "groups.csv"`: group, member) '
        "whose groups interventions and seeds can target.\n"
    )
    return "".join(parts)


def _example(module_name: str) -> str | None:
    import importlib

    doc = importlib.import_module(module_name).__doc__ or ""
    found = re.search(r"```toml\n(.*?)```", doc, flags=re.S)
    return found.group(1).rstrip() if found else None


def _rows(model: type[BaseModel]) -> Iterator[str]:
    for name, info in model.model_fields.items():
        key = info.alias or name
        meaning = (info.description or "").replace("|", "\\|").replace("\n", " ")
        yield f"`{key}` | {_type(info.annotation, info)} | {_default(info)} | {meaning}"


def _default(info: FieldInfo) -> str:
    if info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
    elif info.default is PydanticUndefined:
        return "**required**"
    else:
        value = info.default
    if value is None:
        return "—"
    if isinstance(value, BaseModel):
        return "(table)"
    return f"`{_toml(value)}`"


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    return str(value)


_NAMES = {str: "text", int: "whole number", float: "number", bool: "true/false", dt.date: "date"}


def _type(tp: object, info: FieldInfo | None = None) -> str:
    """A readable type with its bounds: `number ≥ 0`, `list of text`, `one of "a", "b"`."""
    bounds = _bounds(info.metadata) if info is not None else ""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        inner = _type(args[0])
        return _join(inner, _bounds(args[1:]), bounds)
    if origin is typing.Union or origin is types.UnionType:
        shown = [_type(a) for a in args if a is not type(None)]
        return _join(" or ".join(shown), bounds)
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{_toml(a)}`" for a in args)
    if origin in (list, tuple):
        return _join(f"list of {_type(args[0])}", bounds)
    if origin is dict:
        return _join(f"table of {_type(args[0])} → {_type(args[1])}", bounds)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "table"
    return _join(_NAMES.get(tp, getattr(tp, "__name__", str(tp))), bounds)  # type: ignore[arg-type]


def _bounds(metadata: typing.Iterable[object]) -> str:
    out = []
    for m in metadata:
        constraints = getattr(m, "metadata", [m])  # a FieldInfo in Annotated, or annotated_types
        for c in constraints:
            for attr, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
                if getattr(c, attr, None) is not None:
                    out.append(f"{sign} {getattr(c, attr)}")
            if getattr(c, "min_length", None):
                out.append(f"at least {c.min_length}")
    return ", ".join(out)


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)
