"""The Quart application: the faces mounted on one relay core."""

from __future__ import annotations

from quart import Quart

from ..settings import Settings
from .core.relay import Relay
from .faces.admin_sio import AdminSio
from .faces.core_api import json_api
from .faces.core_api.fast_path import JsonFastPath
from .faces.core_api.pulled_body import PulledBodies
from .faces.core_api.streams_api import UPLOAD_PATHS
from .faces.metrics import metrics_face
from .faces.state_sync import state_sync
from .faces.web.auth_api import auth_api
from .faces.web.page import page
from .faces.web.session_api import session_api
from .faces.web.storage_api import storage_api
from .request_count import RequestCount

FAST_PATH = "camrelay.json_fast_path"  # app.extensions: the JsonFastPath, for the transport


def create_app(
    relay: Relay,
    settings: Settings,
    requests: RequestCount | None = None,
    admin: AdminSio | None = None,
) -> Quart:
    """A Quart app serving every face of the relay; `requests` counts what it serves; `admin`
    is the Socket.IO face (made here when the caller does not need to close it itself)."""
    app = Quart("camrelay", static_folder=None)  # the page serves /static/ itself (faces/web)
    requests = requests or RequestCount()
    requests.install(app)
    # Each route caps its own body size and time; the raw streams have neither limit.
    app.config["MAX_CONTENT_LENGTH"] = None
    app.config["BODY_TIMEOUT"] = None
    app.config["RESPONSE_TIMEOUT"] = None
    api = json_api(relay, settings.limits)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(metrics_face(relay, requests))
    app.register_blueprint(auth_api(relay))
    app.register_blueprint(session_api(relay))
    app.register_blueprint(storage_api(relay))
    app.register_blueprint(page())
    app.register_blueprint(state_sync(relay, settings.state))
    # An upload's body is pulled as the relay takes it, not buffered by Quart without bound.
    pulled = PulledBodies(app.asgi_app, UPLOAD_PATHS)
    # The .json requests skip Quart (its per-request machinery was most of their cost).
    fast = JsonFastPath(pulled, api, requests)
    app.extensions[FAST_PATH] = fast
    app.asgi_app = fast  # type: ignore[method-assign,assignment]
    # /socket.io/ goes to the admin API; everything else, lifespan included, to Quart.
    admin = admin or AdminSio(relay, settings.admin_sio)
    app.before_serving(admin.start)
    app.after_serving(admin.close)
    app.asgi_app = admin.mount(app.asgi_app)  # type: ignore[method-assign]
    return app
