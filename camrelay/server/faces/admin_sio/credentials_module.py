"""The `credentials` module: device keys (CONTRACT §4), the secret shown once at creation."""

from __future__ import annotations

from typing import Any

from ...core.identity import Can, Identity
from ...core.relay import Relay
from .callers import Caller
from .listing import Listing
from .module import Answer, Module, allowed, iso, only, text
from .requests import FORBIDDEN, NOT_FOUND, RequestFailed, invalid

MAX_EXPIRES_IN_S = 10 * 365 * 86400


def key_item(key: Any) -> Answer:
    """What the API shows of a key: never its secret or hash."""
    return {
        "id": key.id,
        "device": key.device,
        "createdAt": iso(key.created),
        "expiresAt": iso(key.expires),
        "revokedAt": iso(key.revoked),
        "lastUsedAt": iso(key.last_used),
        "uses": key.uses,
    }


def _expires_in(payload: dict[str, Any]) -> float | None:
    value = payload.get("expiresIn")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid("payload.expiresIn", "must be a number of seconds")
    if not 0 < value <= MAX_EXPIRES_IN_S:
        raise invalid("payload.expiresIn", f"must be between 0 and {MAX_EXPIRES_IN_S} seconds")
    return float(value)


class CredentialsModule(Module):
    """Device keys of the cameras the admin sees."""

    name = "credentials"

    def __init__(self, relay: Relay) -> None:
        self.relay = relay

    async def list(self, caller: Caller, listing: Listing) -> Answer:
        me = allowed(caller, Can.MANAGE)
        keys = await self.relay.keys.list(me.account_id)
        return listing.answer([key_item(key) for key in keys if me.sees(key.device)])

    async def create(self, caller: Caller, payload: dict[str, Any]) -> Answer:
        me = allowed(caller, Can.MANAGE)
        only(payload, "device", "expiresIn")
        device = text(payload, "device")
        assert device is not None
        if not me.sees(device):
            raise RequestFailed(FORBIDDEN, "the camera is outside your scope")
        key, secret = await self.relay.keys.create(me.account_id, device, _expires_in(payload))
        return {
            "id": key.id,
            "device": key.device,
            "secret": secret,
            "createdAt": iso(key.created),
            "expiresAt": iso(key.expires),
        }

    async def read(self, caller: Caller, entity: str) -> Answer:
        me = allowed(caller, Can.MANAGE)
        return key_item(await self._key(me, entity))

    async def delete(self, caller: Caller, entity: str, payload: dict[str, Any]) -> Answer:
        me = allowed(caller, Can.MANAGE)
        only(payload)
        await self._key(me, entity)
        await self.relay.keys.revoke(me.account_id, entity)
        return key_item(await self._key(me, entity))

    async def _key(self, me: Identity, key_id: str) -> Any:
        key = await self.relay.keys.find(me.account_id, key_id)
        if key is None or not me.sees(key.device):
            raise RequestFailed(NOT_FOUND, f"no key {key_id!r}")
        return key
