"""Whether a state socket's login still holds (CONTRACT §4): a logout, a password change, a role
or scope change or the user's deletion must not leave an open socket its old rights."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ...core.identity import Identity
from ...core.relay import Relay

# A socket's login is checked again at most this often (and at least this often while it is
# idle): a revoked login stops working within it, a flood of messages is no flood of look-ups.
RECHECK_S = 1.0
ENDED = {"authenticated": False, "error": "Login no longer valid"}


@dataclass
class Login:
    """Who a socket logged in as, with what (a token, or None: a password) and when the login
    was last found to hold (monotonic)."""

    who: Identity
    token: str | None
    checked: float = field(default_factory=time.monotonic)

    def due_in(self) -> float:
        """Seconds until the next check is due (0: now)."""
        return max(0.0, self.checked + RECHECK_S - time.monotonic())


async def current(relay: Relay, login: Login) -> Identity | None:
    """What the login carries now: None once it no longer holds, else the identity as it is now
    (a changed role or scope shows as a different identity)."""
    login.checked = time.monotonic()
    who = login.who
    if login.token is not None:  # a logout, a password, role or scope change end the token
        return await relay.tokens.identify(login.token)
    if who.key_id is not None:
        key = await relay.keys.find(who.account_id, who.key_id)
        return who if key is not None and key.usable(relay.clock.now()) else None
    user = await relay.users.find(who.name)
    return user.identity() if user is not None and user.id == who.user_id else None
