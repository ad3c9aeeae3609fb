"""A live view over HTTP: JPEG frames as multipart/x-mixed-replace (what browsers show in <img>)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from quart import Response

from camrelay.workers.common.drop_oldest import Fanout, QueueClosed

BOUNDARY = "camrelayframe"
MIMETYPE = f"multipart/x-mixed-replace; boundary={BOUNDARY}"


def mjpeg_part(jpeg: bytes) -> bytes:
    """One part of the multipart body: boundary, headers, the JPEG."""
    head = (
        f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
    ).encode("ascii")
    return head + jpeg + b"\r\n"


async def mjpeg_parts(frames: Fanout[bytes], first: bytes | None = None) -> AsyncIterator[bytes]:
    """The parts for one viewer: `first` at once, then every frame published, newest kept."""
    with frames.subscribe() as queue:
        if first is not None:
            yield mjpeg_part(first)
        while True:
            try:
                yield mjpeg_part(await queue.get())
            except QueueClosed:
                return


def mjpeg_response(frames: Fanout[bytes], first: bytes | None = None) -> Response:
    """An endless multipart/x-mixed-replace response for one viewer."""
    response = Response(mjpeg_parts(frames, first), mimetype=MIMETYPE)
    response.headers["Cache-Control"] = "no-store"
    response.timeout = None  # type: ignore[assignment]
    return response
