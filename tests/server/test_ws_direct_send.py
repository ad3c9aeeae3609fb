"""The direct text frame of transport/ws_direct_send is the frame wsproto would send."""

from __future__ import annotations

import pytest
from wsproto.frame_protocol import FrameProtocol, Opcode

from camrelay.server.transport.ws_direct_send import frame


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 70000])
def test_a_frame_is_what_wsproto_sends(size: int) -> None:
    text = "é" * (size // 2) + "x" * (size % 2)  # multi-byte UTF-8 included
    expected = FrameProtocol(client=False, extensions=[]).send_data(text, fin=True)
    assert frame(text.encode()) == expected
    assert expected[0] & 0x0F == Opcode.TEXT
