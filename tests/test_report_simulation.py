"""The simulate report page from a real (small) ensemble: figures, table, offline rendering."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from epicommons.model import runner
from epicommons.model.scenario import load
from epicommons.report.simulation import simulation_page

SCENARIO = Path(__file__).resolve().parents[1] / "examples" / "scenarios" / "seir_builtin.toml"


@pytest.fixture(scope="module")
def results():
    spec, _ = load(SCENARIO)
    spec = spec.model_copy(update={"runs": 3, "days": 40, "workers": 1})
    model, seeds = runner.prepare(spec, SCENARIO.parent, source=str(SCENARIO))
    return runner.run(spec, model, seeds)


@pytest.fixture(scope="module")
def page_file(results, tmp_path_factory):
    page = simulation_page(results, names={"ITA": "Italy"}, title="SEIR from Italy")
    return page.write(tmp_path_factory.mktemp("sim") / "simulate.html")


def test_simulation_page_is_self_contained_with_four_figures(page_file):
    html = page_file.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?https?://""", html)
    assert "<script" not in html.lower()
    # world curve, small multiples, arrival map, attack-rate map
    assert html.count("<svg") == 4


def test_small_multiples_show_the_twelve_countries_with_most_infections(page_file, results):
    html = page_file.read_text(encoding="utf-8")
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(re.findall(r'<g id="axes_\d+">', svgs[1])) == 12
    # Italy is seeded (20 infections on day 0 of 40): it has the most infections of all countries
    e = results.compartments.index("E")
    per_country = results.country_incidence[..., e].sum(axis=1).mean(axis=0)
    assert results.countries[int(np.argmax(per_country))] == "ITA"
    first_panel = svgs[1][svgs[1].index('<g id="axes_1">') : svgs[1].index('<g id="axes_2">')]
    assert "Italy" in first_panel


def test_country_table_starts_with_the_seeded_country(page_file):
    # the seed country is reached on day 0 in every run, so it leads the table by arrival day
    html = page_file.read_text(encoding="utf-8")
    table = html[html.index("<table") :]
    first_row = re.search(r"<tbody>\s*<tr>\s*<td>(\w+)</td>\s*<td>([^<]*)</td>", table)
    assert first_row and first_row.groups() == ("ITA", "Italy")


@pytest.mark.browser
def test_simulation_page_renders_offline(page_file, offline_page):
    page, errors, refused = offline_page
    page.goto(page_file.as_uri())
    svgs = page.locator("figure svg")
    assert svgs.count() == 4
    for i in range(4):
        box = svgs.nth(i).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100
    assert errors == [] and refused == []
