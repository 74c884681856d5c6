"""`epicommons demo` runs end to end on built-in data only."""

from __future__ import annotations

import os
import re
import subprocess
import sys


def test_demo_runs_on_builtin_data(tmp_path):
    # No shared data: the demo must need only what the installed package ships.
    env = {**os.environ, "EPICOMMONS_SHARED_DATA": str(tmp_path / "nowhere")}
    out = subprocess.run(
        [sys.executable, "-m", "epicommons", "demo"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    text = out.stdout
    # UN WPP 2022 puts the world's 2020 population at 7.84 billion (World Population Prospects 2022).
    assert re.search(r"population 7\.84 billion", text)
    assert "Traceback" not in out.stderr
