"""Reading a test server's live figures from its /metrics (the tests talk from 127.0.0.1)."""

from __future__ import annotations

import httpx


async def stream_viewers(url: str, device: str) -> int:
    """Viewers attached to the streams of devices named `device`, in every account."""
    async with httpx.AsyncClient(verify=False) as http:
        text = (await http.get(f"{url}/metrics")).text
    return sum(
        int(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("camrelay_stream_viewers{") and f'device="{device}"' in line
    )
