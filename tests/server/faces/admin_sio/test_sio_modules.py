"""Every module × command of the admin API (§6) with roles, camera scopes, the last admin, and
`list` paging and search, through a real python-socketio client."""

from __future__ import annotations

import pytest

from tests.support.admin_socket import Admin, AdminSocket, add_user, log_in, open_socket
from tests.support.relay_server import RelayServer


async def _socket_of(server: RelayServer, name: str, password: str) -> AdminSocket:
    return await open_socket(server.h2c_url, await log_in(server, name, password))


async def test_users_every_command(server: RelayServer, admin: Admin) -> None:
    sock = admin.sock
    name, _ = await add_user(admin, "viewer", ["cam1"])
    read = await sock.request("read", "users", entity=name)
    assert read["role"] == "viewer" and read["cameras"] == ["cam1"]
    assert not {"password", "hash", "shash"} & set(read)
    updated = await sock.request(
        "update", "users", entity=name, payload={"role": "operator", "cameras": None}
    )
    assert (updated["role"], updated["cameras"]) == ("operator", None)
    listed = await sock.request("list", "users")
    assert sorted(user["name"] for user in listed["items"]) == sorted([admin.account, name])
    deleted = await sock.request("delete", "users", entity=name)
    assert deleted["deleted"] is True
    missing = await sock.request("read", "users", entity=name)
    assert missing["error"]["message"] == "Not Found"
    taken = await sock.request(
        "create", "users", payload={"name": admin.account, "password": "x", "role": "viewer"}
    )
    assert taken["error"]["message"] == "Conflict"
    bad_role = await sock.request(
        "create", "users", payload={"name": "zz", "password": "x", "role": "boss"}
    )
    assert bad_role["error"]["details"][0]["path"] == "payload.role"


async def test_the_last_admin_cannot_be_removed_or_demoted(admin: Admin) -> None:
    sock = admin.sock
    demoted = await sock.request(
        "update", "users", entity=admin.account, payload={"role": "viewer"}
    )
    assert demoted["error"]["message"] == "Forbidden"
    removed = await sock.request("delete", "users", entity=admin.account)
    assert removed["error"]["message"] == "Forbidden"
    second, _ = await add_user(admin, "admin")
    assert (await sock.request("delete", "users", entity=second))["deleted"] is True


async def test_cameras_every_command(admin: Admin) -> None:
    sock = admin.sock
    made = await sock.request("create", "cameras", payload={"name": "door", "meta": "front"})
    assert made["name"] == "door" and made["meta"] == "front" and made["public"] is False
    assert made["online"] is False and made["streaming"] is False and made["viewers"] == 0
    assert set(made) >= {"subproto", "delta", "fps", "bytesIn", "lastSeen"}
    again = await sock.request("create", "cameras", payload={"name": "door"})
    assert again["error"]["message"] == "Conflict"
    updated = await sock.request(
        "update", "cameras", entity="door", payload={"meta": "back", "public": True}
    )
    assert (updated["meta"], updated["public"]) == ("back", True)
    assert (await sock.request("read", "cameras", entity="door"))["meta"] == "back"
    assert (await sock.request("list", "cameras"))["total"] == 1
    gone = await sock.request("delete", "cameras", entity="door", payload={"purge": True})
    assert gone == {"name": "door", "deleted": True, "purged": True}
    assert (await sock.request("read", "cameras", entity="door"))["error"]["message"] == (
        "Not Found"
    )


async def test_credentials_every_command(admin: Admin) -> None:
    sock = admin.sock
    made = await sock.request("create", "credentials", payload={"device": "cam9"})
    assert set(made) == {"id", "device", "secret", "createdAt", "expiresAt"}
    assert made["id"].startswith("key_") and made["expiresAt"] is None
    read = await sock.request("read", "credentials", entity=made["id"])
    assert read["device"] == "cam9" and "secret" not in read and read["revokedAt"] is None
    listed = await sock.request("list", "credentials")
    assert [key["id"] for key in listed["items"]] == [made["id"]]
    assert made["secret"] not in repr(listed)
    expiring = await sock.request(
        "create", "credentials", payload={"device": "cam9", "expiresIn": 3600}
    )
    assert expiring["expiresAt"] is not None
    revoked = await sock.request("delete", "credentials", entity=made["id"])
    assert revoked["revokedAt"] is not None
    update = await sock.request("update", "credentials", entity=made["id"], payload={})
    assert update["error"]["message"] == "Not Supported"
    bad = await sock.request("create", "credentials", payload={"device": "c", "expiresIn": -1})
    assert bad["error"]["details"][0]["path"] == "payload.expiresIn"


