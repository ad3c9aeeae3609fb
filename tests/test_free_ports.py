"""The suite's free ports: never the same one twice in a process, and a HAProxy whose port was
taken between the pick and its bind starts on others (its frontends never share a port)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.support import haproxy
from tests.support.haproxy import HAProxy, haproxy_or_skip
from tests.support.relay_server import free_port


def test_free_port_never_hands_out_a_port_twice() -> None:
    ports = [free_port() for _ in range(200)]
    assert len(set(ports)) == len(ports)


def test_a_haproxy_port_taken_meanwhile_is_picked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    haproxy_or_skip()
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        taken = held.getsockname()[1]
        picks = iter([taken])  # the first pick is the held port, as if another test took it
        monkeypatch.setattr(haproxy, "free_port", lambda: next(picks, 0) or free_port())
        proxy = HAProxy(tmp_path, ["https://127.0.0.1:1"], ["http://127.0.0.1:2"]).start()
        try:
            assert taken not in proxy.ports and len(set(proxy.ports)) == len(proxy.ports) == 2
            assert "cannot bind socket" in proxy.log()  # the first start met the held port
        finally:
            proxy.stop()
