"""Parses the feed's client requests (get_face, get_all_faces) with pydantic at the edge.

Real clients send face ids and limits as numbers or numeric text; both are accepted. A bad
message yields the document's general error message instead of a request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from camrelay.workers.counter.feed_messages import INVALID_FORMAT, INVALID_JSON, UNKNOWN_TYPE


@dataclass(frozen=True, slots=True)
class GetFace:
    """A `get_face` request."""

    face_id: int


@dataclass(frozen=True, slots=True)
class GetAllFaces:
    """A `get_all_faces` request; limit is already defaulted and capped."""

    limit: int


@dataclass(frozen=True, slots=True)
class BadRequest:
    """A request that gets the general error message."""

    error: str


Request = GetFace | GetAllFaces | BadRequest


class _GetFace(BaseModel):
    model_config = ConfigDict(extra="ignore")
    face_id: int


class _GetAllFaces(BaseModel):
    model_config = ConfigDict(extra="ignore")
    limit: int | None = Field(None, ge=0)


def parse_request(text: str | bytes, default_limit: int = 50, max_limit: int = 500) -> Request:
    """The request a client's message asks for, or why it cannot be served."""
    try:
        raw: Any = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return BadRequest(INVALID_JSON)
    if not isinstance(raw, dict):
        return BadRequest(INVALID_JSON)
    kind = raw.get("type")
    try:
        if kind == "get_face":
            return GetFace(_GetFace.model_validate(raw).face_id)
        if kind == "get_all_faces":
            limit = _GetAllFaces.model_validate(raw).limit
            return GetAllFaces(min(default_limit if limit is None else limit, max_limit))
    except ValidationError:
        return BadRequest(INVALID_FORMAT)
    return BadRequest(UNKNOWN_TYPE)
