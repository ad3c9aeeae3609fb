"""One loader and one error formatter for the server's, the alarm's and the counter's settings:
every problem is one line naming the file, variable or command line it came from, and its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from camrelay.settings import Settings, load_settings
from camrelay.settings_loader import SettingsError, load
from camrelay.workers.alarm.config import AlarmConfig, load_config
from camrelay.workers.counter.config import CounterSettings


def problems(model: type, path: Path | None = None, env: dict[str, str] | None = None) -> list:
    with pytest.raises(SettingsError) as caught:
        load(model, path, env)
    return list(caught.value.problems)


@pytest.mark.parametrize(
    ("model", "toml", "message"),
    [
        (Settings, "[limits]\npage_size = 0\n", "limits.page_size: Input should be greater"),
        (AlarmConfig, "[processing]\nfps = 0\n", "processing.fps: Input should be greater"),
        (CounterSettings, "[feed]\nport = 70000\n", "feed.port: Input should be less"),
        (Settings, "[server]\nlisten = 5\n", "server.listen: Input should be a valid string"),
        (AlarmConfig, "[camera]\nurl2 = 'x'\n", "camera.url2: unknown setting"),
        (CounterSettings, "nothing = 1\n", "nothing: unknown setting"),
    ],
)
def test_a_file_problem_names_the_file_and_key(
    tmp_path: Path, model: type, toml: str, message: str
) -> None:
    path = tmp_path / "s.toml"
    path.write_text(toml)
    [problem] = problems(model, path)
    assert problem.startswith(f"{path}: {message}")


@pytest.mark.parametrize(
    ("model", "variable", "message"),
    [
        (Settings, "CAMRELAY_SESSIONS_LOGIN_DELAY_BASE_S", "sessions.login_delay_base_s: "),
        (AlarmConfig, "CAMRELAY_ALARM_PROCESSING_FPS", "processing.fps: "),
        (CounterSettings, "CAMRELAY_COUNTER_TRACKER_MIN_HITS", "tracker.min_hits: "),
    ],
)
def test_a_variable_problem_names_the_variable_and_key(
    model: type, variable: str, message: str
) -> None:
    [problem] = problems(model, None, {variable: "many"})
    assert problem.startswith(f"{variable}: {message}Input should be a valid ")


@pytest.mark.parametrize("model", [Settings, AlarmConfig, CounterSettings])
def test_bad_toml_and_a_missing_file_name_the_file(tmp_path: Path, model: type) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[server\n")
    assert problems(model, broken)[0].startswith(f"{broken}: not valid TOML: ")
    assert problems(model, tmp_path / "none.toml") == [f"{tmp_path / 'none.toml'}: no such file"]


def test_every_problem_has_its_own_line_and_origin(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text("[server]\nlog_level = 'loud'\n[limits]\npage_size = 0\n")
    env = {"CAMRELAY_LIMITS_PAGE_SIZE": "5", "CAMRELAY_STREAMS_MAX_FRAMES_PER_S": "0"}
    with pytest.raises(SettingsError) as caught:
        load_settings(path, env, {"server": {"listen": "nowhere"}})
    assert [p.split(": ")[:2] for p in caught.value.problems] == [
        ["command line", "server.listen"],
        [str(path), "server.log_level"],
        ["CAMRELAY_STREAMS_MAX_FRAMES_PER_S", "streams.max_frames_per_s"],
    ]


def test_the_alarm_reads_its_own_prefix_and_an_alerter_table_as_json(tmp_path: Path) -> None:
    path = tmp_path / "alarm.toml"
    path.write_text("[processing]\nfps = 3\ngauss_ksize = 5\n")
    env = {
        "CAMRELAY_ALARM_PROCESSING_FPS": "4",
        "CAMRELAY_ALARM_ALERTERS_TELEGRAM": '{"api_key": "1:abc", "chat_ids": [7]}',
        "CAMRELAY_PROCESSING_FPS": "9",  # the server's prefix: not the alarm's
    }
    config = load_config(path, env)
    assert (config.processing.fps, config.processing.gauss_ksize) == (4, 5)
    assert config.alerters.telegram.chat_ids == ("7",)
    assert load_config(None, {}) == AlarmConfig()


def test_a_model_built_in_code_ignores_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CAMRELAY_SERVER_LOG_LEVEL", "debug")
    monkeypatch.setenv("CAMRELAY_COUNTER_FEED_PORT", "1")
    assert Settings().server.log_level == "info"
    assert CounterSettings().feed.port == 8765


@pytest.mark.parametrize("model", [Settings, AlarmConfig, CounterSettings])
def test_settings_are_frozen(model: type) -> None:
    settings, first = model(), next(iter(model.model_fields))
    with pytest.raises(ValueError, match="frozen"):
        setattr(settings, first, None)


def test_the_clients_variables_are_not_read_as_sections() -> None:
    env = {"CAMRELAY_SERVER": "https://127.0.0.1:8080", "CAMRELAY_USER": "u", "CAMRELAY_X_Y": "1"}
    assert load_settings(None, env) == Settings()


def test_an_alerter_variable_that_is_not_json_is_named() -> None:
    assert problems(AlarmConfig, None, {"CAMRELAY_ALARM_ALERTERS_TELEGRAM": "{api_key"}) == [
        'CAMRELAY_ALARM_* variables: error parsing value for field "alerters" from source '
        '"_GivenEnvironment"'
    ]
