"""The natural history of one infected person, from a `Disease`'s spontaneous transitions.

Over the infected compartments the transitions form a sub-generator Q (rates out of a
compartment on the diagonal, negative; leaving the infected set is absorption). A person's
compartment distribution after t days is p expm(Q t); the infectiousness still to come is
p (-Q)^-1 w, with w the compartments' infectiousness weights. Pre-departure tests, arrival
quarantine and symptom monitoring act through this chain rather than as flat percentages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.linalg import expm

from epicommons.errors import InputError
from epicommons.model import expressions
from epicommons.model.disease import Disease, Transition


@dataclass(frozen=True)
class History:
    """Sub-generator over the infected compartments and their infectiousness weights."""

    names: tuple[str, ...]
    generator: np.ndarray
    infectiousness: np.ndarray

    def index(self, name: str) -> int:
        if name not in self.names:
            raise InputError(
                f"{name!r} is not an infected compartment; expected one of {', '.join(self.names)}"
            )
        return self.names.index(name)

    def start(self, name: str) -> np.ndarray:
        """A person who is certainly in compartment `name`."""
        p = np.zeros(len(self.names))
        p[self.index(name)] = 1.0
        return p

    def after(self, p: np.ndarray, days: float) -> np.ndarray:
        """Compartment distribution `days` later (mass lost = no longer infected)."""
        return np.asarray(p) @ expm(self.generator * days)

    def averaged(self, p: np.ndarray, days: float) -> np.ndarray:
        """Distribution at a time uniform on [0, days] after p: (1/T) int_0^T p expm(Qs) ds,
        exactly, via the top-right block of expm([[Q, I], [0, 0]] T)."""
        k = len(self.names)
        if days <= 0:
            return np.asarray(p, dtype=float)
        big = np.zeros((2 * k, 2 * k))
        big[:k, :k] = self.generator
        big[:k, k:] = np.eye(k)
        return np.asarray(p) @ expm(big * days)[:k, k:] / days

    def remaining_infectiousness(self, p: np.ndarray) -> float:
        """Expected infectiousness-weighted days still to come, p (-Q)^-1 w."""
        return float(np.asarray(p) @ np.linalg.solve(-self.generator, self.infectiousness))

    def without(self, names: Sequence[str]) -> History:
        """The chain where entering any of `names` ends it (e.g. isolation at symptom onset)."""
        keep = [i for i, n in enumerate(self.names) if n not in set(names)]
        q = self.generator[np.ix_(keep, keep)].copy()
        return History(tuple(self.names[i] for i in keep), q, self.infectiousness[keep])

    def onto(self, p: np.ndarray, other: History) -> np.ndarray:
        """Re-express a distribution on another chain's compartments (absent ones count 0)."""
        return np.array([p[self.names.index(n)] if n in self.names else 0.0 for n in other.names])


def history(disease: Disease, overrides: Mapping[str, float] | None = None) -> History:
    """Build the infected sub-chain of a disease from its spontaneous transitions."""
    params = {**disease.parameters, **(overrides or {})}
    names = disease.infected_names
    if not names:
        raise InputError("the disease has no infected compartment")
    pos = {n: i for i, n in enumerate(names)}
    q = np.zeros((len(names), len(names)))
    w = np.zeros(len(names))
    for i, t in enumerate(disease.transitions):
        if t.mediated:
            for name, weight in (t.mediated_by or {}).items():
                if name in pos:
                    w[pos[name]] = max(
                        w[pos[name]],
                        expressions.evaluate(
                            weight, params, field=f"transitions[{i}].mediated_by.{name}"
                        ),
                    )
            continue
        if t.source not in pos:
            continue
        r = expressions.evaluate(t.rate, params, field=f"transitions[{i}].rate")
        q[pos[t.source], pos[t.source]] -= r
        if t.target in pos:
            q[pos[t.source], pos[t.target]] += r
    if np.any(np.diag(q) >= 0):
        stuck = [n for n, v in zip(names, np.diag(q), strict=True) if v >= 0]
        raise InputError(
            f"infected compartments {', '.join(stuck)} are never left; an "
            "infection must end for tests and quarantine to be assessed"
        )
    return History(tuple(names), q, w)


