"""The hub's mapping of DHIS2 and FHIR identifiers to its members and indicators (pure, no I/O).

A mapping is a TOML file (see `docs/hub.md`, section DHIS2): the `[dhis2]` table names the one
data set the hub answers for, its data elements (by UID and code, with an optional category option
combo) and which hub indicator (and item) each one is, and which organisation unit is which member;
the `[fhir]` table maps a MeasureReport's measure, group and population codes to indicators.
`load_mapping` validates the file through `errors.validate`, so every mistake names its key path;
`check_members` refuses a member the hub does not have. Lookups go both ways: DHIS2 or FHIR
identifiers to the hub's keys for imports, and the hub's keys back for reads.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from epicommons.errors import InputError, validate

from .indicators import INDICATORS, ITEM_INDICATORS, ITEM_PATTERN

Scheme = Literal["UID", "CODE"]
UID = r"^[A-Za-z][A-Za-z0-9]{10}$"  # DHIS2's identifier: 11 characters, a letter first
CODE = r"^[\x21-\x7e](?:[\x20-\x7e]{0,48}[\x21-\x7e])?$"  # printable ASCII, at most 50
MEMBER = r"^[A-Z][A-Z0-9_-]{1,11}$"
PeriodType = Literal["Daily", "Weekly", "Monthly"]
DEFAULT_FILE = "mapping_default.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Identified(_Strict):
    """A DHIS2 object known by its UID and its code."""

    uid: str = Field(pattern=UID)
    code: str = Field(pattern=CODE)
    name: str = Field("", max_length=230)

    def ident(self, scheme: Scheme) -> str:
        """Its identifier in `scheme`."""
        return self.uid if scheme == "UID" else self.code


class DataSet(Identified):
    """The data set the hub answers for (`GET /dhis2/api/dataSets/{id}`)."""

    period_type: PeriodType = "Weekly"


class OptionCombo(Identified):
    """A category option combo or an attribute option combo."""


class Target(_Strict):
    """A hub indicator and, for stocks and needs, its item."""

    indicator: str
    item: str = ""

    @field_validator("indicator")
    @classmethod
    def _known(cls, indicator: str) -> str:
        if indicator not in INDICATORS:
            raise ValueError(f"unknown indicator; expected one of {', '.join(INDICATORS)}")
        return indicator

    @model_validator(mode="after")
    def _item(self) -> Target:
        if self.indicator in ITEM_INDICATORS and not ITEM_PATTERN.fullmatch(self.item):
            raise ValueError(f"{self.indicator} needs an item code (e.g. 'masks')")
        if self.indicator not in ITEM_INDICATORS and self.item:
            raise ValueError(f"{self.indicator} takes no item")
        return self

    @property
    def key(self) -> tuple[str, str]:
        return (self.indicator, self.item)


class Element(Target):
    """A data element (with one category option combo, or the default) that is a hub indicator."""

    uid: str = Field(pattern=UID)
    code: str = Field(pattern=CODE)
    name: str = Field("", max_length=230)
    coc: OptionCombo | None = None  # None: the default category option combo (the total)

    def ident(self, scheme: Scheme) -> str:
        return self.uid if scheme == "UID" else self.code


class OrgUnit(Identified):
    """An organisation unit that is one hub member."""

    member: str = Field(pattern=MEMBER)


class Dhis2(_Strict):
    """The `[dhis2]` table."""

    data_set: DataSet
    default_coc: OptionCombo = OptionCombo(uid="HllvX50cXC0", code="default", name="default")
    elements: list[Element] = Field(min_length=1)
    org_units: list[OrgUnit] = []


class Measure(Target):
    """A FHIR MeasureReport measure (canonical URL), group and population code: one indicator.

    `population` is required; an empty `group` matches any group, and an empty `*_system` any
    code system (SANER's codes are unique within their measures). A measure's `|version` is
    ignored on both sides.
    """

    measure: str = Field(min_length=1, max_length=500)
    group: str = Field("", max_length=200)
    population: str = Field(min_length=1, max_length=200)
    group_system: str = Field("", max_length=500)
    population_system: str = Field("", max_length=500)


class Subject(_Strict):
    """A MeasureReport subject identifier (system and value) that is one hub member."""

    system: str = Field(min_length=1, max_length=500)
    value: str = Field(min_length=1, max_length=200)
    member: str = Field(pattern=MEMBER)


class Fhir(_Strict):
    """The `[fhir]` table."""

    measures: list[Measure] = []
    subjects: list[Subject] = []

    @model_validator(mode="after")
    def _unique_subjects(self) -> Fhir:
        seen: set[tuple[str, str]] = set()
        for i, s in enumerate(self.subjects):
            if (s.system, s.value) in seen:
                raise ValueError(f"fhir.subjects[{i}]: duplicate identifier {s.system}|{s.value}")
            seen.add((s.system, s.value))
        return self


class Mapping(_Strict):
    """A validated mapping with its lookup tables (built once, on load)."""

    dhis2: Dhis2
    fhir: Fhir = Fhir()
    _elements: dict[tuple[Scheme, str, str | None], Element] = PrivateAttr(default_factory=dict)
    _targets: dict[tuple[str, str], Element] = PrivateAttr(default_factory=dict)
    _units: dict[tuple[Scheme, str], OrgUnit] = PrivateAttr(default_factory=dict)
    _members: dict[str, OrgUnit] = PrivateAttr(default_factory=dict)
    _measures: dict[tuple[str, str, str, str, str], Measure] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _index(self) -> Mapping:
        """Build the lookups; a repeated identifier or a target mapped twice names its key."""
        d = self.dhis2
        for i, e in enumerate(d.elements):
            where = f"dhis2.elements[{i}]"
            for scheme, field in (("UID", "uid"), ("CODE", "code")):
                coc = None if e.coc is None else e.coc.ident(scheme)  # type: ignore[arg-type]
                key = (scheme, e.ident(scheme), coc)  # type: ignore[arg-type]
                if key in self._elements:
                    raise ValueError(f"{where}.{field}: duplicate data element {key[1]!r}")
                self._elements[key] = e  # type: ignore[index]
            if e.key in self._targets:
                raise ValueError(f"{where}.indicator: {_shown(e.key)} is already mapped")
            self._targets[e.key] = e
        for i, u in enumerate(d.org_units):
            where = f"dhis2.org_units[{i}]"
            for scheme, field in (("UID", "uid"), ("CODE", "code")):
                key = (scheme, u.ident(scheme))  # type: ignore[arg-type]
                if key in self._units:
                    raise ValueError(f"{where}.{field}: duplicate organisation unit {key[1]!r}")
                self._units[key] = u  # type: ignore[index]
            if u.member in self._members:
                raise ValueError(f"{where}.member: member {u.member} is already mapped")
            self._members[u.member] = u
        for i, m in enumerate(self.fhir.measures):
            key = (m.measure, m.group_system, m.group, m.population_system, m.population)
            if key in self._measures:
                raise ValueError(f"fhir.measures[{i}]: duplicate measure/group/population")
            self._measures[key] = m
        return self

    def element(
        self, uid_or_code: str, coc: str | None, scheme: Scheme, coc_scheme: Scheme | None = None
    ) -> Element | None:
        """The mapped data element; `coc` None or the default combo means the element's total."""
        coc_scheme = coc_scheme or scheme
        if coc is not None and self.is_default_coc(coc, coc_scheme):
            coc = None
        return self._elements.get((scheme, uid_or_code, coc))

    def is_default_coc(self, ident: str, scheme: Scheme) -> bool:
        """Whether `ident` names the default category (or attribute) option combo."""
        default = self.dhis2.default_coc.ident(scheme)
        return ident == default or (scheme == "CODE" and ident.casefold() == default.casefold())

    def org_unit(self, uid_or_code: str, scheme: Scheme) -> OrgUnit | None:
        """The mapped organisation unit."""
        return self._units.get((scheme, uid_or_code))

    def element_for(self, indicator: str, item: str = "") -> Element | None:
        """Reverse lookup for reads: the data element a hub indicator (and item) is sent as."""
        return self._targets.get((indicator, item))

    def org_unit_for(self, member: str) -> OrgUnit | None:
        """Reverse lookup for reads: the organisation unit of a member."""
        return self._members.get(member)

    def measure(
        self,
        measure: str,
        group: str = "",
        population: str = "",
        group_system: str = "",
        population_system: str = "",
    ) -> Measure | None:
        """The rule written for exactly this measure, group and population code (and systems);
        `fhir.codes` matches a MeasureReport's codings against all rules."""
        return self._measures.get((measure, group_system, group, population_system, population))


def _shown(key: tuple[str, str]) -> str:
    return f"{key[0]}/{key[1]}" if key[1] else key[0]


def load_mapping(text: str, source: str) -> Mapping:
    """Parse and validate a mapping file's text; errors name `source` and the key path."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", source=source) from None
    return validate(Mapping, data, source)


def check_members(mapping: Mapping, known: set[str], source: str) -> None:
    """Refuse an organisation unit or a FHIR subject mapped to a member the hub does not have."""
    named = [(f"dhis2.org_units[{i}]", u.member) for i, u in enumerate(mapping.dhis2.org_units)]
    named += [(f"fhir.subjects[{i}]", s.member) for i, s in enumerate(mapping.fhir.subjects)]
    for where, member in named:
        if member not in known:
            raise InputError(
                f"{where}.member: no member {member} in this hub; "
                "add it with `epicommons hub add-member`",
                source=source,
            )


def default_text() -> str:
    """The built-in mapping: the WHO COVID-19 aggregate surveillance package's data elements."""
    return resources.files(__package__).joinpath(DEFAULT_FILE).read_text(encoding="utf-8")


def default_mapping() -> Mapping:
    """The built-in mapping, validated."""
    return load_mapping(default_text(), f"<built-in {DEFAULT_FILE}>")
