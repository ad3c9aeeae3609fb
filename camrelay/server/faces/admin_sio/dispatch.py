"""One request to one answer: checked, handed to its module, core errors rendered as §6 error
objects by one table."""

from __future__ import annotations

import logging
from typing import Any

from camrelay.protocol.errors import (
    LastAdmin,
    MalformedRequest,
    NameTaken,
    NoPermission,
    NoSuchDevice,
    NoSuchUser,
    RelayError,
)

from .callers import Caller
from .listing import listing
from .module import Answer, Module
from .requests import (
    CONFLICT,
    FORBIDDEN,
    INTERNAL,
    INVALID_REQUEST,
    NOT_FOUND,
    UNAUTHORIZED,
    Request,
    RequestFailed,
    error_answer,
    parse,
)

log = logging.getLogger("camrelay.admin_sio")

# The most specific class first: LastAdmin is a NoPermission, NameTaken a MalformedRequest.
CORE_ERRORS: tuple[tuple[type[RelayError], str, str], ...] = (
    (LastAdmin, FORBIDDEN, "the last admin of an account cannot be removed or demoted"),
    (NoPermission, FORBIDDEN, "the role may not do this"),
    (NameTaken, CONFLICT, "that name is taken"),
    (MalformedRequest, INVALID_REQUEST, "a field is malformed"),
    (NoSuchDevice, NOT_FOUND, "no such camera"),
    (NoSuchUser, NOT_FOUND, "no such entity"),
)


class Dispatcher:
    """The modules by name, and the rules every request goes through."""

    def __init__(self, modules: list[Module]) -> None:
        self.modules = {module.name: module for module in modules}

    async def answer(self, caller: Caller, data: Any) -> Answer:
        """The module's answer, or the error object of what went wrong."""
        try:
            return await self._run(caller, parse(data))
        except RequestFailed as failed:
            return error_answer(failed.message, failed.details, data)
        except RelayError as error:
            message, details = core_error(error)
            return error_answer(message, details, data)
        except Exception:  # a bug must cost one answer, never the socket
            log.exception("admin request failed")
            return error_answer(INTERNAL, "the server could not do this", data)

    async def _run(self, caller: Caller, request: Request) -> Answer:
        module = self.modules.get(request.module)
        if module is None:
            raise RequestFailed(
                NOT_FOUND, f"no module {request.module!r}; modules: {', '.join(self.modules)}"
            )
        if caller.identity is None and not module.anonymous:
            raise RequestFailed(UNAUTHORIZED, "this module needs a token")
        payload = request.payload
        if request.command == "list":
            return await module.list(caller, listing(payload))
        if request.command == "create":
            return await module.create(caller, payload)
        entity = request.entity or ""
        if request.command == "read":
            return await module.read(caller, entity)
        if request.command == "update":
            return await module.update(caller, entity, payload)
        return await module.delete(caller, entity, payload)


def core_error(error: RelayError) -> tuple[str, str]:
    """The §6 message and details of a core error."""
    for kind, message, details in CORE_ERRORS:
        if isinstance(error, kind):
            return message, error.detail or details
    log.error("admin request failed: %r", error)
    return INTERNAL, "the server could not do this"
