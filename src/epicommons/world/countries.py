"""The country registry: ISO codes, names, aliases, coordinates, borders, continent, WHO region.

Built once per process from the `countryinfo` package (codes, names, alternative spellings,
coordinates, land borders, UN region) and small tables authored for epicommons in
`world/data/` (aliases used by JHU CSSE, OpenFlights, the World Bank and UN WPP; WHO regions;
known non-countries; corrections). Names resolve case-, accent- and punctuation-insensitively.

>>> registry().resolve("Korea, South")
'KOR'
"""

from __future__ import annotations

import difflib
import functools
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from epicommons.errors import InputError, NotACountryError, UnknownCountryError

CONTINENTS = (
    "Africa",
    "Antarctica",
    "Asia",
    "Europe",
    "North America",
    "Oceania",
    "South America",
)
WHO_REGIONS = ("AFR", "AMR", "SEAR", "EUR", "EMR", "WPR")

# Alternative spellings that look like an official name ("Republic of ...") in English.
_OFFICIAL_WORDS = re.compile(
    r"\b(Republic|Kingdom|State|States|Federation|Commonwealth|Principality|Union|Sultanate|"
    r"Duchy|Confederation|Emirates|Territory|Department|Bailiwick|Federal|Democratic|"
    r"Plurinational|Bolivarian|Collectivity|Nation|Islands of)\b"
)


@dataclass(frozen=True)
class Country:
    """One country or territory, keyed by its ISO 3166-1 alpha-3 code."""

    iso3: str
    iso2: str
    name: str
    official_name: str
    aliases: tuple[str, ...]
    lat: float
    lon: float
    continent: str
    who_region: str | None
    borders: tuple[str, ...]


