"""How a .json request is served: read the body, parse parameters, find the session, call the
handler, and turn every error into the documented `{"result":"BAD","code":N}`.

The same plumbing serves a request whoever parsed it: the ASGI fast path (fast_path.py, every
GET and POST) or Quart's route (what is left: HEAD, OPTIONS).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterable, Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

import werkzeug.urls  # noqa: F401  (registers the "werkzeug.url_quote" codec error handler)
from quart import Blueprint, Response, request

from camrelay.protocol.errors import NoPermission, RelayError

from ....settings import LimitsSettings
from ...core.identity import Can
from ...core.relay import Relay
from ...core.sessions import Session
from ...kept_answers import KeptAnswers
from .answers import Reply, as_response, bad
from .body import read_body
from .body_budget import BodyBudget, Room
from .params import Params

log = logging.getLogger("camrelay.api")
BODY_TIMEOUT_S = 60.0
QUERIES_KEPT = 256
QUERY_LONGEST = 2048


@dataclass(frozen=True)
class Call:
    """What a handler gets: the parameters, the session (if required), the raw body."""

    params: Params
    session: Session
    address: str
    body: bytes | bytearray = b""
    room: Room | None = None  # the body's room in the budget, given back when the call ends


Handler = Callable[[Call], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class Route:
    """One /NAME.json request: its handler and what it needs before the handler runs."""

    handler: Handler
    needs_session: bool
    raw_body: bool
    needs: Can | None = None  # the right the session's role must have (else code 16)


@dataclass(frozen=True, slots=True)
class Incoming:
    """What the plumbing reads of a request, from the ASGI scope or from Quart's request."""

    path: str
    query_string: bytes
    address: str
    content_encoding: str
    content_length: str
    body: AsyncIterable[bytes]


class JsonApi:
    """Registers the .json requests on a blueprint with the common plumbing around them."""

    def __init__(self, relay: Relay, limits: LimitsSettings) -> None:
        self.relay = relay
        self.limits = limits
        self.bodies = BodyBudget(limits.max_body_bytes_in_flight, limits.body_wait_s)
        self.blueprint = Blueprint("core_api", __name__)
        self.routes: dict[str, Route] = {}  # by path, for the fast path

    def request(
        self, *names: str, session: bool = True, raw_body: bool = False, needs: Can | None = None
    ) -> Callable[[Handler], Handler]:
        """Serve `handler` at /NAME.json for each name, with GET and POST; a session whose role
        lacks `needs` is answered code 16 before anything else is read."""

        def register(handler: Handler) -> Handler:
            route = Route(handler, session, raw_body, needs)

            async def view() -> Response:
                return as_response(await self.serve(route, _from_quart()))

            for name in names:
                self.routes[f"/{name}.json"] = route
                self.blueprint.add_url_rule(
                    f"/{name}.json", f"{name}", view, methods=["GET", "POST"]
                )
            return handler

        return register

    async def serve(self, route: Route, incoming: Incoming) -> Reply:
        """The reply to one request; every error becomes its documented code."""
        call: Call | None = None
        try:
            call = await self._call(route, incoming)
            return await route.handler(call)
        except RelayError as exc:
            return bad(exc.code)
        except sqlite3.Error:
            log.exception("database error in %s", incoming.path)
            return bad(3)
        except Exception:
            log.exception("internal error in %s", incoming.path)
            return bad(2)
        finally:
            if call is not None and call.room is not None:
                call.room.close()

    async def _call(self, route: Route, incoming: Incoming) -> Call:
        address = incoming.address
        query = query_of(incoming.query_string)
        if route.raw_body:
            # The session is checked before a large blob is read.
            params = Params.parse(b"", query)
            session = await self._session_of(route, params, address)
            limit = self.limits.max_record_bytes
            room = self.bodies.room(_expected_size(incoming, limit))
            try:
                body = await _body(incoming, limit, room)
            except BaseException:
                room.close()
                raise
            return Call(params, session, address, body, room)
        body = await _body(incoming, self.limits.max_json_bytes)
        params = Params.parse(bytes(body), query)
        return Call(params, await self._session_of(route, params, address), address)

    async def _session_of(self, route: Route, params: Params, address: str) -> Session:
        if not route.needs_session:
            return NOBODY
        return await self.session(params, address, route.needs)

    async def session(self, params: Params, address: str, needs: Can | None = None) -> Session:
        """The request's live session; NoPermission (16) when its role lacks `needs`."""
        # Base64 never holds a space: an unencoded '+' in a query string arrives as one.
        shash = params.text("shash", max_len=64).replace(" ", "+")
        session = await self.relay.sessions.use(shash, address)
        if needs is not None and not session.identity.may(needs):
            raise NoPermission(needs.value)
        return session


def _query(query_string: bytes) -> Mapping[str, str]:
    query: dict[str, str] = {}
    pairs = parse_qsl(query_string.decode(), keep_blank_values=True, errors="werkzeug.url_quote")
    for name, value in pairs:
        query.setdefault(name, value)
    return query


# A camera sends the same query (its shash) with every request: parsed once, not each time.
_queries = KeptAnswers(_query, room=QUERIES_KEPT, longest=QUERY_LONGEST)


def query_of(query_string: bytes) -> Mapping[str, str]:
    """The query's parameters as Quart's `request.args.to_dict()` reads them: the first value
    of each name, invalid bytes left percent-encoded (shared: not to be changed)."""
    return _queries(bytes(query_string))


async def _body(incoming: Incoming, limit: int, room: Room | None = None) -> bytearray:
    return await read_body(incoming.body, incoming.content_encoding, limit, BODY_TIMEOUT_S, room)


def _expected_size(incoming: Incoming, limit: int) -> int:
    """The decoded size a body announces (its Content-Length when not compressed), at most
    `limit`; `limit` when it announces nothing it can be held to."""
    length = incoming.content_length
    encoded = incoming.content_encoding.strip().lower()
    if not length.isdigit() or encoded not in ("", "identity"):
        return limit
    return min(int(length), limit)


def _from_quart() -> Incoming:
    """The request Quart is serving, as the plumbing reads it."""
    return Incoming(
        request.path,
        request.query_string,
        request.remote_addr or "",
        request.headers.get("Content-Encoding", ""),
        request.headers.get("Content-Length", ""),
        request.body,
    )


NOBODY = Session("", 0, "", "", "", 0.0, 0.0)  # what session-less requests get
