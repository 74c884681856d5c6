"""Sign-in sessions, rate limits, administration codes, the database file and its migrations,
and a database that is down (issues: the hub holds its rules; the user's way through)."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from alembic import command
from sqlalchemy import func, select, text

from epicommons.errors import InputError
from epicommons.hub import admin
from epicommons.hub.db import _alembic_config, current_revision, head_revision, open_database
from epicommons.hub.models import DashboardSession, Pledge, SharingGrant
from test_hub_pages_support import browser_client, csrf_of, sign_in
from test_hub_support import (
    PG_ENV,
    Server,
    backend_params,
    fresh_database,
    running_hub,
    setup_hub,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    yield from running_hub("sqlite", tmp_path_factory.mktemp("edges"), ["--rate-limit", "20"])


def test_signing_out_ends_the_session_even_for_a_copied_cookie(hub):
    signed = sign_in(hub, hub.tokens[("JPN", "analyst")])
    cookie = signed.cookies["ec_session"]
    assert cookie != hub.tokens[("JPN", "analyst")] and not cookie.startswith("ech_")
    page = signed.get("/dashboard/members/JPN")
    assert page.status_code == 200
    assert signed.post("/signout", data={"csrf": csrf_of(page.text)}).status_code == 303
    with browser_client(hub) as thief:
        thief.cookies.set("ec_session", cookie)
        answer = thief.get("/dashboard/members/JPN")
        assert answer.status_code == 401 and "ended" in answer.text
    with hub.db.read() as s:
        ended = s.scalar(select(func.count()).where(DashboardSession.ended_at.is_not(None)))
    assert ended == 1


def test_retry_after_is_at_least_a_second(hub):
    chn = hub.client("CHN", "analyst")
    answers = [chn.get("/me") for _ in range(25)]
    refused = [a for a in answers if a.status_code == 429]
    assert refused and all(int(a.headers["retry-after"]) >= 1 for a in refused)


def test_bad_tokens_are_limited_by_address_and_cost_more(tmp_path):
    """20 requests a minute per token, 80 per address; a failed authentication costs 10 more:
    7 wrong tokens spend 77 of the 80, the 9th request is refused before any check."""
    for fresh in running_hub("sqlite", tmp_path, ["--rate-limit", "20"]):
        anonymous = httpx.Client(base_url=fresh.url + "/api/v1", timeout=30)
        statuses = [
            anonymous.get("/me", headers={"Authorization": "Bearer ech_wrong"}).status_code
            for _ in range(12)
        ]
        assert statuses[:7] == [401] * 7 and statuses[-1] == 429, statuses
        # The address's budget is spent: a good token from the same address waits too.
        assert fresh.client("KOR", "analyst").get("/me").status_code == 429


def test_codes_match_in_full_and_organisations_never_read_as_countries(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'h.sqlite'}")
    admin.init(db)
    admin.add_member(db, "KOR")
    for code in ("KOR\n", "K-OR", "KO_R", "kor\n", "WHO\n"):
        with pytest.raises(InputError):
            admin.add_member(db, code, organisation=True)
    with pytest.raises(InputError):
        admin.add_member(db, "KOR\n")
    with pytest.raises(InputError):
        admin.add_member(db, "WHO", organisation=True, name="World\x00Health")
    assert admin.add_member(db, "WHO", organisation=True).code == "WHO"
    db.dispose()


def test_the_sqlite_file_and_its_wal_are_private(tmp_path):
    os.umask(0o022)
    path = tmp_path / "hub.sqlite"
    db = open_database(f"sqlite:///{path}")
    admin.init(db)
    admin.add_member(db, "KOR")
    with db.reader.connect() as conn:  # the WAL and SHM exist while a connection is open
        conn.execute(text("SELECT 1"))
        for name in (path, tmp_path / "hub.sqlite-wal", tmp_path / "hub.sqlite-shm"):
            assert stat.S_IMODE(name.stat().st_mode) == 0o600, name
    db.dispose()


@pytest.mark.parametrize(
    "url", ["sqlite:////proc/x/h.sqlite", "sqlite:///README.md", "sqlite:///docs"]
)
def test_hub_init_refuses_unusable_sqlite_paths_with_exit_2(url):
    readme = REPO / "README.md"
    before = readme.read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "epicommons", "hub", "init", "--db", url],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "--db" in done.stderr
    assert readme.read_bytes() == before


@pytest.mark.parametrize("backend", backend_params())
def test_upgrading_a_0001_database_keeps_its_data_and_merges_repeated_grants(backend, tmp_path):
    fresh = fresh_database(backend, tmp_path)
    db = open_database(fresh.url)
    cfg = _alembic_config()
    with db.writer.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    now = "2025-01-01 00:00:00"
    with db.writer.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO members (id, code, name, kind, created_at) VALUES "
                f"(1, 'KOR', 'Korea', 'country', '{now}'), (2, 'JPN', 'Japan', 'country', '{now}')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO pledges (id, donor_id, recipient_member_id, item, quantity, date, "
                f"created_at) VALUES (1, 1, 2, 'masks', 10, '2025-01-01', '{now}')"
            )
        )
        for gid in (1, 2, 3):  # the same grant three times (stacked), then another scope
            conn.execute(
                text(
                    "INSERT INTO sharing_grants (id, grantor_id, grantee_member_id, scope, "
                    f"created_at) VALUES ({gid}, 1, 2, 'reports', '{now}')"
                )
            )
        conn.execute(
            text(
                "INSERT INTO sharing_grants (id, grantor_id, grantee_member_id, scope, created_at)"
                f" VALUES (4, 1, 2, 'events', '{now}')"
            )
        )
    admin.init(db)
    with db.read() as s:
        grants = s.execute(select(SharingGrant.id, SharingGrant.scope).order_by(SharingGrant.id))
        assert [tuple(g) for g in grants] == [(1, "reports"), (4, "events")]
        p = s.get(Pledge, 1)
        assert (p.quantity, p.declined_at) == (10, None)
    with pytest.raises(Exception, match="(?i)unique|duplicate"), db.transaction() as s:
        s.add(
            SharingGrant(
                grantor_id=1,
                grantee_member_id=2,
                scope="events",
                created_at=dt.datetime(2025, 1, 1),
            )
        )
    assert current_revision(db) == head_revision()  # every later migration ran too
    db.dispose()
    fresh.close()


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get(PG_ENV), reason="needs EPICOMMONS_TEST_PG_URL")
def test_a_database_that_is_down_is_a_503(tmp_path):
    """The server's database is dropped under it: answers are problem+json 503, never 500."""
    fresh = fresh_database("postgres", tmp_path)
    db, tokens = setup_hub(fresh.url)
    db.dispose()
    server = Server(fresh.url, []).start()
    try:
        client = httpx.Client(
            base_url=server.url + "/api/v1",
            headers={"Authorization": f"Bearer {tokens[('KOR', 'reporter')]}"},
            timeout=60,
        )
        assert client.get("/me").status_code == 200
        fresh.close()  # DROP DATABASE ... WITH (FORCE): every connection is cut
        for path in ("/me", "/values", "/events"):
            answer = client.get(path)
            assert answer.status_code == 503, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
        page = httpx.get(server.url + "/dashboard/ledger", cookies={"ec_session": "x" * 40})
        assert page.status_code == 503 and "<html" in page.text.lower()
    finally:
        server.stop()