@dataclass(frozen=True)
class Quarantine:
    """Arrival quarantine of `days` with a share `compliance` who complete it.

    `isolate_on` names symptomatic compartments whose onset during quarantine leads to
    isolation; `exit_test` optionally tests on release with sensitivity by compartment.
    """

    days: float
    compliance: float = 1.0
    isolate_on: tuple[str, ...] = ()
    exit_test: Mapping[str, float] | None = None


def test_pass(h: History, sensitivity: Mapping[str, float]) -> np.ndarray:
    """Probability that a person in each infected compartment tests negative."""
    miss = np.ones(len(h.names))
    for name, s in sensitivity.items():
        if not 0.0 <= s <= 1.0:
            raise InputError(
                f"test sensitivity must be within [0, 1], got {s}", field=f"sensitivity.{name}"
            )
        miss[h.index(name)] = 1.0 - s
    return miss


def released(h: History, p: np.ndarray, q: Quarantine) -> tuple[History, np.ndarray]:
    """Distribution on release of those who comply (over the chain that still applies)."""
    chain = h.without(q.isolate_on) if q.isolate_on else h
    p_c = h.onto(np.asarray(p, dtype=float), chain)
    out = chain.after(p_c, q.days)
    if q.exit_test:
        out = out * test_pass(chain, {k: v for k, v in q.exit_test.items() if k in chain.names})
    return chain, out


def risk_after_arrival(
    h: History, p: np.ndarray, q: Quarantine | None = None, monitor: Sequence[str] = ()
) -> float:
    """Expected infectiousness an arriving infected person brings to the community.

    Without quarantine everyone enters at once; with it, compliers enter on release and the
    others at once. `monitor` names symptomatic compartments whose onset after entry leads to
    isolation (symptom monitoring).
    """
    after = h.without(monitor) if monitor else h
    direct = after.remaining_infectiousness(h.onto(np.asarray(p, dtype=float), after))
    if q is None:
        return direct
    chain, dist = released(h, p, q)
    return (
        q.compliance * after.remaining_infectiousness(chain.onto(dist, after))
        + (1.0 - q.compliance) * direct
    )


def still_infected_when_released(h: History, p: np.ndarray, q: Quarantine) -> float:
    """Probability an infected arrival is still infected and undetected when released."""
    chain, dist = released(h, p, q)
    return float(q.compliance * dist.sum() + (1.0 - q.compliance) * np.sum(p))


def staged(disease: Disease, k: int) -> Disease:
    """The same disease with every infected compartment split into k sub-stages in series.

    Means and branching are kept (each sub-stage is left at k times the rate), durations become
    Erlang-k (gamma) instead of exponential: less dispersed, as measured incubation and
    infectious periods are. Sub-stage i of X is named `X.i`; infection enters `X.0`.
    """
    if k < 1:
        raise InputError(f"expected k >= 1, got {k}", field="k")
    infected = set(disease.infected_names)

    def first(name: str) -> str:
        return f"{name}.0" if name in infected and k > 1 else name

    comps = []
    for c in disease.compartments:
        if c.name in infected and k > 1:
            comps += [replace(c, name=f"{c.name}.{i}") for i in range(k)]
        else:
            comps.append(c)
    trans = []
    for t in disease.transitions:
        if t.mediated:
            weights = {}
            for name, w in (t.mediated_by or {}).items():
                for i in range(k if name in infected and k > 1 else 1):
                    weights[f"{name}.{i}" if name in infected and k > 1 else name] = w
            trans.append(Transition(first(t.source), first(t.target), t.rate, weights))
            continue
        if t.source in infected and k > 1:
            trans.append(Transition(f"{t.source}.{k - 1}", first(t.target), f"{k} * ({t.rate})"))
        else:
            trans.append(Transition(t.source, first(t.target), t.rate))
    if k > 1:
        for name in disease.infected_names:
            total = " + ".join(
                f"({t.rate})" for t in disease.transitions if not t.mediated and t.source == name
            )
            if total:
                trans += [
                    Transition(f"{name}.{i}", f"{name}.{i + 1}", f"{k} * ({total})")
                    for i in range(k - 1)
                ]
    return Disease(
        f"{disease.name} (Erlang-{k} stages)", tuple(comps), tuple(trans), dict(disease.parameters)
    )
