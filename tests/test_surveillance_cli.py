"""`epicommons rt` end to end: columns, plots, and bad input (one message, exit status 2)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from epicommons.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "epiestim"
FLU = FIXTURES / "flu2009_parametric.input.csv"
NUMBERS = ["mean", "std", "q0.025", "q0.05", "q0.25", "q0.5", "q0.75", "q0.95", "q0.975"]


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_jhu_two_countries_with_plot(shared_data: Path, tmp_path: Path) -> None:
    confirmed = shared_data / "jhu_csse_covid19" / "time_series_covid19_confirmed_global.csv"
    out, plot, report = tmp_path / "rt.csv", tmp_path / "rt.png", tmp_path / "report.csv"
    args = ["rt", str(confirmed), "--out", str(out), "--country", "ITA", "--country", "Japan"]
    args += ["--si-mean", "4.7", "--si-sd", "2.9", "--plot", str(plot), "--report", str(report)]
    assert main([*args, "--quiet"]) == 0
    frame = pd.read_csv(out)
    expected = ["country", "t_start", "t_end", "date_start", "date_end", *NUMBERS]
    assert list(frame.columns) == expected
    assert frame["country"].unique().tolist() == ["ITA", "JPN"]
    assert len(frame) == 2 * (1143 - 7)
    assert frame.loc[0, "date_start"] == "2020-01-23" and frame.loc[0, "t_start"] == 2
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rep = pd.read_csv(report)
    # JHU publishes 171 falling days of confirmed cases; rt reads cases only, not the deaths file
    assert (rep["issue"] == "negative increment").sum() == 171
    assert set(rep["field"].dropna()) <= {"cases", "Country/Region"}


def test_svg_plot_and_custom_windows(tmp_path: Path) -> None:
    out, plot = tmp_path / "rt.csv", tmp_path / "rt.svg"
    args = ["rt", str(FLU), "--out", str(out), "--si-mean", "2.6", "--si-sd", "1.5"]
    args += ["--t-start", "2,9,16", "--t-end", "8,15,22", "--plot", str(plot), "--quiet"]
    assert main(args) == 0
    frame = pd.read_csv(out)
    assert frame["t_start"].tolist() == [2, 9, 16]
    assert "<svg" in plot.read_text()[:500]


def test_empty_windows_are_blank(tmp_path: Path) -> None:
    out = tmp_path / "rt.csv"
    source = FIXTURES / "sars2003_parametric_empty.input.csv"
    args = ["rt", str(source), "--out", str(out), "--si-mean", "8.4", "--si-sd", "3.8", "--quiet"]
    assert main(args) == 0
    first = out.read_text().splitlines()[1]
    assert first == "2,8" + "," * len(NUMBERS)


def test_si_distr_file(tmp_path: Path) -> None:
    out = tmp_path / "rt.csv"
    si = FIXTURES / "flu2009_nonparametric.si.csv"
    args = ["rt", str(FLU), "--out", str(out), "--si-distr", str(si), "--quiet"]
    assert main(args) == 0
    ref = pd.read_csv(FIXTURES / "flu2009_nonparametric.R.csv")
    ours = pd.read_csv(out)
    assert (abs(ours["mean"] / ref["mean"] - 1) < 1e-6).all()


BAD_INPUT = [
    ("day,cases\n1,3\n2,-1\n3,4\n", [], "line 3, field 'cases'"),
    ("day,cases\n1,3\n2,x\n3,4\n", [], "line 3, field 'cases'"),
    ("date,cases\n2020-01-01,3\n2020-02-30,1\n", [], "line 3, field 'date'"),
    ("date,cases\n2020-01-01,3\n2020-01-01,1\n", [], "line 3, field 'date'"),
    ("country,day,cases\nItaly,1,3\nNarnia,2,1\n", [], "line 3, field 'country'"),
    (
        "day,cases\n" + "".join(f"{d},{d}\n" for d in range(1, 21)),
        ["--t-start", "2,15", "--t-end", "8,25"],
        "t_end = 25 is outside the data",
    ),
    (
        "day,cases\n" + "".join(f"{d},{d}\n" for d in range(1, 21)),
        ["--t-start", "1", "--t-end", "8"],
        "field '--t-start'",
    ),
    (
        "day,cases\n" + "".join(f"{d},{d}\n" for d in range(1, 21)),
        ["--country", "Narnia"],
        "field '--country'",
    ),
    (
        "day,cases\n" + "".join(f"{d},{d}\n" for d in range(1, 21)),
        ["--prior-sd", "0"],
        "field '--prior-sd'",
    ),
]


@pytest.mark.parametrize(("text", "extra", "message"), BAD_INPUT)
def test_bad_input_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, extra: list[str], message: str
) -> None:
    source = _write(tmp_path / "cases.csv", text)
    out = tmp_path / "rt.csv"
    args = ["rt", str(source), "--out", str(out), "--si-mean", "2.6", "--si-sd", "1.5", *extra]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("si", "message"),
    [
        ("k,w\n0,0.1\n1,0.5\n2,0.4\n", "must start at k = 0 with w = 0"),
        ("k,w\n1,0.5\n2,0.5\n", "line 2, field 'k'"),
        ("k,w\n0,0\n1,0.5\n2,0.3\n", "must sum to 1"),
        ("k,w\n0,0\n1,abc\n", "line 3, field 'w'"),
    ],
)
def test_bad_serial_interval_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], si: str, message: str
) -> None:
    path = _write(tmp_path / "si.csv", si)
    out = tmp_path / "rt.csv"
    assert main(["rt", str(FLU), "--out", str(out), "--si-distr", str(path)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_installed_command_exit_status(tmp_path: Path) -> None:
    exe = shutil.which("epicommons") or str(Path(__file__).parents[1] / ".venv/bin/epicommons")
    source = _write(tmp_path / "cases.csv", "day,cases\n1,3\n2,-1\n")
    done = subprocess.run(
        [
            exe,
            "rt",
            str(source),
            "--out",
            str(tmp_path / "o.csv"),
            "--si-mean",
            "2",
            "--si-sd",
            "1",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "line 3, field 'cases'" in done.stderr
