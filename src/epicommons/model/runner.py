"""From a validated `Scenario` to `Results`: load the network, build the model, run the ensemble."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from epicommons.backend import Backend, open_backend
from epicommons.errors import InputError
from epicommons.world.network import Network

from . import ensemble
from .engine import Model, build_model
from .modifiers import Schedule
from .population import age_structure
from .results import Results
from .scenario import Scenario
from .seeding import plan


def load_network(scenario: Scenario, base: Path) -> Network:
    """The scenario's network; relative paths are relative to the scenario file."""
    from epicommons.world.sources import load_network as _load

    spec = scenario.network
    path = None if spec.path is None else _resolve(spec.path, base)
    kwargs = {} if spec.level is None else {"level": spec.level}
    return _load(source=spec.source, path=path, **kwargs)


def prepare(
    scenario: Scenario, base: Path, source: str | None = None, network: Network | None = None
) -> tuple[Model, list]:
    """Build and check everything before anything runs: model and seeds."""
    disease = scenario.build_disease(source)
    network = network or load_network(scenario, base)
    spec = scenario.disease
    contacts = spec.contacts if spec.contacts == "builtin" else _resolve(spec.contacts, base)
    ages = age_structure(
        network, tuple(spec.age_groups) if spec.age_groups else None, contacts, spec.population_year
    )
    try:
        model = build_model(disease, network, ages, scenario.substeps)
    except InputError as exc:
        if exc.source is not None:
            raise
        field = f"disease.{exc.field}" if exc.field else "disease"
        raise InputError(exc.message, source=source, field=field) from None
    seeds = scenario.seed_list()
    try:
        plan(
            seeds,
            network,
            disease.compartment_names,
            disease.first_infected,
            ages=ages.groups,
            horizon=scenario.days,
            keys=scenario.seed_keys(),
        )
    except InputError as exc:
        raise InputError(exc.message, source=source, field=exc.field) from None
    return model, seeds


def run(
    scenario: Scenario,
    model: Model,
    seeds: list,
    *,
    progress: Callable[[int], None] | None = None,
    scenario_text: str | None = None,
    schedule: Schedule | None = None,
    backend: Backend | None = None,
    probe: Callable[[Schedule | None], ensemble.Probe] | None = None,
    on_probe: Callable[[int, Any], None] | None = None,
) -> Results:
    """Run the scenario's ensemble; metadata records the scenario and the resolved parameters.

    `schedule` (e.g. compiled interventions) is the engine's daily modifier hook; `backend`
    evaluates the chunks of runs (default: a local cluster of the scenario's `workers` when
    more than one, else this process); `probe`/`on_probe` as in `ensemble.simulate`."""
    meta = {
        "scenario": scenario.model_dump(mode="json", by_alias=True),
        "scenario_toml": scenario_text,
        "network_source": model.network.source,
        "network_level": model.network.level,
        "nodes": model.network.size,
        "parameters": model.parameters,
        "disease": model.disease.describe(),
        "age_groups": list(model.ages.edges),
    }
    local = scenario.workers if backend is None and scenario.workers > 1 else None
    with nullcontext(backend) if local is None else open_backend(local) as chosen:
        return ensemble.simulate(
            model,
            seeds,
            scenario.days,
            scenario.runs,
            scenario.seed,
            **scenario.draws(),
            outputs=scenario.output_options(),
            start=scenario.start,
            backend=chosen,
            schedule=schedule,
            probe=probe,
            on_probe=on_probe,
            progress=progress,
            metadata=meta,
        )


def _resolve(path: str, base: Path) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else base / p
