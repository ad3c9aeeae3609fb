"""getConfig and setConfig."""

from __future__ import annotations

from quart import Response

from camrelay.protocol.errors import MalformedRequest

from ...core.identity import Can
from .answers import number, ok
from .params import to_float, to_int
from .routes import Call, JsonApi


def changes_of(entries: list[object]) -> list[tuple[int, float]]:
    """The (kind, value) pairs of a setConfig `config` array."""
    changes = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise MalformedRequest("config entries are objects")
        changes.append((to_int(entry.get("kind"), "kind"), to_float(entry.get("fv"), "fv")))
    return changes


def register(api: JsonApi) -> None:
    """Add the config requests to the API."""
    config = api.relay.config

    @api.request("getConfig", needs=Can.READ_CONFIG)
    async def get_config(call: Call) -> Response:
        listing = await config.listing(call.session.account_id)
        return ok(
            config=[
                {
                    "kind": v.kind.kind,
                    "descr": v.kind.descr,
                    "miv": number(v.kind.miv),
                    "mav": number(v.kind.mav),
                    "dv": number(v.kind.dv),
                    "fv": number(v.fv),
                }
                for v in listing
            ]
        )

    @api.request("setConfig", needs=Can.SET_CONFIG)
    async def set_config(call: Call) -> Response:
        await config.update(call.session.account_id, changes_of(call.params.array("config")))
        return ok()
