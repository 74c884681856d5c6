"""Pledges and deliveries: who promised what to whom, what arrived, and the reports built on them.

Storage-free: the hub stores records with the schema below and rebuilds a `Ledger` from them.
A pledge goes to a member or to a pool (e.g. "COVAX"); a delivery names the pledge it fulfils (or
none, for an unpledged gift) and always the member that received it.

Record schema (field: type, meaning)::

    Pledge:   pledge_id: str, donor: str, recipient: str, item: str, quantity: float > 0,
              date: date, unit: str = "unit", note: str = ""
    Delivery: delivery_id: str, pledge_id: str | None, donor: str, recipient: str (a member),
              item: str, quantity: float > 0, date: date, note: str = ""
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import MISSING, asdict, dataclass, fields

import pandas as pd

from epicommons.errors import InputError


@dataclass(frozen=True)
class Pledge:
    """A promise of `quantity` of `item` from `donor` to a member or a pool."""

    pledge_id: str
    donor: str
    recipient: str
    item: str
    quantity: float
    date: dt.date
    unit: str = "unit"
    note: str = ""


@dataclass(frozen=True)
class Delivery:
    """Units that reached `recipient` (a member), against `pledge_id` if any."""

    delivery_id: str
    pledge_id: str | None
    donor: str
    recipient: str
    item: str
    quantity: float
    date: dt.date
    note: str = ""


PLEDGE_FIELDS = tuple(f.name for f in fields(Pledge))
DELIVERY_FIELDS = tuple(f.name for f in fields(Delivery))


def _date(value: object, where: dict) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"expected a date YYYY-MM-DD, got {value!r}", **where) from None


def _record(cls: type, data: Mapping[str, object], source: str, line: int | None):
    """Build a Pledge or Delivery from a mapping, checking types; errors name the record and field."""
    names = {f.name: f for f in fields(cls)}
    unknown = set(data) - set(names)
    if unknown:
        raise InputError(f"unknown field(s) {sorted(unknown)}", source=source, line=line)
    values = {}
    for name, f in names.items():
        where = {"source": source, "line": line, "field": name}
        if name not in data or data[name] in (None, ""):
            if name == "pledge_id" and cls is Delivery:
                values[name] = None
                continue
            if f.default is not MISSING:
                values[name] = f.default
                continue
            raise InputError("missing value", **where)
        value = data[name]
        if name == "quantity":
            try:
                value = float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise InputError(f"expected a number, got {value!r}", **where) from None
            if not value > 0 or not math.isfinite(value):
                raise InputError(f"expected a finite quantity > 0, got {value!r}", **where)
        elif name == "date":
            value = _date(value, where)
        else:
            value = str(value).strip()
        values[name] = value
    return cls(**values)


@dataclass(frozen=True, eq=False)
class Ledger:
    """Pledges and deliveries, checked against each other.

    Checks: ids unique; a delivery's pledge exists and has the same donor and item; a pledge to a
    member is delivered to that member; deliveries may exceed their pledge (reported, not refused).
    """

    pledges: tuple[Pledge, ...]
    deliveries: tuple[Delivery, ...]
    pools: frozenset[str] = frozenset({"COVAX"})

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for k, p in enumerate(self.pledges):
            if p.pledge_id in seen:
                raise InputError(
                    f"duplicate pledge id {p.pledge_id!r}",
                    source="pledges",
                    line=k + 1,
                    field="pledge_id",
                )
            seen.add(p.pledge_id)
        by_id = {p.pledge_id: p for p in self.pledges}
        seen = set()
        for k, d in enumerate(self.deliveries):
            where = {"source": "deliveries", "line": k + 1}
            if d.delivery_id in seen:
                raise InputError(
                    f"duplicate delivery id {d.delivery_id!r}", field="delivery_id", **where
                )
            seen.add(d.delivery_id)
            if d.recipient in self.pools:
                raise InputError(
                    f"a delivery goes to a member, not to the pool {d.recipient!r}",
                    field="recipient",
                    **where,
                )
            if d.pledge_id is None:
                continue
            p = by_id.get(d.pledge_id)
            if p is None:
                raise InputError(f"no pledge {d.pledge_id!r}", field="pledge_id", **where)
            for name in ("donor", "item"):
                if getattr(d, name) != getattr(p, name):
                    raise InputError(
                        f"{name} {getattr(d, name)!r} differs from pledge {p.pledge_id!r} "
                        f"({getattr(p, name)!r})",
                        field=name,
                        **where,
                    )
            if p.recipient not in self.pools and d.recipient != p.recipient:
                raise InputError(
                    f"pledge {p.pledge_id!r} is for {p.recipient!r}, delivered to {d.recipient!r}",
                    field="recipient",
                    **where,
                )

    @classmethod
    def from_records(
        cls,
        pledges: Iterable[Mapping[str, object]],
        deliveries: Iterable[Mapping[str, object]],
        pools: Iterable[str] = ("COVAX",),
    ) -> Ledger:
        """Ledger from plain records (dicts, e.g. database rows or CSV rows)."""
        p = tuple(_record(Pledge, r, "pledges", k + 1) for k, r in enumerate(pledges))
        d = tuple(_record(Delivery, r, "deliveries", k + 1) for k, r in enumerate(deliveries))
        return cls(p, d, frozenset(pools))

    def to_records(self) -> tuple[list[dict], list[dict]]:
        """Plain records of pledges and deliveries (dates as ISO strings)."""

        def plain(obj) -> dict:
            row = asdict(obj)
            row["date"] = row["date"].isoformat()
            return row

        return [plain(p) for p in self.pledges], [plain(d) for d in self.deliveries]

    def frames(self, as_of: dt.date | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Pledges and deliveries as DataFrames, keeping records dated on or before `as_of`."""
        p = pd.DataFrame([asdict(x) for x in self.pledges], columns=list(PLEDGE_FIELDS))
        d = pd.DataFrame([asdict(x) for x in self.deliveries], columns=list(DELIVERY_FIELDS))
        if as_of is not None:
            p = p[p["date"] <= as_of]
            d = d[d["date"] <= as_of]
        p["quantity"] = p["quantity"].astype(float)
        d["quantity"] = d["quantity"].astype(float)
        return p, d

    def by_pledge(self, as_of: dt.date | None = None) -> pd.DataFrame:
        """Each pledge with the quantity delivered against it, outstanding and over-delivered."""
        p, d = self.frames(as_of)
        got = d.groupby("pledge_id")["quantity"].sum()
        out = p[["pledge_id", "donor", "recipient", "item", "quantity", "date"]].rename(
            columns={"quantity": "pledged"}
        )
        out["delivered"] = out["pledge_id"].map(got).fillna(0.0)
        out["outstanding"] = (out["pledged"] - out["delivered"]).clip(lower=0.0)
        out["over_delivered"] = (out["delivered"] - out["pledged"]).clip(lower=0.0)
        return out.reset_index(drop=True)

    def by_donor(self, as_of: dt.date | None = None) -> pd.DataFrame:
        """Pledged versus delivered per donor and item (unpledged gifts counted as delivered).

        `share_delivered` is the share of the pledges fulfilled, in [0, 1]; what went beyond the
        pledges (over-deliveries, gifts outside pledges) is in `beyond_pledges`.
        """
        return self._report("donor", as_of)

    def by_recipient(self, as_of: dt.date | None = None) -> pd.DataFrame:
        """Pledged versus delivered per recipient (member or pool) and item.

        Deliveries from pool pledges count under the pool as fulfilment and under the member as
        received, so the `delivered` column of a pool row is what the pool passed on.
        """
        p, d = self.frames(as_of)
        pool_of = p.set_index("pledge_id")["recipient"]
        via = d["pledge_id"].map(pool_of)
        pooled = via.isin(self.pools)
        d_pool = d[pooled].assign(recipient=via[pooled])
        d_all = pd.concat([d, d_pool], ignore_index=True)
        # A member's deliveries through a pool are not beyond its own pledges: no such column here.
        return self._report("recipient", as_of, deliveries=d_all).drop(columns="beyond_pledges")

    def _report(self, key: str, as_of, deliveries: pd.DataFrame | None = None) -> pd.DataFrame:
        p, d = self.frames(as_of)
        if deliveries is not None:
            d = deliveries
        pledged = p.groupby([key, "item"])["quantity"].sum().rename("pledged")
        delivered = d.groupby([key, "item"])["quantity"].sum().rename("delivered")
        # What was delivered against each pledge, up to the pledge: a share of what was pledged,
        # so over-deliveries and gifts outside pledges never lift it above 1.
        per_pledge = self.by_pledge(as_of)
        per_pledge["fulfilled"] = per_pledge["delivered"].clip(upper=per_pledge["pledged"])
        fulfilled = per_pledge.groupby([key, "item"])["fulfilled"].sum()
        out = pd.concat([pledged, delivered, fulfilled], axis=1).fillna(0.0).reset_index()
        out["beyond_pledges"] = (out["delivered"] - out["fulfilled"]).clip(lower=0.0)
        out["share_delivered"] = (out["fulfilled"] / out["pledged"]).where(out["pledged"] > 0)
        out = out.drop(columns="fulfilled")
        return out.sort_values([key, "item"]).reset_index(drop=True)

    def members_assisted(self, as_of: dt.date | None = None) -> int:
        """How many distinct members received at least one delivery."""
        _, d = self.frames(as_of)
        return int(d["recipient"].nunique())
