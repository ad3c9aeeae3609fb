"""Settings: defaults, TOML file, CAMRELAY_* variables and flags, validated with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from camrelay.settings import Settings, SettingsError, load_settings

EXAMPLE = Path(__file__).parent.parent / "camrelay.example.toml"


def test_the_example_file_lists_every_setting_with_its_default() -> None:
    text = EXAMPLE.read_text()
    assert load_settings(EXAMPLE) == Settings()
    for section, model in Settings().model_dump().items():
        assert f"[{section}]" in text
        for key in model:
            assert f"\n{key} = " in text, key


def test_layers_apply_in_order(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text(
        '[server]\nlisten = "0.0.0.0:9000"\nlog_level = "debug"\n[limits]\npage_size = 10\n'
    )
    env = {
        "CAMRELAY_SERVER_LISTEN": "127.0.0.1:9001",
        "CAMRELAY_HOUSEKEEPING_INTERVAL_S": "2.5",
        "OTHER": "x",
    }
    settings = load_settings(file, env, {"server": {"h2c_listen": "127.0.0.1:9002"}})
    assert settings.server.listen == "127.0.0.1:9001"
    assert settings.server.log_level == "debug"
    assert settings.server.h2c_listen == "127.0.0.1:9002"
    assert settings.limits.page_size == 10
    assert settings.housekeeping.interval_s == 2.5


@pytest.mark.parametrize(
    "env, message",
    [
        ({"CAMRELAY_SERVER_LISTEN": "nowhere"}, "server.listen"),
        ({"CAMRELAY_LIMITS_PAGE_SIZE": "0"}, "limits.page_size"),
        ({"CAMRELAY_SERVER_NO_SUCH": "1"}, "server.no_such"),
        ({"CAMRELAY_SERVER_LOG_LEVEL": "loud"}, "server.log_level"),
    ],
)
def test_bad_settings_name_the_setting(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(None, env)


def test_a_broken_file_is_reported(tmp_path: Path) -> None:
    file = tmp_path / "bad.toml"
    file.write_text("[server\n")
    with pytest.raises(SettingsError, match="bad.toml"):
        load_settings(file)
