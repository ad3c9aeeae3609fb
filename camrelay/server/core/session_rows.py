"""Stored sessions as rows: the query that loads them with their user or device key, and the
identity a row was opened with."""

from __future__ import annotations

import json
from typing import Any

from .device_keys import key_identity
from .identity import Identity, Role

LOAD = (
    "SELECT s.shash, s.account_id, s.device, s.meta, s.address, s.created, s.last_seen, "
    "s.requests, a.name, u.id, u.name, u.role, u.cameras, u.server_admin, k.id, k.device, "
    "k.expires "
    "FROM sessions s JOIN accounts a ON a.id = s.account_id "
    "LEFT JOIN users u ON u.id = s.user_id LEFT JOIN device_keys k ON k.id = s.key_id"
)


def identity_of(row: Any) -> Identity | None:
    """The identity a stored session was opened with: its user's or its device key's."""
    account_id, account = int(row[1]), str(row[8])
    if row[14] is not None:
        return key_identity(account_id, account, str(row[14]), str(row[15]), row[16])
    if row[9] is None:
        return None  # neither a user nor a key holds it: it cannot be used
    cameras = None if row[12] is None else frozenset(json.loads(str(row[12])))
    return Identity(
        account_id,
        account,
        str(row[10]),
        Role(row[11]),
        cameras,
        bool(row[13]),
        user_id=int(row[9]),
    )
