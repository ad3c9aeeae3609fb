"""getStreams (the raw streams themselves come with the stream hub)."""

from __future__ import annotations

from quart import Response

from .answers import ok_first
from .routes import Call, JsonApi


def register(api: JsonApi) -> None:
    """Add the stream listing to the API."""

    @api.request("getStreams")
    async def get_streams(call: Call) -> Response:
        return ok_first(devices=[])
