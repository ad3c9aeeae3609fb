"""Which camera a state socket addresses (CONTRACT §5): `?device=NAME`, else the only camera in
the user's scope; anonymous sockets name `?account=A&device=NAME` of a public camera."""

from __future__ import annotations

from dataclasses import dataclass

from ...core.identity import Identity
from ...core.relay import Relay
from ...core.state import Camera

MAX_REASON = 120  # a close reason fits in a control frame (123 bytes)


class CameraRefused(Exception):
    """A logged-in socket named a camera it may not address; the socket closes with this."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason.encode()[:MAX_REASON].decode(errors="ignore")


@dataclass(frozen=True)
class Choice:
    """The camera a socket addresses (None: none selected) and whether it was named but is
    hidden from an anonymous socket (private, or no such camera: it reads nothing)."""

    camera: Camera | None
    hidden: bool = False


async def anonymous_choice(relay: Relay, account: str, device: str) -> Choice:
    """A public camera named by account and device; hidden when named but not public."""
    if not device:
        return Choice(None)
    found = await relay.accounts.find(account) if account else None
    camera = await relay.cameras.find(found.id, device) if found else None
    if found is None or camera is None or not camera.public:
        return Choice(None, hidden=True)
    return Choice((found.id, device))


async def user_choice(relay: Relay, who: Identity, account: str, device: str) -> Choice:
    """The named camera, or the only one the identity sees; CameraRefused when it names one
    outside its account or scope, or one that does not exist."""
    if device:
        if account and account != who.account:
            raise CameraRefused(f"Camera {device} is not in your account")
        if not who.sees(device):
            raise CameraRefused(f"Camera {device} is not in your scope")
        if await relay.cameras.find(who.account_id, device) is None:
            raise CameraRefused(f"No camera {device} in your account")
        return Choice((who.account_id, device))
    names = [c.name for c in await relay.cameras.list(who.account_id) if who.sees(c.name)]
    return Choice((who.account_id, names[0]) if len(names) == 1 else None)
