"""The basic reproduction number from the next-generation matrix, and `beta` from a target R0.

The engine is a discrete-time chain with time step `dt`: a person in a compartment left at total
rate h stays on average `dt / (1 - exp(-h dt))` days (counted in the force of infection at the start
of each step), not `1/h`. `reproduction_number(..., dt=dt)` uses those sojourn times, so a disease
calibrated to R0 has exactly that R0 in the engine; `dt=None` gives the continuous-time R0.
"""

from __future__ import annotations

import numpy as np

from epicommons.errors import InputError

from .disease import Disease


def reproduction_number(
    disease: Disease,
    rates: np.ndarray,
    weights: np.ndarray,
    contacts: np.ndarray,
    population: np.ndarray,
    dt: float | None = None,
) -> float:
    """Spectral radius of the next-generation matrix at the disease-free state.

    `contacts` is `(A, A)` (contacts per day, row = age of the person), `population` `(A,)`.
    """
    names = disease.compartment_names
    infected = [i for i, c in enumerate(disease.compartments) if c.infected]
    pos = {c: k for k, c in enumerate(infected)}
    n_inf = len(infected)
    hazard = np.zeros(n_inf)
    branch = np.zeros((n_inf, n_inf))
    entries: list[tuple[int, int]] = []  # (transition, entry compartment position)
    for t, tr in enumerate(disease.transitions):
        s, d = names.index(tr.source), names.index(tr.target)
        if tr.mediated:
            if s not in pos and d in pos:
                entries.append((t, pos[d]))
            continue
        if s in pos:
            hazard[pos[s]] += rates[t]
            if d in pos:
                branch[pos[s], pos[d]] += rates[t]
    if not entries:
        raise InputError("no mediated transition from an uninfected to an infected compartment")
    if (hazard <= 0).any():
        stuck = [names[infected[k]] for k in np.flatnonzero(hazard <= 0)]
        raise InputError(f"infected compartment(s) {', '.join(stuck)} have no way out")
    branch /= hazard[:, None]
    sojourn = 1.0 / hazard if dt is None else dt / -np.expm1(-hazard * dt)
    # time[e, c]: expected days in infected compartment c after entering at e
    time = np.linalg.solve(np.eye(n_inf) - branch, np.eye(n_inf)) * sojourn[None, :]
    groups = population.shape[0]
    n = np.maximum(population, 1e-300)
    mix = contacts * population[:, None] / n[None, :]  # (a, b): infections of a per infected b
    entry_pos = sorted({e for _, e in entries})
    k = np.zeros((groups * len(entry_pos), groups * len(entry_pos)))
    for t, e in entries:
        w = weights[t, infected]  # infectiousness of each infected compartment
        per_entry = time[entry_pos] @ w  # (entries,) infectiousness-days per entry compartment
        row = entry_pos.index(e)
        for col, _ in enumerate(entry_pos):
            k[row :: len(entry_pos), col :: len(entry_pos)] += rates[t] * mix * per_entry[col]
    return float(np.max(np.abs(np.linalg.eigvals(k))))


def resolve_parameters(
    disease: Disease, contacts: np.ndarray, population: np.ndarray, dt: float | None
) -> dict[str, float]:
    """Parameter values with the one unset transmission parameter solved from `R0` if given."""
    params = dict(disease.parameters)
    unknown = disease.unknown_parameters()
    if "R0" not in params:
        if unknown:
            raise InputError(
                f"parameter(s) {', '.join(sorted(unknown))} not set (or give R0)",
                field="parameters",
            )
        return params
    if len(unknown) != 1:
        what = "none" if not unknown else ", ".join(sorted(unknown))
        raise InputError(
            f"R0 needs exactly one unset transmission parameter to solve for "
            f"(unset: {what}); remove R0 or the transmission rate",
            field="parameters.R0",
        )
    (name,) = unknown
    r0 = []
    for trial in (1.0, 2.0):
        trial_params = {**params, name: trial}
        r0.append(
            reproduction_number(
                disease,
                disease.rates(trial_params),
                disease.weights(trial_params),
                contacts,
                population,
                dt,
            )
        )
    if r0[0] <= 0 or abs(r0[1] - 2 * r0[0]) > 1e-9 * r0[1]:
        raise InputError(
            f"cannot solve {name} from R0: R0 is not proportional to {name}", field="parameters.R0"
        )
    params[name] = params["R0"] / r0[0]
    return params
