"""GET /api/storage: the bytes of records the token's account stores and its quota (kind 7),
so the Records panel can show the storage used (the core API has no request for it)."""

from __future__ import annotations

from quart import Blueprint, Response

from ...core.account_config import PURGE_OLDEST, STORAGE_MIB
from ...core.relay import Relay
from .auth_api import answer, refused
from .bearer import identity


def storage_api(relay: Relay) -> Blueprint:
    """The blueprint of /api/storage."""
    blueprint = Blueprint("storage_api", __name__)

    @blueprint.get("/api/storage")
    async def storage() -> Response:
        me = await identity(relay.tokens)
        if me is None:
            return refused("Unauthorized", 401)
        values = await relay.config.values(me.account_id)
        return answer(
            {
                "used": await relay.records.usage(me.account_id),
                "quota": int(values[STORAGE_MIB] * (1 << 20)),
                "purgeOldest": values[PURGE_OLDEST] >= 1,
            }
        )

    return blueprint
