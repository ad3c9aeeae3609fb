"""One topic to many sockets, cheaply: python-socketio's `emit` to a room makes an asyncio task
per socket per packet (400 tasks for one event under its four names at 100 sockets), which was
most of an event's cost. The packet is encoded once and queued on each Engine.IO socket, where
its writer (WebSocket or long-polling) takes it as it would from `emit`; the slow-socket sweep
still sees the queue. A WebSocket whose writer is idle gets the packets written to its
connection at once instead (direct_socket), without waking its writer task."""

from __future__ import annotations

from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet

from .direct_socket import idle_sender

NAMESPACE = "/"


def fan_out(sio: socketio.AsyncServer, event: str, data: Any, rooms: list[str]) -> int:
    """Queue one event to every socket in `rooms` (each once); returns how many got it."""
    encoded = sio.packet_class(packet.EVENT, namespace=NAMESPACE, data=[event, data]).encode()
    pieces = encoded if isinstance(encoded, list) else [encoded]
    packets = [eio_packet.Packet(eio_packet.MESSAGE, piece) for piece in pieces]
    texts = [pkt.encode() for pkt in packets]
    sockets = sio.eio.sockets
    reached = 0
    for _sid, eio_sid in sio.manager.get_participants(NAMESPACE, rooms):
        sock = sockets.get(eio_sid)
        if sock is None or sock.closed:
            continue
        written = 0
        send_text = idle_sender(sock) if isinstance(texts[0], str) else None
        if send_text is not None:
            while written < len(texts) and send_text(texts[written]):
                written += 1
        for pkt in packets[written:]:  # what the connection could not take now, in order
            sock.queue.put_nowait(pkt)
        reached += 1
    return reached
