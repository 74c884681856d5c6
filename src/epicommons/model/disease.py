"""`Disease`: named compartments and the transitions between them, addressed by name.

A transition is *spontaneous* (a per-capita rate) or *mediated* (its rate multiplies the force of
infection, built from infectious compartments each with an infectiousness weight). Compartments say
whether they travel (`mobile`), count as infected (`infected`) and count in the population that
mixes (`alive`). Rates are expressions over `parameters` (see `expressions`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from epicommons.errors import InputError

from . import expressions


@dataclass(frozen=True)
class Compartment:
    """One disease state. `alive=False` (the dead) leaves the mixing population and never travels."""

    name: str
    infected: bool = False
    mobile: bool = True
    alive: bool = True


@dataclass(frozen=True)
class Transition:
    """People leave `source` for `target` at `rate` (times the force of infection if mediated)."""

    source: str
    target: str
    rate: str | float
    mediated_by: Mapping[str, str | float] | None = None

    @property
    def mediated(self) -> bool:
        return self.mediated_by is not None


@dataclass(frozen=True)
class Disease:
    """Compartments, transitions and parameter values.

    Parameter `R0`, when given, fixes the one parameter of the mediated rates that is left
    unset (usually `beta`); the engine solves for it with the contact matrix and time step.

    >>> from epicommons.model.presets import sir
    >>> sir(R0=2.0).compartment_names
    ('S', 'I', 'R')
    """

    name: str
    compartments: tuple[Compartment, ...]
    transitions: tuple[Transition, ...]
    parameters: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compartments", tuple(self.compartments))
        object.__setattr__(self, "transitions", tuple(self.transitions))
        object.__setattr__(self, "parameters", dict(self.parameters))
        self._validate()

    def _validate(self) -> None:
        seen: set[str] = set()
        for i, c in enumerate(self.compartments):
            if not c.name or c.name in seen:
                raise InputError(
                    f"compartment name {c.name!r} is empty or repeated",
                    field=f"compartments[{i}].name",
                )
            seen.add(c.name)
        if not self.compartments:
            raise InputError("a disease needs at least one compartment", field="compartments")
        for i, t in enumerate(self.transitions):
            where = f"transitions[{i}]"
            for key, name in (("source", t.source), ("target", t.target)):
                if name not in seen:
                    raise InputError(
                        f"unknown compartment {name!r}; expected one of "
                        f"{', '.join(self.compartment_names)}",
                        field=f"{where}.{key}",
                    )
            if t.source == t.target:
                raise InputError("source and target are the same", field=f"{where}.target")
            expressions.names(t.rate)  # parse errors surface here
            for name, w in (t.mediated_by or {}).items():
                if name not in seen:
                    raise InputError(
                        f"unknown infectious compartment {name!r}",
                        field=f"{where}.mediated_by.{name}",
                    )
                if isinstance(w, str):
                    expressions.names(w)
                elif not np.isfinite(w) or w < 0:
                    raise InputError(
                        f"infectiousness weight must be >= 0, got {w}",
                        field=f"{where}.mediated_by.{name}",
                    )
        for k, v in self.parameters.items():
            if not isinstance(v, int | float) or not np.isfinite(v) or v < 0:
                raise InputError(
                    f"expected a finite number >= 0, got {v!r}", field=f"parameters.{k}"
                )

    # -- names -----------------------------------------------------------------------------
    @property
    def compartment_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.compartments)

    def index(self, name: str) -> int:
        """Position of a compartment; raises InputError naming the known ones."""
        try:
            return self.compartment_names.index(name)
        except ValueError:
            raise InputError(
                f"unknown compartment {name!r}; expected one of {', '.join(self.compartment_names)}"
            ) from None

    @property
    def infected_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.compartments if c.infected)

    def mask(self, attribute: str) -> np.ndarray:
        """Boolean mask over compartments of one attribute (`infected`, `mobile`, `alive`)."""
        return np.array([bool(getattr(c, attribute)) for c in self.compartments])

    @property
    def first_infected(self) -> str:
        """The compartment seeds go to by default: the first infected target of a mediated
        transition, else the first infected compartment."""
        for t in self.transitions:
            if t.mediated:
                return t.target
        names = self.infected_names
        if not names:
            raise InputError("the disease has no infected compartment to seed")
        return names[0]

    @property
    def susceptible(self) -> str:
        """The compartment seeds are taken from: the source of the first mediated transition."""
        for t in self.transitions:
            if t.mediated:
                return t.source
        return self.compartments[0].name

    # -- parameters ------------------------------------------------------------------------
    def with_parameters(self, **values: float) -> Disease:
        """A copy with some parameters changed (or added)."""
        return replace(self, parameters={**self.parameters, **values})

    def without_parameters(self, *names: str) -> Disease:
        """A copy with some parameters removed (e.g. `beta` when `R0` should set it)."""
        return replace(
            self, parameters={k: v for k, v in self.parameters.items() if k not in names}
        )

    def used_parameters(self) -> set[str]:
        """Names the rates and infectiousness weights use."""
        used: set[str] = set()
        for t in self.transitions:
            used |= expressions.names(t.rate)
            for w in (t.mediated_by or {}).values():
                used |= expressions.names(w)
        return used

    def unknown_parameters(self) -> set[str]:
        """Names used by rates but not set."""
        return self.used_parameters() - set(self.parameters)

    def rates(self, overrides: Mapping[str, float] | None = None) -> np.ndarray:
        """Per-transition rate values (per day), in transition order."""
        params = {**self.parameters, **(overrides or {})}
        out = np.array(
            [
                expressions.evaluate(t.rate, params, field=f"transitions[{i}].rate")
                for i, t in enumerate(self.transitions)
            ]
        )
        bad = np.flatnonzero(~np.isfinite(out) | (out < 0))
        if bad.size:
            i = int(bad[0])
            raise InputError(
                f"rate evaluates to {out[i]}, expected a finite number >= 0",
                field=f"transitions[{i}].rate",
            )
        return out

    def weights(self, overrides: Mapping[str, float] | None = None) -> np.ndarray:
        """Infectiousness weights `(transitions, compartments)`; zero rows for spontaneous ones."""
        params = {**self.parameters, **(overrides or {})}
        w = np.zeros((len(self.transitions), len(self.compartments)))
        for i, t in enumerate(self.transitions):
            for name, value in (t.mediated_by or {}).items():
                w[i, self.index(name)] = expressions.evaluate(
                    value, params, field=f"transitions[{i}].mediated_by.{name}"
                )
        return w

    def describe(self) -> dict[str, object]:
        """Plain-data description, for metadata records."""
        return {
            "name": self.name,
            "compartments": [c.__dict__ for c in self.compartments],
            "transitions": [
                {
                    "source": t.source,
                    "target": t.target,
                    "rate": t.rate,
                    "mediated_by": dict(t.mediated_by) if t.mediated_by else None,
                }
                for t in self.transitions
            ],
            "parameters": dict(self.parameters),
        }
