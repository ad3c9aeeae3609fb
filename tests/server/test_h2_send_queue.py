"""h2_send_queue: the bytes queued and handed out are exactly h2's, for every kind of frame,
padded DATA and END_STREAM included, with h2's own check of the frame size kept."""

from __future__ import annotations

import h2.config
import h2.connection
import pytest
from hyperframe.frame import (
    DataFrame,
    Frame,
    HeadersFrame,
    PingFrame,
    RstStreamFrame,
    SettingsFrame,
    WindowUpdateFrame,
)

from camrelay.server.transport import h2_send_queue as queue


def frames() -> list[Frame]:
    ended = DataFrame(3, data=b"last", flags=["END_STREAM"])
    padded = DataFrame(5, data=b"padded body", flags=["PADDED", "END_STREAM"])
    padded.pad_length = 7
    return [
        DataFrame(1, data=b"x" * 16_000),
        ended,
        padded,
        DataFrame(7, data=b""),
        DataFrame(9, data=memoryview(b"from a view")),
        HeadersFrame(1, data=b"\x88", flags=["END_HEADERS"]),
        SettingsFrame(0, settings={SettingsFrame.MAX_FRAME_SIZE: 1 << 20}),
        PingFrame(0, opaque_data=b"12345678"),
        WindowUpdateFrame(0, window_increment=1000),
        RstStreamFrame(1, error_code=8),
    ]


def h2s_bytes(chosen: list[Frame]) -> bytes:
    return b"".join(frame.serialize() for frame in chosen)


@pytest.mark.parametrize("count", [0, 1, 2, 10])
def test_frames_queued_and_handed_out_as_h2_does(count: int) -> None:
    expected = h2s_bytes(frames()[:count])
    connection = h2.connection.H2Connection()
    queue._prepare_for_sending(connection, frames()[:count])
    assert queue.data_to_send(connection) == expected
    assert queue.data_to_send(connection) == b""


def test_what_was_handed_out_never_changes() -> None:
    connection = h2.connection.H2Connection()
    queue._prepare_for_sending(connection, [DataFrame(1, data=b"first")])
    handed = queue.data_to_send(connection)
    queue._prepare_for_sending(connection, [DataFrame(1, data=b"second")])
    assert handed == h2s_bytes([DataFrame(1, data=b"first")])
    assert queue.data_to_send(connection, 6) == h2s_bytes([DataFrame(1, data=b"second")])[:6]
    assert queue.data_to_send(connection) == h2s_bytes([DataFrame(1, data=b"second")])[6:]


def test_a_real_connection_sends_h2s_bytes() -> None:
    sent = []
    for patched in (False, True):
        if patched:
            queue.install()
        client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        client.initiate_connection()
        client.send_headers(
            1, [(":method", "POST"), (":path", "/"), (":scheme", "https"), (":authority", "a")]
        )
        client.send_data(1, b"y" * 16_000)
        client.send_data(1, b"z" * 100, end_stream=True)
        client.ping(b"abcdefgh")
        sent.append(bytes(client.data_to_send()))
    assert h2.connection.H2Connection.data_to_send is queue.data_to_send
    assert sent[0] == sent[1] and len(sent[0]) > 16_100


def test_an_oversized_frame_still_trips_h2s_assertion() -> None:
    connection = h2.connection.H2Connection()
    too_big = DataFrame(1, data=b"x" * (connection.max_outbound_frame_size + 1))
    with pytest.raises(AssertionError):
        queue._prepare_for_sending(connection, [PingFrame(0), too_big])
