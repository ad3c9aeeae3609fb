"""Answers to the feed's client requests (get_face, get_all_faces, and bad ones), from the
face directory; the exact dicts come from feed_messages."""

from __future__ import annotations

import asyncio
import logging

from camrelay.workers.counter.face_crops import (
    FaceCropDirectory,
    MissingFaceCropFile,
    UnknownFaceCrop,
)
from camrelay.workers.counter.feed_messages import (
    FACE_FILE_NOT_FOUND,
    FACE_ID_NOT_FOUND,
    INTERNAL_ERROR,
    Message,
    all_faces_error,
    all_faces_message,
    error_message,
    face_image_error,
    face_image_message,
)
from camrelay.workers.counter.feed_requests import BadRequest, GetAllFaces, GetFace, parse_request

log = logging.getLogger(__name__)


class FaceCropAnswers:
    """Turns one received message into its reply, reading faces off the event loop."""

    def __init__(self, faces: FaceCropDirectory, default_limit: int, max_limit: int) -> None:
        self._faces = faces
        self._default_limit = default_limit
        self._max_limit = max_limit

    async def reply(self, message: str | bytes) -> Message:
        """The reply for the sender of `message`; never raises."""
        request = parse_request(message, self._default_limit, self._max_limit)
        try:
            if isinstance(request, GetFace):
                return await asyncio.to_thread(self._face, request.face_id)
            if isinstance(request, GetAllFaces):
                return await asyncio.to_thread(self._all_faces, request.limit)
        except Exception:
            log.exception("answering %r failed", request)
            return error_message(INTERNAL_ERROR)
        assert isinstance(request, BadRequest)
        return error_message(request.error)

    def _face(self, face_id: int) -> Message:
        """One face, or why not."""
        try:
            return face_image_message(self._faces.get(face_id))
        except UnknownFaceCrop:
            return face_image_error(face_id, FACE_ID_NOT_FOUND)
        except MissingFaceCropFile:
            return face_image_error(face_id, FACE_FILE_NOT_FOUND)

    def _all_faces(self, limit: int) -> Message:
        """The newest faces, or the document's error when the directory cannot be read."""
        try:
            return all_faces_message(self._faces.recent(limit))
        except OSError:
            log.exception("listing faces failed")
            return all_faces_error()
