"""An account with people of every role and a camera key on a shared test server, signed in
once per module: argon2 makes each login cost a good part of a second."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

import httpx

from tests.support.api import Api, Device
from tests.support.relay_server import RelayServer

_teams = itertools.count(1)
# Generous caps (kinds 3 and 4): a module's tests share these sessions.
ROOMY_CAPS = [{"kind": 3, "fv": 10000}, {"kind": 4, "fv": 200}]


@dataclass(frozen=True)
class Member:
    """Who signs in: a user (name, password) or a device key (id, secret), as `device`."""

    role: str
    name: str
    secret: str
    device: str
    cameras: frozenset[str] | None = None


@dataclass
class Team:
    """An account (its admin is `account`) and its members' sessions by member role."""

    account: str
    members: dict[str, Member]
    shashes: dict[str, str] = field(default_factory=dict)

    def device(self, api: Api, role: str) -> Device:
        """The member's session on a client of the test."""
        return Device(api, self.shashes[role], self.members[role].device)


async def _form(server: RelayServer, wanted: dict[str, tuple[str, frozenset[str] | None]]) -> Team:
    """Make the account, its users and keys, and sign each in."""
    account = f"team{next(_teams)}"
    password = f"{account}-pw"
    await server.add_account(account, password)
    members = {"admin": Member("admin", account, password, f"{account}-admin")}
    for label, (role, cameras) in wanted.items():
        if role == "key":
            assert cameras is not None and len(cameras) == 1, "a key is for one camera"
            (camera,) = cameras
            key_id, secret = await server.add_key(account, camera)
            members[label] = Member(role, key_id, secret, camera, cameras)
        else:
            name = f"{account}-{label}"
            await server.add_user(account, name, "pw-" + name, role, cameras)
            members[label] = Member(role, name, "pw-" + name, f"{name}-dev", cameras)
    team = Team(account, members)
    async with httpx.AsyncClient(http2=True, verify=False, timeout=30) as http:
        api = Api(http, server.url)
        for label, member in members.items():
            signed = await api.login(member.name, member.secret, member.device)
            team.shashes[label] = signed.shash
        await team.device(api, "admin").call("setConfig", config=ROOMY_CAPS)
    return team


def form_team(server: RelayServer, **wanted: tuple[str, frozenset[str] | None]) -> Team:
    """A team for a module-scoped fixture: label=(role or "key", cameras or None; a key's one
    camera). Runs its own event loop, since tests each have one."""
    return asyncio.run(_form(server, wanted))
