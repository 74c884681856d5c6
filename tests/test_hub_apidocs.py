"""/docs and /redoc render in chromium with every request outside loopback refused: their assets
come from the pinned package and this origin, under a strict Content-Security-Policy."""

from __future__ import annotations

import httpx
import pytest

from test_hub_support import running_hub


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    yield from running_hub("sqlite", tmp_path_factory.mktemp("apidocs"))


def test_docs_pages_load_nothing_from_elsewhere(hub):
    for path in ("/docs", "/redoc"):
        response = httpx.get(hub.url + path)
        assert response.status_code == 200
        csp = response.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "default-src 'none'" in csp
        assert "http" not in response.text.replace(hub.url, "")  # no absolute URL at all
        assert "<script>" not in response.text  # no inline script
    assert httpx.get(hub.url + "/docs-assets/swagger-ui-bundle.js").status_code == 200


@pytest.mark.browser
@pytest.mark.slow
def test_swagger_ui_renders_offline(hub, offline_page):
    page, errors, refused = offline_page
    page.goto(hub.url + "/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    operations = httpx.get(hub.url + "/openapi.json").json()["paths"]
    assert page.locator(".opblock").count() == sum(map(len, operations.values()))  # every one
    tags = page.locator(".opblock-tag").all_inner_texts()
    assert any(t.startswith("DHIS2") for t in tags)  # the DHIS2 routes under their own tag
    assert any(t.startswith("FHIR") for t in tags)  # the FHIR routes likewise
    assert "epicommons member hub" in page.locator(".title").first.inner_text()
    assert refused == [] and errors == []


@pytest.mark.browser
@pytest.mark.slow
def test_redoc_renders_offline(hub, offline_page):
    page, errors, refused = offline_page
    page.goto(hub.url + "/redoc")
    page.wait_for_selector("h1", timeout=30_000)
    assert "epicommons member hub" in page.locator("h1").first.inner_text()
    page.wait_for_selector("[data-section-id*='operation']", timeout=30_000)
    assert page.locator("[data-section-id*='operation/']").count() >= 22
    # ReDoc's sidebar asks for its maker's logo from a CDN: the policy blocks it (and it hides).
    blocked = [e for e in errors if "violates the following Content Security Policy" in e]
    assert all("https://cdn.redoc.ly/redoc/logo-mini.svg" in e for e in blocked), blocked
    assert refused == [] and [e for e in errors if e not in blocked] == []
