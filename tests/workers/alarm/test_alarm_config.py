"""Alarm worker settings: the document's shape and defaults, validation messages, updates."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from camrelay.workers.alarm.config import (
    AlarmConfig,
    ConfigError,
    apply_update,
    config_document,
    dump_config,
    load_config,
    validate_config,
)

EXAMPLE = Path(__file__).parents[3] / "camrelay/workers/alarm/alarm.example.toml"

# The /config example of alarm-feed-api.txt, minus the alerters' placeholder secrets.
DOCUMENT_DEFAULTS = {
    "server": {
        "host_name": "localhost",
        "timezone": "Pacific/Auckland",
        "websocket_port": 9876,
        "webserver_port": 9001,
    },
    "camera": {"url": ""},
    "flags": {
        "config_path": "test_config.toml",
        "silent": False,
        "log_level": "debug",
        "test": False,
        "file": None,
    },
    "processing": {
        "fps": 2,
        "avg_weighting": 0.5,
        "dilation_iterations": 0,
        "fixed_lvl_threshold": 5,
        "gauss_ksize": 13,
        "pixel_threshold_hi": 10000,
        "pixel_threshold_lo": 0,
    },
    "alerting": {
        "start_time": "16:55",
        "end_time": "16:54",
        "alert_time_s": 360,
        "min_movement_s": 2,
        "initial_alarm_duration_m": 30,
        "alarm_hysteresis_s": 60,
    },
}


def _keys(data: dict, prefix: str = "") -> set[str]:
    """Dotted paths of every leaf key."""
    found: set[str] = set()
    for key, value in data.items():
        path = f"{prefix}{key}"
        found |= _keys(value, path + ".") if isinstance(value, dict) else {path}
    return found


def test_example_file_loads_and_equals_the_defaults() -> None:
    assert load_config(EXAMPLE) == AlarmConfig()


def test_example_file_lists_every_setting() -> None:
    listed = _keys(tomllib.loads(EXAMPLE.read_text()))
    # flags.file and monitoring have no value in TOML (null); the example shows them in comments.
    expected = _keys(AlarmConfig().model_dump(exclude_none=True))
    assert listed == expected
    text = EXAMPLE.read_text()
    assert "# file = " in text and "[monitoring]" in text


def test_defaults_are_the_documents_values() -> None:
    document = config_document(AlarmConfig())
    for section, values in DOCUMENT_DEFAULTS.items():
        assert {key: document[section][key] for key in values} == values
    assert document["monitoring"] is None
    assert list(document) == [
        "server",
        "camera",
        "flags",
        "processing",
        "alerting",
        "alerters",
        "monitoring",
    ]
    siren, telegram = document["alerters"]["siren"], document["alerters"]["telegram"]
    assert {"enabled", "ssh_host", "ssh_key_path", "ssh_user", "test_grp"} <= set(siren)
    assert {"api_key", "chat_ids", "enabled", "test_grp"} <= set(telegram)


@pytest.mark.parametrize(
    ("update", "message"),
    [
        (
            {"processing": {"gauss_ksize": 4}},
            "processing.gauss_ksize: gauss_ksize must be odd and positive, got 4",
        ),
        (
            {"processing": {"gauss_ksize": -3}},
            "processing.gauss_ksize: gauss_ksize must be odd and positive, got -3",
        ),
        (
            {"processing": {"pixel_threshold_lo": 500, "pixel_threshold_hi": 100}},
            "processing: pixel_threshold_lo (500) must be <= pixel_threshold_hi (100)",
        ),
        (
            {"alerting": {"start_time": "24:00"}},
            "alerting.start_time: time '24:00' is out of range 00:00..23:59",
        ),
        (
            {"alerting": {"end_time": "7pm"}},
            "alerting.end_time: time must look like HH:MM (24 h), got '7pm'",
        ),
        (
            {"alerting": {"min_movement_s": 20, "alert_time_s": 10}},
            "alerting: min_movement_s (20) must be <= alert_time_s (10)",
        ),
        (
            {"server": {"timezone": "Mars/Olympus_Mons"}},
            "server.timezone: unknown IANA timezone 'Mars/Olympus_Mons' (e.g. 'Pacific/Auckland')",
        ),
        ({"processing": {"gauss_kernel": 5}}, "processing.gauss_kernel: unknown setting"),
        (
            {"alerters": {"telegram": {"api_base_url": "ftp://x"}}},
            "alerters.telegram.api_base_url: api_base_url must start with http:// or https://, "
            "got 'ftp://x'",
        ),
    ],
)
def test_bad_values_are_named_clearly(update: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        apply_update(AlarmConfig(), update)
    assert str(caught.value) == message


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        validate_config({"processing": {"fps": 0, "gauss_ksize": 2}, "flags": {"log_level": "x"}})
    problems = str(caught.value).split("; ")
    assert [p.split(":")[0] for p in problems] == [
        "flags.log_level",
        "processing.fps",
        "processing.gauss_ksize",
    ]


def test_apply_update_merges_a_partial_config() -> None:
    base = AlarmConfig()
    # The document's config_update example: only server and camera.
    updated = apply_update(
        base,
        {
            "server": {
                "host_name": "cam-host",
                "timezone": "Europe/Berlin",
                "websocket_port": 9876,
                "webserver_port": 9001,
            },
            "camera": {"url": "relay://garden"},
        },
    )
    assert updated.server.timezone == "Europe/Berlin"
    assert updated.server.host_name == "cam-host"
    assert updated.camera.url == "relay://garden"
    assert updated.processing == base.processing
    assert updated.alerters == base.alerters


def test_apply_update_is_all_or_nothing() -> None:
    base = AlarmConfig()
    with pytest.raises(ConfigError):
        apply_update(base, {"server": {"host_name": "other"}, "processing": {"gauss_ksize": 8}})
    assert base == AlarmConfig()
    assert base.server.host_name == "localhost"


@pytest.mark.parametrize("update", [[1, 2], "text", None])
def test_apply_update_refuses_a_non_object(update: object) -> None:
    with pytest.raises(ConfigError, match="config must be an object"):
        apply_update(AlarmConfig(), update)  # type: ignore[arg-type]


def test_dump_then_load_round_trips(tmp_path: Path) -> None:
    config = apply_update(
        AlarmConfig(),
        {
            "flags": {"file": "clip.avi"},
            "monitoring": {"interval_s": 5},
            "alerters": {"telegram": {"api_key": "1:abc", "chat_ids": [111, "222"]}},
        },
    )
    path = tmp_path / "alarm.toml"
    path.write_text(dump_config(config))
    again = load_config(path)
    assert again == config
    assert again.alerters.telegram.chat_ids == ("111", "222")
    assert again.flags.file == "clip.avi"


def test_document_null_file_reads_as_none() -> None:
    assert apply_update(AlarmConfig(), {"flags": {"file": "null"}}).flags.file is None


def test_dump_leaves_out_nulls() -> None:
    text = dump_config(AlarmConfig())
    assert "file" not in text.split("[processing]")[0].split("[flags]")[1]
    assert "monitoring" not in text


def test_load_reports_bad_toml(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[server\nhost_name = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_settings_are_frozen() -> None:
    config = AlarmConfig()
    with pytest.raises(ValueError, match="frozen"):
        config.processing.fps = 5  # type: ignore[misc]
