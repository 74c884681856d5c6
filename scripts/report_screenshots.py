"""Make the report screenshots in docs/screenshots/ (report_<command>.png, each < 300 KB).

Runs each command with `--report` on the shipped examples (and the JHU file for `rt`), opens the
pages in headless Debian chromium with every request outside file: refused, and saves the top of
each page as a palette PNG.

    .venv/bin/python scripts/report_screenshots.py --data ../shared/data --out docs/screenshots
    .venv/bin/python scripts/report_screenshots.py --only nowcast   # just one of them

Needs the test extras (Playwright): `make screenshots` installs them and runs both screenshot
scripts; or `pip install -e '.[test]'` first.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from PIL import Image

try:
    from playwright.sync_api import sync_playwright
except ModuleNotFoundError as exc:
    raise SystemExit(
        f"scripts/report_screenshots.py needs the test extras ({exc.name} is missing): "
        "run `make screenshots`, or `pip install -e '.[test]'` first"
    ) from None

from epicommons.cli import main
from epicommons.policy import load, prepare
from epicommons.report.simulation import simulation_page
from epicommons.surveillance import read_jhu
from epicommons.surveillance.revision_process import final_counts, simulate_reports
from epicommons.world.countries import registry

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
WIDTH, HEIGHT = 1100, 1900  # CSS pixels captured from the top of each page
SCALE = 0.72  # the saved image is this much of the capture, to stay under 300 KB


def make_reports(data: Path, work: Path, only: set[str] | None = None) -> dict[str, Path]:
    """Run every command (or those in `only`) once with --report; returns command -> page."""
    confirmed = data / "jhu_csse_covid19" / "time_series_covid19_confirmed_global.csv"
    sari = data / "respinow_de" / "SARI__reporting_triangle-icosari-sari.csv"
    policy = EXAMPLES / "policy"
    runs = {
        "rt": ["rt", str(confirmed), "--out", str(work / "rt.csv")]
        + ["--si-mean", "4.7", "--si-sd", "2.9"],
        "risk": ["risk", "--source", "ITA", "--out", str(work / "risk")]
        + ["--days", "90", "--runs", "20", "--start", "2027-01-01", "--seed", "1"],
        "compare": ["compare", str(policy / "baseline.toml"), str(policy / "cut90.toml")]
        + [str(policy / "border.toml"), "--out", str(work / "compare"), "--runs", "10"],
        "allocate": ["allocate", str(EXAMPLES / "assist" / "allocation" / "problem.toml")]
        + ["--out", str(work / "allocate")],
        "repatriate": ["repatriate", str(EXAMPLES / "assist" / "repatriation" / "plan.toml")]
        + ["--out", str(work / "repatriate")],
        "forecast-evaluate": ["forecast-evaluate", str(confirmed), "--model", "renewal,ensemble"]
        + ["--country", "BEL,DEU,ESP,FRA,GBR,ITA,NLD,POL", "--from", "2020-04-01"]
        + ["--to", "2022-03-31", "--every", "4w", "--out", str(work / "forecast")],
        "nowcast": ["nowcast", str(sari), "--out", str(work / "nowcast.csv")]
        + ["--as-of", "2026-01-11", "--location", "DE", "--age-group", "00+", "--forecast", "4"]
        + ["--max-delay", "4", "--method", "auto"],
        "nowcast-evaluate": ["nowcast-evaluate", str(sari), "--out", str(work / "nowcast-eval")]
        + ["--from", "2025-10-05", "--to", "2026-04-26", "--location", "DE", "--age-group", "00+"]
        + ["--max-delay", "4", "--method", "auto"],
    }
    wanted = only or {*runs, "assess", "simulate"}
    pages = {}
    for name, args in runs.items():
        if name not in wanted:
            continue
        pages[name] = work / f"{name}.html"
        if main([*args, "--report", str(pages[name]), "--quiet"]) != 0:
            raise SystemExit(f"epicommons {name} failed")
    if "assess" in wanted:
        pages["assess"] = assessment_report(confirmed, work)
    if "simulate" in wanted:
        scenario = EXAMPLES / "scenarios" / "seir_builtin.toml"
        ready = prepare(load(scenario), runs=10, days=200, workers=1)
        results = ready.run()
        names = {c.iso3: c.name for c in registry()}
        pages["simulate"] = simulation_page(results, names=names, title=ready.scenario.name).write(
            work / "simulate.html"
        )
    return pages


def assessment_report(confirmed: Path, work: Path) -> Path:
    """`epicommons assess` on 20 European members as JHU reports them through the revision
    process (docs/assess.md), as of 2020-12-01; returns its report page."""
    members = "AUT BEL CHE CZE DEU DNK ESP FIN FRA GRC HUN IRL ITA NLD NOR POL PRT SWE SVK SVN"
    final = final_counts(read_jhu(confirmed), members.split(), "2020-08-01", "2020-12-01")
    folder = work / "assessment-inputs"
    folder.mkdir()
    simulate_reports(final, seed=1).to_csv(folder / "counts.csv", index=False)
    (folder / "assessment.toml").write_text("[assessment]\nas_of = 2020-12-01\n")
    if main(["assess", str(folder), "--out", str(work / "assess"), "--quiet"]) != 0:
        raise SystemExit("epicommons assess failed")
    return work / "assess" / "report.html"


def screenshot(pages: dict[str, Path], out: Path, chromium: str) -> list[Path]:
    """Capture the top of every page offline and save it as a small palette PNG."""
    out.mkdir(parents=True, exist_ok=True)
    saved = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(("file:", "data:", "about:"))
                else route.abort()
            ),
        )
        page = context.new_page()
        for name, path in pages.items():
            page.goto(path.as_uri())
            raw = out / f".report_{name}.raw.png"
            page.screenshot(path=raw, clip={"x": 0, "y": 0, "width": WIDTH, "height": HEIGHT})
            image = Image.open(raw).convert("RGB")
            image = image.resize((int(WIDTH * SCALE), int(HEIGHT * SCALE)), Image.LANCZOS)
            target = out / f"report_{name}.png"
            image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
            raw.unlink()
            saved.append(target)
        browser.close()
    return saved


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument(
        "--only", action="append", metavar="NAME", help="just this report (repeat: several)"
    )
    args = parser.parse_args()
    only = set(args.only) if args.only else None
    with tempfile.TemporaryDirectory() as work:
        for path in screenshot(make_reports(args.data, Path(work), only), args.out, args.chromium):
            print(f"{path} {path.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    cli()
