"""DHIS2 data value sets as JSON, CSV and ADX: parsed into `DataValue`s, and rendered back.

Parsing checks the shape only (which fields, which types); identifiers, periods and values are
checked by `imports` against the mapping and by the hub's own rules. A field the hub cannot keep
is refused by name rather than dropped: disaggregation by ADX category attributes. Comments,
`storedBy`, `followup` and timestamps are accepted and not stored (the hub keeps values only).
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..refusals import Invalid, Malformed, TooLarge

ADX_NS = "urn:ihe:qrph:adx:2015"
# Fields of a JSON data value set and of its data values that DHIS2 defines.
SET_FIELDS = {
    "dataSet",
    "completeDate",
    "period",
    "orgUnit",
    "attributeOptionCombo",
    "dataValues",
    "idScheme",
    "dataElementIdScheme",
    "orgUnitIdScheme",
    "categoryOptionComboIdScheme",
    "attributeOptionComboIdScheme",
    "dataSetIdScheme",
}
VALUE_FIELDS = {
    "dataElement",
    "period",
    "orgUnit",
    "categoryOptionCombo",
    "attributeOptionCombo",
    "value",
    "comment",
    "storedBy",
    "created",
    "lastUpdated",
    "followup",
    "followUp",
}
CSV_COLUMNS = (
    "dataelement",
    "period",
    "orgunit",
    "catoptcombo",
    "attroptcombo",
    "value",
    "storedby",
    "lastupdated",
    "comment",
    "followup",
)
ADX_VALUE_ATTRIBUTES = {"dataElement", "value", "categoryOptionCombo", "comment"}
ADX_GROUP_ATTRIBUTES = {"orgUnit", "period", "dataSet", "completeDate", "attributeOptionCombo"}


class DataValue(NamedTuple):
    """One data value as sent (identifiers in the request's schemes); `index` is its 0-based
    place in the request, as DHIS2's conflicts count it. A tuple: imports make thousands."""

    index: int
    data_element: Any
    period: Any
    org_unit: Any
    coc: Any = None
    aoc: Any = None
    value: Any = None
    adx: bool = False  # the period is ADX's start/duration
    problem: str | None = None  # a shape error found while parsing (field: reason)


@dataclass(frozen=True)
class ValueSet:
    """A parsed request: its data values, its data set (if named) and the schemes it sets."""

    values: list[DataValue]
    data_set: str | None
    schemes: dict[str, str]


def _count(n: int, max_rows: int) -> None:
    if n > max_rows:
        raise TooLarge(f"an import holds at most {max_rows} data values")


def from_json(doc: Any, max_rows: int) -> ValueSet:
    """A JSON data value set (`{"dataValues": [...]}`, header fields as defaults)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("dataValues"), list):
        raise Invalid('expected a data value set: an object with "dataValues": [...]')
    unknown = sorted(set(doc) - SET_FIELDS)
    if unknown:
        raise Invalid(f"unknown field {ascii(unknown[0])[:60]} in the data value set")
    header = {k: doc.get(k) for k in ("period", "orgUnit", "attributeOptionCombo")}
    for name, raw in header.items():
        if raw is not None and not isinstance(raw, str):
            raise Invalid(f"{name} of the data value set must be text")
    _count(len(doc["dataValues"]), max_rows)
    values = []
    for i, raw in enumerate(doc["dataValues"]):
        if not isinstance(raw, dict):
            values.append(DataValue(i, None, None, None, problem="dataValue: expected an object"))
            continue
        extra = sorted(raw.keys() - VALUE_FIELDS) if not raw.keys() <= VALUE_FIELDS else []
        value = raw.get("value")
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = json.dumps(value)  # DHIS2 values are text; a JSON number keeps its grammar
        problem = f"{ascii(extra[0])[1:-1][:60]}: unknown field" if extra else None
        values.append(
            DataValue(
                i,
                raw.get("dataElement"),
                raw.get("period", header["period"]),
                raw.get("orgUnit", header["orgUnit"]),
                raw.get("categoryOptionCombo"),
                raw.get("attributeOptionCombo", header["attributeOptionCombo"]),
                value,
                problem=problem,
            )
        )
    schemes = {k: v for k, v in doc.items() if k.endswith("IdScheme") or k == "idScheme"}
    data_set = doc.get("dataSet")
    if data_set is not None and not isinstance(data_set, str):
        raise Invalid("dataSet must be text")
    return ValueSet(values, data_set, {k: str(v) for k, v in schemes.items()})


def from_csv(body: bytes, max_rows: int) -> ValueSet:
    """DHIS2's CSV: a header row (skipped, as DHIS2 does), then columns in DHIS2's order."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Malformed("CSV must be UTF-8") from None
    if "\x00" in text:
        raise Malformed("CSV contains a NUL byte")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    values: list[DataValue] = []
    try:
        if next(reader, None) is None:
            raise Invalid("empty CSV; expected a header row and data values")
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            i = len(values)
            _count(i + 1, max_rows)
            if not 3 <= len(record) <= len(CSV_COLUMNS):
                values.append(
                    DataValue(
                        i, None, None, None, problem=f"row: {len(record)} cells; expected 3-10"
                    )
                )
                continue
            cells = [c.strip() or None for c in record] + [None] * len(CSV_COLUMNS)
            values.append(DataValue(i, *cells[:6]))  # type: ignore[arg-type]
    except csv.Error as exc:
        raise Malformed(f"malformed CSV at line {reader.line_num}: {exc}") from None
    return ValueSet(values, None, {})


def from_adx(body: bytes, max_rows: int) -> ValueSet:
    """ADX (IHE QRPH): `<adx><group orgUnit period dataSet><dataValue .../></group></adx>`.

    A document type declaration is refused (ADX has none; entities could expand without bound).
    A data value disaggregated by category attributes (`SEX="F"`) is a conflict: the hub keeps
    totals only, and a total is never guessed from some of its parts.
    """
    head = body[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in body.lower():
        raise Malformed("ADX must not contain a document type declaration or entities")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise Malformed(f"not well-formed XML: {exc}") from None
    if root.tag != f"{{{ADX_NS}}}adx":
        raise Invalid(f"expected an <adx> root element in namespace {ADX_NS}")
    values: list[DataValue] = []
    data_sets = set()
    for group in root:
        if group.tag != f"{{{ADX_NS}}}group":
            raise Invalid(f"unexpected element {_local(group.tag)!r} in <adx>; expected <group>")
        attrs = dict(group.attrib)
        for name in ("orgUnit", "period", "dataSet"):
            if not attrs.get(name):
                raise Invalid(f"an ADX <group> needs the attribute {name}")
        data_sets.add(attrs["dataSet"])
        extra = sorted(set(attrs) - ADX_GROUP_ATTRIBUTES)
        for dv in group:
            if dv.tag != f"{{{ADX_NS}}}dataValue":
                raise Invalid(f"unexpected element {_local(dv.tag)!r} in <group>")
            i = len(values)
            _count(i + 1, max_rows)
            a = dict(dv.attrib)
            categories = sorted(set(a) - ADX_VALUE_ATTRIBUTES) or extra
            problem = (
                f"{ascii(categories[0])[1:-1][:60]}: disaggregation by category is not mapped; "
                "the hub keeps totals (send the total, or map a categoryOptionCombo)"
                if categories
                else None
            )
            values.append(
                DataValue(
                    i,
                    a.get("dataElement"),
                    attrs["period"],
                    attrs["orgUnit"],
                    a.get("categoryOptionCombo"),
                    attrs.get("attributeOptionCombo"),
                    a.get("value"),
                    adx=True,
                    problem=problem,
                )
            )
    if len(data_sets) > 1:
        raise Invalid("an ADX message here holds one data set")
    return ValueSet(values, data_sets.pop() if data_sets else None, {})


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def value_text(value: float) -> str:
    """A stored value as DHIS2 text: whole numbers without a decimal point."""
    return str(int(value)) if value.is_integer() else repr(value)


def to_json(rows: Iterable[dict[str, str]], data_set: str) -> dict[str, Any]:
    """A JSON data value set of rendered rows."""
    return {"dataSet": data_set, "dataValues": list(rows)}


def to_csv(rows: Iterable[dict[str, str]]) -> str:
    """DHIS2's CSV of rendered rows (header and column order as DHIS2 writes them)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS[:6])
    for r in rows:
        writer.writerow(
            [
                r["dataElement"],
                r["period"],
                r["orgUnit"],
                r["categoryOptionCombo"],
                r["attributeOptionCombo"],
                r["value"],
            ]
        )
    return out.getvalue()


def to_adx(
    groups: dict[tuple[str, str], list[dict[str, str]]], data_set: str, exported: str
) -> str:
    """An ADX message: one <group> per (orgUnit, ADX period)."""
    root = ET.Element("adx", {"xmlns": ADX_NS, "exported": exported})
    for (org_unit, period), rows in groups.items():
        group = ET.SubElement(
            root, "group", {"orgUnit": org_unit, "period": period, "dataSet": data_set}
        )
        for r in rows:
            attrs = {"dataElement": r["dataElement"], "value": r["value"]}
            if r.get("categoryOptionCombo"):
                attrs["categoryOptionCombo"] = r["categoryOptionCombo"]
            ET.SubElement(group, "dataValue", attrs)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
