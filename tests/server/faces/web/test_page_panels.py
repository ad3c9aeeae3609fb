"""The Records, Messages, Events and Admin panels in a real Chromium against a real server: what
each role is offered and what the server refuses anyway, records that preview, play and delete,
messages both ways, and a device key made in the Admin panel whose camera comes and goes in the
Events panel."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
from playwright.sync_api import Browser, Page

from tests.support.browser import log_in, tab
from tests.support.pushing import roomy_caps, start_pusher
from tests.support.relay_server import RelayServer

ACCOUNT, PASSWORD = "farm", "farm-pw"
OPERATOR, VIEWER = ("olga", "olga-pw"), ("vic", "vic-pw")
CAMERA, KEYED = "barn", "porch"
CLIP_FRAMES = 5
# The page's own api.js, used from page.evaluate as the page would: the core error code or 0.
DELETE_AS_PAGE = """async (rid) => {
  const api = await import("/static/js/api.js");
  try { await api.core("deleteRecords", {records: [rid]}); return 0; }
  catch (error) { return error.code; }
}"""
# What the page's storage line is made of, as the page reads it.
STORAGE_AS_PAGE = """async () => (await import("/static/js/api.js")).api("/api/storage")"""
MIB = 1 << 20


def kib(size: int) -> int:
    return -(-size // 1024)


def jpeg(shade: int) -> bytes:
    """A 160x120 JPEG of one grey shade."""
    ok, data = cv2.imencode(".jpg", np.full((120, 160, 3), shade, np.uint8))
    assert ok
    return bytes(data)


@dataclass
class Scene:
    server: RelayServer
    http: httpx.Client
    camera: str  # the shash of CAMERA's session (a device of the account)

    def call(self, name: str, **body: Any) -> dict[str, Any]:
        """A core request as CAMERA; asserts it answered OK."""
        answer = self.http.post(
            f"{self.server.url}/{name}.json", json={"shash": self.camera, **body}
        )
        assert answer.json()["result"] == "OK", answer.text
        return dict(answer.json())

    def add_record(self, data: bytes, meta: str) -> int:
        """addRecord as CAMERA: the new record's id."""
        answer = self.http.post(
            f"{self.server.url}/addRecord.json",
            content=data,
            params={"shash": self.camera, "meta": meta},
        ).json()
        assert answer["result"] == "OK", answer
        return int(answer["rid"])

    def rids(self) -> set[int]:
        return {r["rid"] for r in self.call("getRecordCount")["records"]}


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    """A server with an account (its admin), an operator, a viewer and one device session."""
    server = RelayServer(tmp_path_factory.mktemp("panels")).start()
    asyncio.run(server.add_account(ACCOUNT, PASSWORD))
    for (name, password), role in ((OPERATOR, "operator"), (VIEWER, "viewer")):
        asyncio.run(server.add_user(ACCOUNT, name, password, role))
    roomy_caps(server, ACCOUNT, PASSWORD)
    try:
        with httpx.Client(http2=True, verify=False, timeout=30) as http:
            signed = http.post(
                server.url + "/authorize.json",
                json={"name": ACCOUNT, "pass": PASSWORD, "device": CAMERA},
            ).json()
            yield Scene(server, http, signed["shash"])
    finally:
        server.stop()


@pytest.fixture
def pages(scene: Scene, browser: Browser) -> Iterator[Any]:
    """open(route, who) -> a logged-in page; all closed at the end of the test."""
    opened: list[Any] = []

    def open_(route: str, who: tuple[str, str]) -> Page:
        context = tab(browser, f"{scene.server.url}/#/{route}")
        page = context.__enter__()
        opened.append(context)
        log_in(page, *who)
        return page

    yield open_
    for context in reversed(opened):
        context.__exit__(None, None, None)


def test_a_viewer_is_not_offered_admin_nor_delete_and_the_server_refuses_it(
    pages: Any, scene: Scene
) -> None:
    rid = scene.add_record(jpeg(90), "")
    viewer = pages("records", VIEWER)
    viewer.locator(f"li[data-rid='{rid}'] img.record-preview").wait_for()
    nav = viewer.locator("#nav a").all_inner_texts()
    assert nav == ["Cameras", "Records", "Messages", "Events"]
    assert viewer.locator("li.record button.delete").count() == 0
    assert viewer.locator("#msg-form").count() == 0
    assert viewer.evaluate(DELETE_AS_PAGE, rid) == 16  # not allowed, on the server too
    viewer.goto(f"{scene.server.url}/#/admin")
    assert viewer.text_content("main") == "Your role may not open this panel."
    assert rid in scene.rids()


def test_an_operator_deletes_a_record_in_the_records_panel(pages: Any, scene: Scene) -> None:
    rid = scene.add_record(jpeg(120), "")
    page = pages(f"records/{CAMERA}", OPERATOR)
    item = page.locator(f"li[data-rid='{rid}']")
    item.locator("img.record-preview").wait_for()
    assert "Admin" not in page.locator("#nav a").all_inner_texts()
    item.locator("button.delete").click()
    item.wait_for(state="detached")
    assert page.text_content("#records-message") == f"Record #{rid} deleted."
    assert rid not in scene.rids()


