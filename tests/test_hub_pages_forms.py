"""The dashboard's upload form and sharing page: the API's services and rules, CSRF as sign-in."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from epicommons.hub.models import ReportValue, SharingGrant
from test_hub_pages_support import csrf_of, sign_in
from test_hub_support import running_hub

CSV = "date,indicator,item,value\n2024-05-01,new_cases,,30\n2024-05-01,new_deaths,,2\n"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    yield from running_hub("sqlite", tmp_path_factory.mktemp("forms"))


def upload(client, text: str, csrf: str | None = None, **data):
    token = csrf if csrf is not None else csrf_of(client.get("/dashboard/upload").text)
    files = {"report": ("r.csv", text.encode(), "text/csv")}
    return client.post("/dashboard/upload", data={"csrf": token, **data}, files=files)


def test_upload_shows_the_summary_and_stores_through_the_import_rules(hub):
    kor = sign_in(hub, hub.tokens[("KOR", "reporter")])
    checked = upload(kor, CSV, dry_run="1")
    assert checked.status_code == 200 and "check only" in checked.text
    with hub.db.read() as s:
        assert s.scalar(select(func.count()).select_from(ReportValue)) == 0
    done = upload(kor, CSV)
    assert done.status_code == 200 and 'id="summary"' in done.text
    assert '<td class="l">imported</td><td>2</td>' in done.text
    bad = upload(
        kor, "date,indicator,item,value\n2024-05-02,new_deaths,,5\n2024-05-02,new_cases,,1\n"
    )
    assert bad.status_code == 422 and 'id="conflicts"' in bad.text and "above new_cases" in bad.text
    with hub.db.read() as s:
        assert s.scalar(select(func.count()).select_from(ReportValue)) == 2


def test_upload_needs_the_csrf_value_and_a_reporter(hub):
    kor = sign_in(hub, hub.tokens[("KOR", "reporter")])
    kor.get("/dashboard/upload")
    assert upload(kor, CSV, csrf="0" * 32).status_code == 400
    analyst = sign_in(hub, hub.tokens[("KOR", "analyst")])
    assert analyst.get("/dashboard/upload").status_code == 403
    page = analyst.get("/dashboard/members/KOR")
    answer = analyst.post(
        "/dashboard/upload",
        data={"csrf": csrf_of(page.text)},
        files={"report": ("r.csv", CSV.encode(), "text/csv")},
    )
    assert answer.status_code == 403


def test_sharing_page_gives_and_withdraws_grants(hub):
    kor = sign_in(hub, hub.tokens[("KOR", "reporter")])
    page = kor.get("/dashboard/sharing")
    assert page.status_code == 200 and "shares nothing yet" in page.text
    given = kor.post(
        "/dashboard/sharing",
        data={"csrf": csrf_of(page.text), "grantee": "member:JPN", "scope": "reports"},
    )
    assert given.status_code == 200 and "JPN now reads reports" in given.text
    again = kor.post(
        "/dashboard/sharing",
        data={"csrf": csrf_of(page.text), "grantee": "member:JPN", "scope": "reports"},
    )
    assert again.status_code == 409  # the API's rule: no stacked grants
    with hub.db.read() as s:
        grant_id = s.scalar(select(SharingGrant.id))
    assert kor.post("/dashboard/sharing/revoke", data={"grant": grant_id}).status_code == 400
    gone = kor.post(
        "/dashboard/sharing/revoke", data={"csrf": csrf_of(page.text), "grant": grant_id}
    )
    assert gone.status_code == 200 and "withdrawn" in gone.text
    with hub.db.read() as s:
        assert s.scalar(select(func.count()).select_from(SharingGrant)) == 0
    jpn = sign_in(hub, hub.tokens[("JPN", "reporter")])  # JPN cannot withdraw KOR's grants
    mine = jpn.get("/dashboard/sharing")
    other = jpn.post("/dashboard/sharing/revoke", data={"csrf": csrf_of(mine.text), "grant": "1"})
    assert other.status_code == 404
