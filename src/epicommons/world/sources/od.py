"""Origin-destination CSV -> a travel `Network`.

Columns `origin,destination,travellers_per_day` (header row; other columns are ignored). Codes are
ISO3 (country level; any name or code the registry resolves is accepted) or IATA (airport level,
each airport's country from `airportsdata`). Without `level`, a file whose codes are all ISO3 codes
is read at country level, otherwise at airport level. Repeated pairs add up; origin equal to
destination is an error. Airport catchments follow the OpenFlights rule (`common.catchments`).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from epicommons.errors import InputError
from epicommons.world.countries import registry
from epicommons.world.network import Level, Network, balance, flows_from_edges

from .common import (
    airportsdata_by,
    airportsdata_iso2,
    catchments,
    country_populations,
    existing_file,
)

COLUMNS = ("origin", "destination", "travellers_per_day")


def _records(path: Path) -> list[tuple[int, str, str, float]]:
    """(line, origin, destination, flow) of every data row, validated."""
    rows: list[tuple[int, str, str, float]] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = [h.strip() for h in reader.fieldnames or []]
            missing = [c for c in COLUMNS if c not in header]
            if missing:
                raise InputError(
                    f"missing column(s); the header must name {', '.join(COLUMNS)}",
                    source=path,
                    line=1,
                    field=missing[0],
                )
            reader.fieldnames = header
            for rec in reader:
                line = reader.line_num
                for name in COLUMNS:
                    if rec.get(name) is None or not rec[name].strip():
                        raise InputError("missing value", source=path, line=line, field=name)
                text = rec["travellers_per_day"].strip()
                try:
                    flow = float(text)
                except ValueError:
                    raise InputError(
                        f"expected a number, got {text!r}",
                        source=path,
                        line=line,
                        field="travellers_per_day",
                    ) from None
                if not math.isfinite(flow) or flow < 0:
                    raise InputError(
                        f"expected a finite number >= 0, got {text!r}",
                        source=path,
                        line=line,
                        field="travellers_per_day",
                    )
                origin, destination = rec["origin"].strip(), rec["destination"].strip()
                if origin == destination:
                    raise InputError(
                        f"origin equals destination ({origin!r})",
                        source=path,
                        line=line,
                        field="destination",
                    )
                rows.append((line, origin, destination, flow))
    except (csv.Error, UnicodeDecodeError) as exc:
        raise InputError(f"unreadable CSV: {exc}", source=path) from None
    if not rows:
        raise InputError("no data rows", source=path)
    return rows


def _check_within_population(
    path: Path,
    rows: list[tuple[int, str, str, float]],
    ends: np.ndarray,
    value: np.ndarray,
    pops: dict[str, float],
) -> None:
    """No country sends or receives more travellers a day (over all its nodes and routes abroad
    and at home) than it has people; the error names the country's busiest row."""
    for side, verb in ((0, "sends"), (1, "receives")):
        by = ends[:, side]
        for iso3 in sorted(set(by)):
            mine = np.flatnonzero(by == iso3)
            total = float(value[mine].sum())
            if 0 < pops[iso3] < total:  # 0: WPP lists no population, no limit known
                row = int(mine[np.argmax(value[mine])])
                raise InputError(
                    f"{iso3} {verb} {total:,.0f} travellers a day in this file, more than its "
                    f"{pops[iso3]:,.0f} people (the largest row is this one)",
                    source=path,
                    line=rows[row][0],
                    field="travellers_per_day",
                )


def _infer_level(rows: list[tuple[int, str, str, float]]) -> Level:
    codes = set(registry().codes)
    return "country" if all(o in codes and d in codes for _, o, d, _ in rows) else "airport"


def read_od(
    path: str | Path, level: Level | None = None, *, balanced: bool = True, year: int = 2020
) -> Network:
    """A network from an origin-destination CSV of travellers per day (see module doc)."""
    path = existing_file(path, "OD file")
    if level not in (None, "country", "airport"):
        raise InputError(f"expected 'country' or 'airport', got {level!r}", field="level")
    rows = _records(path)
    level = level or _infer_level(rows)
    reg = registry()
    node_of: dict[str, int] = {}
    nodes: list[str] = []
    country: list[str] = []
    coords: list[tuple[float, float]] = []
    ends = np.empty((len(rows), 2), dtype=np.int64)
    airports = airportsdata_by("IATA") if level == "airport" else {}
    for k, (line, *pair, _) in enumerate(rows):
        for side, (name, code) in enumerate(zip(("origin", "destination"), pair, strict=True)):
            if level == "country":
                code = reg.resolve(code, source=path, line=line, field=name)
            else:
                code = code.upper()
            if code not in node_of:
                if level == "country":
                    iso3, latlon = code, (reg[code].lat, reg[code].lon)
                else:
                    found = airports.get(code)
                    if found is None:
                        raise InputError(
                            f"unknown IATA airport code {code!r}",
                            source=path,
                            line=line,
                            field=name,
                        )
                    iso3 = reg.resolve(airportsdata_iso2(found), source=path, line=line, field=name)
                    latlon = (found["lat"], found["lon"])
                node_of[code] = len(nodes)
                nodes.append(code)
                country.append(iso3)
                coords.append(latlon)
            ends[k, side] = node_of[code]
    value = np.array([r[3] for r in rows])
    flows = flows_from_edges(len(nodes), ends[:, 0], ends[:, 1], value)
    codes = sorted(set(country))
    pops = dict(zip(codes, country_populations(codes, year), strict=True))
    _check_within_population(path, rows, np.asarray(country)[ends], value, pops)
    if level == "airport":
        degree = np.asarray(flows.sum(axis=0)).ravel() + np.asarray(flows.sum(axis=1)).ravel()
        population = catchments(np.asarray(country), degree, pops)
    else:
        population = np.array([pops[c] for c in country])
    notes = f"{len(rows)} rows of travellers per day"
    if balanced:
        flows = balance(flows)
        notes += "; balanced by F -> (F + F^T)/2"
    return Network(
        nodes=tuple(nodes),
        country=tuple(country),
        population=population,
        flows=flows,
        level=level,
        source=f"OD file {path}",
        notes=notes,
        coords=np.array(coords, dtype=float),
    )
