"""Which FHIR codes are which hub indicators, and which subjects are which members.

The rules come from the `[fhir]` table of the hub's mapping (`hub/mapping.py`): a population
code (system, code) within one measure (canonical URL, any `|version` dropped) and, if named, one
group code, is an indicator and item; an empty system matches any. The hub's own code system
(`urn:epicommons:indicator`, code `new_cases` or `stock:masks`) always maps to itself, so what
`GET /fhir/MeasureReport` answers can be posted back. Subjects: an identifier listed in the
mapping, else an identifier of system `urn:iso:std:iso:3166` or `urn:epicommons:member` whose
value is a member code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..indicators import INDICATORS, ITEM_INDICATORS
from ..mapping import Mapping as HubMapping

INDICATOR_SYSTEM = "urn:epicommons:indicator"
HUB_MEASURE = "urn:epicommons:measure:indicators"
MEMBER_SYSTEM = "urn:epicommons:member"
ISO3166 = "urn:iso:std:iso:3166"

Coding = tuple[str, str]


@dataclass(frozen=True)
class Rule:
    """A population code within a measure (and group, if named) → an indicator and item."""

    measure: str
    population: Coding  # (system or "" for any, code)
    indicator: str
    item: str = ""
    group: Coding | None = None

    def matches(self, measure: str | None, groups: Iterable[Coding], code: Coding) -> bool:
        if not _same(self.population, code) or canonical(self.measure) != canonical(measure):
            return False
        return self.group is None or any(_same(self.group, g) for g in groups)


def _same(rule: Coding, coding: Coding) -> bool:
    return rule[1] == coding[1] and rule[0] in ("", coding[0])


class CodeError(ValueError):
    """A population's codings name more than one indicator, or a hub code that does not exist."""


@dataclass(frozen=True)
class FhirCodes:
    """The FHIR part of a hub's mapping: rules in file order, subjects by identifier."""

    rules: tuple[Rule, ...] = ()
    subjects: Mapping[Coding, str] = field(default_factory=dict)

    def indicator(
        self, measure: str | None, groups: list[Coding], codings: list[Coding]
    ) -> tuple[str, str] | None:
        """The (indicator, item) a population's codings name, None if none is mapped."""
        found = {hub for c in codings if (hub := _hub_code(c)) is not None}
        found |= {
            (r.indicator, r.item)
            for c in codings
            for r in self.rules
            if r.matches(measure, groups, c)
        }
        if len(found) > 1:
            names = ", ".join(sorted(f"{i}/{t}" if t else i for i, t in found))
            raise CodeError(f"the codes name more than one indicator: {names}")
        return found.pop() if found else None

    def codings_of(self, indicator: str, item: str) -> tuple[str, Coding | None, list[Coding]]:
        """(measure, group code, population codings) to write a stored value with: the first
        rule for it, then the hub's own code."""
        own = (INDICATOR_SYSTEM, f"{indicator}:{item}" if item else indicator)
        for r in self.rules:
            if (r.indicator, r.item) == (indicator, item):
                return r.measure, r.group, [r.population, own]
        return HUB_MEASURE, None, [own]

    def member(self, system: str | None, value: str | None, members: set[str]) -> str | None:
        """The member an identifier names, None if it names none."""
        if system is None or value is None:
            return None
        mapped = self.subjects.get((system, value))
        if mapped is not None:
            return mapped
        if system in (ISO3166, MEMBER_SYSTEM) and value in members:
            return value
        return None


def canonical(url: str | None) -> str | None:
    """A canonical URL without its `|version`."""
    return url.split("|", 1)[0] if url else url


def _hub_code(coding: Coding) -> tuple[str, str] | None:
    system, code = coding
    if system != INDICATOR_SYSTEM:
        return None
    indicator, _, item = code.partition(":")
    if indicator not in INDICATORS or bool(item) != (indicator in ITEM_INDICATORS):
        raise CodeError(f"{INDICATOR_SYSTEM} has no code {code[:60]!r}")
    return indicator, item


def codes_of(mapping: HubMapping) -> FhirCodes:
    """The FHIR rules and subjects of a hub mapping."""
    rules = tuple(
        Rule(
            m.measure,
            (m.population_system, m.population),
            m.indicator,
            m.item,
            (m.group_system, m.group) if m.group else None,
        )
        for m in mapping.fhir.measures
    )
    subjects = {(s.system, s.value): s.member for s in mapping.fhir.subjects}
    return FhirCodes(rules, subjects)
