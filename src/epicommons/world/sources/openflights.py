"""OpenFlights `airports.dat` + `routes.dat` -> a travel `Network` of countries or airports.

OpenFlights (ODbL 1.0, not shipped with epicommons) lists airline routes, June 2014, without
passenger numbers. Routes become travellers per day by one rule, the same at both levels:

* a directed airport pair weighs the number of airlines that *operate* it (records whose
  `codeshare` is empty); a pair listed only as codeshares weighs 1, because its operating carrier
  is missing from the file and the flight exists. Codeshare records otherwise duplicate an operated
  flight and add nothing;
* every unit of weight carries the same number of travellers per day, chosen so that international
  pairs sum to the cited 2019 international total (`calibration.INTERNATIONAL_PER_DAY`).
  Domestic pairs (airport level only) use the same constant.

A route record counts when both airport ids are in airports.dat (`\\N` or unknown ids are skipped,
as the provenance figures do). At airport level a country's population is split over its airports
in proportion to each airport's weighted route degree (see `common.catchments`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from epicommons.errors import InputError, NotACountryError
from epicommons.world.countries import registry
from epicommons.world.network import Level, Network, balance, flows_from_edges

from .calibration import CITATION, INTERNATIONAL_PER_DAY
from .common import (
    airportsdata_by,
    airportsdata_iso2,
    catchments,
    country_populations,
    existing_file,
)

NULL = "\\N"
AIRPORT_FIELDS = (
    "airport_id", "name", "city", "country", "iata", "icao", "latitude", "longitude",
    "altitude", "timezone", "dst", "tz", "type", "source",
)  # fmt: skip
ROUTE_FIELDS = (
    "airline", "airline_id", "source_airport", "source_airport_id", "destination_airport",
    "destination_airport_id", "codeshare", "stops", "equipment",
)  # fmt: skip


@dataclass(frozen=True)
class Airport:
    """One row of airports.dat that routes use."""

    code: str  # IATA, else ICAO, else "OF" + OpenFlights id
    country_name: str
    lat: float
    lon: float
    line: int


@dataclass(frozen=True)
class RouteTable:
    """Directed airport pairs of routes.dat with their weights (operated routes, see module doc)."""

    airports: tuple[str, ...]
    country: tuple[str, ...]  # ISO3 of each airport
    coords: np.ndarray  # (airports, 2) latitude, longitude
    origin: np.ndarray  # index into airports, one entry per directed pair
    destination: np.ndarray
    weight: np.ndarray
    records: int  # route records whose both airport ids are in airports.dat
    skipped: int  # route records with a NULL or unknown airport id

    @property
    def international(self) -> np.ndarray:
        """Mask of the pairs whose airports lie in different countries."""
        c = np.asarray(self.country)
        return c[self.origin] != c[self.destination]


def _rows(path: Path, fields: tuple[str, ...]) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of a headerless OpenFlights file, checking the field count."""
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        try:
            for row in reader:
                if not row:
                    continue
                if len(row) != len(fields):
                    raise InputError(
                        f"expected {len(fields)} comma-separated fields "
                        f"({', '.join(fields)}), got {len(row)}",
                        source=path,
                        line=reader.line_num,
                    )
                yield reader.line_num, row
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InputError(f"unreadable CSV: {exc}", source=path, line=reader.line_num) from None


def _number(text: str, path: Path, line: int, name: str, lo: float, hi: float) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not lo <= value <= hi:
        raise InputError(
            f"expected a number in [{lo}, {hi}], got {text!r}", source=path, line=line, field=name
        )
    return value


def _airport_id(text: str, path: Path, line: int, name: str) -> int | None:
    if text == NULL:
        return None
    if not text.isdigit():
        raise InputError(
            f"expected an integer id or \\N, got {text!r}", source=path, line=line, field=name
        )
    return int(text)


def read_airports(path: str | Path) -> dict[int, Airport]:
    """Airports of airports.dat by OpenFlights id; a malformed row raises `InputError`."""
    path = existing_file(path, "airports.dat")
    out: dict[int, Airport] = {}
    for line, row in _rows(path, AIRPORT_FIELDS):
        rec = dict(zip(AIRPORT_FIELDS, row, strict=True))
        ident = _airport_id(rec["airport_id"], path, line, "airport_id")
        if ident is None or ident in out:
            what = "a missing" if ident is None else f"a duplicate ({ident})"
            raise InputError(f"{what} airport id", source=path, line=line, field="airport_id")
        codes = [c for c in (rec["iata"], rec["icao"]) if c not in ("", NULL)]
        code = codes[0] if codes else f"OF{ident}"
        if rec["country"] in ("", NULL):
            raise InputError("missing country name", source=path, line=line, field="country")
        lat = _number(rec["latitude"], path, line, "latitude", -90.0, 90.0)
        lon = _number(rec["longitude"], path, line, "longitude", -180.0, 180.0)
        out[ident] = Airport(code, rec["country"], lat, lon, line)
    return out


def _country_of(airport: Airport, path: Path) -> str:
    """ISO3 of an airport's country name; a former country (Netherlands Antilles) is resolved
    by the airport's code in airportsdata, which uses today's ISO codes."""
    reg = registry()
    try:
        return reg.resolve(airport.country_name, source=path, line=airport.line, field="country")
    except NotACountryError:
        found = airportsdata_by("IATA" if len(airport.code) == 3 else "ICAO").get(airport.code)
        if found is None:
            raise
        return reg.resolve(
            airportsdata_iso2(found), source=path, line=airport.line, field="country"
        )


