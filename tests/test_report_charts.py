"""Chart kinds and helpers of the command reports: panels, labels, latest windows, report paths."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from epicommons.errors import InputError
from epicommons.report.charts import (
    Panel,
    bullet_chart,
    interval_chart,
    scatter_chart,
    small_multiples,
)
from epicommons.report.rt import latest
from epicommons.report.target import check_target


def _axes(svg: str) -> int:
    return len(re.findall(r'<g id="axes_\d+">', svg))


@pytest.mark.parametrize("n", [1, 5, 12])
def test_small_multiples_draw_one_axes_per_panel(n):
    x = np.arange(30)
    panels = {
        f"country {i}": Panel(x, np.ones(30), np.zeros(30), 2 * np.ones(30)) for i in range(n)
    }
    svg = small_multiples(panels, hline=1.0, columns=3)
    assert _axes(svg) == n  # the unused cells of the grid are not drawn
    assert all(f"country {i}" in svg for i in range(n))


def test_interval_and_bullet_charts_name_every_row_and_series():
    labels = ["France", "Germany", "Spain"]
    mid = np.array([3.0, -1.0, 0.5])
    svg = interval_chart(labels, {"cut": (mid, mid - 1, mid + 1), "screen": (mid, mid, mid)})
    assert all(name in svg for name in [*labels, "cut", "screen"])
    svg = bullet_chart(
        labels,
        np.array([10.0, 5.0, 8.0]),
        {"pool": np.array([4.0, 5.0, 2.0])},
        markers={"covax": np.array([3.0, 2.0, 1.0])},
    )
    assert all(name in svg for name in [*labels, "need", "pool", "covax"])


def test_scatter_ignores_missing_points_and_labels_the_first():
    svg = scatter_chart(
        np.array([1.0, 2.0, np.nan, 4.0, 5.0]),
        np.array([2.0, np.nan, 3.0, 8.0, 9.0]),
        labels=["A-land", "B-land", "C-land", "D-land", "E-land"],
        annotate=2,
        fit=True,
    )
    assert "A-land" in svg and "B-land" not in svg  # B has no y: neither drawn nor labelled
    assert "least squares" in svg  # three points remain: enough for a line
    two = scatter_chart(np.array([1.0, 2.0]), np.array([1.0, 3.0]), fit=True)
    assert "least squares" not in two


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["AAA", "BBB", "CCC"]), st.one_of(st.none(), st.floats(0, 9))),
        min_size=1,
        max_size=30,
    )
)
def test_latest_is_each_series_last_window_with_an_estimate(rows):
    frame = pd.DataFrame(
        {
            "country": [c for c, _ in rows],
            "t_end": np.arange(len(rows)),
            "mean": [np.nan if m is None else m for _, m in rows],
        }
    )
    expected = {}
    for c, t, m in frame.itertuples(index=False):  # plain loop, the last estimate wins
        if not np.isnan(m):
            expected[c] = t
    got = latest(frame)
    assert dict(zip(got["country"], got["t_end"], strict=True)) == expected


def test_report_target_checks_leave_nothing_behind(tmp_path):
    deep = tmp_path / "a" / "b" / "report.HTML"
    assert check_target(deep) == deep
    assert list(tmp_path.iterdir()) == []  # no folder made, the probe file removed
    with pytest.raises(InputError, match="is a folder"):
        check_target(tmp_path)
    with pytest.raises(InputError, match=r"\.html"):
        check_target(tmp_path / "report.txt")


def test_rt_page_without_any_estimate_says_so():
    from epicommons.report.rt import rt_page

    frame = pd.DataFrame(
        {"t_start": [2], "t_end": [8], "mean": [np.nan], "q0.025": [np.nan], "q0.975": [np.nan]}
    )
    html = rt_page(frame).render()
    assert "No window has cases enough" in html and "<svg" not in html
