"""Real Chromium (Debian's /usr/bin/chromium) driven by Playwright against a real server.

`playwright install` cannot download browsers here, so the system Chromium is launched
through `executable_path`. Without it the browser tests skip, unless
XEPHANG_REQUIRE_BROWSER is set (CI sets it: there they must run).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("XEPHANG_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Without the background-networking flags Chromium keeps trying to reach Google's hosts,
# which this offline machine refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # As on the boards (deploy/kiosk/launch-chromium.sh): the voice plays without a tap.
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("XEPHANG_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium not found at {CHROMIUM} (XEPHANG_REQUIRE_BROWSER is set)")
        pytest.skip(f"Chromium not found at {CHROMIUM}; `make test` installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Screens:
    """Pages opened by a test; any JavaScript error on any of them fails the test."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser
        self.contexts: list[Any] = []
        self.errors: list[str] = []

    def open(self, url: str, width: int, height: int, **options: Any) -> Any:
        """A page in a context of its own (Playwright's context options, e.g. bypass_csp)."""
        context = self.browser.new_context(viewport={"width": width, "height": height}, **options)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{url}: {error}"))
        page.goto(url)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def screens(browser: Any) -> Iterator[Screens]:
    screens = Screens(browser)
    yield screens
    screens.close()
    assert screens.errors == []


def shoot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
