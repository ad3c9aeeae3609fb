"""Finding the person behind a request of the web page's JSON routes: a §4 bearer token."""

from __future__ import annotations

from quart import request

from ...core.identity import Identity
from ...core.tokens import Tokens


def bearer_token() -> str:
    """The token of `Authorization: Bearer TOKEN`, or "" when there is none."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


async def identity(tokens: Tokens) -> Identity | None:
    """Who the request's bearer token stands for, if anyone."""
    token = bearer_token()
    return await tokens.identify(token) if token else None
