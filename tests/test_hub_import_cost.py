"""An import reads only the stored values it needs: its cost depends on its size, not on the
member's history (counted in rows read, not timed)."""

from __future__ import annotations

import datetime as dt

import pytest

from epicommons.hub import admin
from epicommons.hub.access import Principal
from epicommons.hub.db import open_database
from epicommons.hub.indicators import parse_rows
from epicommons.hub.models import Member
from epicommons.hub.reports import import_report, stored_values
from test_hub_support import backend_params, fresh_database

LEVELS = {
    "new_cases": 100,
    "new_deaths": 1,
    "tests": 500,
    "hospital_occupancy": 50,
    "icu_occupancy": 5,
}


@pytest.fixture(params=backend_params())
def db(request, tmp_path):
    fresh = fresh_database(request.param, tmp_path)
    database = open_database(fresh.url)
    admin.init(database)
    yield database
    database.dispose()
    fresh.close()


def records(days: list[dt.date], offset: int) -> list[tuple[int, dict]]:
    rows = [
        {"date": d.isoformat(), "indicator": i, "value": level + offset}
        for d in days
        for i, level in LEVELS.items()
    ]
    return list(enumerate(rows, start=1))


def test_a_correction_reads_its_own_keys_whatever_the_history(db):
    member = admin.add_member(db, "KOR")
    token = admin.issue_token(db, "KOR", "reporter")
    caller = Principal(token.id, member.id, "KOR", "reporter")
    with db.read() as s:
        member = s.get(Member, member.id)
    start = dt.date(2020, 1, 1)
    year = [start + dt.timedelta(days=n) for n in range(366)]
    for chunk in range(0, len(year), 100):
        import_report(db, caller, member, records(year[chunk : chunk + 100], 0), from_text=False)
    # A correction of two dates a year apart: 10 values, whose rules compare 5 indicators a date.
    scattered = [year[0], year[-1]]
    parsed, _ = parse_rows(records(scattered, 1), False)
    with db.read() as s:
        read = stored_values(s, member.id, parsed)  # what the database returns to the import
    assert len(parsed) == 10
    assert sorted(read) == sorted(r.key for r in parsed)  # not the range's 366 x 5 = 1,830
    summary = import_report(db, caller, member, records(scattered, 1), from_text=False)
    assert (summary.imported, summary.updated) == (0, 10)
