"""A DHIS2 data value set through the hub's one import path, and its answer in DHIS2's shape.

Each data value is resolved through the mapping (data element and category option combo →
indicator and item, organisation unit → member, period → date by `periods`' rule); a value that
cannot be resolved, names another member's organisation unit, or carries an attribute option combo
other than the default is a conflict, never dropped. The rest goes to `reports.import_report`
(validation rules, idempotency, audit, the member's lock, limits), with the conflicts, so the
atomic mode and the summary count them like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..access import Principal
from ..db import Database
from ..indicators import Conflict
from ..mapping import Element, Mapping, OrgUnit, Scheme
from ..models import Member
from ..reports import DELETE, ImportSummary, import_report
from .formats import DataValue, ValueSet
from .periods import parse_adx_period, parse_period

# DHIS2's error codes for the conflicts it shares with the hub (ErrorCode.java).
E_DATA_ELEMENT, E_PERIOD, E_ORG_UNIT, E_COC, E_AOC = "E7610", "E7611", "E7612", "E7613", "E7615"
PROPERTY = {"date": "period", "indicator": "dataElement", "item": "dataElement", "value": "value"}


@dataclass(frozen=True)
class Options:
    """DHIS2's import parameters that matter here, resolved (payload over query, specific over
    general, ADX's default CODE and UID otherwise)."""

    strategy: str = "CREATE_AND_UPDATE"
    dry_run: bool = False
    atomic: bool = False  # DHIS2 imports the valid values and lists the conflicts
    data_element: Scheme = "UID"
    org_unit: Scheme = "UID"
    coc: Scheme = "UID"
    aoc: Scheme = "UID"
    data_set: Scheme = "UID"
    preheat_cache: bool = False

    def as_json(self) -> dict[str, Any]:
        """DHIS2's `importOptions` of the summary."""
        return {
            "idSchemes": {
                "dataElementIdScheme": {"type": self.data_element},
                "orgUnitIdScheme": {"type": self.org_unit},
                "categoryOptionComboIdScheme": {"type": self.coc},
                "attributeOptionComboIdScheme": {"type": self.aoc},
                "dataSetIdScheme": {"type": self.data_set},
            },
            "dryRun": self.dry_run,
            "async": False,
            "importStrategy": self.strategy,
            "mergeMode": "REPLACE",
            "reportMode": "FULL",
            "skipExistingCheck": False,
            "preheatCache": self.preheat_cache,
            "atomicMode": "ALL" if self.atomic else "NONE",
        }


@dataclass
class Outcome:
    """An import's summary with the DHIS2 conflicts (object, value, property, index)."""

    summary: ImportSummary
    conflicts: list[dict[str, Any]]
    options: Options
    data_set_complete: str = "false"


def push(
    db: Database,
    principal: Principal,
    member: Member,
    mapping: Mapping,
    value_set: ValueSet,
    options: Options,
    idempotency_key: str | None = None,
) -> Outcome:
    """Resolve every data value and import the resolvable ones for the caller's member."""
    records, refused, raw = [], [], {}
    resolver = _Resolver(mapping, options, principal.member_code)
    for v in value_set.values:
        got = resolver.resolve(v)
        raw[v.index] = v
        if isinstance(got, Conflict):
            refused.append(got)
        else:
            records.append((v.index, got))
    summary = import_report(
        db,
        principal,
        member,
        records,
        from_text=True,
        dry_run=options.dry_run,
        atomic=options.atomic,
        idempotency_key=idempotency_key,
        strategy=options.strategy,
        refused=refused,
    )
    ours = {(c.row, c.field) for c in refused}
    conflicts = [
        _dhis2_conflict(c, raw.get(c.row), (c.row, c.field) in ours) for c in summary.conflicts
    ]
    return Outcome(summary, conflicts, options)


