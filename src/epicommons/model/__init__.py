"""model: diseases, the global spread engine, ensembles, scenario files and results."""

from .disease import Compartment, Disease, Transition
from .engine import DayBuffers, Model, Stepper, build_model, run_chunk, stream
from .ensemble import simulate
from .mixing import AgeStructure
from .modifiers import Modifiers, Schedule, Transfer, Window, WindowSchedule
from .outbreak import run_outbreak
from .presets import covid_like, preset, seir, seird, sir
from .results import OutputOptions, Results
from .seeding import Seed

__all__ = [
    "AgeStructure",
    "Compartment",
    "DayBuffers",
    "Disease",
    "Model",
    "Modifiers",
    "OutputOptions",
    "Results",
    "Schedule",
    "Seed",
    "Stepper",
    "Transfer",
    "Transition",
    "Window",
    "WindowSchedule",
    "build_model",
    "covid_like",
    "preset",
    "run_chunk",
    "run_outbreak",
    "seir",
    "seird",
    "simulate",
    "sir",
    "stream",
]
