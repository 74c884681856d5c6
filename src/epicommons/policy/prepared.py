"""A scenario made ready to run: the one way from a scenario (file or in memory) to its results.

`prepare` checks everything before anything runs — the network, the model, the seeds and the
interventions compiled to the engine's schedule; `Prepared.run` runs the ensemble with the
scenario recorded in the results' metadata, `Prepared.write` writes them as a results folder.
It lives in `policy/` because compiling interventions is policy's job and `model/` may not import
`policy/`; the commands and analyses above (`simulate`, `compare`, `sweep`, the studies) call it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from epicommons.backend import Backend
from epicommons.model import runner
from epicommons.model.engine import Model
from epicommons.model.modifiers import Schedule
from epicommons.model.results import Results
from epicommons.model.scenario import Scenario
from epicommons.model.seeding import Seed
from epicommons.world.network import Network

from .compile import PolicySchedule, compile_interventions
from .scenario import PolicyScenario


@dataclass(frozen=True)
class Prepared:
    """A scenario checked and compiled: its model, seeds and interventions' schedule."""

    name: str
    scenario: Scenario
    model: Model
    seeds: list[Seed]
    schedule: PolicySchedule | None
    text: str | None = None  # the scenario's TOML, recorded with the results

    def run(
        self,
        progress: Callable[[int], None] | None = None,
        *,
        backend: Backend | None = None,
        probe: Callable[[Schedule | None], Any] | None = None,
        on_probe: Callable[[int, Any], None] | None = None,
    ) -> Results:
        """Run the ensemble; `progress` gets the runs done.

        `backend` evaluates the chunks of runs (default: the scenario's `workers`);
        `probe(schedule)` wraps the compiled schedule per chunk and `on_probe` gets its results
        in run order (`model.ensemble.simulate`)."""
        return runner.run(
            self.scenario,
            self.model,
            self.seeds,
            progress=progress,
            scenario_text=self.text,
            schedule=self.schedule,
            backend=backend,
            probe=probe,
            on_probe=on_probe,
        )

    def write(self, results: Results, out: str | Path) -> list[Path]:
        """Write `results` of this scenario as a results folder (tables, metadata, the TOML)."""
        from epicommons.model import output  # pyarrow: imported only when writing

        return output.write(results, out, self.text)


def prepare(
    scenario: PolicyScenario, *, network: Network | None = None, **settings: object
) -> Prepared:
    """Build the model, plan the seeds and compile the interventions (nothing runs yet).

    `network` is used instead of loading the scenario's (one network shared by several
    scenarios); `settings` override the scenario's top-level keys (`runs=`, `seed=`, `workers=`).
    """
    spec = scenario.scenario.model_copy(update=settings) if settings else scenario.scenario
    source = str(scenario.path)
    model, seeds = runner.prepare(
        spec, scenario.path.resolve().parent, source=source, network=network
    )
    schedule = (
        compile_interventions(
            scenario.interventions,
            model.network,
            model.disease,
            spec.start,
            spec.days,
            age_groups=model.ages.groups,
            groups=scenario.groups,
            source=source,
        )
        if scenario.interventions
        else None
    )
    name = spec.name if spec.name != "scenario" else scenario.path.stem
    return Prepared(name, spec, model, seeds, schedule, scenario.text)
