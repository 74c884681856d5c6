"""Doubtful values are never silent: a scenario with R0 = 10⁹ or a serial interval of 40 days
runs, and the run's summary (stderr) and its report page both say what is doubtful and why;
within a library call they are Python warnings."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from epicommons.cli import main
from epicommons.doubts import Doubt, DoubtfulValue, collecting, doubt
from epicommons.report.page import Page

SCENARIO = """
name = "doubtful"
days = 20
runs = 2
seed = 1
[disease]
preset = "SEIR"
parameters = { R0 = 1e9, sigma = 100.0 }
[[seeds]]
where = "FRA"
count = 10
"""


def test_a_doubtful_scenario_runs_and_its_summary_and_report_say_why(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO)
    report = tmp_path / "r.html"
    argv = ["simulate", str(path), "--out", str(tmp_path / "out"), "--report", str(report), "-q"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "warning:" in err and "R0 = 1,000,000,000 is above that of any known infection" in err
    assert "mean stay of 0.24 hours in 'E'" in err
    html = report.read_text()
    assert "Warnings: doubtful values (2)" in html and "1,000,000,000" in html
    assert html.index("Warnings: doubtful values") < html.index('<section id="s1">')


def test_a_plausible_scenario_has_no_warning(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO.replace("R0 = 1e9, sigma = 100.0", "R0 = 2.5, sigma = 0.2"))
    assert main(["scenario", "validate", str(path)]) == 0
    assert "warning" not in capsys.readouterr().err


def test_rt_with_a_serial_interval_of_two_months_warns(tmp_path, capsys):
    cases = tmp_path / "c.csv"
    days = pd.date_range("2020-03-01", periods=150).strftime("%Y-%m-%d")
    cases.write_text("date,cases\n" + "".join(f"{d},{10 + k}\n" for k, d in enumerate(days)))
    out = tmp_path / "rt.csv"
    argv = ["rt", str(cases), "--out", str(out), "--si-mean", "40", "--si-sd", "5", "-q"]
    assert main(argv) == 0
    assert out.exists()
    assert "a serial interval of 40 days is longer" in capsys.readouterr().err


def test_outside_a_run_a_doubt_is_a_python_warning_and_inside_it_is_gathered_once():
    with pytest.warns(DoubtfulValue, match="R0 = 50"):
        doubt("R0 = 50", field="R0")
    with collecting() as found, warnings.catch_warnings():
        warnings.simplefilter("error")  # no Python warning inside a run
        doubt("R0 = 50", field="R0")
        doubt("R0 = 50", field="R0")
    assert found == [Doubt("R0 = 50", "R0")]


def test_a_page_lists_the_doubts_of_its_run_and_its_own():
    with collecting():
        doubt("a doubtful value", source="x.csv")
        html = Page("T", doubts=[Doubt("another")]).render()
    assert "x.csv: a doubtful value" in html and "another" in html
    assert "Warnings" not in Page("T").render()


def test_the_report_page_is_unchanged_when_nothing_is_doubtful(tmp_path: Path):
    assert "doubts" not in Page("T").render().split("<main>")[1].split("</main>")[0]
