"""The scripts the docs name start (they answer --help), and the screenshot scripts, which need
the test extras, say so and how to install them instead of failing with a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NAMED = sorted(
    {
        name
        for doc in [REPO / "README.md", *(REPO / "docs").rglob("*.md")]
        for name in re.findall(r"scripts/[\w/]+\.py", doc.read_text(encoding="utf-8"))
    }
)
WITH_HELP = ("scripts/screenshots.py", "scripts/report_screenshots.py", "scripts/vaccine_study.py")


def _python(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env, timeout=300
    )


def test_every_script_the_docs_name_exists():
    assert "scripts/screenshots.py" in NAMED
    for name in NAMED:
        assert (REPO / name).is_file(), f"the docs name {name}"


@pytest.mark.parametrize("script", WITH_HELP)
def test_scripts_answer_help(script):
    done = _python(
        f"import runpy, sys; sys.argv = ['{script}', '--help']; "
        f"runpy.run_path('{script}', run_name='__main__')"
    )
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout


@pytest.mark.parametrize(
    ("script", "missing"),
    [("scripts/screenshots.py", "httpx"), ("scripts/report_screenshots.py", "playwright")],
)
def test_screenshot_scripts_name_the_missing_test_extras(script, missing):
    """Without the test extras installed (hidden here), one line says what to install."""
    done = _python(
        f"import runpy, sys; sys.modules['{missing}'] = None; sys.argv = ['{script}']; "
        f"runpy.run_path('{script}', run_name='__main__')"
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "test extras" in done.stderr and missing in done.stderr
    assert "make screenshots" in done.stderr and ".[test]" in done.stderr
