"""The engine's one hook per day: multipliers on travel and transmission, transfers of people.

`policy/` builds a `Schedule`; the engine calls it once per simulated day with the current state
and applies whatever `Modifiers` it returns. The engine knows no policy by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from .disease import Disease


@dataclass(frozen=True)
class Transfer:
    """Move a fraction of the people in `source` to `target` today (vaccination, quarantine...).

    `fraction` is a number, one value per node `(nodes,)`, or per run and node `(runs, nodes)`.
    """

    source: str
    target: str
    fraction: float | np.ndarray


@dataclass(frozen=True)
class Modifiers:
    """Today's changes. Arrays may carry a leading runs axis to differ between runs.

    travel: multiplier per link `(links,)`, in the order of `network.flows` (CSR `.data`).
    transmission: multiplier of the force of infection per node `(nodes,)`.
    transfers: people moved between compartments before today's transitions.
    travel_by_compartment: share in [0, 1] of the travellers of each compartment who get through,
        per link and compartment `(links, compartments)` (CSR order, like `travel`): screening,
        tests, quarantine. Travellers who do not pass stay at their origin.
    """

    travel: np.ndarray | None = None
    transmission: np.ndarray | None = None
    transfers: tuple[Transfer, ...] = field(default_factory=tuple)
    travel_by_compartment: np.ndarray | None = None

    def combine(self, other: Modifiers) -> Modifiers:
        """Both at once: multipliers multiply, transfers add up in order."""
        return Modifiers(
            travel=_times(self.travel, other.travel),
            transmission=_times(self.transmission, other.transmission),
            transfers=(*self.transfers, *other.transfers),
            travel_by_compartment=_times(self.travel_by_compartment, other.travel_by_compartment),
        )


class Schedule(Protocol):
    """Called once per day: `state` is `(runs, nodes, ages, compartments)` at the start of the day."""

    def __call__(self, day: int, state: np.ndarray) -> Modifiers | None: ...


@dataclass(frozen=True)
class Window:
    """Modifiers in force from `start` (inclusive) to `end` (exclusive), in days from the start."""

    start: int
    end: int
    modifiers: Modifiers


@dataclass(frozen=True)
class WindowSchedule:
    """A schedule made of time windows; overlapping windows combine."""

    windows: Sequence[Window]

    def __call__(self, day: int, state: np.ndarray) -> Modifiers | None:
        active = [w.modifiers for w in self.windows if w.start <= day < w.end]
        if not active:
            return None
        out = active[0]
        for m in active[1:]:
            out = out.combine(m)
        return out


@dataclass(frozen=True)
class Combined:
    """Several schedules at once (e.g. a forecast's transmission and a measure's travel):
    today's modifiers of each, combined in order."""

    schedules: Sequence[Schedule]

    def __call__(self, day: int, state: np.ndarray) -> Modifiers | None:
        out = None
        for schedule in self.schedules:
            mods = schedule(day, state)
            if mods is not None:
                out = mods if out is None else out.combine(mods)
        return out


def multipliers(
    mods: Modifiers | None, runs: int, nodes: int, links: int
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Today's transmission `(runs, nodes)` and travel `(runs, links)` multipliers, checked;
    None where the modifiers leave them at 1."""
    if mods is None:
        return None, None
    out = []
    for arr, size, name in (
        (mods.transmission, nodes, "transmission"),
        (mods.travel, links, "travel"),
    ):
        if arr is None:
            out.append(None)
            continue
        v = np.asarray(arr, dtype=float)
        try:
            v = np.ascontiguousarray(np.broadcast_to(v, (runs, size)))
        except ValueError:
            raise ValueError(
                f"Modifiers.{name}: expected shape ({size},) or (runs, {size}), got {v.shape}"
            ) from None
        if (v < 0).any() or not np.isfinite(v).all():
            raise ValueError(f"Modifiers.{name}: multipliers must be finite and >= 0")
        out.append(v)
    return out[0], out[1]


def pass_factors(mods: Modifiers | None, runs: int, links: int, comps: int) -> np.ndarray:
    """Today's pass factors `(links, compartments)` or `(runs, links, compartments)`, checked;
    an empty `(0, compartments)` array when everyone passes."""
    arr = None if mods is None else mods.travel_by_compartment
    if arr is None:
        return np.zeros((0, comps))
    v = np.asarray(arr, dtype=float)
    if v.shape not in ((links, comps), (runs, links, comps)):
        raise ValueError(
            f"Modifiers.travel_by_compartment: expected shape ({links}, {comps}) or "
            f"(runs, {links}, {comps}), got {v.shape}"
        )
    if not np.isfinite(v).all() or (v < 0).any() or (v > 1).any():
        raise ValueError("Modifiers.travel_by_compartment: pass factors must be in [0, 1]")
    return np.ascontiguousarray(v)


def apply_transfers(
    x: np.ndarray, mods: Modifiers, d: Disease, run: int, stochastic: bool, gen: np.random.Generator
) -> None:
    """Apply today's transfers to one run's state `(nodes, ages, compartments)`."""
    n, ages = x.shape[0], x.shape[1]
    for tr in mods.transfers:
        s, t = d.index(tr.source), d.index(tr.target)
        f = np.asarray(tr.fraction, dtype=float)
        if f.ndim == 3:  # (runs, nodes, ages)
            f = f[run]
        elif f.ndim == 2:  # (runs, nodes)
            f = f[run][:, None]
        else:
            f = np.broadcast_to(f, (n,))[:, None]
        if f.shape not in ((n, 1), (n, ages)):
            raise ValueError(
                f"Transfer.fraction: expected shape (nodes,), (runs, nodes) or "
                f"(runs, nodes, ages), got {np.shape(tr.fraction)}"
            )
        f = np.clip(f, 0.0, 1.0)
        moved = gen.binomial(x[:, :, s], f) if stochastic else x[:, :, s] * f
        x[:, :, s] -= moved
        x[:, :, t] += moved


def _times(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return b
    if b is None:
        return a
    return np.asarray(a) * np.asarray(b)
