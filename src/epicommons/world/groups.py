"""Groups: named sets of countries (ISO3), built in or read from a user's TOML or CSV file.

Built-in groups are every continent (`continent:Europe`), every WHO region (`who:EUR`), the
World Bank's high-income economies of fiscal year 2021 (`income:high`, data/high_income_fy2021.csv,
source in its header) and `world`. A user file names its own groups, e.g. a partner group for a joint response:

    # partners.toml
    [groups.partners]
    description = "Members of the joint response"
    members = ["France", "DEU", "Korea, South", "who:AFR"]

or, as CSV with a header, one member per row: `group,member`. A member is any country name or
code the registry resolves, or the name of a built-in group (its members are added).
"""

from __future__ import annotations

import csv
import difflib
import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from os import PathLike
from pathlib import Path

from epicommons.errors import InputError

from .countries import CONTINENTS, WHO_REGIONS, registry


@dataclass(frozen=True)
class Group:
    """A named set of countries (ISO3 codes)."""

    name: str
    members: frozenset[str]
    description: str = ""


@functools.cache
def _builtin() -> dict[str, Group]:
    reg = registry()
    groups = {"world": Group("world", frozenset(reg.codes), "every country in the registry")}
    for continent in CONTINENTS:
        name = f"continent:{continent}"
        members = frozenset(c.iso3 for c in reg if c.continent == continent)
        groups[name] = Group(name, members, f"countries and territories in {continent}")
    for region in WHO_REGIONS:
        name = f"who:{region}"
        members = frozenset(c.iso3 for c in reg if c.who_region == region)
        groups[name] = Group(name, members, f"WHO region {region}, members and reported places")
    groups[HIGH_INCOME] = Group(
        HIGH_INCOME,
        _high_income(),
        "World Bank high-income economies, fiscal year 2021 (GNI per capita 2019 > US$12,535)",
    )
    return groups


HIGH_INCOME = "income:high"