@pytest.mark.parametrize("role", ["operator", "viewer"])
async def test_roles_below_admin(server: RelayServer, admin: Admin, role: str) -> None:
    name, password = await add_user(admin, role)
    sock = await _socket_of(server, name, password)
    try:
        for module in ("users", "credentials"):
            refused = await sock.request("list", module)
            assert refused["error"]["message"] == "Forbidden", module
        made = await sock.request("create", "cameras", payload={"name": f"{role}-cam"})
        if role == "viewer":
            assert made["error"]["message"] == "Forbidden"
        else:
            assert made["name"] == f"{role}-cam"
            public = await sock.request(
                "update", "cameras", entity=f"{role}-cam", payload={"public": True}
            )
            assert public["error"]["message"] == "Forbidden"
            deleted = await sock.request("delete", "cameras", entity=f"{role}-cam")
            assert deleted["error"]["message"] == "Forbidden"
        assert "items" in await sock.request("list", "cameras")
    finally:
        await sock.close()


async def test_a_scoped_user_sees_only_its_cameras(server: RelayServer, admin: Admin) -> None:
    for camera in ("a1", "b1", "b2"):
        await admin.sock.request("create", "cameras", payload={"name": camera})
    await admin.sock.request("create", "credentials", payload={"device": "b1"})
    name, password = await add_user(admin, "operator", ["a1"])
    sock = await _socket_of(server, name, password)
    try:
        listed = await sock.request("list", "cameras")
        assert [camera["name"] for camera in listed["items"]] == ["a1"]
        assert listed["total"] == 1
        hidden = await sock.request("read", "cameras", entity="b1")
        assert hidden["error"]["message"] == "Not Found"
        touched = await sock.request("update", "cameras", entity="b2", payload={"meta": "x"})
        assert touched["error"]["message"] == "Not Found"
        outside = await sock.request("create", "cameras", payload={"name": "c1"})
        assert outside["error"]["message"] == "Forbidden"
        searched = await sock.request("list", "cameras", payload={"search": "b"})
        assert searched["total"] == 0
    finally:
        await sock.close()


async def test_list_paging_search_and_sort(admin: Admin) -> None:
    sock = admin.sock
    for index in range(23):
        await sock.request("create", "cameras", payload={"name": f"cam{index:02d}"})
    await sock.request("create", "cameras", payload={"name": "porch", "meta": "garden"})
    first = await sock.request("list", "cameras")
    assert (first["page"], first["itemsPerPage"], first["total"]) == (1, 10, 24)
    assert (first["search"], first["sortBy"]) == (None, None)
    assert len(first["items"]) == 10
    last = await sock.request("list", "cameras", payload={"page": 3, "itemsPerPage": 10})
    assert len(last["items"]) == 4
    beyond = await sock.request("list", "cameras", payload={"page": 9})
    assert beyond["items"] == [] and beyond["total"] == 24
    found = await sock.request("list", "cameras", payload={"search": "GARD"})
    assert [camera["name"] for camera in found["items"]] == ["porch"]
    ordered = await sock.request("list", "cameras", payload={"sortBy": "-name", "itemsPerPage": 2})
    assert [camera["name"] for camera in ordered["items"]] == ["porch", "cam22"]
    listed = await sock.request(
        "list", "cameras", payload={"sortBy": [{"key": "name", "order": "asc"}], "page": 2}
    )
    assert listed["items"][0]["name"] == "cam10"
    assert listed["sortBy"] == [{"key": "name", "order": "asc"}]
