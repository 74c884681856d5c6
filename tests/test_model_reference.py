"""Refactors of the engine change no number: small seeded runs against the digests the engine
produced before the kernel split (tests/fixtures/engine_reference/make_reference.py)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

FIXTURE = Path(__file__).parent / "fixtures" / "engine_reference"


def _maker():
    spec = importlib.util.spec_from_file_location("make_reference", FIXTURE / "make_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_seeded_runs_are_bit_identical_to_the_saved_reference():
    expected = json.loads((FIXTURE / "reference.json").read_text())
    assert _maker().digests() == expected
