"""Reading through DHIS2's eyes: data values the caller may read, and the mapped metadata.

Values are read with the hub's access rules (`access.may_read` per organisation unit, the same
rule as `/api/v1/members/{code}/reports`) and rendered through the mapping's reverse lookups: a
stored value whose indicator or member is not mapped is not part of the data set and is not shown.
A date is shown as the requested period, or as a period of the data set's type when it is the first
day of one, else as a day (`periods`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import string
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from fastapi import Path
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access import Principal, may_read
from ..mapping import Mapping, PeriodType, Scheme
from ..models import Member
from ..refusals import Clash
from ..reports import value_rows
from ..schemas import as_of_value
from .formats import value_text
from .periods import parse_period, render, render_adx, shown_as

UID_PATH = Path(pattern=r"^[A-Za-z][A-Za-z0-9]{10}(\.json)?$", examples=["uKtOZwDnIpM"])
FILTER = re.compile(r"(id|code|name):(eq|in):(.+)")
VALUE_TYPES = {"stock": "NUMBER", "need": "NUMBER"}  # the others are counts
AUTHORITIES = {
    "reporter": ["F_DATAVALUE_ADD", "F_DATAVALUE_DELETE", "M_dhis-web-dataentry"],
    "analyst": ["M_dhis-web-data-visualizer"],
    "coordinator": ["M_dhis-web-data-visualizer"],
}


@dataclass(frozen=True)
class Query:
    """A checked read: members, dates (or periods) and the schemes to answer in."""

    members: list[str]
    start: dt.date
    end: dt.date
    periods: dict[dt.date, PeriodType] | None  # None: every date in start..end
    element_scheme: Scheme
    unit_scheme: Scheme
    other_scheme: Scheme
    data_set_scheme: Scheme
    as_of: dt.date | dt.datetime | None = None  # the values as known then (None: current)


def query(
    mapping: Mapping,
    *,
    data_sets: list[str],
    periods: list[str],
    start: dt.date | None,
    end: dt.date | None,
    org_units: list[str],
    element_scheme: Scheme,
    unit_scheme: Scheme,
    other_scheme: Scheme,
    as_of: str | None = None,
) -> Query:
    """Check a read's parameters as DHIS2 does (data set, periods or dates, org units); `as_of`
    (the hub's own `asOf`, not DHIS2's) reads the values as known then."""
    ds = mapping.dhis2.data_set
    if not data_sets:
        raise Clash("At least one valid data set or data element group must be specified")
    for name in data_sets:
        if name not in (ds.uid, ds.code):
            raise Clash(f"Data set not found or not accessible: {name}")
    if not org_units:
        raise Clash(
            "At least one valid organisation unit or organisation unit group must be specified"
        )
    members = []
    for name in org_units:
        unit = mapping.org_unit(name, unit_scheme)
        if unit is None:
            raise Clash(f"Organisation unit not found or not accessible: {name}")
        members.append(unit.member)
    starts: dict[dt.date, PeriodType] | None = None
    if periods:
        starts = {}
        for text in periods:
            try:
                kind, first = parse_period(text)
            except ValueError as exc:
                raise Clash(f"Period not valid: {exc}") from None
            starts[first] = kind
        start, end = min(starts), max(starts)
    elif start is None or end is None:
        raise Clash("At least one valid period, start/end dates, or last updated must be specified")
    elif start > end:
        raise Clash("Start date must be before end date")
    scheme = "CODE" if data_sets[0] == ds.code and ds.code != ds.uid else "UID"
    try:
        known = None if as_of is None else as_of_value(as_of)
    except ValueError as exc:
        raise Clash(f"asOf not valid: {exc}") from None
    return Query(
        members, start, end, starts, element_scheme, unit_scheme, other_scheme, scheme, known
    )


def read(
    session: Session, caller: Principal, mapping: Mapping, q: Query, limit: int
) -> list[dict[str, str]]:
    """The rendered data values of the query, if the caller may read every member it names
    (each row also carries its ADX period under `_adx`)."""
    ids = {}
    for code in q.members:
        member = session.scalar(select(Member).where(Member.code == code))
        if member is None or not may_read(session, caller, member.id, "reports"):
            unit = mapping.org_unit_for(code)
            shown = unit.ident(q.unit_scheme) if unit else code
            raise Clash(f"User is not allowed to view org unit: {shown}")
        ids[code] = member.id
    rows = value_rows(
        session,
        Member.id.in_(sorted(ids.values())),
        indicator=None,
        start=q.start,
        end=q.end,
        limit=limit + 1,
        offset=0,
        as_of=q.as_of,
    )
    if len(rows) > limit:
        raise Clash(f"more than {limit:,} values; ask for fewer periods or units")
    kind = mapping.dhis2.data_set.period_type
    default = mapping.dhis2.default_coc.ident(q.other_scheme)
    out = []
    for r in rows:
        element = mapping.element_for(r["indicator"], r["item"])
        unit = mapping.org_unit_for(r["member"])
        if element is None or unit is None:
            continue
        day = r["date"]
        if q.periods is not None:
            if day not in q.periods:
                continue
            shown = q.periods[day]
        else:
            shown = shown_as(kind, day)
        out.append(
            {
                "dataElement": element.ident(q.element_scheme),
                "period": render(shown, day),
                "orgUnit": unit.ident(q.unit_scheme),
                "categoryOptionCombo": (
                    element.coc.ident(q.other_scheme) if element.coc else default
                ),
                "attributeOptionCombo": default,
                "value": value_text(r["value"]),
                "lastUpdated": r["updated_at"].isoformat(timespec="milliseconds"),
                "_adx": render_adx(shown, day),
            }
        )
    return out


def adx_groups(rows: list[dict[str, str]]) -> dict[tuple[str, str], list[dict[str, str]]]:
    """Rows grouped by (orgUnit, ADX period), as an ADX message holds them."""
    groups: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        groups[(r["orgUnit"], r["_adx"])].append(r)
    return dict(groups)


def public(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Rows without the ADX period they carry for `adx_groups` (for JSON)."""
    return [{k: v for k, v in r.items() if k != "_adx"} for r in rows]


