"""Age groups and who mixes with whom: the built-in contact matrices and user-supplied ones.

The built-in matrices use *preferred mixing* (Nold 1980, Math Biosci 52:227; Jacquez et al. 1988,
Math Biosci 92:119): a person of age a has `c_a` contacts a day, a share `epsilon` of them with their
own age group and the rest spread over all groups in proportion to their contact activity
`c_b N_b`. The matrix is reciprocal (`N_a M_ab = N_b M_ba`) for every population. The 16 activity
levels (5-year bands 0-4 … 75+) and `epsilon` were fitted to the Prem et al. 2021 synthetic
matrices of 177 countries by `scripts/fit_contact_mixing.py` (numbers only; see docs/data/model.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from epicommons.errors import InputError

# Mean daily contacts by 5-year age band 0-4, 5-9, ..., 70-74, 75+ (fitted, see module docstring).
ACTIVITY_5Y = np.array(
    [
        12.45,
        17.091,
        20.336,
        20.28,
        14.678,
        15.125,
        14.926,
        15.826,
        15.43,
        13.312,
        13.913,
        12.716,
        10.89,
        9.247,
        8.891,
        7.361,
    ]
)
EPSILON = 0.172  # share of contacts within one's own age group (fitted)
DEFAULT_AGE_GROUPS = (0, 10, 20, 40, 60)  # lower edges in years: 0-9, 10-19, 20-39, 40-59, 60+


def age_labels(edges: tuple[int, ...]) -> tuple[str, ...]:
    """Labels like '0-9', '60+' for lower edges (0, 10, ..., 60)."""
    upper = [f"{e - 1}" for e in edges[1:]] + ["+"]
    return tuple(
        f"{lo}-{up}" if up != "+" else f"{lo}+" for lo, up in zip(edges, upper, strict=True)
    )


def check_edges(edges: tuple[int, ...], field: str = "age_groups") -> tuple[int, ...]:
    """Age-group lower edges must start at 0, increase, and be multiples of 5 (the data's bands)."""
    e = tuple(int(x) for x in edges)
    if (
        not e
        or e[0] != 0
        or any(b <= a for a, b in zip(e, e[1:], strict=False))
        or any(x % 5 for x in e)
        or e[-1] > 100
    ):
        raise InputError(
            f"expected increasing multiples of 5 starting at 0 (e.g. [0, 20, 60]), "
            f"got {list(edges)}",
            field=field,
        )
    return e


def band_index(edges: tuple[int, ...], n_bands: int) -> np.ndarray:
    """For each 5-year band (0-4, 5-9, ...), the model age group it falls in."""
    starts = np.arange(n_bands) * 5
    return np.searchsorted(np.asarray(edges), starts, side="right") - 1


def aggregate_bands(pop5: np.ndarray, edges: tuple[int, ...]) -> np.ndarray:
    """Sum 5-year bands `(..., bands)` into model age groups `(..., groups)`."""
    idx = band_index(edges, pop5.shape[-1])
    out = np.zeros((*pop5.shape[:-1], len(edges)))
    for g in range(len(edges)):
        out[..., g] = pop5[..., idx == g].sum(axis=-1)
    return out


def preferred_mixing(activity: np.ndarray, population: np.ndarray, epsilon: float) -> np.ndarray:
    """Contacts per day `(..., A, A)`: row a, column b = contacts of one person aged a with age b."""
    a = np.asarray(activity, dtype=float)
    n = np.asarray(population, dtype=float)
    weight = a * n
    share = weight / np.maximum(weight.sum(axis=-1, keepdims=True), 1e-300)
    groups = a.shape[-1]
    return a[..., :, None] * (epsilon * np.eye(groups) + (1 - epsilon) * share[..., None, :])


def band_activity(bands: int) -> np.ndarray:
    """Daily contacts of each 5-year band 0-4, 5-9, ... (the fitted levels; 75+ for 75 and over)."""
    return ACTIVITY_5Y[np.minimum(np.arange(bands), len(ACTIVITY_5Y) - 1)]


def builtin_contacts(pop5: np.ndarray, edges: tuple[int, ...]) -> np.ndarray:
    """Built-in contact matrices `(nodes, A, A)` from each node's 5-year age bands `(nodes, bands)`."""
    act5 = band_activity(pop5.shape[-1])
    pop = aggregate_bands(pop5, edges)
    activity = aggregate_bands(pop5 * act5, edges) / np.maximum(pop, 1e-300)
    return preferred_mixing(activity, pop, EPSILON)


def read_contact_matrix(path: str | Path, groups: int) -> np.ndarray:
    """A square CSV of mean daily contacts (row: age of the person, column: age of the contact).

    An optional first row of column labels is skipped. The size must match the model's age groups.
    """
    path = Path(path)
    try:
        lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    except OSError as exc:
        raise InputError(f"cannot read contact matrix: {exc.strerror}", source=path) from None
    rows = []
    for i, line in enumerate(lines, start=1):
        cells = [c.strip() for c in line.split(",")]
        try:
            rows.append([float(c) for c in cells])
        except ValueError:
            if i == 1:
                continue  # header of labels
            raise InputError(f"expected numbers, got {line!r}", source=path, line=i) from None
    m = np.array(rows, dtype=float) if rows else np.zeros((0, 0))
    if m.ndim != 2 or m.shape != (groups, groups):
        raise InputError(
            f"expected a {groups}x{groups} matrix (one row and column per age "
            f"group), got {m.shape[0]} rows",
            source=path,
        )
    if not np.all(np.isfinite(m)) or (m < 0).any():
        raise InputError("contacts must be finite numbers >= 0", source=path)
    return m


@dataclass(frozen=True)
class AgeStructure:
    """People per node and age group, and the contact matrix shared by all nodes or one per node."""

    edges: tuple[int, ...]
    population: np.ndarray  # (nodes, groups)
    contacts: np.ndarray  # (groups, groups) or (nodes, groups, groups)

    def __post_init__(self) -> None:
        n, a = self.population.shape
        if self.contacts.shape not in ((a, a), (n, a, a)) or len(self.edges) != a:
            raise ValueError("AgeStructure: population, contacts and edges disagree in size")

    @property
    def groups(self) -> int:
        return len(self.edges)

    @property
    def labels(self) -> tuple[str, ...]:
        return age_labels(self.edges)

    def per_node_contacts(self) -> np.ndarray:
        """Contacts as `(nodes, groups, groups)`."""
        if self.contacts.ndim == 3:
            return self.contacts
        return np.broadcast_to(self.contacts, (self.population.shape[0], *self.contacts.shape))

    def mean_contacts(self) -> np.ndarray:
        """Population-weighted mean contact matrix `(groups, groups)` (for R0 calibration)."""
        if self.contacts.ndim == 2:
            return self.contacts
        w = self.population / np.maximum(self.population.sum(axis=0), 1e-300)
        return np.einsum("na,nab->ab", w, self.contacts)

    @classmethod
    def single(cls, population: np.ndarray) -> AgeStructure:
        """No age structure: one group, contact matrix [[1]] (beta is then a rate per day)."""
        return cls((0,), np.asarray(population, dtype=float)[:, None], np.ones((1, 1)))
