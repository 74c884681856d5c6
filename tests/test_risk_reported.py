"""Importation risk from reported cases (`risk.reported`), on a network small enough to work by hand."""

from __future__ import annotations

import math

import pytest

from epicommons.risk.reported import importation_from_reports
from factories import network

# A -> B 1,000 travellers a day, A -> C 10, out of 1,000,000 people in A.
NET = network(
    [1_000_000, 500_000, 200_000],
    [[0, 1_000, 10], [0, 0, 0], [0, 0, 0]],
    nodes=["A", "B", "C"],
    countries=["AAA", "BBB", "CCC"],
)


def test_expected_importations_follow_the_travel_law_by_hand():
    # Prevalence 7,000 / 1e6 for 14 days; a person leaves A for B with probability 1e3 / 1e6.
    table, skipped = importation_from_reports(NET, {"AAA": 7_000}, horizon=14)
    row = table.set_index("destination")
    assert row.loc["BBB", "expected"] == pytest.approx(14 * 7_000 * 1e-3)
    assert row.loc["CCC", "expected"] == pytest.approx(14 * 7_000 * 1e-5)
    assert row.loc["BBB", "p_at_least_one"] == pytest.approx(1 - math.exp(-98))
    assert list(table["destination"][:2]) == ["BBB", "CCC"]  # most at risk first
    assert set(table["source"]) == {"AAA"} and skipped == []


def test_sources_off_the_network_or_without_cases_are_left_out():
    table, skipped = importation_from_reports(NET, {"AAA": 0, "ZZZ": 50}, horizon=14)
    assert table.empty and sorted(skipped) == ["AAA", "ZZZ"]
