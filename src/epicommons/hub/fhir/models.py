"""Structural validation with the `fhir.resources` R4B models; their errors as issues with paths."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.measurereport import MeasureReport
from pydantic import BaseModel, ValidationError

from .outcome import Issue, error

MAX_ISSUES = 100
# JSON objects and arrays within one another: a MeasureReport needs about 8, a Bundle of them 12;
# the models validate recursively, so far deeper input would exhaust Python's stack.
MAX_DEPTH = 40
MODELS: dict[str, type[BaseModel]] = {"MeasureReport": MeasureReport, "Bundle": Bundle}


def expression(root: str, loc: tuple[Any, ...]) -> str:
    """A FHIRPath from a pydantic location: ('group', 0, 'count') → root.group[0].count."""
    out = root
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = "resourceType" if part == "resource_type" else str(part)
            out += "." + name.removesuffix("__ext")
    return out


def structure_issues(doc: Any, kind: str, root: str) -> list[Issue]:
    """Why `doc` is not a valid R4 resource of `kind`, as issues; none if it is."""
    if not isinstance(doc, dict):
        return [error("structure", f"expected a {kind} resource (a JSON object)", root)]
    if _depth(doc) > MAX_DEPTH:
        return [error("structure", f"nested deeper than {MAX_DEPTH} levels", root)]
    if doc.get("resourceType") != kind:
        got = str(doc.get("resourceType"))[:60]
        return [error("structure", f"expected resourceType {kind}, got {got!r}", root)]
    try:
        MODELS[kind].model_validate(doc)
    except ValidationError as exc:
        return issues_of(exc, root)
    return []


def issues_of(exc: ValidationError, root: str) -> list[Issue]:
    """A model's validation errors as issues (at most MAX_ISSUES, then a count of the rest)."""
    out = []
    errors = exc.errors(include_url=False, include_input=False)
    for e in errors[:MAX_ISSUES]:
        loc = tuple(e.get("loc", ()))
        kind = e.get("type", "")
        code = "structure" if kind == "extra_forbidden" else "value"
        if kind.endswith("missing"):
            code = "required"
        reason = "unknown element" if kind == "extra_forbidden" else str(e.get("msg", ""))
        out.append(error(code, reason.strip()[:300], expression(root, loc)))
    if len(errors) > MAX_ISSUES:
        out.append(error("too-costly", f"{len(errors) - MAX_ISSUES} more errors not listed", root))
    return out


def _depth(doc: Any) -> int:
    """How deep JSON containers nest in `doc` (iteratively: the input may be hostile)."""
    deepest, stack = 0, [(doc, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                break
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, level + 1) for child in children)
    return deepest
