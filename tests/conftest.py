"""Shared test fixtures: where the real data lives (../shared/data beside the repository)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("EPICOMMONS_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real data sets (see its README); tests read it, never copy it."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"real test data not found at {SHARED_DATA}; set EPICOMMONS_SHARED_DATA")
    return SHARED_DATA


CHROMIUM = os.environ.get("EPICOMMONS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _need(what: str, available: bool, how: str) -> None:
    """Skip a test whose system service is missing on a developer's machine; in CI, fail."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI ({how})")
    pytest.skip(f"{what} not available here ({how})")


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (no browser download)."""
    _need("chromium", Path(CHROMIUM).exists(), "apt-get install chromium; .ci/run does")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def offline_page(browser):
    """A page whose requests may go only to file: and loopback URLs; others are refused and listed.

    Yields (page, console_errors, refused_urls).
    """
    context = browser.new_context()
    refused: list[str] = []
    errors: list[str] = []

    def guard(route):
        url = route.request.url
        if url.startswith(("file:", "data:", "http://127.0.0.1", "http://localhost", "about:")):
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page, errors, refused
    context.close()
