"""A DHIS2 data value set through the hub's one import path, and its answer in DHIS2's shape.

Each data value is resolved through the mapping (data element and category option combo →
indicator and item, organisation unit → member, period → date by `periods`' rule); a value that
cannot be resolved, names another member's organisation unit, or carries an attribute option combo
other than the default is a conflict, never dropped. The rest goes through the hub's one import
path (`reports.check_report` and `store_checked`: validation rules, idempotency, audit, the
member's lock, limits), with the conflicts, so the atomic mode and the summary count them like any
other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ..access import Principal
from ..db import Database
from ..indicators import Conflict
from ..mapping import Mapping, Scheme
from ..mapping_store import MappingCache
from ..models import Member
from ..refusals import Clash
from ..reports import DELETE, Checked, ImportSummary, check_report, store_checked, with_retries
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
    mappings: MappingCache,
    value_set: ValueSet,
    options: Options,
    data_set: str | None = None,
    idempotency_key: str | None = None,
) -> Outcome:
    """Resolve every data value through the mapping in force and import the resolvable ones for
    the caller's member, in one write transaction: the mapping's digest, the member and the
    import are read there. The values are resolved beforehand with the mapping seen last, and
    again in the transaction only if another one has been imported since. `data_set` is the one
    the request names, if any: it must be the mapping's."""
    kept = mappings.kept
    plan = None if kept is None else _plan(kept, principal, value_set, options)

    def work(session: Session) -> ImportSummary:
        nonlocal plan
        in_force = mappings.current(session)
        ours = in_force[1].dhis2.data_set
        if data_set and data_set not in (ours.uid, ours.code):
            raise Clash(f"data set {data_set} is not this hub's data set {ours.uid}")
        if plan is None or plan.mapping != in_force[0]:
            plan = _plan(in_force, principal, value_set, options)
        member = session.get(Member, principal.member_id)
        assert member is not None  # a token's member is never deleted
        return store_checked(session, principal, member, plan.checked, idempotency_key)

    summary = with_retries(db, work)
    assert plan is not None
    values = value_set.values
    conflicts = [
        _dhis2_conflict(
            c,
            values[c.row] if 0 <= c.row < len(values) else None,
            (c.row, c.field) in plan.resolving,
        )
        for c in summary.conflicts
    ]
    return Outcome(summary, conflicts, options)


@dataclass(frozen=True)
class _Plan:
    """A value set resolved through one mapping (its digest) and checked as a hub report;
    `resolving` are the (index, field) of the conflicts resolution found."""

    mapping: str | None
    checked: Checked
    resolving: frozenset[tuple[int, str]]


def _plan(
    in_force: tuple[str | None, Mapping],
    principal: Principal,
    value_set: ValueSet,
    options: Options,
) -> _Plan:
    records, refused = [], []
    resolve = _Resolver(in_force[1], options, principal.member_code).resolve
    for v in value_set.values:
        got = resolve(v)
        if type(got) is Conflict:
            refused.append(got)
        else:
            records.append((v.index, got))
    checked = check_report(
        records,
        from_text=True,
        dry_run=options.dry_run,
        atomic=options.atomic,
        strategy=options.strategy,
        refused=refused,
    )
    return _Plan(in_force[0], checked, frozenset((c.row, c.field) for c in refused))


class _Resolver:
    """Resolves data values against the mapping, remembering each identifier's answer for the
    request (a data value set repeats a few elements, units and periods many times)."""

    def __init__(self, mapping: Mapping, options: Options, own: str) -> None:
        self.mapping, self.o, self.own = mapping, options, own
        # (data element, category and attribute option combos, unit) → (indicator, item), or
        # the conflict that stops every value naming them (row -1: the value's index goes in).
        self.targets: dict[tuple[str, str | None, str | None, str], tuple[str, str] | Conflict]
        self.targets = {}
        self.periods: dict[tuple[str, bool], str | Conflict] = {}

    def target(
        self, de: str, coc: str | None, aoc: str | None, ou: str
    ) -> tuple[str, str] | Conflict:
        """The (indicator, item) that data element, combos and unit are, or why none is."""
        mapping, o, own = self.mapping, self.o, self.own
        element = mapping.element(de, coc or None, o.data_element, o.coc)
        if element is None:
            if any(e.ident(o.data_element) == de for e in mapping.dhis2.elements):
                return Conflict(
                    -1,
                    "categoryOptionCombo",
                    f"category option combo {coc!r} of data element {de} is not "
                    "mapped; the hub keeps the mapped combos only",
                )
            return Conflict(-1, "dataElement", f"data element {de} is not mapped")
        if aoc and not mapping.is_default_coc(aoc, o.aoc):
            return Conflict(
                -1,
                "attributeOptionCombo",
                f"attribute option combo {aoc} is not mapped; only the default is taken",
            )
        unit = mapping.org_unit(ou, o.org_unit)
        if unit is None:
            return Conflict(-1, "orgUnit", f"organisation unit {ou} is not mapped")
        if unit.member != own:
            return Conflict(
                -1,
                "orgUnit",
                f"organisation unit {ou} is member {unit.member}; "
                f"this token writes only {own}'s data",
            )
        return element.indicator, element.item

    @staticmethod
    def period(text: str, adx: bool) -> str | Conflict:
        """The period's first day (ISO text), or why it is not a period."""
        try:
            return (parse_adx_period(text) if adx else parse_period(text))[1].isoformat()
        except ValueError as exc:
            return Conflict(-1, "period", str(exc))

    def resolve(self, v: DataValue) -> dict[str, Any] | Conflict:
        """The hub record of one data value, or the conflict that stops it."""
        if v.problem is not None:
            name, reason = v.problem.split(": ", 1)
            return Conflict(v.index, name, reason)
        de, period, ou, coc, aoc = v.data_element, v.period, v.org_unit, v.coc, v.aoc
        if not (
            type(de) is str
            and type(period) is str
            and type(ou) is str
            and de
            and period
            and ou
            and (coc is None or type(coc) is str)
            and (aoc is None or type(aoc) is str)
        ):
            return _shape_conflict(v)
        key = (de, coc, aoc, ou)
        target = self.targets.get(key)
        if target is None:
            target = self.targets[key] = self.target(*key)
        if type(target) is Conflict:
            return Conflict(v.index, target.field, target.reason)
        start = self.periods.get((period, v.adx))
        if start is None:
            start = self.periods[(period, v.adx)] = self.period(period, v.adx)
        if type(start) is Conflict:
            return Conflict(v.index, start.field, start.reason)
        value = v.value
        if value in (None, "") and self.o.strategy == DELETE:
            value = "0"  # a deletion names keys only; the value is not used
        return {"date": start, "indicator": target[0], "item": target[1], "value": value}


def _shape_conflict(v: DataValue) -> Conflict:
    """The conflict of a data value whose identifiers are missing or not text."""
    for name, raw in zip(("dataElement", "period", "orgUnit"), v[1:4], strict=True):
        if not isinstance(raw, str) or not raw:
            return Conflict(v.index, name, "missing" if raw in (None, "") else "must be text")
    for name, raw in (("categoryOptionCombo", v.coc), ("attributeOptionCombo", v.aoc)):
        if raw is not None and not isinstance(raw, str):
            return Conflict(v.index, name, "must be text")
    raise AssertionError("a data value of the right shape")


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
