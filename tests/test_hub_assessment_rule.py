"""The assessment rows' access rule (docs/hub.md, "Who sees what"), cell by cell: expected
answers written from the rule's text, not from the code."""

from __future__ import annotations

import pytest

from epicommons.hub.assessments import View

FRA = View(everything=False, own="FRA", members=frozenset({"FRA", "DEU"}))  # DEU shares with FRA
WHO = View(everything=True, own="WHO", members=frozenset())


@pytest.mark.parametrize(
    ("view", "table", "location", "covers", "seen"),
    [
        (FRA, "rt", "FRA", None, True),  # own rows
        (FRA, "rt", "DEU", None, True),  # a member that shares its reports
        (FRA, "rt", "ITA", None, False),  # one that does not
        (FRA, "failures", "ITA", None, False),
        (FRA, "allocation", "FRA", None, True),  # the proposal's line for itself
        (FRA, "allocation", "DEU", None, False),  # ... only, even from a member that shares
        (FRA, "explanation", "DEU", None, False),
        (FRA, "shadow_prices", None, "FRA,DEU", True),  # small, but only members that share
        (FRA, "shadow_prices", None, "DEU,FRA,ITA,NLD", False),  # small, with one that does not
        (FRA, "shadow_prices", None, "AUT,BEL,DEU,FRA,ITA", True),  # k members: shown
        (FRA, "shadow_prices", None, "", True),  # covers nobody: nothing to single out
        (WHO, "allocation", "ITA", None, True),  # coordinators read everything
        (WHO, "shadow_prices", None, "ITA", True),
    ],
)
def test_who_sees_which_row(view, table, location, covers, seen):
    assert view.allows(table, location, covers) is seen
