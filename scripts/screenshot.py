"""`make screenshot`: docs/camera-page.png, the camera page of a `camrelay push` camera in
Debian's headless Chromium (the picture in the README)."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from tests.support.browser import chromium, log_in, tab, wait_frames
from tests.support.pushing import start_pusher, wait_streaming
from tests.support.relay_server import RelayServer

USER, PASSWORD, CAMERA = "demo", "demo-pw", "porch"
OUT = Path("docs/camera-page.png")


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        server = RelayServer(Path(folder) / "relay").start()
        asyncio.run(server.add_account(USER, PASSWORD))
        pusher = start_pusher(server, USER, PASSWORD, CAMERA, "640x480", 15)
        try:
            wait_streaming(server, USER, PASSWORD, CAMERA)
            with chromium() as browser, tab(browser, f"{server.url}/#/camera/{CAMERA}") as page:
                log_in(page, USER, PASSWORD)
                wait_frames(page, 5)
                page.wait_for_selector("#state-brightness")
                OUT.parent.mkdir(exist_ok=True)
                page.screenshot(path=str(OUT), full_page=True)
        finally:
            pusher.terminate()
            pusher.wait(timeout=20)
            server.stop()
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
