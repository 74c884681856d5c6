"""Interventions (travel, screening, tests, quarantine, fast lanes, transmission, vaccination)
declared in scenario files and compiled to the engine's modifier schedule."""

from .compile import PolicySchedule, compile_interventions
from .interventions import Intervention
from .scenario import PolicyScenario, load, parse_interventions

__all__ = [
    "Intervention",
    "PolicySchedule",
    "PolicyScenario",
    "compile_interventions",
    "load",
    "parse_interventions",
]
