"""Revisions kept: corrections add revisions, reads as known at a date, the history's triangle."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import func, select, update

from epicommons.hub.models import AuditEntry, Member, ReportValue, ValueRevision
from epicommons.hub.revisions import count_history, values_as_of
from epicommons.surveillance.triangle import read_triangle
from test_hub_support import backend_params, running_hub, values

# A hand-made sequence of KOR's submissions of new_cases: (when it was sent, {date: value}).
SEQUENCE = [
    ("2026-03-01T10:00:00", {"2026-03-01": 5}),
    ("2026-03-02T10:00:00", {"2026-03-01": 8, "2026-03-02": 4}),
    ("2026-03-03T09:00:00", {"2026-03-01": 7, "2026-03-02": 4, "2026-03-03": 0}),
    ("2026-03-03T18:00:00", {"2026-03-01": 9}),
    ("2026-03-05T12:00:00", {"2026-03-01": 9, "2026-03-03": 2}),
]
# The triangle written down by hand: (reference date, report date, what was added that day).
# 03-01 went 5, 8, 7 then 9 on 03-03 (net +1 that day); 03-03 was first reported as 0.
BY_HAND = [
    ("2026-03-01", "2026-03-01", 5),
    ("2026-03-01", "2026-03-02", 3),
    ("2026-03-01", "2026-03-03", 1),
    ("2026-03-02", "2026-03-02", 4),
    ("2026-03-03", "2026-03-03", 0),
    ("2026-03-03", "2026-03-05", 2),
]


@pytest.fixture(scope="module", params=backend_params())
def hub(request, tmp_path_factory):
    yield from running_hub(request.param, tmp_path_factory.mktemp("revisions"))


@pytest.fixture(scope="module")
def history(hub):
    """Send SEQUENCE through the API, then date each submission's revisions when it was sent
    (as the expiry test moves a time into the past rather than wait for it)."""
    kor = hub.client("KOR", "reporter")
    for sent, cells in SEQUENCE:
        body = values(*[(d, "new_cases", v) for d, v in cells.items()])
        answer = kor.post("/members/KOR/reports", json=body)
        assert answer.status_code == 200, answer.text
        with hub.db.transaction() as s:
            s.execute(
                update(ValueRevision)
                .where(ValueRevision.submission_id == answer.json()["submission"])
                .values(known_at=dt.datetime.fromisoformat(sent))
            )
    jpn = hub.client("JPN", "reporter")
    assert jpn.post("/members/JPN/reports", json=values(("2026-03-01", "new_cases", 1))).is_success
    return hub


def frame(rows: list[tuple[str, str, float]], location: str = "KOR") -> pd.DataFrame:
    return pd.DataFrame(
        [
            (location, dt.date.fromisoformat(r), dt.date.fromisoformat(p), float(c))
            for r, p, c in rows
        ],
        columns=["location", "reference_date", "report_date", "count"],
    )


def test_corrections_add_revisions_and_identical_values_add_none(history):
    with history.db.read() as s:
        kor = s.scalar(select(Member.id).where(Member.code == "KOR"))
        revisions = s.scalar(
            select(func.count()).select_from(ValueRevision).where(ValueRevision.member_id == kor)
        )
        current = dict(
            s.execute(
                select(ReportValue.date, ReportValue.value).where(ReportValue.member_id == kor)
            ).all()
        )
        audits = s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "report")
        )
    # 1 + 2 + 2 (03-02 resent unchanged) + 1 + 1 (03-01 resent unchanged) revisions
    assert revisions == 7
    assert current == {
        dt.date(2026, 3, 1): 9.0,
        dt.date(2026, 3, 2): 4.0,
        dt.date(2026, 3, 3): 2.0,
    }
    assert audits == len(SEQUENCE) + 1  # one audit row per submission that changed something


def test_count_history_is_the_triangle_written_by_hand(history):
    with history.db.read() as s:
        kor = count_history(s, as_of=None, members=["KOR"])
        everyone = count_history(s, as_of=None)
        by_0303 = count_history(s, as_of=dt.date(2026, 3, 3), members=["KOR"])
        by_0302_noon = count_history(s, as_of=dt.datetime(2026, 3, 2, 12), members=["KOR"])
        by_0302_early = count_history(s, as_of=dt.datetime(2026, 3, 2, 9), members=["KOR"])
    pd.testing.assert_frame_equal(kor, frame(BY_HAND))
    assert sorted(everyone["location"].unique()) == ["JPN", "KOR"]
    pd.testing.assert_frame_equal(by_0303, frame(BY_HAND[:5]))
    pd.testing.assert_frame_equal(by_0302_noon, frame([BY_HAND[0], BY_HAND[1], BY_HAND[3]]))
    pd.testing.assert_frame_equal(by_0302_early, frame([BY_HAND[0]]))


def test_the_nowcast_reader_takes_the_history_unchanged(history, tmp_path):
    with history.db.read() as s:
        kor = count_history(s, as_of=None, members=["KOR"])
    kor.to_csv(tmp_path / "kor.csv", index=False)
    triangle = read_triangle(tmp_path / "kor.csv")
    assert triangle.unit == "D" and triangle.locations == ("KOR",)
    # delays 0, 1, 2; a day without a change is a 0 cell (the reader's rule for long files)
    assert triangle.delays.tolist() == [0, 1, 2]
    assert triangle.counts[0].tolist() == [[5, 3, 1], [4, 0, 0], [0, 0, 2]]
    # What the triangle says was known on 03-03 is what the hub held on 03-03.
    assert triangle.as_of("2026-03-03").observed()[0].tolist() == [9.0, 4.0, 0.0]


def test_values_as_known_at_a_date(history):
    kor = history.client("KOR", "analyst")

    def read(as_of: str) -> dict[str, float]:
        answer = kor.get("/members/KOR/reports", params={"as_of": as_of})
        assert answer.status_code == 200, answer.text
        return {v["date"]: v["value"] for v in answer.json() if v["indicator"] == "new_cases"}

    assert read("2026-03-01") == {"2026-03-01": 5}
    assert read("2026-03-02T09:59:59Z") == {"2026-03-01": 5}
    assert read("2026-03-02T11:00:00+01:00") == {"2026-03-01": 8, "2026-03-02": 4}
    assert read("2026-03-03") == {"2026-03-01": 9, "2026-03-02": 4, "2026-03-03": 0}
    assert read("2030-01-01") == {"2026-03-01": 9, "2026-03-02": 4, "2026-03-03": 2}
    assert read("2026-02-28") == {}
    with history.db.read() as s:
        rows = values_as_of(
            s,
            as_of=dt.date(2026, 3, 2),
            members=["KOR"],
            indicators=["new_cases"],
            start=None,
            end=None,
        )
    assert [(r["date"].isoformat(), r["value"]) for r in rows] == [
        ("2026-03-01", 8.0),
        ("2026-03-02", 4.0),
    ]
    assert rows[0]["updated_at"] == dt.datetime(2026, 3, 2, 10)


def test_as_of_on_every_read_of_values(history):
    coordinator = history.client("WHO", "coordinator")
    day = {"as_of": "2026-03-02"}
    listed = coordinator.get("/values", params={**day, "member": "KOR"}).json()
    assert [(v["date"], v["value"]) for v in listed] == [("2026-03-01", 8), ("2026-03-02", 4)]
    csv = coordinator.get("/values.csv", params={**day, "member": "KOR"}).text
    assert csv.splitlines()[1:] == [
        "KOR,2026-03-01,new_cases,,8.0",
        "KOR,2026-03-02,new_cases,,4.0",
    ]
    totals = coordinator.get("/aggregates", params={**day, "indicator": "new_cases"}).json()
    assert [(t["date"], t["total"], t["members"]) for t in totals] == [
        ("2026-03-01", 8.0, 1),
        ("2026-03-02", 4.0, 1),
    ]
    later = coordinator.get("/aggregates", params={"indicator": "new_cases"}).json()
    assert later[0] == {"date": "2026-03-01", "total": 10.0, "members": 2}  # KOR 9 + JPN 1


def test_access_rules_hold_as_of(history):
    jpn = history.client("JPN", "reporter")
    assert jpn.get("/members/KOR/reports", params={"as_of": "2026-03-02"}).status_code == 403
    listed = jpn.get("/values", params={"as_of": "2030-01-01"}).json()
    assert {v["member"] for v in listed} == {"JPN"}
    totals = jpn.get("/aggregates", params={"indicator": "new_cases", "as_of": "2030-01-01"})
    assert totals.json() == [{"date": "2026-03-01", "total": 1.0, "members": 1}]


@pytest.mark.parametrize(
    "bad", ["yesterday", "2026-02-30", "1850-01-01", "1767225600", "2026-03-01T25:00Z"]
)
def test_a_bad_as_of_is_a_422_naming_the_parameter(history, bad):
    kor = history.client("KOR", "reporter")
    for path in ("/values", "/values.csv", "/members/KOR/reports", "/members/KOR/rt"):
        answer = kor.get(path, params={"as_of": bad})
        assert answer.status_code == 422, (path, bad, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert "as_of" in answer.json()["detail"]
    answer = kor.get("/aggregates", params={"indicator": "new_cases", "as_of": bad})
    assert answer.status_code == 422 and "as_of" in answer.json()["detail"]


@pytest.mark.parametrize("backend", backend_params())
def test_migration_keeps_every_value_as_its_first_revision(backend, tmp_path):
    """A database made by the previous head (0002), filled by SQL as the old code wrote it."""
    from alembic import command
    from sqlalchemy import text

    from epicommons.hub.db import _alembic_config, current_revision, open_database
    from test_hub_support import fresh_database

    fresh = fresh_database(backend, tmp_path)
    db = open_database(fresh.url)
    try:
        cfg = _alembic_config()
        with db.writer.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0002")
        t0 = dt.datetime(2026, 11, 1, 8)
        old = [  # (member, date, indicator, item, value, submission, updated_at)
            (1, "2026-10-30", "new_cases", "", 12.0, 1, t0),
            (1, "2026-10-31", "new_cases", "", 15.0, 2, t0 + dt.timedelta(hours=5)),
            (1, "2026-10-31", "stock", "masks", 5000.0, 2, t0 + dt.timedelta(hours=5)),
            (2, "2026-10-31", "new_deaths", "", 0.0, 3, t0 + dt.timedelta(days=1)),
        ]
        with db.writer.begin() as conn:
            for n, code in ((1, "KOR"), (2, "JPN")):
                conn.execute(
                    text(
                        "INSERT INTO members (id, code, name, kind, created_at)"
                        " VALUES (:id, :code, :code, 'country', :t)"
                    ),
                    {"id": n, "code": code, "t": t0},
                )
                conn.execute(
                    text(
                        "INSERT INTO tokens (id, member_id, role, token_hash, label, created_at)"
                        " VALUES (:id, :m, 'reporter', :h, '', :t)"
                    ),
                    {"id": n + 10, "m": n, "h": f"{n:064d}", "t": t0},
                )
            for sub, member in ((1, 1), (2, 1), (3, 2)):
                conn.execute(
                    text(
                        "INSERT INTO submissions (id, member_id, token_id, content_hash, summary,"
                        " created_at) VALUES (:id, :m, :tok, 'x', '{}', :t)"
                    ),
                    {"id": sub, "m": member, "tok": member + 10, "t": t0},
                )
            for i, (m, d, ind, item, v, sub, at) in enumerate(old, start=1):
                conn.execute(
                    text(
                        "INSERT INTO report_values (id, member_id, date, indicator, item, value,"
                        " submission_id, updated_at) VALUES (:id, :m, :d, :i, :it, :v, :s, :u)"
                    ),
                    {
                        "id": i,
                        "m": m,
                        "d": dt.date.fromisoformat(d),
                        "i": ind,
                        "it": item,
                        "v": v,
                        "s": sub,
                        "u": at,
                    },
                )
        with db.writer.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0003_value_revisions")
        assert current_revision(db) == "0003_value_revisions"
        with db.read() as s:
            got = s.execute(
                select(
                    ValueRevision.member_id,
                    ValueRevision.date,
                    ValueRevision.indicator,
                    ValueRevision.item,
                    ValueRevision.value,
                    ValueRevision.submission_id,
                    ValueRevision.known_at,
                    ValueRevision.token_id,
                    ValueRevision.actor,
                ).order_by(ValueRevision.id)
            ).all()
            kept = s.scalar(select(func.count()).select_from(ReportValue))
            history = count_history(s, as_of=None)
        assert [tuple(r) for r in got] == [
            (m, dt.date.fromisoformat(d), ind, item, v, sub, at, m + 10, f"token:{m + 10}")
            for m, d, ind, item, v, sub, at in old
        ]
        assert kept == len(old)
        assert history.to_dict("records") == [
            {
                "location": "KOR",
                "reference_date": dt.date(2026, 10, 30),
                "report_date": dt.date(2026, 11, 1),
                "count": 12.0,
            },
            {
                "location": "KOR",
                "reference_date": dt.date(2026, 10, 31),
                "report_date": dt.date(2026, 11, 1),
                "count": 15.0,
            },
        ]
        with db.writer.begin() as conn:  # and back down: the table goes, the values stay
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0002")
        with db.read() as s:
            assert s.scalar(select(func.count()).select_from(ReportValue)) == len(old)
    finally:
        db.dispose()
        fresh.close()
