"""The read "as known at a moment" (`revisions.as_known`, a correlated `LIMIT 1` per revision)
equals, on randomized histories with deletions (revisions without a value), ties of `known_at`
and several members, indicators and items: the window-function query it replaced (kept here as
the reference) and a plain Python reading of the rule (per key, the latest revision known then,
ties to the highest id; nothing when that one is a deletion). Paged reads (`value_rows` with
`limit`, `offset`) give the same slices. SQLite, and PostgreSQL when configured."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, insert, select

from epicommons.hub import admin
from epicommons.hub.db import open_database
from epicommons.hub.models import Member, Submission, ValueRevision
from epicommons.hub.reports import value_rows
from epicommons.hub.revisions import as_known, cutoff, known_by
from test_hub_support import backend_params, fresh_database

MEMBERS = ("KOR", "JPN")
DAYS = [dt.date(2026, 3, d) for d in (1, 2, 3)]
KEYS = [("new_cases", ""), ("stock", "masks"), ("stock", "gloves")]
MOMENTS = [dt.datetime(2026, 3, 1, 10) + dt.timedelta(hours=7 * k) for k in range(8)]
AS_OF = [
    *MOMENTS,
    MOMENTS[3] - dt.timedelta(seconds=1),
    dt.date(2026, 3, 1),
    dt.date(2026, 3, 2),
    dt.date(2026, 2, 28),
    dt.date(2030, 1, 1),
]

revision = st.tuples(
    st.sampled_from(MEMBERS),
    st.sampled_from(DAYS),
    st.sampled_from(KEYS),
    st.one_of(st.none(), st.integers(0, 50).map(float)),  # None: a DHIS2 DELETE
    st.sampled_from(MOMENTS),
)


@pytest.fixture(scope="module", params=backend_params())
def db(request, tmp_path_factory):
    fresh = fresh_database(request.param, tmp_path_factory.mktemp("as_of_query"))
    database = open_database(fresh.url)
    admin.init(database)
    for code in MEMBERS:
        admin.add_member(database, code)
    token = admin.issue_token(database, "KOR", "reporter")
    with database.transaction() as s:
        ids = {code: i for code, i in s.execute(select(Member.code, Member.id))}
        sub = s.scalar(
            insert(Submission)
            .values(
                member_id=ids["KOR"],
                token_id=token.id,
                content_hash="0" * 64,
                summary="{}",
                created_at=MOMENTS[0],
            )
            .returning(Submission.id)
        )
    yield database, ids, sub, token.id
    database.dispose()
    fresh.close()


def window_as_known(as_of, *where):  # type: ignore[no-untyped-def]
    """The query `as_known` replaced: rank each key's revisions known then, keep the first."""
    rank = (
        func.row_number()
        .over(
            partition_by=(
                ValueRevision.member_id,
                ValueRevision.indicator,
                ValueRevision.date,
                ValueRevision.item,
            ),
            order_by=(ValueRevision.known_at.desc(), ValueRevision.id.desc()),
        )
        .label("rank")
    )
    ranked = (
        select(
            ValueRevision.member_id,
            ValueRevision.date,
            ValueRevision.indicator,
            ValueRevision.item,
            ValueRevision.value,
            ValueRevision.known_at.label("updated_at"),
            rank,
        )
        .where(known_by(ValueRevision.known_at, as_of), *where)
        .subquery()
    )
    return (
        select(*[c for c in ranked.c if c.name != "rank"])
        .where(ranked.c.rank == 1, ranked.c.value.is_not(None))
        .subquery()
    )


def read(session, known) -> list[tuple]:  # type: ignore[no-untyped-def]
    q = select(known.c.member_id, known.c.date, known.c.indicator, known.c.item, known.c.value)
    return [tuple(r) for r in session.execute(q.order_by(*list(q.selected_columns)[:4]))]


def by_hand(stored: list[tuple], ids: dict[str, int], as_of) -> list[tuple]:  # type: ignore[no-untyped-def]
    """The rule in Python: per key, the revision known then with the latest (known_at, id)."""
    moment, inclusive = cutoff(as_of)
    latest: dict[tuple, tuple] = {}
    for rid, (member, day, (indicator, item), value, known_at) in stored:
        if known_at < moment or (inclusive and known_at == moment):
            key = (ids[member], day, indicator, item)
            if key not in latest or (known_at, rid) > latest[key][:2]:
                latest[key] = (known_at, rid, value)
    return sorted((*k, v[2]) for k, v in latest.items() if v[2] is not None)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(history=st.lists(revision, max_size=40), as_of=st.sampled_from(AS_OF))
def test_the_read_as_of_is_the_window_query_and_the_rule(db, history, as_of):
    database, ids, sub, token = db
    with database.transaction() as s:
        s.execute(delete(ValueRevision))
        stored = []
        for member, day, (indicator, item), value, known_at in history:
            rid = s.scalar(
                insert(ValueRevision)
                .values(
                    member_id=ids[member],
                    date=day,
                    indicator=indicator,
                    item=item,
                    value=value,
                    known_at=known_at,
                    submission_id=sub,
                    token_id=token,
                    actor="KOR/test",
                )
                .returning(ValueRevision.id)
            )
            stored.append((rid, (member, day, (indicator, item), value, known_at)))
    want = by_hand(stored, ids, as_of)
    with database.read() as s:
        assert read(s, as_known(as_of)) == want
        assert read(s, window_as_known(as_of)) == want
        narrowed = (ValueRevision.indicator == "stock", ValueRevision.date >= DAYS[1])
        assert read(s, as_known(as_of, *narrowed)) == read(s, window_as_known(as_of, *narrowed))
        # paged, in key order, through the read the API and pages use
        codes = {v: k for k, v in ids.items()}
        full = sorted(
            (codes[m], d, i, it, v) for m, d, i, it, v in want
        )  # value_rows orders by member code
        for limit, offset in ((3, 0), (3, 3), (5, 7), (1000, 0)):
            page = value_rows(
                s,
                Member.code.in_(MEMBERS),
                indicator=None,
                start=None,
                end=None,
                limit=limit,
                offset=offset,
                as_of=as_of,
            )
            got = [(r["member"], r["date"], r["indicator"], r["item"], r["value"]) for r in page]
            assert got == full[offset : offset + limit]
