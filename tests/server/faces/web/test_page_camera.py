"""The cameras grid and a camera page in a real Chromium, against a real server and a real
`camrelay push` camera: the live view draws frames, the state controls move for everyone and
change the frames, snap makes a record that opens, and a server that goes away and comes back
is survived without a reload."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page

from camrelay.clients.camera import RECONNECT
from tests.support.browser import log_in, shot_mean, tab, wait_for, wait_frames
from tests.support.pushing import roomy_caps, start_pusher, wait_streaming
from tests.support.relay_server import RelayServer, free_port

ACCOUNT, PASSWORD, CAMERA = "yard", "yard-pw", "gate"


@dataclass
class Scene:
    server: RelayServer
    pusher: subprocess.Popen[bytes]

    @property
    def camera_url(self) -> str:
        return f"{self.server.url}/#/camera/{CAMERA}"


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    """A server of the module's own (it is restarted on the same port) with one pushing camera."""
    server = RelayServer(tmp_path_factory.mktemp("page"), port=free_port()).start()
    asyncio.run(server.add_account(ACCOUNT, PASSWORD))
    roomy_caps(server, ACCOUNT, PASSWORD)
    pusher = start_pusher(server, ACCOUNT, PASSWORD, CAMERA, "320x240", 10)
    try:
        wait_streaming(server, ACCOUNT, PASSWORD, CAMERA)
        yield Scene(server, pusher)
    finally:
        pusher.terminate()
        pusher.wait(timeout=20)
        server.stop()


def live_mean(page: Page) -> float:
    return shot_mean(page.locator("#live").screenshot())


def test_the_grid_shows_the_camera_live(scene: Scene, browser: Browser) -> None:
    with tab(browser, scene.server.url + "/") as page:
        log_in(page, ACCOUNT, PASSWORD)
        tile = page.locator(f"li.tile[data-camera={CAMERA}]")
        wait_frames(page, 1, f"li[data-camera={CAMERA}] canvas")
        page.wait_for_function(
            "(sel) => document.querySelector(sel)?.innerText.includes('viewers')",
            arg=f"li[data-camera={CAMERA}] .facts",
        )
        assert tile.locator(".facts").inner_text().startswith("online\nstreaming\n")
        tile.locator("a").click()
        page.wait_for_selector("#live")
        assert page.locator(f"li[data-camera={CAMERA}]").count() == 0  # the grid's fetch ended
        first = page.locator("#live").screenshot()
        wait_frames(page, wait_frames(page, 0) + 2)
        assert page.locator("#live").screenshot() != first  # it moves
        shot_mean(first)  # and decodes


def test_the_brightness_slider_moves_for_everyone_and_brightens(
    scene: Scene, browser: Browser
) -> None:
    with (
        tab(browser, scene.camera_url) as mover,
        tab(browser, scene.camera_url) as watcher,
    ):
        for page in (mover, watcher):
            log_in(page, ACCOUNT, PASSWORD)
            wait_frames(page, 0)
        normal = live_mean(mover)
        mover.locator("#state-brightness").fill("10")
        watcher.wait_for_function("document.querySelector('#state-brightness')?.value === '10'")
        wait_for(lambda: live_mean(mover) < normal - 10, "the frames get darker")
        dark = live_mean(mover)
        mover.locator("#state-brightness").fill("90")
        watcher.wait_for_function("document.querySelector('#state-brightness')?.value === '90'")
        wait_for(lambda: live_mean(mover) > dark + 30, "the frames get brighter")
        assert watcher.text_content("#state-message") == ""


def test_snap_makes_a_record_that_opens(scene: Scene, browser: Browser) -> None:
    with tab(browser, scene.camera_url) as page:
        log_in(page, ACCOUNT, PASSWORD)
        wait_frames(page, 0)
        before = page.locator("#records button[data-rid]").count()
        page.click("#state-snap")
        page.wait_for_function(
            "(n) => document.querySelectorAll('#records button[data-rid]').length > n", arg=before
        )
        page.locator("#records button[data-rid]").first.click()
        preview = page.locator("#record-preview")
        preview.wait_for(state="visible")
        page.wait_for_function("document.querySelector('#record-preview').naturalWidth > 0")


def test_the_page_survives_the_server_going_away(scene: Scene, browser: Browser) -> None:
    with tab(browser, scene.camera_url) as page:
        log_in(page, ACCOUNT, PASSWORD)
        wait_frames(page, 0)
        scene.server.stop()
        page.locator("#banner").wait_for(state="visible")
        assert page.text_content("#banner") == "The server is unreachable. Retrying…"
        scene.server.start()
        page.locator("#banner").wait_for(state="hidden", timeout=60_000)
        # The camera first (its message poll answering again ends its backoff; at worst it
        # tries after RECONNECT.max_s), so a failure says which of the two did not come back.
        wait_streaming(scene.server, ACCOUNT, PASSWORD, CAMERA, timeout=RECONNECT.max_s + 30)
        wait_frames(page, wait_frames(page, 0) + 3)  # the stream is back, the same page
        assert page.locator("#login-user").count() == 0