def _uid(text: str) -> str:
    """A stable DHIS2-style UID (11 characters, a letter first) derived from `text`."""
    digest = int(hashlib.sha256(text.encode()).hexdigest(), 16)
    alphabet = string.ascii_letters + string.digits
    out = [string.ascii_letters[digest % 52]]
    digest //= 52
    for _ in range(10):
        out.append(alphabet[digest % 62])
        digest //= 62
    return "".join(out)


def _ref(obj: Any) -> dict[str, str]:
    return {
        "id": obj.uid,
        "code": obj.code,
        "name": obj.name or obj.code,
        "displayName": obj.name or obj.code,
    }


def me(caller: Principal, member: Member, mapping: Mapping) -> dict[str, Any]:
    """The caller as a DHIS2 user: its member's organisation unit and its role's authorities."""
    unit = mapping.org_unit_for(member.code)
    units = [_ref(unit)] if unit else []
    return {
        "id": _uid(f"token:{caller.token_id}"),
        "username": member.code,
        "name": member.name,
        "displayName": member.name,
        "userCredentials": {"username": member.code},
        "organisationUnits": units,
        "dataViewOrganisationUnits": units,
        "authorities": AUTHORITIES[caller.role],
        "userRoles": [{"id": _uid(f"role:{caller.role}"), "name": caller.role}],
    }


def data_set(mapping: Mapping) -> dict[str, Any]:
    """The mapped data set with its data elements and organisation units."""
    ds = mapping.dhis2.data_set
    return {
        **_ref(ds),
        "periodType": ds.period_type,
        "dataSetElements": [{"dataElement": {"id": e["id"]}} for e in elements(mapping)],
        "organisationUnits": [{"id": u.uid} for u in mapping.dhis2.org_units],
    }


def elements(mapping: Mapping) -> list[dict[str, Any]]:
    """The mapped data elements, one per UID (an element may be mapped with several combos)."""
    seen: dict[str, dict[str, Any]] = {}
    for e in mapping.dhis2.elements:
        entry = seen.setdefault(
            e.uid,
            {
                "id": e.uid,
                "code": e.code,
                "name": e.name or e.code,
                "displayName": e.name or e.code,
                "valueType": VALUE_TYPES.get(e.indicator, "INTEGER_ZERO_OR_POSITIVE"),
                "domainType": "AGGREGATE",
                "aggregationType": "SUM",
                "categoryOptionCombos": [],
            },
        )
        coc = e.coc or mapping.dhis2.default_coc
        entry["categoryOptionCombos"].append({"id": coc.uid, "code": coc.code})
    return list(seen.values())


def units(mapping: Mapping) -> list[dict[str, Any]]:
    """The mapped organisation units, each with its member's code."""
    return [{**_ref(u), "member": u.member} for u in mapping.dhis2.org_units]


def listing(
    name: str, items: list[dict[str, Any]], filters: list[str], paging: bool
) -> dict[str, Any]:
    """DHIS2's list answer, filtered by `property:eq:value` or `property:in:[a,b]` (all must
    hold, as DHIS2 combines filters)."""
    for f in filters:
        m = FILTER.fullmatch(f)
        if m is None:
            raise Clash(f"filter {f!r} is not supported; use id, code or name with eq or in")
        prop, op, raw = m.groups()
        wanted = set(raw.strip("[]").split(",")) if op == "in" else {raw}
        items = [i for i in items if i.get(prop) in wanted]
    out: dict[str, Any] = {name: items}
    if paging:
        out = {"pager": {"page": 1, "pageCount": 1, "total": len(items), "pageSize": 50}, **out}
    return out
