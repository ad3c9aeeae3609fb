"""The cheaper frame text gives exactly hyperframe's own text (it only reads less of the data)."""

from __future__ import annotations

import hyperframe.frame
import pytest

from camrelay.server.transport import h2_hot_path

ORIGINAL = hyperframe.frame._raw_data_repr


@pytest.mark.parametrize(
    "data", [None, b"", b"a", b"0123456789", b"01234567890", bytes(range(256))]
)
def test_same_text_as_hyperframe(data: bytes | None) -> None:
    assert h2_hot_path._raw_data_repr(data) == ORIGINAL(data)
