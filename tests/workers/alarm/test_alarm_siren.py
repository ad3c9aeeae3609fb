"""The siren alerter against a local asyncssh server (127.0.0.1 port 0, generated keys)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh
import pytest

from camrelay.workers.alarm.alerter_settings import SirenSettings
from camrelay.workers.alarm.alerters.base import AlerterError, AlertEvent
from camrelay.workers.alarm.alerters.siren import SirenAlerter

COMMAND = "aplay -q /srv/sounds/siren.wav"
ALARM = AlertEvent("Alarm", 1.0)


@dataclass
class FakeSirenHost:
    """An SSH server that records each command and answers with exit_status."""

    port: int = 0
    key_path: Path = Path()
    known_hosts_path: Path = Path()
    exit_status: int = 0
    received: list[tuple[str, str]] = field(default_factory=list)

    async def run(self, process: asyncssh.SSHServerProcess) -> None:
        self.received.append((process.get_extra_info("username"), process.command))
        process.exit(self.exit_status)


@pytest.fixture
async def siren_host(tmp_path: Path) -> AsyncIterator[FakeSirenHost]:
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    fake = FakeSirenHost(key_path=tmp_path / "id_ed25519")
    client_key.write_private_key(fake.key_path)
    fake.key_path.chmod(0o600)
    authorized = asyncssh.import_authorized_keys(client_key.export_public_key().decode())
    server = await asyncssh.listen(
        "127.0.0.1",
        0,
        server_host_keys=[host_key],
        authorized_client_keys=authorized,
        process_factory=fake.run,
    )
    fake.port = server.sockets[0].getsockname()[1]
    fake.known_hosts_path = tmp_path / "known_hosts"
    fake.known_hosts_path.write_text(
        f"[127.0.0.1]:{fake.port} {host_key.export_public_key().decode()}"
    )
    yield fake
    server.close()
    await server.wait_closed()


def siren(fake: FakeSirenHost, **changes: object) -> SirenAlerter:
    values: dict[str, object] = {
        "ssh_host": "127.0.0.1",
        "ssh_port": fake.port,
        "ssh_user": "pi",
        "ssh_key_path": str(fake.key_path),
        "ssh_known_hosts_path": str(fake.known_hosts_path),
        "command": COMMAND,
        "timeout_s": 10,
    }
    values.update(changes)
    return SirenAlerter(SirenSettings.model_validate(values))


async def test_the_command_runs_as_the_user(siren_host: FakeSirenHost) -> None:
    await siren(siren_host).send(ALARM)
    assert siren_host.received == [("pi", COMMAND)]


async def test_a_failing_command_is_an_error(siren_host: FakeSirenHost) -> None:
    siren_host.exit_status = 3
    with pytest.raises(AlerterError, match="^siren: command exited with status 3$"):
        await siren(siren_host).send(ALARM)


async def test_an_unknown_host_key_is_refused(siren_host: FakeSirenHost, tmp_path: Path) -> None:
    other = tmp_path / "other_known_hosts"
    stranger = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
    other.write_text(f"[127.0.0.1]:{siren_host.port} {stranger}")
    with pytest.raises(AlerterError, match="^siren: 127.0.0.1: "):
        await siren(siren_host, ssh_known_hosts_path=str(other)).send(ALARM)
    assert siren_host.received == []


async def test_host_key_check_can_be_switched_off(
    siren_host: FakeSirenHost, tmp_path: Path
) -> None:
    await siren(
        siren_host, ssh_known_hosts_path=str(tmp_path / "none"), ssh_check_host_key=False
    ).send(ALARM)
    assert siren_host.received == [("pi", COMMAND)]


async def test_a_key_the_host_does_not_know_is_refused(
    siren_host: FakeSirenHost, tmp_path: Path
) -> None:
    stranger = tmp_path / "stranger_key"
    asyncssh.generate_private_key("ssh-ed25519").write_private_key(stranger)
    stranger.chmod(0o600)
    with pytest.raises(AlerterError, match="^siren: 127.0.0.1: "):
        await siren(siren_host, ssh_key_path=str(stranger)).send(ALARM)
    assert siren_host.received == []


async def test_nothing_listening_is_an_error(siren_host: FakeSirenHost) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(AlerterError, match="^siren: 127.0.0.1: "):
        await siren(siren_host, ssh_port=closed_port).send(ALARM)
