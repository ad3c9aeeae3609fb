"""The core relay API of core-http2-api.txt: every .json request and the raw streams."""

from __future__ import annotations

from quart import Blueprint

from ....settings import LimitsSettings
from ...core.relay import Relay
from . import config_api, messages_api, records_api, sessions_api, streams_api
from .routes import JsonApi


def core_api(relay: Relay, limits: LimitsSettings) -> Blueprint:
    """The blueprint serving the core API on top of the relay."""
    return json_api(relay, limits).blueprint


def json_api(relay: Relay, limits: LimitsSettings) -> JsonApi:
    """The core API on top of the relay: its blueprint, and its routes for the fast path."""
    api = JsonApi(relay, limits)
    for module in (sessions_api, records_api, messages_api, config_api, streams_api):
        module.register(api)
    return api
