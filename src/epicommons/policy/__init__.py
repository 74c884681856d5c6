"""Interventions (travel, screening, tests, quarantine, fast lanes, transmission, vaccination)
declared in scenario files and compiled to the engine's modifier schedule."""

from .compile import PolicySchedule, compile_interventions
from .interventions import Intervention
from .prepared import Prepared, prepare
from .scenario import PolicyScenario, from_data, load, parse_interventions

__all__ = [
    "Intervention",
    "PolicySchedule",
    "Prepared",
    "PolicyScenario",
    "compile_interventions",
    "from_data",
    "load",
    "parse_interventions",
    "prepare",
]
