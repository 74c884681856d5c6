"""`AssessmentInputs`: what an assessment reads — members' count histories as known on a date,
stocks, pledges, populations and the network — checked once, and their sha256 stamp."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from epicommons.errors import InputError

if TYPE_CHECKING:
    from epicommons.world.network import Network

COUNT_COLUMNS = ("location", "reference_date", "report_date", "count")
STOCK_COLUMNS = ("location", "item", "quantity", "date")
PLEDGE_COLUMNS = ("donor", "item", "pledged", "delivered")


@dataclass(frozen=True)
class AssessmentInputs:
    """Members' long reporting triangles (`counts`: what was added on `report_date` for
    `reference_date`, may be negative), stocks per item, pledges; every date on or before `as_of`.
    `population` None: the world registry; `network` None: the options' network."""

    as_of: datetime.date
    members: tuple[str, ...]
    counts: pd.DataFrame
    stocks: pd.DataFrame
    pledges: pd.DataFrame
    population: Mapping[str, float] | None = None
    network: Network | None = None

    def checked(self) -> AssessmentInputs:
        """The same inputs with typed columns, sorted; an InputError names the first problem."""
        if not self.members:
            raise InputError("expected at least one member to assess", field="members")
        if len(set(self.members)) != len(self.members):
            dup = next(m for m in self.members if self.members.count(m) > 1)
            raise InputError(f"member {dup!r} is listed twice", field="members")
        day = np.datetime64(self.as_of, "D")
        counts = _typed(
            self.counts, "counts", COUNT_COLUMNS, dates=("reference_date", "report_date")
        )
        counts["count"] = _numbers(counts, "counts", "count", whole=True)
        late = counts["report_date"].to_numpy("datetime64[D]") > day
        _refuse(counts, late, "counts", "report_date", f"a report date on or before {day}")
        early = counts["report_date"] < counts["reference_date"]
        _refuse(
            counts,
            early.to_numpy(),
            "counts",
            "report_date",
            "a report on or after its reference date",
        )
        stocks = _typed(self.stocks, "stocks", STOCK_COLUMNS, dates=("date",))
        stocks["quantity"] = _numbers(stocks, "stocks", "quantity", low=0.0)
        after = stocks["date"].to_numpy("datetime64[D]") > day
        _refuse(stocks, after, "stocks", "date", f"a stock date on or before {day}")
        pledges = _typed(self.pledges, "pledges", PLEDGE_COLUMNS)
        pledges["pledged"] = _numbers(pledges, "pledges", "pledged", low=0.0)
        pledges["delivered"] = _numbers(pledges, "pledges", "delivered", low=0.0)
        over = (pledges["delivered"] > pledges["pledged"]).to_numpy()
        _refuse(pledges, over, "pledges", "delivered", "at most what was pledged")
        if self.population is not None:
            for member in self.members:
                value = self.population.get(member)
                if value is None or not np.isfinite(value) or value <= 0:
                    raise InputError(
                        f"expected a population > 0 for member {member}, got {value!r}",
                        field="population",
                    )
        return AssessmentInputs(
            self.as_of,
            tuple(self.members),
            counts.sort_values(
                ["location", "reference_date", "report_date"], kind="stable"
            ).reset_index(drop=True),
            stocks.sort_values(["location", "item", "date"], kind="stable").reset_index(drop=True),
            pledges.reset_index(drop=True),
            None if self.population is None else dict(self.population),
            self.network,
        )

    def stamp(self, past: pd.DataFrame | None = None) -> str:
        """sha256 of everything the assessment reads (canonical CSV of each table), and of the
        earlier forecasts it scores when given (`track.checked_past`)."""
        digest = hashlib.sha256()
        digest.update(f"{self.as_of.isoformat()}\n{','.join(self.members)}\n".encode())
        for frame in (self.counts, self.stocks, self.pledges):
            digest.update(frame.to_csv(index=False, date_format="%Y-%m-%d").encode())
        if past is not None and len(past):  # nothing to score reads nothing
            digest.update(b"past forecasts\n")
            digest.update(past.to_csv(index=False, date_format="%Y-%m-%d").encode())
        if self.population is not None:
            for key in sorted(self.population):
                digest.update(f"{key},{float(self.population[key])!r}\n".encode())
        if self.network is not None:
            net = self.network
            digest.update(",".join(net.nodes).encode())
            digest.update(np.ascontiguousarray(net.population, dtype=float).tobytes())
            for part in (net.flows.indptr, net.flows.indices, net.flows.data):
                digest.update(np.ascontiguousarray(part).tobytes())
        return digest.hexdigest()


def _typed(frame: pd.DataFrame, table: str, columns: tuple[str, ...], dates=()) -> pd.DataFrame:
    """The table's columns (others dropped), text as str and dates as datetime64[D]."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"expected columns {', '.join(columns)}; missing {', '.join(missing)}", source=table
        )
    out = frame.loc[:, list(columns)].copy()
    for column in columns:
        if column in dates:
            parsed = pd.to_datetime(out[column], format="ISO8601", errors="coerce")
            bad = parsed.isna().to_numpy()
            _refuse(out, bad, table, column, "a date YYYY-MM-DD")
            if parsed.dt.tz is not None:  # a time zone (the hub's timestamps): its UTC day
                parsed = parsed.dt.tz_convert(None)
            out[column] = parsed.dt.normalize()
        elif column in ("location", "item", "donor"):
            out[column] = out[column].astype(str).str.strip()
            _refuse(out, (out[column] == "").to_numpy(), table, column, "a name")
    return out


def _numbers(frame: pd.DataFrame, table: str, column: str, *, low=None, whole=False) -> pd.Series:
    """A numeric column: finite, >= low, whole numbers when `whole`."""
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = ~np.isfinite(values.to_numpy(float))
    what = "a whole number" if whole else "a number"
    if low is not None:
        what += f" >= {low:g}"
        bad |= np.nan_to_num(values.to_numpy(float), nan=0.0) < low
    if whole:
        v = np.nan_to_num(values.to_numpy(float))
        bad |= v != np.round(v)
    _refuse(frame, bad, table, column, what)
    return values.astype(float)


def _refuse(frame: pd.DataFrame, bad: np.ndarray, table: str, column: str, what: str) -> None:
    """One InputError naming the first bad row: its line in the file the table was read from
    (the row's index + 2, as `read_inputs` keeps it; a header line comes first)."""
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        label = frame.index[i]
        line = int(label) + 2 if isinstance(label, int | np.integer) else i + 2
        value = frame[column].iloc[i]
        shown = str(value.date()) if isinstance(value, pd.Timestamp) else repr(value)
        raise InputError(
            f"expected {what}, got {shown}",
            source=table,
            line=line,
            field=column,
        )
