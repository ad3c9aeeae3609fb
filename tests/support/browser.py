"""Debian's Chromium driven by Playwright for Python (the web page's tests; never `playwright
install`): one browser per test module, a fresh context (its own sessionStorage) per tab."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 30_000  # a condition the page must reach (generous: logins are slow on a loaded machine)


def need_chromium() -> None:
    """Skip when Debian's Chromium is missing (`make test` installs it); fail on CI."""
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} not found: `make test` installs it (sh scripts/apt-install.sh chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium, closed at the end."""
    need_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def tab(browser: Browser, url: str) -> Iterator[Page]:
    """A page of a new context (no token kept) opened at `url`, closed at the end."""
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1200, "height": 900})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    try:
        page.goto(url)
        yield page
    finally:
        context.close()


def log_in(page: Page, user: str, password: str) -> None:
    """Fill and send the login form; returns once the nav shows the user."""
    page.fill("#login-user", user)
    page.fill("#login-pass", password)
    page.click("form.login button[type=submit]")
    page.wait_for_selector("#logout:not([hidden])")


def canvas_frames(page: Page, selector: str = "#live") -> int:
    """How many frames the live view has drawn (its data-frames)."""
    return int(page.get_attribute(selector, "data-frames") or 0)


def wait_frames(page: Page, more_than: int, selector: str = "#live") -> int:
    """Wait until the live view has drawn more than `more_than` frames; returns the count."""
    page.wait_for_function(
        "([sel, n]) => Number(document.querySelector(sel)?.dataset.frames || 0) > n",
        arg=[selector, more_than],
    )
    return canvas_frames(page, selector)


def shot_mean(png: bytes) -> float:
    """The mean pixel value (0-255) of a screenshot, decoded (so it is a real image)."""
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert image is not None and image.size > 0, "the screenshot does not decode"
    return float(image.mean())


def wait_for(check: Callable[[], bool], what: str, timeout: float = WAIT_MS / 1000) -> None:
    """Poll `check` (e.g. a screenshot's brightness) until it holds; AssertionError after."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.1)
