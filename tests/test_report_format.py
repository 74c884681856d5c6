"""Numbers for people: the one formatter of reports, terminal summaries and hub pages."""

from __future__ import annotations

import math

import pytest

from epicommons.report import format as fmt


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3771.4, "3,771"),
        (5.2e7, "52,000,000"),
        (-12345.6, "-12,346"),
        (0.32291, "0.323"),
        (4.4049, "4.40"),
        (1.0, "1.00"),
        (0.0, "0"),
        (0.000209, "0.0002"),
        (5.29e-06, "<0.0001"),
        (-0.0000001, ">-0.0001"),
        (float("nan"), ""),
        (None, ""),
        (math.inf, "∞"),
    ],
)
def test_number(value, text):
    assert fmt.number(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.323, "32%"), (0.0, "0%"), (1.0, "100%"), (0.004, "<1%"), (0.9996, ">99%"), (0.5, "50%")],
)
def test_percent_never_rounds_a_partial_share_to_none_or_all(value, text):
    assert fmt.percent(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (0.25, "0.25"), (2.5, "2.5"), (250000, "250,000"), (1e6, "1 million"),
     (1.5e6, "1.5 million"), (2e7, "20 million"), (3e9, "3 billion"), (-5, "-5")],
)  # fmt: skip
def test_axis_ticks(value, text):
    assert fmt.tick(value) == text


def test_counts_are_whole_and_columns_share_decimals():
    assert fmt.count(3.82e6) == "3,820,000" and fmt.count(119.6) == "120"
    assert fmt.common_decimals([1, 2, 300]) == 0  # whole numbers: none
    assert fmt.common_decimals([3.25, 4.4, 5.51, 1163.0]) == 2  # the typical value sets them
    assert fmt.fixed(-0.0001, 2) == "0.00"  # no "-0.00"
