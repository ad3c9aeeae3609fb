"""The page's shell in a real Chromium against a real server: log in through the form, a wrong
password's message, logout back to the form, and the role's nav."""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.support.browser import log_in, tab
from tests.support.relay_server import RelayServer


def test_log_in_and_out_through_the_form(
    server: RelayServer, site: dict[str, str], browser: Browser
) -> None:
    with tab(browser, server.url + "/") as page:
        page.fill("#login-user", site["admin"])
        page.fill("#login-pass", "wrong")
        page.click("form.login button[type=submit]")
        page.wait_for_selector("#login-message.error")
        assert page.text_content("#login-message") == "Invalid credentials"
        log_in(page, site["admin"], site["password"])
        assert page.text_content("#who") == f"{site['admin']} (admin) · {site['account']}"
        assert page.locator("#nav a").all_text_contents() == [
            "Cameras",
            "Records",
            "Messages",
            "Events",
            "Admin",
        ]
        assert page.evaluate("sessionStorage.getItem('camrelay.token')")
        page.click("#logout")
        page.wait_for_selector("#login-user")
        assert page.text_content("#login-message") == "You are logged out."
        assert page.evaluate("sessionStorage.getItem('camrelay.token')") is None


def test_a_refused_token_returns_to_the_form_with_a_message(
    server: RelayServer, site: dict[str, str], browser: Browser
) -> None:
    with tab(browser, server.url + "/") as page:
        log_in(page, site["viewer"], site["viewer"][::-1])
        page.evaluate("sessionStorage.setItem('camrelay.token', 'revoked')")
        page.evaluate(
            "import('/static/js/api.js').then((api) => api.core('getStreams')).catch(() => {})"
        )
        page.wait_for_selector("#login-user")
        assert (
            page.text_content("#login-message") == "Your session has expired: please log in again."
        )
