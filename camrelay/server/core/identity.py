"""Who is asking (CONTRACT §4): a user of an account with a role and a camera scope, or a
camera's device key, and what each role may do. Every face checks the same table."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """A user's role in its account; DEVICE is a session opened with a device key."""

    ADMIN = "admin"
    OPERATOR = "operator"
    VIEWER = "viewer"
    DEVICE = "device"


USER_ROLES = (Role.ADMIN, Role.OPERATOR, Role.VIEWER)


class Can(StrEnum):
    """One thing a request may need the right to do."""

    READ_CONFIG = "read config"  # getConfig
    SET_CONFIG = "set config"  # setConfig (config kinds: admins only)
    READ_RECORDS = "read records"  # getRecordCount / Meta / Data
    ADD_RECORDS = "add records"
    DELETE_RECORDS = "delete records"
    READ_MSGS = "read messages"  # getMsgs, getMsgsAndSync
    SYNC = "sync"  # addMsgs of only "sync"
    SEND_MSGS = "send messages"  # addMsgs of anything else
    WATCH = "watch"  # output.raw, getStreams, getDevicesOnline
    UPLOAD = "upload"  # input.raw
    CONTROL = "control"  # write camera state, register cameras, change their meta
    MANAGE = "manage"  # users, device keys, public flag


_EVERYONE = frozenset({Can.READ_CONFIG, Can.READ_MSGS, Can.SYNC})
_VIEWER = _EVERYONE | {Can.READ_RECORDS, Can.WATCH}
_OPERATOR = _VIEWER | {
    Can.ADD_RECORDS,
    Can.DELETE_RECORDS,
    Can.SEND_MSGS,
    Can.UPLOAD,
    Can.CONTROL,
}
ROLE_RIGHTS: dict[Role, frozenset[Can]] = {
    Role.ADMIN: frozenset(Can),
    Role.OPERATOR: _OPERATOR,
    Role.VIEWER: _VIEWER,
    # What a camera needs for its own device, nothing else (§4 device keys).
    Role.DEVICE: _EVERYONE | {Can.ADD_RECORDS, Can.SEND_MSGS, Can.UPLOAD},
}


@dataclass(frozen=True, slots=True)
class Identity:
    """The one who asks: a user (name, role, scope) or a device key (its id, its device)."""

    account_id: int
    account: str
    name: str  # the user's name, or the device key's id
    role: Role
    cameras: frozenset[str] | None = None  # None: every camera of the account
    server_admin: bool = False
    user_id: int | None = None  # None for a device key
    key_id: str | None = None  # set for a device key
    until: float | None = None  # a device key's expiry: its sessions end then

    def may(self, right: Can) -> bool:
        """Whether the role allows `right`."""
        return right in ROLE_RIGHTS[self.role]

    def sees(self, device: str, own_device: str = "") -> bool:
        """Whether `device` exists for this identity: in scope, or the asking device itself.

        A scoped user sees its cameras and its own device; everything else of the account is
        as if it did not exist (records, messages from or to it, streams, state, events).
        """
        return self.cameras is None or device in self.cameras or device == own_device

    @property
    def scoped(self) -> bool:
        """Whether some cameras of the account are hidden from it."""
        return self.cameras is not None

    def public(self) -> dict[str, object]:
        """What the login answer and the admin API show of it (never a secret)."""
        return {
            "user": self.name,
            "account": self.account,
            "role": self.role.value,
            "cameras": None if self.cameras is None else sorted(self.cameras),
        }
