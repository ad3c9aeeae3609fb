"""POST /api/session: a core-API session for the token's user, so the page uses the ordinary
core API (and the server enforces the user's role and camera scope there)."""

from __future__ import annotations

import secrets

from quart import Blueprint, Response, request

from camrelay.protocol.errors import NoSuchUser

from ...core.relay import Relay
from .auth_api import answer, refused
from .bearer import bearer_token


def tab_device() -> str:
    """A device name of its own for each browser tab's session."""
    return "web-" + secrets.token_hex(6)


def session_api(relay: Relay) -> Blueprint:
    """The blueprint of /api/session."""
    blueprint = Blueprint("session_api", __name__)

    @blueprint.post("/api/session")
    async def open_session() -> Response:
        token = bearer_token()
        if not token:
            return refused("Invalid credentials", 401)
        device = tab_device()
        try:
            session = await relay.sign_in.open_for_token(token, device, request.remote_addr or "")
        except NoSuchUser:
            return refused("Invalid credentials", 401)
        return answer({"shash": session.shash, "device": device})

    return blueprint