class _Resolver:
    """Resolves data values against the mapping, remembering each identifier's answer for the
    request (a data value set repeats a few elements, units and periods many times)."""

    def __init__(self, mapping: Mapping, options: Options, own: str) -> None:
        self.mapping, self.o, self.own = mapping, options, own
        self.elements: dict[tuple[str, str | None], Element | None] = {}
        self.units: dict[str, OrgUnit | None] = {}
        self.periods: dict[tuple[str, bool], tuple[str | None, str]] = {}

    def element(self, de: str, coc: str | None) -> Element | None:
        key = (de, coc)
        if key not in self.elements:
            self.elements[key] = self.mapping.element(de, coc, self.o.data_element, self.o.coc)
        return self.elements[key]

    def unit(self, ou: str) -> OrgUnit | None:
        if ou not in self.units:
            self.units[ou] = self.mapping.org_unit(ou, self.o.org_unit)
        return self.units[ou]

    def period(self, text: str, adx: bool) -> tuple[str | None, str]:
        """The period's first day (ISO text), or None and why it is not a period."""
        key = (text, adx)
        if key not in self.periods:
            try:
                first = (parse_adx_period(text) if adx else parse_period(text))[1]
                self.periods[key] = (first.isoformat(), "")
            except ValueError as exc:
                self.periods[key] = (None, str(exc))
        return self.periods[key]

    def resolve(self, v: DataValue) -> dict[str, Any] | Conflict:
        """The hub record of one data value, or the conflict that stops it."""
        mapping, o, own = self.mapping, self.o, self.own
        if v.problem is not None:
            name, reason = v.problem.split(": ", 1)
            return Conflict(v.index, name, reason)
        texts = (v.data_element, v.period, v.org_unit)
        if not all(type(t) is str and t for t in texts):
            for name, raw in zip(("dataElement", "period", "orgUnit"), texts, strict=True):
                if not isinstance(raw, str) or not raw:
                    reason = "missing" if raw in (None, "") else "must be text"
                    return Conflict(v.index, name, reason)
        for name, raw in (("categoryOptionCombo", v.coc), ("attributeOptionCombo", v.aoc)):
            if raw is not None and not isinstance(raw, str):
                return Conflict(v.index, name, "must be text")
        element = self.element(v.data_element, v.coc or None)
        if element is None:
            if any(e.ident(o.data_element) == v.data_element for e in mapping.dhis2.elements):
                return Conflict(
                    v.index,
                    "categoryOptionCombo",
                    f"category option combo {v.coc!r} of data element {v.data_element} is not "
                    "mapped; the hub keeps the mapped combos only",
                )
            return Conflict(v.index, "dataElement", f"data element {v.data_element} is not mapped")
        if v.aoc and not mapping.is_default_coc(v.aoc, o.aoc):
            return Conflict(
                v.index,
                "attributeOptionCombo",
                f"attribute option combo {v.aoc} is not mapped; only the default is taken",
            )
        unit = self.unit(v.org_unit)
        if unit is None:
            return Conflict(v.index, "orgUnit", f"organisation unit {v.org_unit} is not mapped")
        if unit.member != own:
            return Conflict(
                v.index,
                "orgUnit",
                f"organisation unit {v.org_unit} is member {unit.member}; "
                f"this token writes only {own}'s data",
            )
        start, why = self.period(v.period, v.adx)
        if start is None:
            return Conflict(v.index, "period", why)
        value = v.value
        if o.strategy == DELETE and value in (None, ""):
            value = "0"  # a deletion names keys only; the value is not used
        return {
            "date": start,
            "indicator": element.indicator,
            "item": element.item,
            "value": value,
        }


def _dhis2_conflict(c: Conflict, v: DataValue | None, resolving: bool) -> dict[str, Any]:
    """A hub conflict as DHIS2 writes one: the offending identifier or value, the reason, and
    DHIS2's error code when the conflict is one DHIS2 itself has (an identifier not found)."""
    prop = PROPERTY.get(c.field, c.field)
    obj: Any = None
    if v is not None:
        obj = {
            "dataElement": v.data_element,
            "period": v.period,
            "orgUnit": v.org_unit,
            "categoryOptionCombo": v.coc,
            "attributeOptionCombo": v.aoc,
            "value": v.value,
        }.get(prop)
    out: dict[str, Any] = {
        "object": obj if isinstance(obj, str) else (None if obj is None else ascii(obj)[:60]),
        "value": c.reason,
        "property": prop,
        "indexes": [c.row],
    }
    code = {
        "dataElement": E_DATA_ELEMENT,
        "period": E_PERIOD,
        "orgUnit": E_ORG_UNIT,
        "categoryOptionCombo": E_COC,
        "attributeOptionCombo": E_AOC,
    }.get(prop)
    if code is not None and resolving:
        out["errorCode"] = code
    return out


def summary_json(outcome: Outcome) -> dict[str, Any]:
    """DHIS2's `ImportSummary` of an import."""
    s = outcome.summary
    status = {"OK": "SUCCESS", "WARNING": "WARNING", "ERROR": "ERROR"}[s.status]
    return {
        "responseType": "ImportSummary",
        "status": status,
        "importOptions": outcome.options.as_json(),
        "description": {
            "SUCCESS": "Import process completed successfully",
            "WARNING": "Import process completed with conflicts; the valid values were stored",
            "ERROR": "Import process refused: conflicts, nothing was stored",
        }[status],
        "importCount": {
            "imported": s.imported,
            "updated": s.updated,
            "ignored": s.ignored,
            "deleted": s.deleted,
        },
        "conflicts": outcome.conflicts,
        "rejectedIndexes": sorted({i for c in outcome.conflicts for i in c["indexes"]}),
        "dataSetComplete": outcome.data_set_complete,
    }
