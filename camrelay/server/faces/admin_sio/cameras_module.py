"""The `cameras` module: the account's camera devices with what they are doing now, each seen
only by the identities whose scope holds it."""

from __future__ import annotations

import time
from typing import Any

from ...core.identity import Can, Identity
from ...core.relay import Relay
from ...core.streams import Channel
from .callers import Caller
from .listing import Listing
from .module import Answer, Module, allowed, flag, identity_of, iso, only, text
from .requests import FORBIDDEN, NOT_FOUND, RequestFailed, invalid

Items = list[Answer]  # named here: inside the class `list` is the command


class CamerasModule(Module):
    """list / read for everyone of the account; create / update to operators and admins; the
    public flag and delete to admins."""

    name = "cameras"

    def __init__(self, relay: Relay) -> None:
        self.relay = relay

    async def list(self, caller: Caller, listing: Listing) -> Answer:
        me = identity_of(caller)
        return listing.answer(await self._items(me))

    async def read(self, caller: Caller, entity: str) -> Answer:
        me = identity_of(caller)
        for item in await self._items(me):
            if item["name"] == entity:
                return item
        raise RequestFailed(NOT_FOUND, f"no camera {entity!r}")

    async def create(self, caller: Caller, payload: dict[str, Any]) -> Answer:
        me = allowed(caller, Can.CONTROL)
        only(payload, "name", "meta", "public")
        name = text(payload, "name")
        assert name is not None
        meta, public = self._meta(payload), flag(payload, "public")
        if public is not None and not me.may(Can.MANAGE):
            raise RequestFailed(FORBIDDEN, "only an admin may make a camera public")
        if not me.sees(name):
            raise RequestFailed(FORBIDDEN, "the camera would be outside your scope")
        await self.relay.cameras.create(me.account_id, name, meta or "", bool(public))
        return await self.read(caller, name)

    async def update(self, caller: Caller, entity: str, payload: dict[str, Any]) -> Answer:
        me = allowed(caller, Can.CONTROL)
        only(payload, "meta", "public")
        await self._registered(me, entity)
        meta, public = self._meta(payload), flag(payload, "public")
        if public is not None and not me.may(Can.MANAGE):
            raise RequestFailed(FORBIDDEN, "only an admin may make a camera public")
        await self.relay.cameras.update(me.account_id, entity, meta=meta, public=public)
        return await self.read(caller, entity)

    async def delete(self, caller: Caller, entity: str, payload: dict[str, Any]) -> Answer:
        me = allowed(caller, Can.MANAGE)
        only(payload, "purge")
        purge = bool(flag(payload, "purge"))
        await self._registered(me, entity)
        await self.relay.cameras.delete(me.account_id, entity, purge=purge)
        return {"name": entity, "deleted": True, "purged": purge}

    @staticmethod
    def _meta(payload: dict[str, Any]) -> str | None:
        meta = payload.get("meta")
        if meta is not None and not isinstance(meta, str):
            raise invalid("payload.meta", "must be a string")
        return meta

    async def _registered(self, me: Identity, name: str) -> Any:
        camera = await self.relay.cameras.find(me.account_id, name) if me.sees(name) else None
        if camera is None:
            raise RequestFailed(NOT_FOUND, f"no camera {name!r}")
        return camera

    async def _items(self, me: Identity) -> Items:
        """Registered cameras and whatever device streams, online state merged in."""
        account = me.account_id
        cameras = {c.name: c for c in await self.relay.cameras.list(account)}
        online = {s.device: s for s in await self.relay.sessions.online(account)}
        channels = {
            c.device: c
            for c in self.relay.streams.channels()
            if c.account_id == account and c.producer is not None
        }
        names = sorted(set(cameras) | set(channels))
        return [
            _item(name, cameras.get(name), online.get(name), channels.get(name))
            for name in names
            if me.sees(name)
        ]


def _item(name: str, camera: Any, session: Any, channel: Channel | None) -> Answer:
    age = time.monotonic() - channel.started if channel else 0.0
    return {
        "name": name,
        "meta": camera.meta if camera else (session.meta if session else ""),
        "public": bool(camera.public) if camera else False,
        "createdAt": iso(camera.created) if camera else None,
        "online": session is not None,
        "streaming": channel is not None,
        "subproto": channel.subproto if channel else None,
        "delta": channel.delta if channel else None,
        "viewers": len(channel.readers) if channel else 0,
        "fps": round(channel.frames_in / age, 2) if channel and age > 0 else None,
        "bytesIn": channel.bytes_in if channel else 0,
        "lastSeen": iso(session.last_seen) if session else None,
    }
