"""The optimised arm of the vaccine cooperation study: the allocator's plan (objective deaths
averted) on response curves sampled from the study's own runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from epicommons.assist.problem import AllocationProblem, Item
from epicommons.assist.response import ResponseCurve
from epicommons.assist.solve import solve
from epicommons.backend import Backend
from epicommons.world.network import Network

from .vaccine_cooperation import StudySetting, run_study


def optimised_plan(
    network: Network,
    setting: StudySetting,
    *,
    levels: Sequence[float] = (0.25, 0.5, 1.0, 2.0),
    runs: int = 10,
    seed: int = 0,
    stochastic: bool = True,
    leap_above: float | None = None,
    backend: Backend | None = None,
) -> tuple[np.ndarray, tuple[ResponseCurve, ...]]:
    """Courses per node that maximise deaths averted (allocator, objective "deaths_averted").

    Response curves are sampled from the engine: the whole world vaccinated in proportion to
    population at `levels` x the supply; each country's paired median deaths averted against the
    courses it got gives its samples (its own curve, measured while the others are vaccinated
    alike), made concave by `ResponseCurve.from_samples`. One planning period: the plan's
    shares are then applied to every weekly delivery. The study's runs go to `backend`.
    """
    pop = np.asarray(network.population, dtype=float)
    samples_d, samples_b = [], []
    for level in levels:
        s = replace(setting, supply=setting.supply * level)
        res = run_study(
            network,
            s,
            runs=runs,
            seed=seed,
            arms=("none", "proportional"),
            stochastic=stochastic,
            leap_above=leap_above,
            backend=backend,
        )
        samples_d.append(res.given[1])
        samples_b.append(np.maximum(np.median(res.deaths[0] - res.deaths[1], axis=0), 0.0))
    d, b = np.array(samples_d), np.array(samples_b)  # (levels, nodes)
    members = tuple(network.nodes)
    curves = tuple(
        ResponseCurve.from_samples(m, "vaccine", d[:, i], b[:, i])
        for i, m in enumerate(members)
        if d[:, i].max() > 0
    )
    m = len(members)
    need = pop[:, None, None].copy()
    problem = AllocationProblem(
        members=members,
        names=members,
        population=pop,
        threat=np.ones(m),
        request_order=np.arange(m),
        items=(Item("vaccine", unit="course"),),
        arrivals=np.array([[setting.supply]]),
        need=need,
        severity=np.ones_like(need),
        item_capacity=np.full_like(need, np.inf),
        total_capacity=np.full((m, 1), np.inf),
        earmarked=np.zeros_like(need),
        objective="deaths_averted",
        curves=curves,
        name="vaccine cooperation study",
    )
    return solve(problem).delivered[:, 0, 0], curves
