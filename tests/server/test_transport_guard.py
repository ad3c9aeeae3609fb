"""The transport fixes install only on the libraries they were written for, loudly otherwise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import hyperframe.frame
import pytest
from hypercorn.protocol.h2 import H2Protocol

from camrelay.server.transport import TransportMismatch, guard, install_all


def test_another_library_version_stops_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(guard.WRITTEN_FOR, "hypercorn", "0.17.3")
    with pytest.raises(TransportMismatch) as caught:
        install_all()
    assert str(caught.value) == (
        "camrelay's transport fixes are written for hypercorn 0.17.3, found 0.18.0: "
        + guard.UPDATE_HINT
    )


def test_a_replaced_attribute_that_is_gone_stops_the_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(hyperframe.frame, "_raw_data_repr")
    with pytest.raises(TransportMismatch) as caught:
        install_all()
    assert str(caught.value) == (
        "transport fix h2_hot_path replaces hyperframe.frame._raw_data_repr, which is gone: "
        + guard.UPDATE_HINT
    )


def test_every_fix_names_what_it_replaces_and_each_exists() -> None:
    for name in guard.FIXES:
        fix = guard.load(name)
        assert fix.REPLACES, name
        assert all(hasattr(owner, attribute) for owner, attribute in fix.REPLACES)


def test_installing_twice_patches_once() -> None:
    install_all()
    patched = (H2Protocol._handle_events, H2Protocol.stream_send, H2Protocol.__init__)
    install_all()
    assert (H2Protocol._handle_events, H2Protocol.stream_send, H2Protocol.__init__) == patched
    assert guard._installed == set(guard.FIXES)


def test_serve_refuses_to_start_with_one_line_and_code_2(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from camrelay.server.transport import guard\n"
        "guard.WRITTEN_FOR['h2'] = '4.0.0'\n"
        "from camrelay.cli.main import main\n"
        f"sys.exit(main(['serve', '--data', {str(tmp_path)!r}, '--listen', '127.0.0.1:0']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "camrelay serve: camrelay's transport fixes are written for h2 4.0.0, found 4.4.1: "
        + guard.UPDATE_HINT
        + "\n"
    )
