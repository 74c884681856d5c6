"""Johansson et al. 2021 (BMC Med 19:94): quarantine and symptom monitoring after arrival.

Published (infection 0-7 days before arrival): a 14-day quarantine without monitoring or
testing reduces post-travel transmission risk by 96-100% (97-100% in the preprint);
isolation on symptom onset alone reduces it by 42-56%.

Ours: the natural history of the COVID-like preset (Davies et al. 2020 stage means, exponential
stages) and the same means with Erlang-3 stages (less dispersed durations, closer to the
gamma/lognormal distributions Johansson et al. used); infection time uniform over the 7 days
before arrival; transmission risk = expected infectiousness-weighted days in the community,
p (-Q)^-1 w, computed with scipy.linalg.expm.

Run: .venv/bin/python scripts/validation/quarantine_johansson.py
"""

from __future__ import annotations

from epicommons.model.disease import Disease
from epicommons.model.presets import covid_like
from epicommons.policy.natural_history import Quarantine, history, risk_after_arrival, staged


def figures(disease: Disease, start: str, symptomatic: tuple[str, ...]) -> tuple[float, ...]:
    h = history(disease)
    p = h.averaged(h.start(start), 7.0)
    base = risk_after_arrival(h, p)
    q14 = 1 - risk_after_arrival(h, p, Quarantine(14)) / base
    q7m = (
        1
        - risk_after_arrival(h, p, Quarantine(7, isolate_on=symptomatic), monitor=symptomatic)
        / base
    )
    mon = 1 - risk_after_arrival(h, p, monitor=symptomatic) / base
    return q14, mon, q7m


def main() -> None:
    print(
        "| natural history | 14-day quarantine | symptom monitoring only | "
        "7-day quarantine + monitoring |"
    )
    print("|---|---|---|---|")
    print("| published (Johansson et al. 2021) | 96-100% | 42-56% | - |")
    q14, mon, q7 = figures(covid_like(), "E", ("Is",))
    print(f"| COVID-like preset (exponential stages) | {q14:.1%} | {mon:.1%} | {q7:.1%} |")
    for k in (2, 3):
        sym = tuple(f"Is.{i}" for i in range(k))
        q14, mon, q7 = figures(staged(covid_like(), k), "E.0", sym)
        print(f"| same means, Erlang-{k} stages | {q14:.1%} | {mon:.1%} | {q7:.1%} |")


if __name__ == "__main__":
    main()
