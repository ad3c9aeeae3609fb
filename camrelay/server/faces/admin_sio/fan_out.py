"""One topic to many sockets, cheaply: python-socketio's `emit` to a room makes an asyncio task
per socket per packet (400 tasks for one event under its four names at 100 sockets), which was
most of an event's cost. The packet is encoded once and queued on each Engine.IO socket, where
its writer (WebSocket or long-polling) takes it as it would from `emit`; the slow-socket sweep
still sees the queue. A WebSocket whose writer is idle gets the packets written to its
connection at once instead (direct_socket), without waking its writer task."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet

from .direct_socket import idle_sender

NAMESPACE = "/"


def fan_out(sio: socketio.AsyncServer, names: Sequence[str], data: Any, rooms: list[str]) -> int:
    """Queue one event under each of `names` to every socket in `rooms` (each once); returns
    how many got it."""
    packets = []
    for name in names:
        encoded = sio.packet_class(packet.EVENT, namespace=NAMESPACE, data=[name, data]).encode()
        pieces = encoded if isinstance(encoded, list) else [encoded]
        packets += [eio_packet.Packet(eio_packet.MESSAGE, piece) for piece in pieces]
    texts = [pkt.encode() for pkt in packets]
    direct = all(isinstance(text, str) for text in texts)  # binary packets take the queue
    sockets = sio.eio.sockets
    reached = 0
    for _sid, eio_sid in sio.manager.get_participants(NAMESPACE, rooms):
        sock = sockets.get(eio_sid)
        if sock is None or sock.closed:
            continue
        send_text = idle_sender(sock) if direct else None
        if send_text is None or not send_text(*texts):  # all of them in one write, or queued
            for pkt in packets:
                sock.queue.put_nowait(pkt)
        reached += 1
    return reached
