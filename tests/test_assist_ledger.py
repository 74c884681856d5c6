"""Pledges and deliveries: reports computed by hand on a small ledger, record round trips, and
bad records named by their position and field."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from epicommons.assist.ledger import DELIVERY_FIELDS, PLEDGE_FIELDS, Ledger
from epicommons.errors import InputError

PLEDGES = [
    {
        "pledge_id": "P1",
        "donor": "FRA",
        "recipient": "COVAX",
        "item": "vaccine",
        "quantity": 1000,
        "date": "2021-03-01",
        "unit": "dose",
    },
    {
        "pledge_id": "P2",
        "donor": "FRA",
        "recipient": "KEN",
        "item": "oxygen",
        "quantity": 50,
        "date": "2021-03-05",
    },
    {
        "pledge_id": "P3",
        "donor": "JPN",
        "recipient": "PHL",
        "item": "vaccine",
        "quantity": 300,
        "date": "2021-04-01",
    },
]
DELIVERIES = [
    {
        "delivery_id": "D1",
        "pledge_id": "P1",
        "donor": "FRA",
        "recipient": "KEN",
        "item": "vaccine",
        "quantity": 400,
        "date": "2021-03-20",
    },
    {
        "delivery_id": "D2",
        "pledge_id": "P1",
        "donor": "FRA",
        "recipient": "NGA",
        "item": "vaccine",
        "quantity": 300,
        "date": "2021-04-10",
    },
    {
        "delivery_id": "D3",
        "pledge_id": "P2",
        "donor": "FRA",
        "recipient": "KEN",
        "item": "oxygen",
        "quantity": 60,
        "date": "2021-03-25",
    },
    {
        "delivery_id": "D4",
        "pledge_id": None,
        "donor": "JPN",
        "recipient": "PHL",
        "item": "oxygen",
        "quantity": 10,
        "date": "2021-04-02",
    },
]


def ledger() -> Ledger:
    return Ledger.from_records(PLEDGES, DELIVERIES)


def test_pledged_versus_delivered_per_donor():
    # FRA pledged 1000 vaccine, delivered 700; pledged 50 oxygen, delivered 60 (over).
    # JPN pledged 300 vaccine, delivered 0; gave 10 oxygen unpledged.
    report = ledger().by_donor().set_index(["donor", "item"])
    assert report.loc[("FRA", "vaccine"), ["pledged", "delivered"]].tolist() == [1000, 700]
    assert report.loc[("FRA", "oxygen"), ["pledged", "delivered"]].tolist() == [50, 60]
    assert report.loc[("JPN", "vaccine"), ["pledged", "delivered"]].tolist() == [300, 0]
    assert report.loc[("JPN", "oxygen"), ["pledged", "delivered"]].tolist() == [0, 10]
    assert report.loc[("FRA", "vaccine"), "share_delivered"] == pytest.approx(0.7)


def test_a_share_delivered_never_exceeds_one():
    # FRA delivered 60 oxygen against a pledge of 50: the pledge is fulfilled (share 1), and the
    # 10 over it are reported beside; JPN's unpledged 10 oxygen have no share, all beyond pledges.
    report = ledger().by_donor().set_index(["donor", "item"])
    assert report.loc[("FRA", "oxygen"), ["share_delivered", "beyond_pledges"]].tolist() == [1, 10]
    assert report.loc[("JPN", "oxygen"), "beyond_pledges"] == 10
    assert pd.isna(report.loc[("JPN", "oxygen"), "share_delivered"])
    assert report["share_delivered"].dropna().between(0, 1).all()
    by_recipient = ledger().by_recipient().set_index(["recipient", "item"])
    assert by_recipient.loc[("KEN", "oxygen"), "share_delivered"] == 1
    assert by_recipient["share_delivered"].dropna().between(0, 1).all()


def test_pledged_versus_delivered_per_recipient_and_pool():
    report = ledger().by_recipient().set_index(["recipient", "item"])
    assert report.loc[("COVAX", "vaccine"), ["pledged", "delivered"]].tolist() == [1000, 700]
    assert report.loc[("KEN", "vaccine"), ["pledged", "delivered"]].tolist() == [0, 400]
    assert report.loc[("KEN", "oxygen"), ["pledged", "delivered"]].tolist() == [50, 60]
    assert report.loc[("PHL", "vaccine"), ["pledged", "delivered"]].tolist() == [300, 0]


def test_by_pledge_outstanding_and_over_delivered():
    report = ledger().by_pledge().set_index("pledge_id")
    assert report.loc["P1", ["delivered", "outstanding", "over_delivered"]].tolist() == [
        700,
        300,
        0,
    ]
    assert report.loc["P2", ["delivered", "outstanding", "over_delivered"]].tolist() == [60, 0, 10]


def test_members_assisted_and_as_of():
    assert ledger().members_assisted() == 3  # KEN, NGA, PHL
    as_of = dt.date(2021, 3, 31)
    assert ledger().members_assisted(as_of) == 1  # only KEN by the end of March
    early = ledger().by_donor(as_of).set_index(["donor", "item"])
    assert early.loc[("FRA", "vaccine"), "delivered"] == 400


def test_records_round_trip():
    pledges, deliveries = ledger().to_records()
    assert set(pledges[0]) == set(PLEDGE_FIELDS) and set(deliveries[0]) == set(DELIVERY_FIELDS)
    again = Ledger.from_records(pledges, deliveries)
    assert again.by_donor().equals(ledger().by_donor())


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"quantity": -5}, "deliveries, line 2, field 'quantity'"),
        ({"quantity": "inf"}, "deliveries, line 2, field 'quantity': expected a finite quantity"),
        ({"date": "21/04/2021"}, "deliveries, line 2, field 'date'"),
        ({"pledge_id": "P9"}, "deliveries, line 2, field 'pledge_id'"),
        ({"item": "oxygen"}, "deliveries, line 2, field 'item'"),
        ({"recipient": "COVAX"}, "deliveries, line 2, field 'recipient'"),
    ],
)
def test_bad_delivery_is_named(change, where):
    deliveries = [dict(d) for d in DELIVERIES]
    deliveries[1].update(change)
    with pytest.raises(InputError) as err:
        Ledger.from_records(PLEDGES, deliveries)
    assert str(err.value).startswith(where)


def test_delivery_to_another_member_than_pledged_is_refused():
    deliveries = [dict(d) for d in DELIVERIES]
    deliveries[2]["recipient"] = "UGA"
    with pytest.raises(InputError, match="pledge 'P2' is for 'KEN'"):
        Ledger.from_records(PLEDGES, deliveries)
