"""Issue 13's figures for the web page: the time from sending the login form to the first frame
drawn in a camera page, and the frames per second the page draws from a 30 fps 640x480 camera
(`camrelay push`, synthetic scene), in Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bench.core_api import BENCH_ENV
from bench.verdict import judged
from tests.support.browser import canvas_frames, chromium, tab, wait_frames
from tests.support.pushing import start_pusher, wait_streaming
from tests.support.relay_server import RelayServer

USER, PASSWORD, CAMERA = "bench", "bench-pw", "cam"
FPS_WINDOW_S = 5.0
TARGET_FIRST_S = 1.0
TARGET_FPS = 25.0


def measure(server: RelayServer) -> tuple[float, float]:
    """(seconds from login to the first frame, frames drawn per second)."""
    with chromium() as browser, tab(browser, f"{server.url}/#/camera/{CAMERA}") as page:
        page.fill("#login-user", USER)
        page.fill("#login-pass", PASSWORD)
        sent = page.evaluate("Date.now()")
        page.click("form.login button[type=submit]")
        wait_frames(page, 0)
        first = (int(page.get_attribute("#live", "data-first-at") or 0) - sent) / 1000
        wait_frames(page, 10)  # past the stream's start
        start, frames = time.monotonic(), canvas_frames(page)
        page.wait_for_timeout(FPS_WINDOW_S * 1000)
        fps = (canvas_frames(page) - frames) / (time.monotonic() - start)
    return first, fps


def main() -> None:
    print("\n== web page (Chromium, camera page of a 30 fps 640x480 push)")
    with tempfile.TemporaryDirectory() as folder:
        server = RelayServer(Path(folder) / "relay", env=BENCH_ENV).start()
        asyncio.run(server.add_account(USER, PASSWORD))
        pusher = start_pusher(server, USER, PASSWORD, CAMERA, "640x480", 30)
        try:
            wait_streaming(server, USER, PASSWORD, CAMERA)
            first, fps = measure(server)
        finally:
            pusher.terminate()
            pusher.wait(timeout=20)
            server.stop()
    print(judged(f"first frame after login {first:.2f} s", f"< {TARGET_FIRST_S} s", first < 1))
    print(judged(f"frames drawn {fps:.1f} /s", f">= {TARGET_FPS:.0f} /s", fps >= TARGET_FPS))
