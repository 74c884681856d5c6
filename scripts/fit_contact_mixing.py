"""Fit the built-in age-mixing parameters of `epicommons.model.mixing` to Prem et al. matrices.

The product ships only the fitted numbers (16 activity levels and one assortativity), never the
matrices. Preferred mixing (Nold 1980; Jacquez et al. 1988) has row sums equal to the activity
levels, so activity = mean row sum over countries; the assortativity then has a closed-form least
squares fit. Reads /work/shared/data/epydemix_contacts (GPL-3.0 test data; not redistributed).

Usage: .venv/bin/python scripts/fit_contact_mixing.py [DATA_DIR] [prem_2017|prem_2021]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

root = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/epydemix_contacts")
source = sys.argv[2] if len(sys.argv) > 2 else "prem_2021"
matrices, pops = [], []
for folder in sorted((root / "data").iterdir()):
    m = folder / "contact_matrices" / source / "contacts_matrix_all.csv"
    d = folder / "demographic" / "age_distribution.csv"
    if not (m.exists() and d.exists()):
        continue
    matrices.append(np.loadtxt(m, delimiter=","))
    ages = np.loadtxt(d, delimiter=",", skiprows=1, usecols=1)
    five = np.add.reduceat(ages[:75], np.arange(0, 75, 5))
    pops.append(np.append(five, ages[75:].sum()))
M, N = np.array(matrices), np.array(pops)
activity = M.sum(axis=2).mean(axis=0)
w = activity * N / (activity * N).sum(axis=1, keepdims=True)  # (countries, 16)
base = activity[None, :, None] * w[:, None, :]
design = activity[None, :, None] * np.eye(16)[None] - base
eps = float(((M - base) * design).sum() / (design**2).sum())
fit = base + eps * design
r2 = 1 - ((M - fit) ** 2).sum() / ((M - M.mean()) ** 2).sum()
print(f"countries: {len(M)}  source: {source}")
print("activity:", np.round(activity, 3).tolist())
print(f"epsilon: {eps:.4f}  R^2 over all cells: {r2:.3f}")
