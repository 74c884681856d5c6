"""The engine's one hook per day: multipliers on travel and transmission, transfers of people.

`policy/` builds a `Schedule`; the engine calls it once per simulated day with the current state
and applies whatever `Modifiers` it returns. The engine knows no policy by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


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


def _times(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return b
    if b is None:
        return a
    return np.asarray(a) * np.asarray(b)