def test_records_preview_and_an_mjpeg_clip_plays(pages: Any, scene: Scene) -> None:
    still = scene.add_record(jpeg(200), "")
    clip = scene.add_record(b"".join(jpeg(40 * n) for n in range(CLIP_FRAMES)), "MJPEG")
    page = pages("records", ("farm", PASSWORD))
    page.wait_for_function(
        "(rid) => document.querySelector(`li[data-rid='${rid}'] img`)?.naturalWidth === 160",
        arg=still,
    )
    assert page.get_attribute("#records-camera option[value=barn]", "value") == CAMERA
    storage = page.evaluate(STORAGE_AS_PAGE)
    page.wait_for_function("() => document.querySelector('#storage').textContent !== ''")
    assert page.text_content("#storage") == (
        f"Storage used: {kib(storage['used'])} KiB of {storage['quota'] / MIB:.1f} MiB"
    )
    canvas = page.locator(f"li[data-rid='{clip}'] canvas.clip")
    page.locator(f"li[data-rid='{clip}'] button.play").click()
    page.wait_for_function(
        "(rid) => document.querySelector(`li[data-rid='${rid}'] canvas`)?.dataset.frames === '2'",
        arg=clip,
    )
    first = canvas.screenshot()
    page.wait_for_function(
        "([rid, n]) =>"
        " document.querySelector(`li[data-rid='${rid}'] canvas`)?.dataset.frames === n",
        arg=[clip, str(CLIP_FRAMES)],
    )
    assert canvas.get_attribute("data-total") == str(CLIP_FRAMES)
    assert canvas.screenshot() != first  # a later, brighter frame was drawn


def test_messages_go_to_a_device_and_come_back(pages: Any, scene: Scene) -> None:
    page = pages("messages", OPERATOR)
    page.wait_for_function("document.querySelector('#msg-me')?.textContent.includes('web-')")
    tab_device = (page.text_content("#msg-me") or "").split("“")[1].split("”")[0]
    page.fill("#msg-target", CAMERA)
    page.fill("#msg-name", "turn")
    page.fill("#msg-params", '{"left": 15}')
    page.click("#msg-form button[type=submit]")
    page.locator("#conversation li.out[data-msg=turn]").wait_for()
    got = scene.call("getMsgsAndSync")["msgs"]
    assert [(m["msg"], m["device"], m["params"]) for m in got if m["msg"] == "turn"] == [
        ("turn", tab_device, {"left": 15})
    ]
    page.fill("#msg-params", "[1,")
    page.click("#msg-form button[type=submit]")
    assert page.text_content("#msg-message") == 'Params must be a JSON object, e.g. {"level": 2}.'
    scene.call("addMsgs", msg="turned", params={"left": 15})  # a broadcast from the camera
    line = page.locator(f"#conversation li.in[data-msg=turned][data-device={CAMERA}]")
    line.wait_for()
    assert line.inner_text().endswith(f'← {CAMERA}: turned {{"left":15}}')


def test_admin_keeps_the_last_admin_registers_a_camera_and_logs_filter_by_level(
    pages: Any, scene: Scene
) -> None:
    admin = pages("admin", (ACCOUNT, PASSWORD))
    role = admin.locator(f"tr[data-user={ACCOUNT}] select")
    role.select_option("viewer")
    admin.wait_for_function("(document.querySelector('#users-message')?.textContent ?? '') !== ''")
    assert admin.text_content("#users-message") == "Forbidden: an account keeps at least one admin"
    assert role.input_value() == "admin"
    admin.fill("#camera-name", "shed")
    admin.check("#camera-public")
    admin.click("#camera-form button[type=submit]")
    admin.locator("tr[data-camera=shed]").wait_for()
    assert admin.locator("tr[data-camera=shed] input[type=checkbox]").is_checked()
    assert admin.text_content("#admin-cameras-message") == "shed registered."
    events = pages("events", (ACCOUNT, PASSWORD))
    events.locator("#logs li").first.wait_for(state="attached")  # the server replays its last logs
    events.select_option("#log-level", "70")
    shown = events.locator("#logs li:not([hidden])")
    assert all(int(level) >= 70 for level in shown.evaluate_all("e => e.map(i => i.dataset.level)"))


def test_a_key_made_in_admin_brings_its_camera_to_events_and_revoking_ends_it(
    pages: Any, scene: Scene
) -> None:
    admin = pages("admin", (ACCOUNT, PASSWORD))
    admin.locator("#key-form").wait_for()
    admin.fill("#key-device", KEYED)
    admin.click("#key-form button[type=submit]")
    secret = admin.locator("#key-secret-value").input_value()
    key_id = admin.text_content("#key-secret-id") or ""
    assert key_id.startswith("key_") and len(secret) >= 40
    admin.locator(f"tr[data-key={key_id}]").wait_for()
    events = pages("events", (ACCOUNT, PASSWORD))
    events.wait_for_function("document.querySelector('#events-state')?.textContent === 'Live.'")
    pusher = start_pusher(scene.server, ACCOUNT, "", KEYED, "160x120", 5, key=(key_id, secret))
    try:
        events.locator(f"#events li[data-event='camera:ready'][data-entity={KEYED}]").wait_for()
        admin.click("#key-secret button:text('Done')")
        assert secret not in admin.content()  # shown once
        admin.locator(f"tr[data-key={key_id}] button").click()
        admin.locator(f"tr[data-key={key_id}] button:text('Revoked')").wait_for()
        gone = (
            f"#events li[data-event='camera:notReady'][data-entity={KEYED}],"
            f" #events li[data-event='credentials:unauthenticated'][data-entity={key_id}]"
        )
        events.locator(gone).first.wait_for()
    finally:
        pusher.terminate()
        pusher.wait(timeout=20)