def normalize(text: str) -> str:
    """Matching key of a name: accents, case, punctuation, a leading 'the' and 'St.' ironed out.

    >>> normalize("  Côte d'Ivoire ")
    'cote d ivoire'
    >>> normalize("St. Kitts & Nevis")
    'saint kitts and nevis'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    ascii_only = ascii_only.replace("&", " and ").replace("'", " ").replace("\u2019", " ")
    words = re.sub(r"[^0-9a-z]+", " ", ascii_only).split()
    words = ["saint" if w == "st" else w for w in words]
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return " ".join(words)


class CountryRegistry:
    """All countries by ISO3, with name resolution.

    Resolution looks a normalised name up in one index built from, in order of precedence:
    the authored aliases, then each country's codes, names and countryinfo alternative
    spellings, then countryinfo's translations and native names. A key two countries claim at
    the same level is ambiguous and left out, so it is never silently guessed.
    """

    def __init__(
        self,
        countries: dict[str, Country],
        index: dict[str, str],
        non_countries: dict[str, dict[str, Any]],
    ) -> None:
        self._countries = countries
        self._index = index
        self._non_countries = non_countries
        self.codes: tuple[str, ...] = tuple(sorted(countries))

    def __getitem__(self, iso3: str) -> Country:
        try:
            return self._countries[iso3]
        except KeyError:
            raise UnknownCountryError(iso3, self._suggest(iso3)) from None

    def __contains__(self, iso3: object) -> bool:
        return iso3 in self._countries

    def __iter__(self) -> Iterator[Country]:
        return (self._countries[c] for c in self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def try_resolve(self, name_or_code: str) -> str | None:
        """ISO3 of a name or code, or None if it names no country (or a non-country)."""
        if not isinstance(name_or_code, str):
            return None
        return self._index.get(normalize(name_or_code))

    def resolve(
        self,
        name_or_code: str,
        *,
        source: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> str:
        """ISO3 of any name, alias, ISO2 or ISO3 code.

        Raises NotACountryError for names known to denote something else (ships, the Olympic
        Games, the dissolved Netherlands Antilles, disputed islands), UnknownCountryError with
        the closest matches otherwise; `source`, `line` and `field` say where the name was read.
        """
        where = {"source": source, "line": line, "field": field}
        if not isinstance(name_or_code, str):
            raise InputError(f"expected a country name or code, got {name_or_code!r}", **where)
        key = normalize(name_or_code)
        found = self._index.get(key)
        if found is not None:
            return found
        non = self._non_countries.get(key)
        if non is not None:
            error = NotACountryError(name_or_code, non["what"], **where)
            error.successors = tuple(non.get("successors", ()))  # type: ignore[attr-defined]
            raise error
        raise UnknownCountryError(name_or_code, self._suggest(name_or_code), **where)

    def is_non_country(self, name: str) -> bool:
        """Whether a name is one of the known non-countries (ships, Olympics, ...)."""
        return normalize(name) in self._non_countries

    def search(self, text: str, limit: int = 10) -> list[Country]:
        """Countries whose code, name or an alias matches `text`, best first.

        Exact matches first, then names starting with the text, then names containing it,
        then close spellings (difflib).
        """
        key = normalize(text)
        if not key:
            return []
        ranked: dict[str, int] = {}

        def add(iso3: str, rank: int) -> None:
            if rank < ranked.get(iso3, 99):
                ranked[iso3] = rank

        exact = self._index.get(key)
        if exact is not None:
            add(exact, 0)
        for alias_key, iso3 in self._index.items():
            if alias_key.startswith(key):
                add(iso3, 1 if normalize(self._countries[iso3].name).startswith(key) else 2)
            elif f" {key}" in f" {alias_key}" or key in alias_key:
                add(iso3, 3)
        if len(ranked) < limit:
            for close in difflib.get_close_matches(key, self._index, n=limit, cutoff=0.75):
                add(self._index[close], 4)
        order = sorted(ranked, key=lambda c: (ranked[c], self._countries[c].name))
        return [self._countries[c] for c in order[:limit]]

    def _suggest(self, name: str, n: int = 5) -> list[str]:
        """Up to n 'Name (ISO3)' strings close to a name that did not resolve."""
        key = normalize(name)
        seen: list[str] = []
        for close in difflib.get_close_matches(key, self._index, n=4 * n, cutoff=0.6):
            iso3 = self._index[close]
            if iso3 not in seen:
                seen.append(iso3)
        return [f"{self._countries[c].name} ({c})" for c in seen[:n]]


def _data(name: str) -> dict[str, Any]:
    """An authored table from world/data/."""
    return json.loads(resources.files("epicommons.world").joinpath("data", name).read_text("utf-8"))


def countryinfo_records() -> list[dict[str, Any]]:
    """The countryinfo package's records that carry a name and an ISO alpha-3 code, in file order.

    The one reader of countryinfo's files: the registry merges a code's records into one
    country, `world.outlines` merges their rings into its outline.
    """
    import countryinfo

    folder = Path(countryinfo.__file__).parent / "data"
    records = []
    for path in sorted(folder.glob("*.json")):
        info = json.loads(path.read_text(encoding="utf-8"))
        iso = info.get("ISO") or {}
        if info.get("name") and iso.get("alpha3"):
            records.append(info)
    return records


def _coordinate(info: dict[str, Any]) -> tuple[float, float] | None:
    """countryinfo's representative point, else its capital's."""
    for key in ("latlng", "capital_latlng"):
        value = info.get(key)
        if value and isinstance(value[0], list):
            value = value[0]
        if value and len(value) == 2:
            return float(value[0]), float(value[1])
    return None


def _official_name(name: str, spellings: list[str]) -> str:
    """The first alternative spelling that reads like an English official name, else the name."""
    for spelling in spellings:
        if spelling.isascii() and _OFFICIAL_WORDS.search(spelling) and "," not in spelling:
            return spelling.strip()
    return name


def _build() -> CountryRegistry:
    over = _data("overrides.json")
    aliases = _data("aliases.json")["aliases"]
    who = _data("who_regions.json")
    non = _data("non_countries.json")["non_countries"]

    who_of = {c: r for part in ("members", "reported") for r, cs in who[part].items() for c in cs}
    south = set(over["south_america"])
    renamed = over["borders_renamed"]

    # Merge countryinfo records of one code (it has two for VAT, PSE and CUW).
    merged: dict[str, dict[str, Any]] = {}
    for info in countryinfo_records():
        iso3 = info["ISO"]["alpha3"]
        if iso3 in over["exclude"]:
            continue
        first = merged.get(iso3)
        if first is None:
            merged[iso3] = {
                "iso2": info["ISO"]["alpha2"],
                "names": [info["name"]],
                "alts": list(info.get("altSpellings") or []),
                "weak": [*(info.get("translations") or {}).values(), info.get("nativeName") or ""],
                "coord": _coordinate(info),
                "borders": list(info.get("borders") or []),
                "region": info.get("region") or "",
            }
            continue
        first["names"].append(info["name"])
        first["alts"] += info.get("altSpellings") or []
        first["coord"] = first["coord"] or _coordinate(info)
        first["borders"] += info.get("borders") or []

    countries: dict[str, Country] = {}
    for iso3, rec in merged.items():
        name = over["names"].get(iso3, rec["names"][-1] if iso3 == "VAT" else rec["names"][0])
        lat, lon = over["coordinates"].get(iso3) or rec["coord"]
        region = rec["region"]
        if iso3 in over["continents"]:
            continent = over["continents"][iso3]
        elif region == "Americas":
            continent = "South America" if iso3 in south else "North America"
        else:
            continent = region
        borders = {renamed.get(b, b) for b in rec["borders"]}
        names = [n for n in dict.fromkeys([*rec["names"], *rec["alts"], *aliases.get(iso3, [])])]
        countries[iso3] = Country(
            iso3=iso3,
            iso2=rec["iso2"],
            name=name,
            official_name=_official_name(name, rec["alts"]),
            aliases=tuple(
                n.strip() for n in names if n.strip() and n not in (name, iso3, rec["iso2"])
            ),
            lat=float(lat),
            lon=float(lon),
            continent=continent,
            who_region=who_of.get(iso3),
            borders=tuple(sorted(borders)),
        )
    for iso3, extra in over["extra"].items():
        countries[iso3] = Country(
            iso3=iso3,
            iso2=extra["iso2"],
            name=extra["name"],
            official_name=extra["official_name"],
            aliases=tuple(a for a in aliases.get(iso3, []) if a != extra["name"]),
            lat=float(extra["lat"]),
            lon=float(extra["lon"]),
            continent=extra["continent"],
            who_region=who_of.get(iso3),
            borders=tuple(sorted(extra["borders"])),
        )
    removed = {frozenset(pair) for pair in over["borders_removed"]}
    added = {frozenset(pair) for pair in over["borders_added"]}
    countries = _symmetric_borders(countries, removed, added)

    weak_names = {iso3: rec["weak"] for iso3, rec in merged.items()}
    index = _index(countries, aliases, weak_names)
    non_index: dict[str, dict[str, Any]] = {}
    for label, entry in non.items():
        for spelling in (label, *entry.get("names", ())):
            non_index[normalize(spelling)] = entry
    return CountryRegistry(countries, index, non_index)


def _symmetric_borders(
    countries: dict[str, Country], removed: set[frozenset[str]], added: set[frozenset[str]]
) -> dict[str, Country]:
    """Borders with unknown codes and `removed` pairs dropped, `added` pairs added, symmetric."""
    listed = {
        frozenset((c.iso3, b)) for c in countries.values() for b in c.borders if b in countries
    }
    pairs = (listed - removed) | added
    neighbours: dict[str, set[str]] = {c: set() for c in countries}
    for a, b in (tuple(p) for p in pairs if len(p) == 2):
        neighbours[a].add(b)
        neighbours[b].add(a)
    return {
        iso3: replace(c, borders=tuple(sorted(neighbours[iso3]))) for iso3, c in countries.items()
    }


def _index(
    countries: dict[str, Country],
    aliases: dict[str, list[str]],
    weak_names: dict[str, list[str]],
) -> dict[str, str]:
    """Normalised key -> ISO3, strongest level first; keys claimed twice in a level are dropped."""
    levels: list[dict[str, str]] = [{}, {}, {}]
    ambiguous: list[set[str]] = [set(), set(), set()]

    def claim(level: int, spelling: str, iso3: str) -> None:
        key = normalize(spelling)
        if not key:
            return
        owner = levels[level].setdefault(key, iso3)
        if owner != iso3:
            ambiguous[level].add(key)

    for iso3, spellings in aliases.items():
        for spelling in spellings:
            claim(0, spelling, iso3)
    for c in countries.values():
        for spelling in (c.iso3, c.iso2, c.name, c.official_name, *c.aliases):
            claim(1, spelling, c.iso3)
    for iso3, spellings in weak_names.items():
        for spelling in spellings:
            claim(2, spelling, iso3)

    index: dict[str, str] = {}
    for level, found in enumerate(levels):
        for key, iso3 in found.items():
            if key not in ambiguous[level]:
                index.setdefault(key, iso3)
    return index


@functools.cache
def registry() -> CountryRegistry:
    """The registry, built on first use and shared by the process."""
    return _build()
