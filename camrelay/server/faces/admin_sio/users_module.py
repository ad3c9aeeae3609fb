"""The `users` module: an account's people, for its admins (never a password hash)."""

from __future__ import annotations

from typing import Any

from ...core.identity import USER_ROLES, Can, Identity, Role
from ...core.relay import Relay
from .callers import Caller
from .listing import Listing
from .module import Answer, Module, allowed, invalid, iso, only, text
from .requests import NOT_FOUND, RequestFailed

ROLE_NAMES = tuple(role.value for role in USER_ROLES)


def user_item(user: Any) -> Answer:
    """What the API shows of a user."""
    return {
        "name": user.name,
        "account": user.account,
        "role": str(user.role),
        "cameras": None if user.cameras is None else sorted(user.cameras),
        "serverAdmin": bool(user.server_admin),
        "createdAt": iso(user.created),
    }


def _role(payload: dict[str, Any]) -> Role:
    value = payload.get("role")
    if value not in ROLE_NAMES:
        raise invalid("payload.role", f"must be one of {', '.join(ROLE_NAMES)}")
    return Role(value)


def _cameras(payload: dict[str, Any]) -> frozenset[str] | None:
    value = payload.get("cameras")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(c, str) and c for c in value):
        raise invalid("payload.cameras", "must be null (every camera) or a list of camera names")
    return frozenset(value)


class UsersModule(Module):
    """list / create / read / update / delete of the account's users; admins only."""

    name = "users"

    def __init__(self, relay: Relay) -> None:
        self.relay = relay

    async def list(self, caller: Caller, listing: Listing) -> Answer:
        me = allowed(caller, Can.MANAGE)
        users = await self.relay.users.list(me.account_id)
        return listing.answer([user_item(user) for user in users])

    async def create(self, caller: Caller, payload: dict[str, Any]) -> Answer:
        me = allowed(caller, Can.MANAGE)
        only(payload, "name", "password", "role", "cameras")
        name, password = text(payload, "name"), text(payload, "password")
        assert name is not None and password is not None
        user = await self.relay.users.add(
            me.account_id, name, password, _role(payload), _cameras(payload)
        )
        return user_item(user)

    async def read(self, caller: Caller, entity: str) -> Answer:
        me = allowed(caller, Can.MANAGE)
        return user_item(await self._user(me, entity))

    async def update(self, caller: Caller, entity: str, payload: dict[str, Any]) -> Answer:
        me = allowed(caller, Can.MANAGE)
        only(payload, "password", "role", "cameras")
        await self._user(me, entity)
        changes: dict[str, Any] = {}
        if "password" in payload:
            changes["password"] = text(payload, "password")
        if "role" in payload:
            changes["role"] = _role(payload)
        if "cameras" in payload:
            changes["cameras"] = _cameras(payload)
        user = await self.relay.users.update(me.account_id, entity, **changes)
        return user_item(user)

    async def delete(self, caller: Caller, entity: str, payload: dict[str, Any]) -> Answer:
        me = allowed(caller, Can.MANAGE)
        only(payload)
        user = await self._user(me, entity)
        await self.relay.users.delete(me.account_id, entity)
        return {**user_item(user), "deleted": True}

    async def _user(self, me: Identity, name: str) -> Any:
        for user in await self.relay.users.list(me.account_id):
            if user.name == name:
                return user
        raise RequestFailed(NOT_FOUND, f"no user {name!r} in this account")
