"""addMsgs (single, batch, sync), getMsgs and getMsgsAndSync."""

from __future__ import annotations

import json
from typing import Any

from quart import Response

from camrelay.protocol.errors import MalformedRequest, NoPermission

from ...core.identity import Can, Role
from ...core.messages import SYNC, Message, NewMessage
from ...core.sessions import Session
from .answers import ok
from .params import Params, compact
from .routes import Call, JsonApi

MAX_NAME = 1024
MAX_TARGET = 128
MAX_PARAMS = 64 * 1024
MAX_BATCH = 1000


def new_message(source: Params) -> NewMessage:
    """One message from request parameters or a batch entry."""
    params = source.raw("params")
    text = "{}" if params is None or params == "" else compact(params)
    if len(text) > MAX_PARAMS:
        raise MalformedRequest("params too long")
    return NewMessage(
        msg=source.text("msg", max_len=MAX_NAME),
        target=source.text("target", required=False, max_len=MAX_TARGET),
        params=text,
    )


def batch_of(params: Params) -> list[NewMessage]:
    """The messages of an addMsgs request: the `msgs` array, else the single message."""
    if not params.present("msgs"):
        return [new_message(params)]
    entries = params.array("msgs")
    if len(entries) > MAX_BATCH:
        raise MalformedRequest("too many messages")
    if not all(isinstance(entry, dict) for entry in entries):
        raise MalformedRequest("msgs must hold objects")
    return [new_message(Params(entry, frozenset())) for entry in entries]


def check_sending(session: Session, batch: list[NewMessage]) -> None:
    """NoPermission (16) unless the role may send these messages to these devices: a viewer
    only syncs, a scoped user sends only to the devices it sees (or to everyone). A camera's
    key answers whoever asked it, as it hears whoever sends to it."""
    who = session.identity
    if not who.may(Can.SEND_MSGS) and any(m.msg != SYNC for m in batch):
        raise NoPermission("send messages")
    if who.role == Role.DEVICE:
        return
    if any(m.target and not session.sees(m.target) for m in batch):
        raise NoPermission("a device outside the user's cameras")


def rendered(message: Message) -> dict[str, Any]:
    """A message as getMsgs.json lists it."""
    return {
        "msg": message.msg,
        "device": message.device,
        "params": json.loads(message.params),
        "stamp": message.stamp,
    }


def register(api: JsonApi) -> None:
    """Add the message requests to the API."""
    messages = api.relay.messages

    @api.request("addMsgs")
    async def add_msgs(call: Call) -> Response:
        batch = batch_of(call.params)
        check_sending(call.session, batch)
        await messages.add(call.session.account_id, call.session.device, batch)
        return ok()

    async def fetch(call: Call, sync: bool) -> Response:
        session = call.session
        # A camera's key gets what is sent to it, whoever sent it; a scoped user hears only
        # the devices it sees.
        senders = None if session.identity.role == Role.DEVICE else session.scope
        found = await messages.fetch(
            session.account_id, session.device, call.params.stamp("stamp"), sync, senders
        )
        return ok(msgs=[rendered(m) for m in found])

    @api.request("getMsgs", needs=Can.READ_MSGS)
    async def get_msgs(call: Call) -> Response:
        return await fetch(call, sync=False)

    @api.request("getMsgsAndSync", needs=Can.READ_MSGS)
    async def get_msgs_and_sync(call: Call) -> Response:
        return await fetch(call, sync=True)
