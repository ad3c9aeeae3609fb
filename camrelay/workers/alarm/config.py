"""The alarm worker's settings: the document's TOML shape as frozen pydantic models.

Sections and keys are those of alarm-feed-api.txt's /config answer, with its values as
defaults; the few extra keys (alerter endpoints, timeouts) are marked in the example file.
Loaded as defaults, then the TOML file, then CAMRELAY_ALARM_<SECTION>_<KEY> variables
(CAMRELAY_ALARM_PROCESSING_FPS=5; an alerter's table as JSON in one variable:
CAMRELAY_ALARM_ALERTERS_TELEGRAM='{"api_key": "…", "chat_ids": [1]}'), like the server's and
the counter's settings (camrelay/settings_loader.py), with the same error messages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from camrelay.settings_loader import FrozenSettings, SettingsError, deep_merge, load, validate
from camrelay.settings_loader import describe_errors as _problems
from camrelay.workers.alarm.alerter_settings import AlertersSettings

_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")
LogLevel = Literal["critical", "error", "warning", "warn", "info", "debug", "trace"]
ENV_PREFIX = "CAMRELAY_ALARM_"

# The alarm's name for the one settings error (a configuration that does not validate).
ConfigError = SettingsError


class _Section(BaseModel):
    # Unknown keys are refused so that a typo in a file or a config_update is reported,
    # not silently ignored.
    model_config = ConfigDict(frozen=True, extra="forbid")


class ServerSettings(_Section):
    """Where the feed listens and which timezone the daily schedule uses."""

    host_name: str = "localhost"
    timezone: str = "Pacific/Auckland"
    websocket_port: int = Field(default=9876, ge=0, le=65535)
    webserver_port: int = Field(default=9001, ge=0, le=65535)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone {value!r} (e.g. 'Pacific/Auckland')") from None
        return value


class CameraSettings(_Section):
    """Which camera the worker watches (a relay device or a URL)."""

    url: str = ""


class FlagSettings(_Section):
    """Run flags: where the file lives, silent and test modes, logging, file input."""

    config_path: str = "test_config.toml"
    silent: bool = False
    log_level: LogLevel = "debug"
    test: bool = False
    file: str | None = None

    @field_validator("file", mode="before")
    @classmethod
    def _null_file(cls, value: object) -> object:
        # The document writes a missing file as the text "null"; TOML has no null.
        return None if value in ("null", "") else value


class ProcessingSettings(_Section):
    """Motion pipeline parameters (CONTRACT §2)."""

    fps: int = Field(default=2, ge=1, le=60)
    avg_weighting: float = Field(default=0.5, gt=0, le=1)
    dilation_iterations: int = Field(default=0, ge=0, le=50)
    fixed_lvl_threshold: int = Field(default=5, ge=0, le=255)
    gauss_ksize: int = 13
    pixel_threshold_hi: int = Field(default=10000, ge=0)
    pixel_threshold_lo: int = Field(default=0, ge=0)

    @field_validator("gauss_ksize")
    @classmethod
    def _odd_positive(cls, value: int) -> int:
        if value <= 0 or value % 2 == 0:
            raise ValueError(f"gauss_ksize must be odd and positive, got {value}")
        return value

    @model_validator(mode="after")
    def _ordered_thresholds(self) -> Self:
        if self.pixel_threshold_lo > self.pixel_threshold_hi:
            raise ValueError(
                f"pixel_threshold_lo ({self.pixel_threshold_lo}) must be <= "
                f"pixel_threshold_hi ({self.pixel_threshold_hi})"
            )
        return self


class AlertingSettings(_Section):
    """When the alarm is armed and how sustained movement turns into alerts."""

    start_time: str = "16:55"
    end_time: str = "16:54"
    alert_time_s: int = Field(default=360, ge=1)
    min_movement_s: int = Field(default=2, ge=1)
    initial_alarm_duration_m: int = Field(default=30, ge=0)
    alarm_hysteresis_s: int = Field(default=60, ge=0)

    @field_validator("start_time", "end_time")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        parse_hhmm(value)
        return value

    @model_validator(mode="after")
    def _window_fits(self) -> Self:
        if self.min_movement_s > self.alert_time_s:
            raise ValueError(
                f"min_movement_s ({self.min_movement_s}) must be <= "
                f"alert_time_s ({self.alert_time_s})"
            )
        return self


class AlarmConfig(FrozenSettings):
    """The whole alarm worker configuration."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX)

    server: ServerSettings = ServerSettings()
    camera: CameraSettings = CameraSettings()
    flags: FlagSettings = FlagSettings()
    processing: ProcessingSettings = ProcessingSettings()
    alerting: AlertingSettings = AlertingSettings()
    alerters: AlertersSettings = AlertersSettings()
    monitoring: dict[str, Any] | None = None


def parse_hhmm(value: str) -> tuple[int, int]:
    """Parse "HH:MM" (24 h) into (hour, minute) or raise ValueError with the reason."""
    match = _HHMM.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"time must look like HH:MM (24 h), got {value!r}")
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise ValueError(f"time {value!r} is out of range 00:00..23:59")
    return hour, minute


def validate_config(data: Mapping[str, Any]) -> AlarmConfig:
    """Build an AlarmConfig from plain data or raise ConfigError naming every bad key."""
    return validate(AlarmConfig, data)


def describe_errors(exc: ValidationError) -> str:
    """One `dotted.key: reason` per problem, joined by "; " (for command answers)."""
    return "; ".join(_problems(exc))


def load_config(path: str | Path | None, env: Mapping[str, str] | None = None) -> AlarmConfig:
    """The TOML file (None: none), then CAMRELAY_ALARM_* variables in `env`, over the
    document's defaults; ConfigError names the file or variable and each bad key."""
    return load(AlarmConfig, path, env)


def config_document(config: AlarmConfig) -> dict[str, Any]:
    """The /config answer: the document's sections and keys, as JSON-ready data."""
    return config.model_dump(mode="json")


def dump_config(config: AlarmConfig) -> str:
    """Render the configuration as TOML text that load_config reads back unchanged."""
    # TOML has no null: unset optional values (flags.file, monitoring) are left out.
    return tomli_w.dumps(config.model_dump(mode="json", exclude_none=True))


def apply_update(config: AlarmConfig, update: Mapping[str, Any]) -> AlarmConfig:
    """Merge a partial configuration into config and validate; all or nothing."""
    if not isinstance(update, Mapping):
        raise ConfigError([f"config must be an object, got {type(update).__name__}"])
    return validate_config(deep_merge(config.model_dump(mode="json"), update))
