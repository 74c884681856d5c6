"""`epicommons rt` end to end: columns, plots, and bad input (one message, exit status 2)."""

from __future__ import annotations

import subprocess
import sys
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
    expected = ["country", "t_start", "t_end", "date_start", "date_end", *NUMBERS, "note"]
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
    # EpiEstim leaves windows ending before the serial interval's mean (8.4 days) empty
    why = "window ends before the serial interval's mean (EpiEstim leaves it empty)"
    assert first == "2,8" + "," * len(NUMBERS) + "," + why


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
    exe = str(Path(sys.executable).parent / "epicommons")  # the environment running the tests
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


TWENTY_DAYS = "day,cases\n" + "".join(f"{d},{d}\n" for d in range(1, 21))
SI = ["--si-mean", "2.6", "--si-sd", "1.5"]

# issue 13 item 3: every estimation option refuses impossible values, naming itself and the limit
BAD_OPTIONS = [
    (["--si-mean", "nan", "--si-sd", "1.5"], "--si-mean", "> 1"),
    (["--si-mean", "inf", "--si-sd", "1.5"], "--si-mean", "finite"),
    (["--si-mean", "-2", "--si-sd", "1.5"], "--si-mean", "> 1"),
    (["--si-mean", "2.6", "--si-sd", "0"], "--si-sd", "> 0"),
    (["--si-mean", "2.6", "--si-sd", "nan"], "--si-sd", "> 0"),
    (["--si-mean", "2.6"], "--si-sd", "serial interval"),
    (["--si-mean", "400", "--si-sd", "3"], "--si-mean", "too long for this series"),
    ([*SI, "--window", "0"], "--window", "at least 1"),
    ([*SI, "--window", "-3"], "--window", "at least 1"),
    ([*SI, "--window", "20"], "--window", "at least 21 days of data, got 20"),
    ([*SI, "--window", "5", "--t-start", "2", "--t-end", "8"], "--window", "not both"),
    ([*SI, "--t-start", "2,3", "--t-end", "8"], "--t-end", "2 days but t_end has 1"),
    ([*SI, "--t-start", "30", "--t-end", "35"], "--t-start", "outside the data (days 2..20"),
    ([*SI, "--t-start", "0", "--t-end", "8"], "--t-start", "at least 1"),
    ([*SI, "--t-start", "9", "--t-end", "4"], "--t-start", "after t_end"),
    ([*SI, "--t-start", "2", "--t-end", "x"], "--t-end", "comma-separated day numbers"),
    ([*SI, "--prior-mean", "nan"], "--prior-mean", "> 0"),
    ([*SI, "--prior-sd", "-1"], "--prior-sd", "> 0"),
    ([*SI, "--prior-sd", "inf"], "--prior-sd", "finite"),
    ([*SI, "--method", "ml"], "--method", "cori, wallinga-teunis"),
    ([*SI, "--method", "wallinga-teunis", "--n-sim", "0"], "--n-sim", "between 2 and 10,000"),
    ([*SI, "--n-sim", "100000000"], "--n-sim", "between 2 and 10,000"),
    ([*SI, "--seed", "-1"], "--seed", "at least 0"),
    ([*SI, "--stop-days", "-1"], "--stop-days", "0 (off) or more"),
    ([*SI, "--from", "2020-01-05"], "--from", "needs dates in the input"),
    ([*SI, "--gaps", "fill"], "--gaps", "zero, error"),
    (["--si-mean", "4", "--si-sd", "1e-9"], "--si-sd", "cannot be discretised"),
    ([*SI, "--prior-sd", "1e-300"], "--prior-sd", "out of range"),
    ([*SI, "--prior-mean", "1e300"], "--prior-sd", "out of range"),
    ([*SI, "--country", ","], "--country", "expected country names"),
]


@pytest.mark.parametrize(("extra", "field", "limit"), BAD_OPTIONS, ids=lambda v: str(v))
def test_impossible_options_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], field: str, limit: str
) -> None:
    source = _write(tmp_path / "cases.csv", TWENTY_DAYS)
    out = tmp_path / "rt.csv"
    assert main(["rt", str(source), "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: field '{field}': ") and limit in err, err
    assert "Traceback" not in err and not out.exists()


BAD_DATES = [
    (["--from", "2020-13-01"], "--from", "expected a date YYYY-MM-DD"),
    (["--from", "2020-06-01", "--to", "2020-05-01"], "--to", "ends (2020-05-01) before"),
    (["--from", "2030-01-01"], "--from", "windows of this series end 2020-01-29 .. 2023-03-09"),
    (["--to", "2020-01-10"], "--to", "no 7-day window ends"),
    (["--from", "2020-05-01", "--t-start", "2", "--t-end", "8"], "--from", "not both"),
]


@pytest.mark.parametrize(("extra", "field", "message"), BAD_DATES, ids=lambda v: str(v))
def test_bad_date_range_exit_2(
    shared_data: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    field: str,
    message: str,
) -> None:
    confirmed = shared_data / "jhu_csse_covid19" / "time_series_covid19_confirmed_global.csv"
    out = tmp_path / "rt.csv"
    args = ["rt", str(confirmed), "--out", str(out), "--country", "NZL", *SI, *extra]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: field '{field}': ") and message in err, err
    assert not out.exists()


def test_date_range_equals_the_same_windows_given_as_day_numbers(
    shared_data: Path, tmp_path: Path
) -> None:
    """issue 14 item 5: --from/--to select the sliding windows that end in the range."""
    confirmed = shared_data / "jhu_csse_covid19" / "time_series_covid19_confirmed_global.csv"
    by_date, by_day = tmp_path / "dates.csv", tmp_path / "days.csv"
    base = ["rt", str(confirmed), "--country", "DEU,NZL", *SI, "--quiet"]
    assert main([*base, "--out", str(by_date), "--from", "2020-05-01", "--to", "2020-05-31"]) == 0
    # day 1 is the file's first date column, 1/22/20; a 7-day window ending on day e starts e-6
    first = pd.Timestamp("2020-01-22")
    ends = [(pd.Timestamp("2020-05-01") - first).days + 1 + k for k in range(31)]
    days = ["--t-start", ",".join(str(e - 6) for e in ends), "--t-end", ",".join(map(str, ends))]
    assert main([*base, "--out", str(by_day), *days]) == 0
    a, b = pd.read_csv(by_date), pd.read_csv(by_day)
    assert len(a) == 2 * 31 and a["date_end"].min() == "2020-05-01"
    assert a["date_end"].max() == "2020-05-31"
    pd.testing.assert_frame_equal(a, b)


def test_help_says_what_is_required_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rt", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "Required: INPUT, --out, and the serial interval" in text
    assert "required: --si-mean and --si-sd, or --si-distr" in text
    assert "--from" in text and "--to" in text and "--stop-days" in text
    assert "Example: epicommons rt" in text and "--from 2020-03-01" in text
