"""The Quart application: the faces mounted on one relay core."""

from __future__ import annotations

from quart import Quart

from ..settings import Settings
from .core.relay import Relay
from .faces.core_api import core_api
from .faces.metrics import metrics_face


def create_app(relay: Relay, settings: Settings) -> Quart:
    """A Quart app serving every face of the relay."""
    app = Quart("camrelay")
    # Each route caps its own body size and time; the raw streams have neither limit.
    app.config["MAX_CONTENT_LENGTH"] = None
    app.config["BODY_TIMEOUT"] = None
    app.config["RESPONSE_TIMEOUT"] = None
    app.register_blueprint(core_api(relay, settings.limits))
    app.register_blueprint(metrics_face(relay))
    return app
