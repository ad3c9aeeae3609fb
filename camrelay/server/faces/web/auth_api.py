"""POST /api/login, POST /api/logout and GET /api/status (CONTRACT §4)."""

from __future__ import annotations

import json
from typing import Any

from quart import Blueprint, Response, request

import camrelay
from camrelay.protocol.errors import MalformedRequest, NoSuchUser, RelayError

from ...core.relay import Relay
from ..core_api.body import read_body
from .bearer import bearer_token

MAX_LOGIN_BODY = 16 << 10
BODY_S = 30.0  # a login body arrives within this or is refused
JSON = "application/json"


def answer(payload: dict[str, Any], status: int = 200) -> Response:
    """A JSON answer with an HTTP status."""
    return Response(json.dumps(payload), status=status, content_type=JSON)


def refused(message: str, status: int) -> Response:
    """The error answer of the /api/ routes: {"error": message}."""
    return answer({"error": message}, status)


async def credentials() -> tuple[str, str]:
    """username and password of a login body; MalformedRequest for anything else."""
    try:
        body = await read_body(
            request.body, request.headers.get("Content-Encoding", ""), MAX_LOGIN_BODY, BODY_S
        )
    except RelayError:
        raise MalformedRequest(f"the body must be JSON of at most {MAX_LOGIN_BODY} bytes") from None
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MalformedRequest("the body must be JSON") from None
    if not isinstance(data, dict):
        raise MalformedRequest('the body must be {"username":…,"password":…}')
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise MalformedRequest('the body must be {"username":…,"password":…}')
    return username, password


def auth_api(relay: Relay) -> Blueprint:
    """The blueprint of the token routes."""
    blueprint = Blueprint("auth_api", __name__)

    @blueprint.post("/api/login")
    async def login() -> Response:
        try:
            username, password = await credentials()
        except MalformedRequest as exc:
            return refused(exc.detail, 400)
        try:
            grant = await relay.tokens.log_in(username, password, request.remote_addr or "")
        except NoSuchUser:
            return refused("Invalid credentials", 401)
        return answer(grant.answer())

    @blueprint.post("/api/logout")
    async def logout() -> Response:
        token = bearer_token()
        if not token or not await relay.tokens.revoke(token):
            return refused("Unauthorized", 401)
        return answer({"status": "logged out"})

    @blueprint.get("/api/status")
    async def status() -> Response:
        return answer({"status": "ok", "version": camrelay.__version__})

    return blueprint