def _high_income() -> frozenset[str]:
    """ISO3 codes of the World Bank's FY2021 high-income economies (data file, source in header)."""
    text = resources.files("epicommons.world").joinpath("data", "high_income_fy2021.csv")
    lines = [ln for ln in text.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    return frozenset(row["iso3"] for row in csv.DictReader(lines))


def builtin_groups() -> dict[str, Group]:
    """Every continent (`continent:Europe`), every WHO region (`who:EUR`), `income:high` and
    `world`."""
    return dict(_builtin())


def _builtin_by_key() -> dict[str, Group]:
    return {name.casefold(): g for name, g in _builtin().items()}


def find_group(name: str, user: Mapping[str, Group] | None = None) -> Group | None:
    """The user group or built-in group (case-insensitive) of that name, if there is one."""
    if user and name in user:
        return user[name]
    return _builtin_by_key().get(name.strip().casefold())


def resolve_group(name_or_member: str, user: Mapping[str, Group] | None = None) -> frozenset[str]:
    """Members of a user group, a built-in group (case-insensitive) or a single country.

    Raises InputError naming the closest group names and countries when nothing matches.
    """
    group = find_group(name_or_member, user)
    if group is not None:
        return group.members
    reg = registry()
    iso3 = reg.try_resolve(name_or_member)
    if iso3 is not None:
        return frozenset({iso3})
    if reg.is_non_country(name_or_member):
        reg.resolve(name_or_member)  # raises NotACountryError with the reason
    names = [*(user or {}), *_builtin()]
    close = difflib.get_close_matches(name_or_member, names, n=5, cutoff=0.6)
    close += [f"{c.name} ({c.iso3})" for c in reg.search(name_or_member, limit=3)]
    hint = f"; closest matches: {', '.join(close)}" if close else ""
    raise InputError(f"unknown group or country {name_or_member!r}{hint}")


def _member_codes(member: object, *, source: str, line: int | None, field: str) -> frozenset[str]:
    """Codes one file entry stands for: a built-in group's members or one resolved country."""
    if not isinstance(member, str) or not member.strip():
        raise InputError(
            f"expected a country name or code, got {member!r}",
            source=source,
            line=line,
            field=field,
        )
    builtin = _builtin_by_key().get(member.strip().casefold())
    if builtin is not None:
        return builtin.members
    return frozenset({registry().resolve(member, source=source, line=line, field=field)})


def _check_name(name: object, *, source: str, line: int | None, field: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InputError(
            f"expected a group name, got {name!r}", source=source, line=line, field=field
        )
    if ":" in name or name.strip().casefold() in _builtin_by_key():
        raise InputError(
            f"group name {name!r} is reserved for built-in groups "
            "(world, continent:*, who:*, income:high)",
            source=source,
            line=line,
            field=field,
        )
    return name.strip()


def read_groups(path: str | PathLike[str]) -> dict[str, Group]:
    """User groups from a TOML (`[groups.NAME] members = [...]`) or CSV (`group,member`) file.

    Members are resolved through the country registry; a bad entry raises InputError naming
    the file, the line and the field (TOML key path or CSV column).
    """
    file = Path(path)
    if not file.is_file():
        raise InputError("no such file", source=file)
    if file.suffix.lower() == ".toml":
        return _read_toml(file)
    if file.suffix.lower() == ".csv":
        return _read_csv(file)
    raise InputError("expected a .toml or .csv groups file", source=file)


def _read_toml(file: Path) -> dict[str, Group]:
    text = file.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", source=file) from None
    tables = data.get("groups")
    if not isinstance(tables, dict) or not tables:
        raise InputError("expected a [groups.NAME] table with members", source=file, field="groups")
    lines = text.splitlines()
    groups: dict[str, Group] = {}
    for name, table in tables.items():
        key = f"groups.{name}"
        start = _table_line(lines, name)
        _check_name(name, source=str(file), line=start, field=key)
        if not isinstance(table, dict):
            raise InputError("expected a table", source=file, line=start, field=key)
        unknown = sorted(set(table) - {"members", "description"})
        if unknown:
            raise InputError(
                f"unexpected key {unknown[0]!r}; expected 'members' and 'description'",
                source=file,
                line=start,
                field=f"{key}.{unknown[0]}",
            )
        members = table.get("members")
        if not isinstance(members, list) or not members:
            raise InputError(
                "expected a non-empty list of countries",
                source=file,
                line=start,
                field=f"{key}.members",
            )
        description = table.get("description", "")
        if not isinstance(description, str):
            raise InputError(
                "expected a string", source=file, line=start, field=f"{key}.description"
            )
        codes: set[str] = set()
        for i, member in enumerate(members):
            where = _value_line(lines, start, member)
            codes |= _member_codes(
                member, source=str(file), line=where, field=f"{key}.members[{i}]"
            )
        groups[name] = Group(name, frozenset(codes), description)
    return groups


def _table_line(lines: list[str], name: str) -> int | None:
    """1-based line of the `[groups.NAME]` header (None if written inline)."""
    headers = {f"[groups.{name}]", f'[groups."{name}"]', f"[groups.'{name}']"}
    for number, line in enumerate(lines, start=1):
        if line.split("#")[0].replace(" ", "") in {h.replace(" ", "") for h in headers}:
            return number
    return None


def _value_line(lines: list[str], start: int | None, value: object) -> int | None:
    """1-based line, at or after `start`, where a member's quoted value is written."""
    if not isinstance(value, str):
        return start
    quoted = (f'"{value}"', f"'{value}'")
    for number in range(start or 1, len(lines) + 1):
        if any(q in lines[number - 1] for q in quoted):
            return number
    return start


def _read_csv(file: Path) -> dict[str, Group]:
    with file.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in ("group", "member") if c not in header]
        if missing:
            raise InputError(
                f"expected columns 'group' and 'member', got {header}", source=file, line=1
            )
        reader.fieldnames = header
        members: dict[str, set[str]] = {}
        for row in reader:
            line = reader.line_num
            name = _check_name(row.get("group"), source=str(file), line=line, field="group")
            codes = _member_codes(
                (row.get("member") or "").strip(), source=str(file), line=line, field="member"
            )
            members.setdefault(name, set()).update(codes)
    if not members:
        raise InputError("no groups in file", source=file)
    return {name: Group(name, frozenset(codes)) for name, codes in members.items()}
