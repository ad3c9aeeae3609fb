"""The counter worker's own pieces without a relay: settings (example file, environment,
CLI), the ledger across restarts and missed resets, and the answers to face requests."""

from __future__ import annotations

import argparse
import json
import shutil
import tomllib
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import BaseModel

from camrelay.cli import counter as counter_cli
from camrelay.workers.counter.config import (
    CounterSettings,
    LineSettings,
    SettingsError,
    load_settings,
)
from camrelay.workers.counter.daily import DailyReport
from camrelay.workers.counter.face_crop_answers import FaceCropAnswers
from camrelay.workers.counter.face_crops import FaceCropDirectory
from camrelay.workers.counter.geometry import Box, Detection
from camrelay.workers.counter.ledger import CounterLedger
from camrelay.workers.counter.line import CountingLine, Crossing, Direction
from camrelay.workers.counter.pipeline import CountingPipeline, line_band

EXAMPLE = Path(counter_cli.__file__).parents[1] / "workers/counter/counter.example.toml"
T0 = datetime(2024, 5, 10, 8, 0, tzinfo=UTC)


def keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Dotted names of every setting of a model."""
    found = set()
    for name, field in model.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            found |= keys(kind, f"{prefix}{name}.")
        else:
            found.add(prefix + name)
    return found


def toml_keys(data: dict[str, Any], prefix: str = "") -> set[str]:
    found = set()
    for name, value in data.items():
        nested = isinstance(value, dict)
        found |= toml_keys(value, f"{prefix}{name}.") if nested else {prefix + name}
    return found


def test_the_example_file_lists_every_setting_with_its_default() -> None:
    assert toml_keys(tomllib.loads(EXAMPLE.read_text())) == keys(CounterSettings)
    assert load_settings(EXAMPLE) == CounterSettings()


def test_environment_overrides_the_file_and_bad_settings_are_named(tmp_path: Path) -> None:
    path = tmp_path / "counter.toml"
    path.write_text('database = "a.db"\n[feed]\nport = 9000\njpeg_quality = 50\n')
    env = {
        "CAMRELAY_COUNTER_FEED_PORT": "9100",
        "CAMRELAY_COUNTER_DATABASE": "b.db",
        "CAMRELAY_COUNTER_RESET_AT": "04:30",
        "CAMRELAY_FEED_PORT": "1",  # not ours
        "CAMRELAY_COUNTER_LINE_IN_DIRECTION": "right_to_left",
    }
    settings = load_settings(path, env)
    assert (settings.feed.port, settings.feed.jpeg_quality) == (9100, 50)
    assert settings.database == Path("b.db") and settings.reset.at == time(4, 30)
    assert settings.line.in_direction == "right_to_left"
    with pytest.raises(SettingsError) as bad:
        load_settings(
            None,
            {
                "CAMRELAY_COUNTER_FEED_FRAME_RATE": "0",
                "CAMRELAY_COUNTER_LINE_ORIENTATION": "diagonal",
            },
        )
    assert bad.value.problems == (
        "CAMRELAY_COUNTER_LINE_ORIENTATION: line.orientation: "
        "Input should be 'vertical' or 'horizontal'",
        "CAMRELAY_COUNTER_FEED_FRAME_RATE: feed.frame_rate: Input should be greater than 0",
    )
    with pytest.raises(SettingsError, match="nothing.toml"):
        load_settings(tmp_path / "nothing.toml")


def test_cli_options_and_port_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = argparse.ArgumentParser()
    counter_cli.add_parser(root.add_subparsers())
    monkeypatch.setenv("CAMRELAY_COUNTER_FEED_JPEG_QUALITY", "40")
    args = root.parse_args(
        [
            "counter",
            "--camera",
            "cam1",
            "--port",
            "9999",
            "--server",
            "https://127.0.0.1:1",
            "--insecure",
        ]
    )
    assert (args.camera, args.port, args.insecure, args.config) == ("cam1", 9999, True, None)
    settings = counter_cli.counter_settings(args)
    assert (settings.feed.port, settings.feed.jpeg_quality) == (9999, 40)
    args = root.parse_args(["counter", "--camera", "cam1", "--config", str(EXAMPLE)])
    assert counter_cli.counter_settings(args).feed.port == 8765
    args = root.parse_args(["counter", "--camera", "c", "--port", "70000"])
    with pytest.raises(SystemExit, match="not a TCP port"):
        counter_cli.counter_settings(args)


async def test_ledger_resumes_after_a_restart_and_settles_a_missed_reset(tmp_path: Path) -> None:
    settings = CounterSettings(database=tmp_path / "c.sqlite3")
    ledger = await CounterLedger.open(settings, T0)
    ins = [Crossing(1, Direction.IN), Crossing(2, Direction.OUT), Crossing(3, Direction.IN)]
    assert await ledger.crossings(ins, T0 + timedelta(minutes=1)) == []
    await ledger.face_saved(T0 + timedelta(minutes=2))
    await ledger.close()
    ledger = await CounterLedger.open(settings, T0 + timedelta(hours=1))
    assert (ledger.stats().count_in, ledger.stats().count_out, ledger.stats().face_count) == (
        2,
        1,
        1,
    )
    await ledger.close()
    # Down over midnight (the default reset, UTC): the first tick reports the day.
    later = T0 + timedelta(days=1, hours=2)
    ledger = await CounterLedger.open(settings, later)
    notices = await ledger.tick(later)
    midnight = datetime(2024, 5, 11, tzinfo=UTC)
    assert notices == [DailyReport(T0.date(), T0, midnight, 2, 1, 1, 0)]
    assert ledger.stats().count_in == 0 and ledger.next_reset == midnight + timedelta(days=1)
    assert await ledger.store.reports() == notices
    assert await ledger.store.crossing_count() == 3
    assert await ledger.tick(later) == []
    await ledger.close()


def face_image() -> np.ndarray:
    return np.full((40, 30, 3), 90, np.uint8)


async def test_face_answers_for_every_case(tmp_path: Path) -> None:
    faces = FaceCropDirectory(tmp_path / "faces")
    for minute in range(3):
        faces.save(face_image(), T0 + timedelta(minutes=minute))
    answers = FaceCropAnswers(faces, default_limit=2, max_limit=5)
    listed = await answers.reply(json.dumps({"type": "get_all_faces"}))
    assert [f["face_id"] for f in listed["faces"]] == [3, 2]
    everything = await answers.reply(b'{"type": "get_all_faces", "limit": "100"}')
    assert [f["face_id"] for f in everything["faces"]] == [3, 2, 1]
    one = await answers.reply('{"type": "get_face", "face_id": "2"}')
    assert (one["face_id"], one["filename"]) == (2, "face_2.jpg")
    (tmp_path / "faces" / "face_2.jpg").unlink()
    assert await answers.reply('{"type": "get_face", "face_id": 2}') == {
        "type": "face_image",
        "face_id": 2,
        "error": "Face image file not found",
    }
    assert await answers.reply('{"type": "get_face", "face_id": 0}') == {
        "type": "face_image",
        "face_id": 0,
        "error": "Face ID not found",
    }
    assert await answers.reply("[1, 2]") == {"error": "Invalid JSON message"}
    assert await answers.reply('{"type": "get_all_faces", "limit": -1}') == {
        "error": "Invalid face_id or limit format"
    }
    shutil.rmtree(tmp_path / "faces")
    assert await answers.reply('{"type": "get_all_faces"}') == {
        "type": "all_faces",
        "error": "Face data not available on server",
    }


class Recorder:
    """A detector that finds one person at the top left of whatever it is given."""

    def __init__(self) -> None:
        self.shapes: list[tuple[int, ...]] = []

    def detect(self, frame: np.ndarray) -> list[Detection]:
        self.shapes.append(frame.shape)
        return [Detection(Box(0, 0, 10, 20), 0.9)]


def test_line_band_detects_only_near_the_line() -> None:
    settings = CounterSettings.model_validate({"detector": {"line_band": 0.25}})
    recorder = Recorder()
    result = CountingPipeline(settings, recorder).process(np.zeros((480, 640, 3), np.uint8))
    # x = 512 +- 160, clipped to the frame: 352..640.
    assert recorder.shapes == [(480, 288, 3)]
    assert [t.box for t in result.tracks] == [Box(352, 0, 362, 20)]
    line = CountingLine.for_frame(
        LineSettings(orientation="horizontal", position=0.5, in_direction="top_to_bottom"), 640, 480
    )
    assert line_band(line, 0.1) == Box(0, 192, 640, 288)
