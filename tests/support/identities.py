"""Identities for core tests that open sessions without a login."""

from __future__ import annotations

from camrelay.server.core.accounts import Account
from camrelay.server.core.identity import Identity, Role


def admin_of(account: Account, user_id: int | None = None) -> Identity:
    """The identity of the account's first user, its admin (user ids start at 1 per store)."""
    return Identity(
        account.id, account.name, account.name, Role.ADMIN, user_id=user_id or account.id
    )
