"""Acting alone versus acting together: the same outbreak, the same border measures, applied
either by each member on its own or coordinated across a group.

- *none*: no measures.
- *alone*: each member applies the measures to arrivals from the source country only (what a
  country protecting itself from a known outbreak does by itself).
- *together*: the members apply the measures at their common external border, to arrivals from
  every country outside the group; travel between members is left open.

All three share their random streams (common random numbers), so each member's outcomes are
compared run by run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date

import numpy as np
import pandas as pd

from epicommons.errors import InputError
from epicommons.model.engine import Model
from epicommons.model.seeding import Seed
from epicommons.policy import compile_interventions, parse_interventions, targets

from .compare import Outcomes, outcomes
from .outbreak import quantile_days, run_ensemble


def plans(
    members: Sequence[str],
    direct: Sequence[str],
    source: str,
    others: Sequence[str],
    measures: Sequence[Mapping[str, object]],
) -> dict[str, list[dict]]:
    """Intervention tables of the three strategies from measure templates without targets.

    Acting alone, only members with a direct route from the source have something to act on.
    """
    for i, m in enumerate(measures):
        for key in ("from", "to", "between", "group", "countries"):
            if key in m:
                raise InputError(
                    "a measure template must not name its target; the study sets it",
                    field=f"measures[{i}].{key}",
                )
    alone = [{**m, "from": [source], "to": [c]} for c in direct for m in measures]
    together = [{**m, "from": list(others), "to": list(members)} for m in measures]
    return {"none": [], "alone": alone, "together": together}


def alone_versus_together(
    model: Model,
    seeds: Sequence[Seed],
    source: str,
    members: Sequence[str],
    measures: Sequence[Mapping[str, object]],
    start: date,
    days: int,
    runs: int,
    seed: int,
    stochastic: bool = True,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Each member's outcomes under no measures, acting alone and acting together.

    Columns: country; arrival_day_median for none/alone/together; importations (expected
    infected arrivals over the horizon, mean over runs) and infections (mean) under each; the
    paired gain of together over alone: arrival delay (days, mean over runs where the member is
    reached when acting alone; never-reached counted as the horizon) and importations averted,
    each with a 95% t-interval. A last row `GROUP` sums the members.
    """
    net = model.network
    members = sorted(set(members))
    present = set(net.country)
    missing = [c for c in members if c not in present]
    if missing:
        raise InputError(f"{', '.join(missing)} have no node in the network", field="members")
    if source in members:
        raise InputError(f"the source {source} must not be a member of the group", field="source")
    others = sorted(present - set(members))
    outs: dict[str, Outcomes] = {}
    o, d = targets.link_ends(net)
    direct = sorted(set(d[o == source]) & set(members))
    for name, tables in plans(members, direct, source, others, measures).items():
        items = parse_interventions(tables)
        schedule = (
            compile_interventions(
                items, net, model.disease, start, days, age_groups=model.ages.groups
            )
            if items
            else None
        )
        ens = run_ensemble(
            model,
            seeds,
            days,
            runs,
            seed,
            schedule=schedule,
            start=start,
            stochastic=stochastic,
            progress=progress,
        )
        outs[name] = outcomes(name, ens)
    return _table(outs, members)


def _interval(d: np.ndarray) -> tuple[float, float, float]:
    from scipy import stats

    d = d[np.isfinite(d)]
    if d.size < 2:
        return (float(d.mean()) if d.size else np.nan, np.nan, np.nan)
    m = float(d.mean())
    h = float(stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size))
    return m, m - h, m + h


def _table(outs: Mapping[str, Outcomes], members: Sequence[str]) -> pd.DataFrame:
    countries = outs["none"].countries
    idx = [countries.index(c) for c in members]
    horizon = float(outs["none"].days)
    rows = []
    for g, country in zip(idx, members, strict=True):
        row: dict[str, object] = {"country": country}
        for name, o in outs.items():
            row[f"arrival_{name}"] = float(quantile_days(o.arrival[:, [g]], 0.5)[0])
        for name, o in outs.items():
            row[f"importations_{name}"] = float(o.importations[:, g].mean())
        for name, o in outs.items():
            row[f"infections_{name}"] = float(o.infections[:, g].mean())
        a, t = outs["alone"], outs["together"]
        delay = np.where(
            np.isnan(a.arrival[:, g]),
            np.nan,
            np.where(np.isnan(t.arrival[:, g]), horizon, t.arrival[:, g]) - a.arrival[:, g],
        )
        row["delay_together_vs_alone"], row["delay_ci_low"], row["delay_ci_high"] = _interval(delay)
        averted = a.importations[:, g] - t.importations[:, g]
        row["averted_together_vs_alone"], row["averted_ci_low"], row["averted_ci_high"] = _interval(
            averted
        )
        rows.append(row)
    total: dict[str, object] = {"country": "GROUP"}
    for name, o in outs.items():
        total[f"importations_{name}"] = float(o.importations[:, idx].sum(axis=1).mean())
        total[f"infections_{name}"] = float(o.infections[:, idx].sum(axis=1).mean())
    a, t = outs["alone"], outs["together"]
    total["averted_together_vs_alone"], total["averted_ci_low"], total["averted_ci_high"] = (
        _interval(a.importations[:, idx].sum(axis=1) - t.importations[:, idx].sum(axis=1))
    )
    rows.append(total)
    return pd.DataFrame(rows)
