"""authorize, heartBit, getServerTime and getDevicesOnline."""

from __future__ import annotations

from datetime import UTC, datetime

from quart import Response

from ...core.identity import Can
from .answers import ok, ok_first
from .routes import Call, JsonApi

MAX_DEVICE = 128
MAX_META = 4096


def register(api: JsonApi) -> None:
    """Add the session requests to the API."""
    relay = api.relay

    @api.request("authorize", session=False)
    async def authorize(call: Call) -> Response:
        name = call.params.text("name", max_len=256)
        password = call.params.text("pass", max_len=4096)
        device = call.params.text("device", max_len=MAX_DEVICE)
        meta = call.params.stored_text("meta", MAX_META)
        session = await relay.sign_in.authorize(name, password, device, meta, call.address)
        return ok(shash=session.shash)

    @api.request("heartBit")
    async def heart_bit(call: Call) -> Response:
        return ok()

    @api.request("getServerTime", session=False)
    async def server_time(call: Call) -> Response:
        moment = datetime.fromtimestamp(relay.clock.now(), UTC)
        return ok(stamp=f"{moment:%Y-%m-%d %H:%M:%S}")

    @api.request("getDevicesOnline", needs=Can.WATCH)
    async def devices_online(call: Call) -> Response:
        online = await relay.sessions.online(call.session.account_id)
        seen = [s for s in online if call.session.sees(s.device)]
        return ok_first(devices=[{"device": s.device, "meta": s.meta} for s in seen])
