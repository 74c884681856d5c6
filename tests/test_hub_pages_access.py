"""Dashboard pages over plain HTTP: who may open which page, sign-in and sign-out, CSRF, and the
figures the pages show (checked against arithmetic and theory, not against the code under test).

The caller is a token of KOR with each role. Own = KOR; partner = JPN (granted KOR its reports);
foreign = CHN (shared nothing). Coordinators read every member's pages.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pytest
from sqlalchemy import update

from epicommons.hub import admin
from epicommons.hub.models import Token
from test_hub_pages_support import (
    CHN_CASES,
    DAYS,
    DELIVERED,
    JPN_GROWTH,
    KOR_DAILY,
    PLEDGE,
    browser_client,
    csrf_of,
    seed,
    sign_in,
)
from test_hub_support import ROLES, backend_params, running_hub

OK, FORBIDDEN = 200, 403
MEMBER_PAGES = ("/dashboard/members/{code}", "/dashboard/members/{code}/rt")
COMMON_PAGES = ("/dashboard/members", "/dashboard/shared", "/dashboard/ledger")
COORDINATOR_PAGES = ("/dashboard/coordinator", "/dashboard/coordinator/risk")


@pytest.fixture(scope="module", params=backend_params())
def hub(request, tmp_path_factory):
    for running in running_hub(request.param, tmp_path_factory.mktemp("pages")):
        seed(running)
        yield running


@pytest.fixture(scope="module")
def clients(hub):
    """One signed-in page client per role of KOR (and the coordinator role of WHO)."""
    made = {role: sign_in(hub, hub.tokens[("KOR", role)]) for role in ROLES}
    made["WHO"] = sign_in(hub, hub.tokens[("WHO", "coordinator")])
    yield made
    for c in made.values():
        c.close()


def expected_status(role: str, path: str) -> int:
    if path in COORDINATOR_PAGES:
        return OK if role == "coordinator" else FORBIDDEN
    if "/CHN" in path:
        return OK if role == "coordinator" else FORBIDDEN
    return OK


MATRIX = [
    (role, page.format(code=code))
    for role in ROLES
    for page in MEMBER_PAGES
    for code in ("KOR", "JPN", "CHN")
] + [(role, page) for role in ROLES for page in COMMON_PAGES + COORDINATOR_PAGES]


@pytest.mark.parametrize(("role", "path"), MATRIX)
def test_page_authorization_matrix(clients, role, path):
    answer = clients[role].get(path)
    assert answer.status_code == expected_status(role, path), answer.text[:300]
    assert answer.headers["content-type"].startswith("text/html")
    if answer.status_code == FORBIDDEN:
        assert "403" in answer.text
    # CHN's figures appear only where the caller may read CHN's reports.
    reads_chn = role == "coordinator" and path != "/dashboard/coordinator/risk"
    if not reads_chn:
        assert f"{CHN_CASES:,}" not in answer.text


UNPAGED = ("/dashboard/members", "/dashboard/coordinator")  # lists of members, not of rows


@pytest.mark.parametrize("value", ["1", "2", "abc", "0"])
@pytest.mark.parametrize(("role", "path"), MATRIX)
def test_page_authorization_matrix_holds_with_a_page_number(clients, role, path, value):
    """A `page` value never opens a forbidden page, nor tells its size (403 before 400 or 404)."""
    answer = clients[role].get(path, params={"page": value})
    allowed = expected_status(role, path)
    if allowed == FORBIDDEN or path in UNPAGED or value == "1":
        assert answer.status_code == allowed, answer.text[:300]
    elif value == "2":  # a second page where the list is longer than one, else none
        assert answer.status_code in (OK, 404), answer.text[:300]
    else:
        assert answer.status_code == 400 and "page must be a whole number" in answer.text
    reads_chn = role == "coordinator" and path != "/dashboard/coordinator/risk"
    if not reads_chn:
        assert f"{CHN_CASES:,}" not in answer.text


@pytest.mark.parametrize(
    "path", [p.format(code="KOR") for p in MEMBER_PAGES] + list(COMMON_PAGES + COORDINATOR_PAGES)
)
def test_pages_without_a_session_show_the_sign_in_form(hub, path):
    with browser_client(hub) as c:
        answer = c.get(path)
        assert answer.status_code == 401
        assert 'action="/signin"' in answer.text
        assert f'name="next" value="{path}"' in answer.text


def test_sign_in_sets_a_strict_http_only_cookie_and_lands_on_the_home_page(hub):
    with browser_client(hub) as c:
        form = c.get("/signin")
        assert form.status_code == 200 and 'type="password"' in form.text
        answer = c.post(
            "/signin", data={"token": hub.tokens[("KOR", "analyst")], "csrf": csrf_of(form.text)}
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/dashboard/members/KOR"
        cookie = next(h for h in answer.headers.get_list("set-cookie") if "ec_session=" in h)
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert c.get("/dashboard").headers["location"] == "/dashboard/members/KOR"


@pytest.mark.parametrize("token", ["", "ech_wrong", "x" * 5000, "ech_\u00e9\u0000"])
def test_wrong_tokens_get_the_sign_in_page_with_a_message(hub, token):
    with browser_client(hub) as c:
        form = c.get("/signin")
        answer = c.post("/signin", data={"token": token, "csrf": csrf_of(form.text)})
        assert answer.status_code == 401
        assert 'role="alert"' in answer.text
        assert "ec_session" not in answer.headers.get("set-cookie", "")


def test_revoked_and_expired_tokens_end_the_session(hub):
    revoked = admin.issue_token(hub.db, "KOR", "analyst")
    expired = admin.issue_token(hub.db, "KOR", "analyst")
    c1, c2 = sign_in(hub, revoked.token), sign_in(hub, expired.token)
    assert c1.get("/dashboard/members/KOR").status_code == OK
    admin.revoke_token(hub.db, str(revoked.id))
    with hub.db.transaction() as session:
        session.execute(
            update(Token).where(Token.id == expired.id).values(expires_at=dt.datetime(2000, 1, 1))
        )
    for client, why in ((c1, "revoked"), (c2, "expired")):
        answer = client.get("/dashboard/members/KOR")
        assert answer.status_code == 401 and why in answer.text
        assert (
            'ec_session=""' in answer.headers["set-cookie"]
            or "Max-Age=0" in answer.headers["set-cookie"]
        )
        client.close()
    with browser_client(hub) as c:
        form = c.get("/signin")
        answer = c.post("/signin", data={"token": revoked.token, "csrf": csrf_of(form.text)})
        assert answer.status_code == 401 and "revoked" in answer.text


def test_forms_need_the_csrf_value_and_post(hub):
    token = hub.tokens[("KOR", "reporter")]
    with browser_client(hub) as c:
        assert c.post("/signin", data={"token": token}).status_code == 400  # no cookie, no field
        c.get("/signin")
        answer = c.post("/signin", data={"token": token, "csrf": "0" * 32})
        assert answer.status_code == 400 and "ec_session" not in answer.headers.get(
            "set-cookie", ""
        )
    signed = sign_in(hub, token)
    assert signed.post("/signout", data={}).status_code == 400
    assert signed.get("/dashboard/members/KOR").status_code == OK  # still signed in
    assert signed.get("/signout").status_code == 405
    page = signed.get("/dashboard/members/KOR")
    out = signed.post("/signout", data={"csrf": csrf_of(page.text)})
    assert out.status_code == 303 and out.headers["location"] == "/signin?signed_out=1"
    assert signed.get("/dashboard/members/KOR").status_code == 401
    signed.close()


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "/api/v1/me"]
)
def test_sign_in_never_redirects_outside_the_dashboard(hub, target):
    with browser_client(hub) as c:
        form = c.get("/signin")
        data = {"token": hub.tokens[("JPN", "reporter")], "csrf": csrf_of(form.text)}
        answer = c.post("/signin", data={**data, "next": target})
        assert answer.headers["location"] == "/dashboard/members/JPN"


def test_pages_load_nothing_and_stay_out_of_the_openapi_document(hub, clients):
    for path in ("/signin", "/dashboard/members/KOR", "/dashboard/coordinator"):
        client = clients["WHO"] if "coordinator" in path else clients["reporter"]
        answer = client.get(path)
        assert "default-src 'none'" in answer.headers["content-security-policy"]
        assert answer.headers["cache-control"] == "no-store"
        assert "<script" not in answer.text
        assert not re.search(r'(src|href)="(https?:)?//', answer.text)
    doc = browser_client(hub).get("/openapi.json").json()
    apis = ("/api/v1/", "/dhis2/api/", "/fhir")  # the native, DHIS2 and FHIR APIs; no page
    assert not [p for p in doc["paths"] if not p.startswith(apis)]
    assert not [p for p in doc["paths"] if p.startswith(("/dashboard", "/signin"))]


def number(html: str, element_id: str) -> float:
    found = re.search(rf'id="{element_id}">([^<]+)<', html)
    assert found, element_id
    return float(found.group(1).replace(",", ""))


def test_member_page_shows_its_own_totals(clients):
    from epicommons.world.population import population

    html = clients["reporter"].get("/dashboard/members/KOR").text
    assert re.search(r"new cases, last 7 days</div><div class=\"v\">700<", html)
    per_100k = 7 * KOR_DAILY / population("KOR", 2026) * 1e5
    assert f"{per_100k:,.1f}" in html
    assert html.count("<svg") == 2  # cases and deaths
    assert "masks" in html and "5,000" in html


def test_rt_pages_match_theory(clients):
    # Constant incidence: Rt = 1 (the prior's pull is negligible with 700 cases per window).
    kor = number(clients["reporter"].get("/dashboard/members/KOR/rt").text, "rt-latest")
    assert kor == pytest.approx(1.0, abs=0.03)
    # Exponential growth at rate r with a gamma serial interval (mean 4.7, sd 2.9 days):
    # R = (1 + r * scale) ** shape (Wallinga and Lipsitch 2007).
    shape, scale = (4.7 / 2.9) ** 2, 2.9**2 / 4.7
    theory = (1 + JPN_GROWTH * scale) ** shape
    jpn = number(clients["analyst"].get("/dashboard/members/JPN/rt").text, "rt-latest")
    assert jpn == pytest.approx(theory, rel=0.04)
    short = clients["WHO"].get("/dashboard/members/CHN/rt")
    assert short.status_code == OK and "No Rt yet" in short.text


def test_grant_opens_a_partner_page_and_withdrawing_it_closes_it(hub, clients):
    kor = clients["reporter"]
    assert kor.get("/dashboard/members/CHN").status_code == FORBIDDEN
    with hub.client("CHN", "reporter") as chn:
        grant = chn.post("/members/CHN/grants", json={"grantee_member": "KOR", "scope": "reports"})
        assert grant.status_code == 201
        try:
            page = kor.get("/dashboard/members/CHN")
            assert page.status_code == OK and f"{CHN_CASES:,}" in page.text
            assert 'id="partner-CHN"' in kor.get("/dashboard/shared").text
        finally:
            assert chn.delete(f"/members/CHN/grants/{grant.json()['id']}").status_code == 204
    assert kor.get("/dashboard/members/CHN").status_code == FORBIDDEN


def test_ledger_shows_pledged_against_delivered(clients):
    for who in ("WHO", "reporter"):
        html = clients[who].get("/dashboard/ledger").text
        row = re.search(r"<td class=\"l\">1</td>.*?</tr>", html, re.S)
        assert row, who
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", row.group(0))
        assert cells[2:5] == ["KOR", "JPN", "masks"]
        pledged, delivered, outstanding = (float(c.replace(",", "")) for c in cells[5:8])
        assert (pledged, delivered) == (PLEDGE["quantity"], DELIVERED)
        assert outstanding == PLEDGE["quantity"] - DELIVERED


@pytest.mark.slow
def test_risk_table_matches_the_travel_law(clients):
    """Expected importations recomputed from the network's flows by hand.

    A person leaves country i by link i->j with probability F_ij / max(N_i, sum_j F_ij); a source
    with c cases in 7 days over N people is taken to have prevalence c / N for 14 days.
    """
    from epicommons.world.sources import load_network

    html = clients["WHO"].get("/dashboard/coordinator/risk").text
    table = re.search(r'id="risk-table".*?</table>', html, re.S).group(0)
    rows = re.findall(r"<tr><td class=\"l\">([A-Z]{3})</td>(.*?)</tr>", table)
    assert len(rows) >= 10
    net = load_network("builtin")
    flows = net.flows.toarray()
    denominator = np.maximum(net.population, flows.sum(axis=1))[:, None]
    leave = np.divide(flows, denominator, out=np.zeros_like(flows), where=denominator > 0)
    jpn_week = sum(round(20 * math.exp(JPN_GROWTH * t)) for t in range(DAYS - 7, DAYS))
    # CHN's last report (day 2) is 58 days old: stale (limit 28 days), so not a source.
    cases = {"KOR": 7 * KOR_DAILY, "JPN": jpn_week}
    inputs = re.search(r'id="risk-inputs".*?</table>', html, re.S).group(0)
    chn = re.search(r"<tr><td class=\"l\">CHN</td>(.*?)</tr>", inputs).group(1)
    assert "<td>58</td>" in chn and "stale: latest report 58 days old (limit 28)" in chn
    kor = re.search(r"<tr><td class=\"l\">KOR</td>(.*?)</tr>", inputs).group(1)
    assert "<td>1</td>" in kor and ">yes<" in kor
    infected = np.zeros(net.size)
    for code, c in cases.items():
        infected[net.index(code)] = c  # prevalence * population = cases
    for destination, cells in rows:
        j = net.index(destination)
        sources = [net.index(c) for c in cases if c != destination]
        expected = 14 * sum(infected[i] * leave[i, j] for i in sources)
        shown = float(re.findall(r"<td>([0-9.,]+)</td>", cells)[0].replace(",", ""))
        assert shown == pytest.approx(expected, abs=0.006), destination
        # P(>=1) as a whole percentage; '>99%' and '<1%' for partial shares near the ends
        p = 1 - math.exp(-expected)
        text = re.findall(r"<td>([<>]?[0-9]+)%</td>", cells)[0]
        if text.startswith(">"):
            assert 0.99 <= p < 1, destination
        elif text.startswith("<"):
            assert 0 < p < 0.01, destination
        else:
            assert abs(int(text) - 100 * p) <= 0.5 + 1e-9, destination


@pytest.mark.slow
def test_every_page_of_an_empty_hub_answers(tmp_path):
    """No reports, pledges or grants yet: pages say so instead of failing."""
    for empty in running_hub("sqlite", tmp_path):
        member = sign_in(empty, empty.tokens[("KOR", "reporter")])
        coordinator = sign_in(empty, empty.tokens[("WHO", "coordinator")])
        for path in [p.format(code="KOR") for p in MEMBER_PAGES] + list(COMMON_PAGES):
            assert member.get(path).status_code == OK, path
        for path in COORDINATOR_PAGES + ("/dashboard/ledger", "/dashboard/members/JPN/rt"):
            assert coordinator.get(path).status_code == OK, path
        assert "No Rt yet" in member.get("/dashboard/members/KOR/rt").text
        member.close()
        coordinator.close()


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/assessments/%C2%B2",  # '²': a digit to str.isdigit, not to int()
        "/dashboard/assessments/9999999999",
        "/dashboard/assessments/0",
        "/dashboard/whatifs/%D9%A3",  # Arabic-Indic three
        "/dashboard/whatifs/2147483648",
        "/dashboard/assessments/track-record?id=%C2%B2",
    ],
)
def test_ids_in_page_urls_are_ascii_digits_within_the_keys_range(path, clients):
    answer = clients["WHO"].get(path)
    assert answer.status_code == 404, answer.text[:300]
