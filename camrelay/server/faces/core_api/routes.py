"""How a .json request is served: read the body, parse parameters, find the session, call the
handler, and turn every error into the documented `{"result":"BAD","code":N}`."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from quart import Blueprint, Response, request

from camrelay.protocol.errors import NoPermission, RelayError

from ....settings import LimitsSettings
from ...core.identity import Can
from ...core.relay import Relay
from ...core.sessions import Session
from .answers import bad
from .body import read_body
from .body_budget import BodyBudget, Room
from .params import Params

log = logging.getLogger("camrelay.api")
BODY_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Call:
    """What a handler gets: the parameters, the session (if required), the raw body."""

    params: Params
    session: Session
    address: str
    body: bytes | bytearray = b""
    room: Room | None = None  # the body's room in the budget, given back when the call ends


Handler = Callable[[Call], Awaitable[Response]]


class JsonApi:
    """Registers the .json requests on a blueprint with the common plumbing around them."""

    def __init__(self, relay: Relay, limits: LimitsSettings) -> None:
        self.relay = relay
        self.limits = limits
        self.bodies = BodyBudget(limits.max_body_bytes_in_flight, limits.body_wait_s)
        self.blueprint = Blueprint("core_api", __name__)

    def request(
        self, *names: str, session: bool = True, raw_body: bool = False, needs: Can | None = None
    ) -> Callable[[Handler], Handler]:
        """Serve `handler` at /NAME.json for each name, with GET and POST; a session whose role
        lacks `needs` is answered code 16 before anything else is read."""

        def register(handler: Handler) -> Handler:
            async def view() -> Response:
                return await self._serve(handler, session, raw_body, needs)

            for name in names:
                self.blueprint.add_url_rule(
                    f"/{name}.json", f"{name}", view, methods=["GET", "POST"]
                )
            return handler

        return register

    async def _serve(
        self, handler: Handler, needs_session: bool, raw_body: bool, needs: Can | None
    ) -> Response:
        call: Call | None = None
        try:
            call = await self._call(needs_session, raw_body, needs)
            return await handler(call)
        except RelayError as exc:
            return bad(exc.code)
        except sqlite3.Error:
            log.exception("database error in %s", request.path)
            return bad(3)
        except Exception:
            log.exception("internal error in %s", request.path)
            return bad(2)
        finally:
            if call is not None and call.room is not None:
                call.room.close()

    async def _call(self, needs_session: bool, raw_body: bool, needs: Can | None) -> Call:
        query = request.args.to_dict()
        address = request.remote_addr or ""
        if raw_body:
            # The session and its rights are checked before a large blob is read.
            params = Params.parse(b"", query)
            session = await self.session(params, address, needs) if needs_session else NOBODY
            room = self.bodies.room(self._expected_size(self.limits.max_record_bytes))
            try:
                body = await self._body(self.limits.max_record_bytes, room)
            except BaseException:
                room.close()
                raise
            return Call(params, session, address, body, room)
        params = Params.parse(bytes(await self._body(self.limits.max_json_bytes)), query)
        session = await self.session(params, address, needs) if needs_session else NOBODY
        return Call(params, session, address)

    async def _body(self, limit: int, room: Room | None = None) -> bytearray:
        encoding = request.headers.get("Content-Encoding", "")
        return await read_body(request.body, encoding, limit, BODY_TIMEOUT_S, room)

    def _expected_size(self, limit: int) -> int:
        """The decoded size a body announces (its Content-Length when not compressed), at most
        `limit`; `limit` when it announces nothing it can be held to."""
        length = request.headers.get("Content-Length", "")
        encoded = request.headers.get("Content-Encoding", "").strip().lower()
        if not length.isdigit() or encoded not in ("", "identity"):
            return limit
        return min(int(length), limit)

    async def session(self, params: Params, address: str, needs: Can | None = None) -> Session:
        """The request's live session; NoPermission (16) when its role lacks `needs`."""
        # Base64 never holds a space: an unencoded '+' in a query string arrives as one.
        shash = params.text("shash", max_len=64).replace(" ", "+")
        session = await self.relay.sessions.use(shash, address)
        if needs is not None and not session.identity.may(needs):
            raise NoPermission(needs.value)
        return session


NOBODY = Session("", 0, "", "", "", 0.0, 0.0)  # what session-less requests get
