"""Siren alerter: runs the configured command on ssh_host as ssh_user with a key, via SSH."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncssh

from camrelay.workers.alarm.alerter_settings import SirenSettings
from camrelay.workers.alarm.alerters.base import AlerterError, AlertEvent, ConfiguredAlerter


class SirenAlerter(ConfiguredAlerter[SirenSettings]):
    """Sounds a siren on another host by running settings.command there."""

    name = "siren"

    def __init__(self, settings: SirenSettings) -> None:
        super().__init__(settings)

    async def send(self, event: AlertEvent) -> None:
        """Connect, run the command, and raise unless it exits with status 0."""
        settings = self._settings
        try:
            async with asyncio.timeout(settings.timeout_s):
                async with asyncssh.connect(settings.ssh_host, **self._options()) as conn:
                    result = await conn.run(settings.command, check=False)
        except TimeoutError:
            raise AlerterError(
                f"siren: no answer from {settings.ssh_host} within {settings.timeout_s} s"
            ) from None
        except (OSError, asyncssh.Error) as exc:
            raise AlerterError(f"siren: {settings.ssh_host}: {exc}") from None
        if result.exit_status != 0:
            raise AlerterError(f"siren: command exited with status {result.exit_status}")

    def _options(self) -> dict[str, Any]:
        """asyncssh.connect options from the settings."""
        settings = self._settings
        options: dict[str, Any] = {
            "port": settings.ssh_port,
            "username": settings.ssh_user,
            "client_keys": [settings.ssh_key_path],
            # Only the configured key: no agent, no ~/.ssh keys, no password prompt.
            "agent_path": None,
            "password": None,
            # The settings are the whole truth: ~/.ssh/config must not redirect the siren.
            "config": [],
        }
        if not settings.ssh_check_host_key:
            options["known_hosts"] = None
        elif settings.ssh_known_hosts_path:
            options["known_hosts"] = settings.ssh_known_hosts_path
        return options
