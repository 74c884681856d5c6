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
    latest = _table(pages["rt"], "95% credible interval").set_index("code")
    for row in last.itertuples():
        # three significant digits: within half a unit of the last digit shown
        assert latest.loc[row.country, "Rt (mean)"] == pytest.approx(row.mean, abs=0.006)


@pytest.mark.slow
def test_risk_report_top_table_matches_the_csv(pages):
    risk = pd.read_csv(pages["_root"] / "risk" / "risk.csv")
    top = _table(pages["risk"], "expected importations")
    assert list(top["code"]) == list(risk["destination"].head(len(top)))
    assert len(top) == min(25, len(risk))
    # shares as percentages: the chance of at least one importation, rounded to whole percents
    shown = top["chance of at least one"].str.rstrip("%").str.lstrip("<>").astype(float)
    expected = risk["p_at_least_one"].head(len(top)) * 100
    assert (abs(shown.to_numpy() - expected.to_numpy()) <= 1).all()


@pytest.mark.slow
def test_compare_report_world_table_matches_the_csv(pages):
    cmp = pd.read_csv(pages["_root"] / "cmp" / "compare.csv")
    world = cmp[cmp["country"] == "WORLD"]
    shown = _table(pages["compare"], "difference")
    assert len(shown) == len(world) == 4  # one scenario x four metrics
    np.testing.assert_allclose(
        shown["difference"].to_numpy(float),
        world["difference_mean"].to_numpy(float),
        rtol=5e-3,
        atol=0.5,  # whole numbers from 1,000 up, three significant digits below
        equal_nan=True,
    )


@pytest.mark.slow
def test_allocate_report_lists_every_shortfall(pages):
    members = pd.read_csv(pages["_root"] / "alloc" / "members.csv")
    short = members[members["share_met"] < 1 - 1e-9]
    binds = _table(pages["allocate"], "what holds it back")
    assert len(binds) == len(short)
    assert set(zip(binds["code"], binds["item"], strict=True)) == set(
        zip(short["member"], short["item"], strict=True)
    )
    # doses are counted: whole numbers, as many as the CSV says (rounded)
    need = dict(zip(zip(short["member"], short["item"], strict=True), short["need"], strict=True))
    for row in binds.itertuples():
        assert row.need == round(need[(row.code, row.item)])


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


# what a person should never read in a report: scientific notation, a matplotlib offset ("1e6")
# or a raw column name
_SCIENTIFIC = re.compile(r"\d(\.\d+)?e[+-]?\d")
_RAW_NAMES = ("ci_low", "ci_high", "share_met", "difference_mean", "p_at_least_one", "q0.975")


def _visible_text(html: str) -> list[str]:
    """Every text node of the page (tables, prose, chart labels): what a reader sees."""
    html = re.sub(r"<style.*?</style>", "", html, flags=re.S)
    return [t.strip() for t in re.findall(r">([^<>]+)<", html) if t.strip()]


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FIGURES))
def test_report_numbers_are_for_people(pages, name):
    texts = _visible_text(pages[name].read_text(encoding="utf-8"))
    assert texts, "no text found"
    for text in texts:
        assert not _SCIENTIFIC.search(text), f"scientific notation in {text!r}"
        assert text not in _RAW_NAMES, f"raw column name {text!r}"


# Overflow: every element whose content is wider than its box and that does not scroll it away
# on purpose, and every table wrapper that needs a horizontal scroll bar; checked at 1280 px.
_OVERFLOWS = """() => {
  const bad = [];
  for (const el of document.querySelectorAll("main *, header *")) {
    const box = el.getBoundingClientRect();
    const parent = el.parentElement.getBoundingClientRect();
    if (box.width && (box.right > parent.right + 1 || box.left < parent.left - 1)
        && getComputedStyle(el.parentElement).overflowX === "visible") {
      bad.push(el.tagName + " " + (el.textContent || "").slice(0, 40));
    }
  }
  for (const wrap of document.querySelectorAll("div.table")) {
    if (wrap.scrollWidth > wrap.clientWidth + 1) bad.push("table " + wrap.textContent.slice(0, 60));
  }
  return bad;
}"""


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("name", list(FIGURES))
def test_report_fits_its_cards_at_1280_px(pages, browser, name, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(pages[name].as_uri())
        assert page.evaluate(_OVERFLOWS) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        page.screenshot(path=tmp_path / f"{name}.png", full_page=True)  # renders the whole page
    finally:
        context.close()


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


@pytest.mark.parametrize("command", ["risk", "compare"])
def test_terminal_summary_is_a_table_for_people(tmp_path, shared_data, capsys, command):
    args = [a for a in _commands(tmp_path, shared_data)[command] if a not in ("-q", "--report")]
    assert main(args) == 0
    out = capsys.readouterr().out
    heading = {"risk": "chance of at least one", "compare": "95% interval"}[command]
    assert heading.split()[0] in out and "%" in out or "interval" in out
    assert not _SCIENTIFIC.search(out)
    assert not any(name in out for name in _RAW_NAMES)
    assert "NaN" not in out and "  nan" not in out
    csv = pd.read_csv(tmp_path / "out" / f"{command}.csv")
    first = csv["destination"].iloc[0] if command == "risk" else "importations"
    assert first in out
