"""Settings of each alerter plugin ([alerters.telegram], [alerters.siren], …)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class AlerterSettings(BaseModel):
    """What every alerter has: on/off, and whether the `test` command reaches it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    test_grp: bool = True

    def missing(self) -> list[str]:
        """Names of settings that must be filled in before this alerter can send."""
        return []


class TelegramSettings(AlerterSettings):
    """A Telegram bot that messages every chat id, with the snapshot as a photo."""

    # The document's api_key and chat ids are placeholders; empty defaults keep a
    # fresh install from calling the real Bot API with a made-up token.
    api_key: str = ""
    chat_ids: tuple[str, ...] = ()
    api_base_url: str = "https://api.telegram.org"
    timeout_s: float = Field(default=10.0, gt=0)

    @field_validator("chat_ids", mode="before")
    @classmethod
    def _ids_as_text(cls, value: object) -> object:
        # Chat ids are often written as numbers; the Bot API takes either form.
        if isinstance(value, list | tuple):
            return tuple(str(item) if isinstance(item, int) else item for item in value)
        return value

    @field_validator("api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"api_base_url must start with http:// or https://, got {value!r}")
        return value.rstrip("/")

    def missing(self) -> list[str]:
        """api_key and at least one chat id are needed."""
        return [
            name for name, ok in (("api_key", self.api_key), ("chat_ids", self.chat_ids)) if not ok
        ]


class SirenSettings(AlerterSettings):
    """A siren sounded by running a command on another host over SSH."""

    ssh_host: str = ""
    ssh_port: int = Field(default=22, ge=1, le=65535)
    ssh_user: str = "user"
    ssh_key_path: str = "app/alert_plugins/common/keys/id_rsa"
    # Empty: asyncssh's default, the user's ~/.ssh/known_hosts.
    ssh_known_hosts_path: str = ""
    ssh_check_host_key: bool = True
    command: str = "aplay -q /usr/share/sounds/alarm.wav"
    timeout_s: float = Field(default=20.0, gt=0)

    def missing(self) -> list[str]:
        """ssh_host, ssh_user, ssh_key_path and command are needed."""
        needed = ("ssh_host", "ssh_user", "ssh_key_path", "command")
        return [name for name in needed if not getattr(self, name)]


class RelaySettings(AlerterSettings):
    """Records (snapshot, clip of the seconds before) and an `alarm` broadcast on the relay."""

    clip_s: float = Field(default=5.0, ge=0, le=60)
    clip_fps: float = Field(default=5.0, gt=0, le=60)
    clip_max_bytes: int = Field(default=4 << 20, ge=0, le=32 << 20)


class AlertersSettings(BaseModel):
    """One table per alerter plugin, keyed by the plugin's name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    siren: SirenSettings = SirenSettings()
    telegram: TelegramSettings = TelegramSettings()
    relay: RelaySettings = RelaySettings()
