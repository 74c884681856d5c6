"""`--report FILE` of rt, risk, compare, allocate and repatriate: self-contained HTML
with the expected figures, rendered offline in chromium; bad report paths give exit status 2.
(The simulate page is tested in test_report_simulation.py.)
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from epicommons.cli import main

REPO = Path(__file__).resolve().parents[1]
POLICY = REPO / "examples" / "policy"
ALLOCATION = REPO / "examples" / "assist" / "allocation" / "problem.toml"
REPATRIATION = REPO / "examples" / "assist" / "repatriation" / "plan.toml"
SCENARIO = REPO / "examples" / "scenarios" / "seir_builtin.toml"
RT_COUNTRIES = ["ITA", "JPN", "DEU", "BRA", "ZAF", "IND"]  # >= 5: the page adds a world map


def _short(src: Path, folder: Path, days: int = 40) -> Path:
    """A copy of an example scenario with a shorter horizon (runs are overridden on the CLI)."""
    text = re.sub(r"(?m)^days = \d+", f"days = {days}", src.read_text())
    path = folder / src.name
    path.write_text(text)
    return path


def _svg_count(html: str) -> int:
    return html.count("<svg")


class _Tables(HTMLParser):
    """The page's data tables as lists of rows of cell texts (stdlib parser, no lxml)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _table(path: Path, column: str) -> pd.DataFrame:
    """The first table of the page with this column, numbers parsed where they parse."""
    parser = _Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    for rows in parser.tables:
        if column in rows[0]:
            frame = pd.DataFrame(rows[1:], columns=rows[0])
            for c in frame:
                numbers = pd.to_numeric(frame[c].str.replace(",", ""), errors="coerce")
                if numbers.notna().sum() == (frame[c] != "").sum():
                    frame[c] = numbers
            return frame
    raise AssertionError(f"no table with column {column!r}")


@pytest.fixture(scope="module")
def pages(tmp_path_factory, shared_data) -> dict[str, Path]:
    """Every command run once with --report on small real inputs; name -> (page, out folder)."""
    root = tmp_path_factory.mktemp("reports")
    confirmed = shared_data / "jhu_csse_covid19" / "time_series_covid19_confirmed_global.csv"
    args = ["rt", str(confirmed), "--out", str(root / "rt.csv"), "--si-mean", "4.7"]
    args += ["--si-sd", "2.9", "--report", str(root / "rt.html"), "--quiet"]
    for c in RT_COUNTRIES:
        args += ["--country", c]
    assert main(args) == 0
    risk = ["risk", "--source", "ITA", "--out", str(root / "risk"), "--days", "60"]
    risk += ["--runs", "4", "--start", "2027-01-01", "--report", str(root / "risk.html"), "-q"]
    assert main(risk) == 0
    scen = root / "scenarios"
    scen.mkdir()
    files = [str(_short(POLICY / f, scen)) for f in ("baseline.toml", "cut90.toml")]
    cmp = ["compare", *files, "--out", str(root / "cmp"), "--runs", "4"]
    assert main([*cmp, "--report", str(root / "compare.html"), "-q"]) == 0
    alloc = ["allocate", str(ALLOCATION), "--out", str(root / "alloc")]
    assert main([*alloc, "--report", str(root / "allocate.html"), "-q"]) == 0
    repat = ["repatriate", str(REPATRIATION), "--out", str(root / "repat")]
    assert main([*repat, "--report", str(root / "repatriate.html"), "-q"]) == 0
    sim = ["simulate", str(SCENARIO), "--out", str(root / "sim"), "--runs", "3", "-q"]
    assert main([*sim, "--report", str(root / "simulate.html")]) == 0
    return {name: root / f"{name}.html" for name in FIGURES} | {"_root": root}


# figures each page must hold: rt (panels + map), risk (2 maps + scatter),
# compare (2 interval charts + 2 maps for one scenario), allocate (4 items + shadow prices),
# repatriate (returned by country + quarantine occupancy), simulate (world curve, country curves,
# 2 maps)
FIGURES = {"rt": 2, "risk": 3, "compare": 4, "allocate": 5, "repatriate": 2, "simulate": 4}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FIGURES))
def test_report_is_self_contained(pages, name):
    html = pages[name].read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?https?://""", html), "page links outside"
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert _svg_count(html) == FIGURES[name]


@pytest.mark.slow
def test_rt_report_matches_the_csv(pages):
    # the panels are one per country, and the latest-Rt table agrees with the CSV written beside
    html = pages["rt"].read_text()
    first_svg = html[html.index("<svg") : html.index("</svg>")]
    assert len(re.findall(r'<g id="axes_\d+">', first_svg)) == len(RT_COUNTRIES)
    rt = pd.read_csv(pages["_root"] / "rt.csv")
    last = rt.dropna(subset=["mean"]).groupby("country").tail(1)
    growing = int((last["q0.025"] > 1).sum())
    assert f"{growing} of {len(RT_COUNTRIES)} series are growing" in html
    latest = _table(pages["rt"], "q0.975").set_index("country")
    for row in last.itertuples():
        assert latest.loc[row.country, "mean"] == pytest.approx(row.mean, rel=2e-3)


