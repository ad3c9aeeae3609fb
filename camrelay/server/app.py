"""The Quart application: the faces mounted on one relay core."""

from __future__ import annotations

from quart import Quart

from ..settings import Settings
from .core.relay import Relay
from .faces.core_api import core_api
from .faces.core_api.pulled_body import PulledBodies
from .faces.core_api.streams_api import UPLOAD_PATHS
from .faces.metrics import metrics_face
from .faces.state_sync import state_sync
from .faces.web.auth_api import auth_api
from .request_count import RequestCount


def create_app(relay: Relay, settings: Settings, requests: RequestCount | None = None) -> Quart:
    """A Quart app serving every face of the relay; `requests` counts what it serves."""
    app = Quart("camrelay")
    requests = requests or RequestCount()
    requests.install(app)
    # Each route caps its own body size and time; the raw streams have neither limit.
    app.config["MAX_CONTENT_LENGTH"] = None
    app.config["BODY_TIMEOUT"] = None
    app.config["RESPONSE_TIMEOUT"] = None
    app.register_blueprint(core_api(relay, settings.limits))
    app.register_blueprint(metrics_face(relay, requests))
    app.register_blueprint(auth_api(relay))
    app.register_blueprint(state_sync(relay, settings.state))
    # An upload's body is pulled as the relay takes it, not buffered by Quart without bound.
    app.asgi_app = PulledBodies(app.asgi_app, UPLOAD_PATHS)  # type: ignore[method-assign,assignment]
    return app