def read_routes(directory: str | Path) -> RouteTable:
    """Join routes.dat to airports.dat by airport id and weigh each directed airport pair."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError("OpenFlights directory not found", source=directory)
    airports_path = directory / "airports.dat"
    airports = read_airports(airports_path)
    routes_path = existing_file(directory / "routes.dat", "routes.dat")

    operated: dict[tuple[int, int], int] = {}
    codeshared: set[tuple[int, int]] = set()
    records = skipped = 0
    for line, row in _rows(routes_path, ROUTE_FIELDS):
        _, _, _, src_id, _, dst_id, codeshare, stops, _ = row
        src = _airport_id(src_id, routes_path, line, "source_airport_id")
        dst = _airport_id(dst_id, routes_path, line, "destination_airport_id")
        if codeshare not in ("", "Y"):
            raise InputError(
                f"expected 'Y' or empty, got {codeshare!r}",
                source=routes_path,
                line=line,
                field="codeshare",
            )
        if not stops.isdigit():
            raise InputError(
                f"expected a whole number, got {stops!r}",
                source=routes_path,
                line=line,
                field="stops",
            )
        if src not in airports or dst not in airports:
            skipped += 1
            continue
        records += 1
        if codeshare == "Y":
            codeshared.add((src, dst))
        else:
            operated[(src, dst)] = operated.get((src, dst), 0) + 1
    for pair in codeshared - operated.keys():
        operated[pair] = 1
    if not operated:
        raise InputError("no route joins two airports of airports.dat", source=routes_path)

    used = sorted({a for pair in operated for a in pair}, key=lambda a: airports[a].code)
    position = {a: i for i, a in enumerate(used)}
    country = [_country_of(airports[a], airports_path) for a in used]
    pairs = np.array(list(operated), dtype=np.int64).reshape(-1, 2)
    return RouteTable(
        airports=tuple(airports[a].code for a in used),
        country=tuple(country),
        coords=np.array([(airports[a].lat, airports[a].lon) for a in used], dtype=float),
        origin=np.array([position[a] for a in pairs[:, 0]], dtype=np.int64),
        destination=np.array([position[a] for a in pairs[:, 1]], dtype=np.int64),
        weight=np.array(list(operated.values()), dtype=float),
        records=records,
        skipped=skipped,
    )


def travellers_per_route(table: RouteTable) -> float:
    """Travellers per day carried by one unit of route weight (international total / weight)."""
    return INTERNATIONAL_PER_DAY / float(table.weight[table.international].sum())


def read_openflights(
    directory: str | Path, level: Level = "country", *, balanced: bool = True, year: int = 2020
) -> Network:
    """The OpenFlights network at country or airport level, in travellers per day.

    `balanced=False` keeps the raw directed flows (see `network.balance`).
    """
    if level not in ("country", "airport"):
        raise InputError(f"expected 'country' or 'airport', got {level!r}", field="level")
    table = read_routes(directory)
    per_route = travellers_per_route(table)
    value = table.weight * per_route
    how = (
        f"weight of a directed airport pair = airlines operating it (codeshare-only pairs = 1); "
        f"{per_route:.2f} travellers/day per unit so international pairs total "
        f"{INTERNATIONAL_PER_DAY:,.0f}/day ({CITATION}); {table.records} route records used, "
        f"{table.skipped} skipped (airport id NULL or not in airports.dat)"
    )
    if level == "airport":
        n = len(table.airports)
        flows = flows_from_edges(n, table.origin, table.destination, value)
        degree = np.asarray(flows.sum(axis=0)).ravel() + np.asarray(flows.sum(axis=1)).ravel()
        codes = sorted(set(table.country))
        pops = dict(zip(codes, country_populations(codes, year), strict=True))
        population = catchments(np.asarray(table.country), degree, pops)
        nodes, country, coords = table.airports, table.country, table.coords
        how += "; catchment = country population x airport's share of its country's traffic"
    else:
        country_index = {c: i for i, c in enumerate(sorted(set(table.country)))}
        c_of = np.array([country_index[c] for c in table.country])
        intl = table.international
        raw = flows_from_edges(
            len(country_index), c_of[table.origin[intl]], c_of[table.destination[intl]], value[intl]
        )
        linked = np.flatnonzero(
            np.asarray(raw.sum(axis=0)).ravel() + np.asarray(raw.sum(axis=1)).ravel()
        )
        flows = raw[linked][:, linked]
        nodes = tuple(list(country_index)[i] for i in linked)
        country = nodes
        population = country_populations(nodes, year)
        reg = registry()
        coords = np.array([(reg[c].lat, reg[c].lon) for c in nodes], dtype=float)
        how += "; domestic pairs dropped at country level"
    if balanced:
        flows = balance(flows)
        how += "; balanced by F -> (F + F^T)/2"
    return Network(
        nodes=tuple(nodes),
        country=tuple(country),
        population=population,
        flows=flows,
        level=level,
        source=f"OpenFlights routes.dat (June 2014), {Path(directory)}",
        notes=how,
        coords=coords,
    )