@pytest.mark.slow
def test_risk_report_top_table_matches_the_csv(pages):
    risk = pd.read_csv(pages["_root"] / "risk" / "risk.csv")
    top = _table(pages["risk"], "expected importations")
    assert list(top["destination"]) == list(risk["destination"].head(len(top)))
    assert len(top) == min(25, len(risk))


@pytest.mark.slow
def test_compare_report_world_table_matches_the_csv(pages):
    cmp = pd.read_csv(pages["_root"] / "cmp" / "compare.csv")
    world = cmp[cmp["country"] == "WORLD"]
    shown = _table(pages["compare"], "difference_mean")
    assert len(shown) == len(world) == 4  # one scenario x four metrics
    np.testing.assert_allclose(
        shown["difference_mean"].to_numpy(float),
        world["difference_mean"].to_numpy(float),
        rtol=2e-3,
        equal_nan=True,
    )


@pytest.mark.slow
def test_allocate_report_lists_every_shortfall(pages):
    members = pd.read_csv(pages["_root"] / "alloc" / "members.csv")
    short = members[members["share_met"] < 1 - 1e-9]
    binds = _table(pages["allocate"], "binding")
    assert len(binds) == len(short)
    assert set(zip(binds["member"], binds["item"], strict=True)) == set(
        zip(short["member"], short["item"], strict=True)
    )


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("name", list(FIGURES))
def test_report_renders_offline_in_chromium(pages, offline_page, name):
    page, errors, refused = offline_page
    page.goto(pages[name].as_uri())
    svgs = page.locator("figure svg")
    assert svgs.count() == FIGURES[name]
    for i in range(svgs.count()):
        box = svgs.nth(i).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100
    assert errors == [] and refused == []


def _commands(tmp_path: Path, shared_data: Path) -> dict[str, list[str]]:
    """Each command's arguments, with '--report' last (its value appended by the test)."""
    confirmed = shared_data / "jhu_csse_covid19" / "time_series_covid19_confirmed_global.csv"
    out = tmp_path / "out"
    return {
        "rt": ["rt", str(confirmed), "--out", str(out / "rt.csv"), "--si-mean", "4.7",
               "--si-sd", "2.9", "--country", "ITA", "--quiet", "--report"],
        "risk": ["risk", "--source", "ITA", "--out", str(out), "--days", "5", "--runs", "2",
                 "-q", "--report"],
        "compare": ["compare", str(POLICY / "baseline.toml"), str(POLICY / "cut90.toml"),
                    "--out", str(out), "--runs", "2", "-q", "--report"],
        "allocate": ["allocate", str(ALLOCATION), "--out", str(out), "-q", "--report"],
        "repatriate": ["repatriate", str(REPATRIATION), "--out", str(out), "-q", "--report"],
        "simulate": ["simulate", str(SCENARIO), "--out", str(out), "--runs", "2", "-q",
                     "--report"],
    }  # fmt: skip


@pytest.mark.parametrize("command", list(FIGURES))
@pytest.mark.parametrize("where", ["folder", "under_a_file", "proc"])
def test_bad_report_path_is_refused_before_any_work(tmp_path, shared_data, capsys, command, where):
    blocker = tmp_path / "not_a_folder.txt"
    blocker.write_text("x")
    target = {
        "folder": tmp_path,
        "under_a_file": blocker / "report.html",
        "proc": Path("/proc/epicommons-no-such/report.html"),
    }[where]
    assert main([*_commands(tmp_path, shared_data)[command], str(target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "--report" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists(), "outputs written although the report path is bad"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not_a_folder.txt"]


@pytest.mark.parametrize("command", ["risk", "compare", "allocate", "repatriate", "simulate"])
def test_report_must_be_html(tmp_path, shared_data, capsys, command):
    assert main([*_commands(tmp_path, shared_data)[command], str(tmp_path / "r.pdf")]) == 2
    assert ".html" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_rt_report_csv_still_writes_the_cleaning_record(tmp_path, shared_data):
    # --report FILE.csv keeps its earlier meaning: the cleaning record as CSV, no HTML
    args = _commands(tmp_path, shared_data)["rt"]
    (tmp_path / "out").mkdir()
    assert main([*args, str(tmp_path / "cleaning.csv")]) == 0
    record = pd.read_csv(tmp_path / "cleaning.csv")
    assert (record["issue"] == "negative increment").sum() > 0
    assert not list(tmp_path.glob("*.html"))
