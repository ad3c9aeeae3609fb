"""One settings loader for the server and each worker, and one way to report what is wrong.

Layers, each over the one before: the model's defaults, a TOML file, environment variables
(PREFIX + SECTION_KEY, e.g. CAMRELAY_SESSIONS_LOGIN_DELAY_BASE_S sets [sessions]
login_delay_base_s), then command-line overrides. pydantic-settings reads the file and the
variables; one frozen model validates the result. Every problem becomes one line naming where
the value came from (the file, the variable, the command line) and the dotted key:

    CAMRELAY_COUNTER_FEED_PORT: feed.port: Input should be less than or equal to 65535
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings import (
    SettingsError as _SourceError,
)

COMMAND_LINE = "command line"
Key = tuple[str, ...]


class SettingsError(ValueError):
    """Settings that cannot be used; `problems` holds one message per bad setting."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


class FrozenSettings(BaseSettings):
    """A top-level settings model: frozen, unknown keys refused, SECTION_KEY variables."""

    # A typo in a file or a variable is reported, never silently ignored. One split after
    # the prefix: sections have no "_" in their names, keys may (LOGIN_DELAY_BASE_S).
    model_config = SettingsConfigDict(
        frozen=True,
        extra="forbid",
        case_sensitive=False,
        env_nested_delimiter="_",
        env_nested_max_split=1,
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Model() is the defaults, never the process's environment: load() adds the layers."""
        return (init_settings,)


S = TypeVar("S", bound=FrozenSettings)


class _GivenEnvironment(EnvSettingsSource):
    """The environment source reading a given mapping (os.environ, or a test's dict)."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        self._given = env
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # What pydantic-settings does to os.environ: names in lower case unless case matters.
        given = {(k if self.case_sensitive else k.lower()): v for k, v in self._given.items()}
        # A whole section is never one variable: CAMRELAY_SERVER is the clients' relay URL,
        # not a [server] table in JSON.
        prefix = self.env_prefix if self.case_sensitive else self.env_prefix.lower()
        sections = {prefix + name for name in _sections(self.settings_cls)}
        return {name: value for name, value in given.items() if name not in sections}


def _sections(model: type[BaseModel]) -> list[str]:
    """The names of the model's fields that are tables (other models)."""
    return [
        name
        for name, field in model.model_fields.items()
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
    ]


def load(
    model: type[S],
    path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> S:
    """Defaults, then the TOML file, then the variables in `env`, then `overrides`."""
    origins: dict[Key, str] = {}
    data: dict[str, Any] = {}
    if path is not None:
        from_file = read_toml(model, Path(path))
        data = deep_merge(data, from_file, origins, lambda _key: str(path))
    if env:
        prefix = model.model_config.get("env_prefix", "").upper()
        try:
            from_env = _GivenEnvironment(model, env)()
        except _SourceError as exc:  # a table variable that is not JSON
            raise SettingsError([f"{prefix}* variables: {exc}"]) from None
        # One split after the prefix: a deeper key came in one variable as a JSON table.
        data = deep_merge(data, from_env, origins, lambda key: prefix + "_".join(key[:2]).upper())
    data = deep_merge(data, overrides or {}, origins, lambda _key: COMMAND_LINE)
    return validate(model, data, origins)


def read_toml(model: type[FrozenSettings], path: Path) -> dict[str, Any]:
    """The file's tables, or SettingsError naming the file (missing, unreadable, not TOML)."""
    if not path.is_file():
        raise SettingsError([f"{path}: no such file"])
    try:
        return TomlConfigSettingsSource(model, toml_file=path)()
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError([f"{path}: not valid TOML: {exc}"]) from None


def validate(
    model: type[S], data: Mapping[str, Any], origins: Mapping[Key, str] | None = None
) -> S:
    """The model from plain data, or SettingsError with one line per problem."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(describe_errors(exc, origins or {})) from None


def describe_errors(exc: ValidationError, origins: Mapping[Key, str] | None = None) -> list[str]:
    """`origin: dotted.key: reason` per problem; no origin when the value has none."""
    lines = []
    for error in exc.errors():
        key = tuple(str(part) for part in error["loc"])
        reason = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            reason = "unknown setting"
        where = ".".join(key) or "settings"
        origin = _origin(key, origins or {})
        lines.append(f"{origin}: {where}: {reason}" if origin else f"{where}: {reason}")
    return lines


def _origin(key: Key, origins: Mapping[Key, str]) -> str | None:
    """Where the value at `key` (or the last-layered value within it) came from."""
    for length in range(len(key), 0, -1):
        if key[:length] in origins:
            return origins[key[:length]]
    inside = [origin for known, origin in origins.items() if known[: len(key)] == key]
    return inside[-1] if inside else None


def deep_merge(
    base: Mapping[str, Any],
    layer: Mapping[str, Any],
    origins: dict[Key, str] | None = None,
    origin_of: Callable[[Key], str] | None = None,
    at: Key = (),
) -> dict[str, Any]:
    """A copy of base with layer laid over it: tables merge, other values replace; each
    value laid is noted in `origins` as origin_of(its key), when both are given."""
    merged = dict(base)
    for name, value in layer.items():
        key = (*at, str(name))
        table = isinstance(value, Mapping)
        if origins is not None:
            # What this value replaces: the same key, and every key below it unless both
            # are tables (which merge).
            for known in [k for k in origins if k == key or (k[: len(key)] == key and not table)]:
                del origins[known]
        if isinstance(value, Mapping):
            below = merged.get(name)
            below = below if isinstance(below, Mapping) else {}
            merged[name] = deep_merge(below, value, origins, origin_of, key)
        else:
            merged[name] = value
            if origins is not None and origin_of is not None:
                origins[key] = origin_of(key)
    return merged
