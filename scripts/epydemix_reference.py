"""Produce tests/data/model/epydemix_seir_reference.json: epydemix 1.5's stochastic SEIR outputs
for a 3-age-group population, the reference for tests/test_model_engine.py.

Run with the benchmark's epydemix venv (created by benchmarks/bench_engine.py):
  benchmarks/.venv-epydemix/bin/python scripts/epydemix_reference.py > tests/data/model/epydemix_seir_reference.json
"""

import json
import sys

import numpy as np
from epydemix import __version__
from epydemix.model import EpiModel
from epydemix.population import Population

SPEC = {
    "population": [300000, 500000, 200000],
    "contacts": [[8.0, 3.0, 1.0], [1.8, 6.0, 2.0], [1.5, 5.0, 3.0]],
    "beta": 0.05,
    "sigma": 0.5,
    "gamma": 0.25,
    "seed_group": 1,
    "seed_count": 30,
    "days": 150,
    "runs": 400,
}

nk = np.array(SPEC["population"], dtype=float)
pop = Population(name="reference")
pop.add_population(Nk=nk)
pop.add_contact_matrix(np.array(SPEC["contacts"]), layer_name="all")
m = EpiModel(compartments=["S", "E", "I", "R"])
m.set_population(pop)
m.add_parameter(parameters_dict={k: SPEC[k] for k in ("beta", "sigma", "gamma")})
m.add_transition(source="S", target="E", kind="mediated", params=("beta", "I"))
m.add_transition(source="E", target="I", kind="spontaneous", params="sigma")
m.add_transition(source="I", target="R", kind="spontaneous", params="gamma")
seed = np.zeros_like(nk)
seed[SPEC["seed_group"]] = SPEC["seed_count"]
ic = {"S": nk - seed, "E": seed, "I": np.zeros_like(nk), "R": np.zeros_like(nk)}
end = (np.datetime64("2027-01-01") + SPEC["days"] - 1).astype(str)
res = m.run_simulations(
    start_date="2027-01-01", end_date=end, Nsim=SPEC["runs"], initial_conditions_dict=ic, rng=2027
)
attack = np.array(
    [[t.compartments[f"R_{g}"][-1] / nk[g] for g in range(3)] for t in res.trajectories]
)
peak = np.array([int(np.argmax(t.compartments["I_total"])) for t in res.trajectories])
json.dump(
    {
        "epydemix": __version__,
        "spec": SPEC,
        "attack_rate_mean": attack.mean(axis=0).tolist(),
        "attack_rate_std": attack.std(axis=0, ddof=1).tolist(),
        "peak_day_mean": float(peak.mean()),
        "peak_day_std": float(peak.std(ddof=1)),
    },
    sys.stdout,
    indent=1,
)
print()
