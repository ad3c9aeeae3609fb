"""Server settings: defaults, then a TOML file, then CAMRELAY_* environment variables.

An environment variable names a section and a key: CAMRELAY_SERVER_LISTEN=0.0.0.0:8443 sets
[server] listen. Everything is validated by one frozen pydantic model, loaded and reported
the same way as the workers' (settings_loader.py); errors name the file or variable and key.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from .settings_loader import FrozenSettings, SettingsError, load

__all__ = ["ENV_PREFIX", "Settings", "SettingsError", "load_settings"]

ENV_PREFIX = "CAMRELAY_"


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _check_hostport(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"expected HOST:PORT, got {value!r}")
    return value


class ServerSettings(_Section):
    """Where the server listens and keeps its files."""

    data_dir: Path = Path("./data")
    listen: str = "127.0.0.1:8080"
    h2c_listen: str = ""
    certfile: str = ""
    keyfile: str = ""
    access_log: bool = True
    # "-": the terminal, among the other log lines; else a file (relative: in data_dir).
    access_log_file: str = "-"
    log_level: str = Field(default="info", pattern="^(debug|info|warning|error)$")
    h2_max_concurrent_streams: int = Field(default=256, ge=1, le=10_000)
    keep_alive_timeout_s: float = Field(default=300.0, gt=0)
    max_connections: int = Field(default=4096, ge=1)
    max_connections_per_address: int = Field(default=256, ge=1)
    # Behind a TCP load balancer: every connection starts with a PROXY header (v2 or v1) naming the
    # client; one without it is closed. Off: no header is read and no forwarded address trusted.
    proxy_protocol: bool = False
    proxy_header_timeout_s: float = Field(default=5.0, gt=0, le=60)

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        return _check_hostport(value)

    @field_validator("h2c_listen")
    @classmethod
    def _h2c(cls, value: str) -> str:
        return _check_hostport(value) if value else value


class StoreSettings(_Section):
    """Where what must last is kept."""

    # "": the SQLite file in server.data_dir. Else sqlite:///PATH (sqlite:////ABSOLUTE), a file
    # path, or postgresql://USER@HOST:PORT/DB for a store shared by several nodes.
    url: str = ""


class LimitsSettings(_Section):
    """Sizes the server accepts."""

    max_json_bytes: int = Field(default=1 << 20, ge=1024)
    max_record_bytes: int = Field(default=32 << 20, ge=1024)
    max_frame_bytes: int = Field(default=1_048_570, ge=1024)
    page_size: int = Field(default=32, ge=1, le=10_000)
    # Record bodies held in memory at once, server-wide; a body that finds no room answers 5.
    max_body_bytes_in_flight: int = Field(default=256 << 20, ge=1 << 20)
    body_wait_s: float = Field(default=5.0, ge=0)


class SessionSettings(_Section):
    """Session and login rules."""

    bind_to_address: bool = True
    enforce_request_caps: bool = True
    max_per_account: int = Field(default=256, ge=1)
    login_delay_base_s: float = Field(default=0.5, ge=0)
    login_delay_max_s: float = Field(default=8.0, ge=0)
    login_max_pending_per_address: int = Field(default=2, ge=1)
    max_concurrent_password_checks: int = Field(default=2, ge=1, le=64)
    # A login token (POST /api/login) lapses after this long unused (CONTRACT §4).
    token_idle_hours: float = Field(default=12.0, gt=0, le=24 * 365)


class PasswordSettings(_Section):
    """The cost of the argon2id hash of each new or changed password."""

    # The defaults are pwdlib's recommended ones (64 MiB, 3 passes, 4 lanes: ~0.4 s of a core).
    # A hash records its own cost, so a change applies to passwords set from then on and
    # stored hashes keep verifying. Below OWASP's floor (19 MiB with 2 passes) a stolen
    # database is cheaper to crack: lower it only for tests or a very small device.
    argon2_memory_kib: int = Field(default=65536, ge=8, le=4 << 20)
    argon2_time_cost: int = Field(default=3, ge=1, le=20)
    argon2_parallelism: int = Field(default=4, ge=1, le=16)

    @model_validator(mode="after")
    def _enough_per_lane(self) -> PasswordSettings:
        if self.argon2_memory_kib < 8 * self.argon2_parallelism:
            raise ValueError("argon2_memory_kib must be at least 8 x argon2_parallelism")
        return self


class StreamSettings(_Section):
    """Live streams (input.raw / output.raw)."""

    viewer_queue_bytes: int = Field(default=2 << 20, ge=1 << 16)
    max_frames_per_s: int = Field(default=1000, ge=1)


class RecordSettings(_Section):
    """Media records (getRecordData)."""

    # Large getRecordData answers one session may have open at once; the next answers 5.
    max_concurrent_reads_per_session: int = Field(default=4, ge=1)


class RecordingSettings(_Section):
    """The relay's own recording of a camera's live stream (state key `record`, CONTRACT §5)."""

    # Seconds of stream per MJPEG record; a segment is stored as soon as it is complete.
    segment_s: float = Field(default=60.0, gt=0, le=24 * 3600)
    # A segment that grows past this is stored early, so a recording holds at most this in memory.
    max_segment_bytes: int = Field(default=64 << 20, ge=1 << 16, le=1 << 30)


class HousekeepingSettings(_Section):
    """The periodic sweeps that config kinds 1-6 drive."""

    interval_s: float = Field(default=10.0, gt=0)


class AdminSioSettings(_Section):
    """The Socket.IO admin API at /socket.io/ (CONTRACT §6)."""

    # Largest message (or long-polling body) a client may send; requests are small JSON.
    max_http_buffer_size: int = Field(default=64 << 10, ge=1024, le=16 << 20)
    ping_interval_s: float = Field(default=25.0, gt=0)
    ping_timeout_s: float = Field(default=20.0, gt=0)
    max_sockets_per_account: int = Field(default=64, ge=1)
    max_sockets_per_address: int = Field(default=256, ge=1)
    # Log lines waiting to be sent to admin sockets; beyond it the oldest are dropped (counted).
    log_queue: int = Field(default=1000, ge=10)
    # Packets waiting to be sent to one socket; a socket over it (it stopped reading) is ended.
    max_queued_packets: int = Field(default=10_000, ge=100)


class StateSettings(_Section):
    """The state-sync WebSocket at /api/v1 (CONTRACT §5)."""

    # Messages waiting for one socket; beyond it its oldest changes merge (newest value wins).
    socket_queue: int = Field(default=64, ge=8, le=100_000)
    # Messages per second one socket may send (token bucket of as many); more are refused.
    rate_per_s: float = Field(default=100.0, gt=0)
    # A socket over its rate this long is closed (1008).
    rate_close_after_s: float = Field(default=10.0, gt=0)
    # A larger message answers {"error":"Invalid message"}; the socket stays.
    max_message_bytes: int = Field(default=64 << 10, ge=1024, le=1 << 20)
    # A socket's login is looked up again this often (sockets of one login share it): a logout,
    # a password, role or scope change or the user's deletion reaches open sockets within it.
    login_recheck_s: float = Field(default=1.0, gt=0, le=3600)


class BusSettings(_Section):
    """The event bus between nodes: "" keeps it in this process (one node)."""

    # nats://HOST:PORT: events, session ends, state and live frames reach every node through
    # NATS (several nodes on one store); "" (default) is the in-process bus.
    url: str = ""

    @field_validator("url")
    @classmethod
    def _nats_url(cls, value: str) -> str:
        if value and not value.startswith(("nats://", "tls://")):
            raise ValueError(f"expected nats://HOST:PORT, got {value!r}")
        return value


class Settings(FrozenSettings):
    """Every setting of `camrelay serve`."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX)

    server: ServerSettings = ServerSettings()
    store: StoreSettings = StoreSettings()
    limits: LimitsSettings = LimitsSettings()
    sessions: SessionSettings = SessionSettings()
    passwords: PasswordSettings = PasswordSettings()
    streams: StreamSettings = StreamSettings()
    records: RecordSettings = RecordSettings()
    recording: RecordingSettings = RecordingSettings()
    housekeeping: HousekeepingSettings = HousekeepingSettings()
    admin_sio: AdminSioSettings = AdminSioSettings()
    state: StateSettings = StateSettings()
    bus: BusSettings = BusSettings()


def load_settings(
    config_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Settings:
    """Defaults, then the TOML file, then the environment, then command-line overrides."""
    return load(Settings, config_file, env, overrides)
