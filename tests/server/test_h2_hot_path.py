"""The cheaper frame text gives exactly hyperframe's own text (it only reads less of the data)."""

from __future__ import annotations

import inspect

import h2.connection
import hyperframe.frame
import pytest
from hpack.exceptions import HPACKDecodingError
from hpack.huffman import HuffmanEncoder
from hpack.huffman_constants import REQUEST_CODES, REQUEST_CODES_LENGTH
from hpack.huffman_table import decode_huffman

from camrelay.server.transport import h2_hot_path

ORIGINAL = hyperframe.frame._raw_data_repr


@pytest.mark.parametrize(
    "data", [None, b"", b"a", b"0123456789", b"01234567890", bytes(range(256))]
)
def test_same_text_as_hyperframe(data: bytes | None) -> None:
    assert h2_hot_path._raw_data_repr(data) == ORIGINAL(data)


def test_the_frame_text_is_made_only_when_formatted_and_is_hyperframe_s() -> None:
    frame = hyperframe.frame.DataFrame(1, b"0123456789abcdef", flags=("END_STREAM",))
    assert str(h2_hot_path.FrameText(frame)) == repr(frame)
    assert repr(h2_hot_path.FrameText(frame)) == repr(frame)
    # h2.connection calls `repr` in one place only: the trace line of each received frame.
    assert inspect.getsource(h2.connection).count("repr(") == 1


def test_huffman_decoding_kept_answers_as_hpack() -> None:
    kept = h2_hot_path._huffman_kept(decode_huffman)
    path = HuffmanEncoder(REQUEST_CODES, REQUEST_CODES_LENGTH).encode(b"/addRecord.json?shash=x")
    assert kept(path) == kept(path) == b"/addRecord.json?shash=x"
    assert kept(memoryview(path)) == b"/addRecord.json?shash=x"  # not bytes: decoded, not kept
    for _ in range(2):
        with pytest.raises(HPACKDecodingError):
            kept(b"\xff\xff\xff\xff")  # an EOS code: hpack's error, every time
