"""An account for state-sync tests (CONTRACT §5) with a user of each role, made once per module
(password hashing is slow), and fresh cameras for each test."""

from __future__ import annotations

import asyncio
import itertools

from tests.support.relay_server import RelayServer

_names = itertools.count(1)


def make_site(server: RelayServer) -> dict[str, str]:
    """A new account: "admin"/"account" its name, "password"; "operator", "viewer" and "scoped"
    (an operator limited to camera `scoped`) the users' names. Every password is the name
    reversed."""
    name = f"state{next(_names)}"
    users = {"admin": name, "account": name, "password": name[::-1]}

    async def make() -> None:
        await server.add_account(name, name[::-1])
        await server.add_camera(name, "scoped")
        for role in ("operator", "viewer", "scoped"):
            users[role] = f"{name}-{role}"
            scope = frozenset({"scoped"}) if role == "scoped" else None
            await server.add_user(
                name, users[role], users[role][::-1], role.replace("scoped", "operator"), scope
            )

    asyncio.run(make())
    return users


async def new_cameras(server: RelayServer, site: dict[str, str]) -> dict[str, str]:
    """A private camera ("cam") and a public one ("pub") of the site, new names each time."""
    n = next(_names)
    names = {"cam": f"cam{n}", "pub": f"pub{n}"}
    await server.add_camera(site["account"], names["cam"])
    await server.add_camera(site["account"], names["pub"], public=True)
    return names
