"""authorize.json's check (CONTRACT §4): a user of the account, or a camera's device key whose
session is held to the key's device whatever the request names. Both wait their turn in the
login slow-down, so guessing costs the same either way."""

from __future__ import annotations

from .accounts import KEY_PREFIX
from .device_keys import DeviceKeys
from .login_throttle import LoginThrottle
from .sessions import Session, Sessions
from .users import Users


class SignIn:
    """Opens device sessions for users and device keys."""

    def __init__(
        self, users: Users, keys: DeviceKeys, throttle: LoginThrottle, sessions: Sessions
    ) -> None:
        self._users = users
        self._keys = keys
        self._throttle = throttle
        self._sessions = sessions

    async def authorize(
        self, name: str, password: str, device: str, meta: str, address: str
    ) -> Session:
        """A new session; NoSuchUser (code 7) after the slow-down when the check fails."""
        async with self._throttle.turn(address, name):
            if name.startswith(KEY_PREFIX):
                who = await self._keys.verify(name, password)
                assert who.cameras is not None
                (device,) = who.cameras
            else:
                who = await self._users.verify(name, password)
        self._throttle.succeeded(address, name)
        return await self._sessions.open(who, device, meta, address)
