"""authorize.json's check (CONTRACT §4): a user of the account, or a camera's device key whose
session is held to the key's device whatever the request names. Both wait their turn in the
login slow-down, so guessing costs the same either way."""

from __future__ import annotations

from camrelay.protocol.errors import NoSuchUser

from .accounts import KEY_PREFIX
from .device_keys import DeviceKeys
from .identity import Identity, Role
from .login_throttle import LoginThrottle
from .sessions import Session, Sessions
from .tokens import Tokens
from .users import Users

TOKEN_NAME = " token"  # the throttle's account name for token logins (no user has a space)


class SignIn:
    """Opens device sessions for users and device keys; identifies people and keys for the
    real-time faces."""

    def __init__(
        self,
        users: Users,
        keys: DeviceKeys,
        throttle: LoginThrottle,
        sessions: Sessions,
        tokens: Tokens,
    ) -> None:
        self._users = users
        self._tokens = tokens
        self._keys = keys
        self._throttle = throttle
        self._sessions = sessions

    async def authorize(
        self, name: str, password: str, device: str, meta: str, address: str
    ) -> Session:
        """A new session; NoSuchUser (code 7) after the slow-down when the check fails."""
        who = await self.identify(name, password, address)
        if who.role is Role.DEVICE:
            assert who.cameras is not None
            (device,) = who.cameras
        return await self._sessions.open(who, device, meta, address)

    async def open_for_token(self, token: str, device: str, address: str) -> Session:
        """A core-API session for a §4 token's user (the web page's tab): the user's role and
        scope, as authorize would give it; NoSuchUser after the slow-down for a bad token."""
        who = await self.identify_token(token, address)
        return await self._sessions.open(who, device, "web page", address)

    async def identify(self, name: str, password: str, address: str) -> Identity:
        """A user or a device key by name and password; NoSuchUser after the slow-down."""
        async with self._throttle.turn(address, name):
            if name.startswith(KEY_PREFIX):
                who = await self._keys.verify(name, password)
            else:
                who = await self._users.verify(name, password)
        self._throttle.succeeded(address, name)
        return who

    async def identify_token(self, token: str, address: str) -> Identity:
        """A user by a §4 token; NoSuchUser after the same slow-down as a wrong password."""
        async with self._throttle.turn(address, TOKEN_NAME):
            who = await self._tokens.identify(token)
            if who is None:
                raise NoSuchUser()
        self._throttle.succeeded(address, TOKEN_NAME)
        return who
