"""Thin test helpers around httpx for the JSON requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class Api:
    """Posts .json requests to a server and returns the decoded answer."""

    http: httpx.AsyncClient
    url: str

    async def call(self, name: str, body: Any = None, **query: Any) -> dict[str, Any]:
        """POST /NAME.json with a JSON body (if given) and query parameters."""
        content = None if body is None else httpx.Request("POST", "/", json=body).content
        response = await self.http.post(f"{self.url}/{name}.json", content=content, params=query)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.http_version == "HTTP/2"
        return response.json()

    async def login(self, name: str, password: str, device: str, meta: str = "") -> Device:
        """authorize.json; asserts it worked."""
        answer = await self.call(
            "authorize", {"name": name, "pass": password, "device": device, "meta": meta}
        )
        assert answer["result"] == "OK", answer
        return Device(self, answer["shash"], device)


@dataclass
class Device:
    """A device's session: calls carry its shash."""

    api: Api
    shash: str
    name: str

    async def call(self, name: str, **body: Any) -> dict[str, Any]:
        """A .json request with shash and `body` as the JSON object."""
        return await self.api.call(name, {"shash": self.shash, **body})

    async def add_record(self, data: bytes, meta: str = "") -> dict[str, Any]:
        """addRecord.json with the blob as the body."""
        response = await self.api.http.post(
            f"{self.api.url}/addRecord.json",
            content=data,
            params={"shash": self.shash, "meta": meta},
        )
        assert response.status_code == 200
        return response.json()


async def post_raw(
    api: Api,
    name: str,
    content: bytes = b"",
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST raw bytes to /NAME.json; asserts an HTTP 200 JSON answer and returns it."""
    response = await api.http.post(
        f"{api.url}/{name}.json", content=content, params=query or {}, headers=headers or {}
    )
    assert response.status_code == 200, (name, response.status_code, response.text)
    assert response.headers["content-type"] == "application/json", response.text
    return response.json()
