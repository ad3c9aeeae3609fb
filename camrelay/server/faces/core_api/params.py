"""Request parameters of the .json requests: a JSON object in the body, else the query string.

A body that is not JSON answers code 4; JSON that is not an object, 5. Query values are text and
are converted to what each parameter needs (`?rid=34` is 34). Objects given where text is
stored (`meta`, `params`) become their compact JSON text.

Real clients are met where the original server met them: a stamp text starting with `{` is
the sync stamp REST_SYNC_MSG (C, Go, ESP32 send it as a JSON *string*) or means no stamp, and
the arrays `msgs`, `records` and `config` may come as the JSON text of an array.

What is stored must come back out as valid JSON to every device of the account, so input is
held to strict JSON: no NaN or Infinity (code 4), no lone surrogates and no nesting deeper than
MAX_DEPTH (code 12). One such message would otherwise break the inbox of whoever receives it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from camrelay.protocol.errors import JsonFail, JsonParserFail, MalformedRequest

from ...core.stamps import normalize

MAX_TEXT = 4096
MAX_DEPTH = 32
INT64 = 2**63 - 1


def compact(value: Any) -> str:
    """JSON text without spaces, keeping non-ASCII characters as they are; MalformedRequest
    for what could not be read back (NaN, lone surrogates)."""
    try:
        return checked_text(
            json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        )
    except ValueError as exc:
        raise MalformedRequest("not representable as JSON") from exc


def checked_text(text: str) -> str:
    """The text if it is valid Unicode (no lone surrogates); MalformedRequest otherwise."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise MalformedRequest("text is not valid Unicode") from exc
    return text


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def _depth(document: Any) -> int:
    """How deeply arrays and objects nest (iteratively: no recursion limit to hit)."""
    deepest, pending = 0, [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            children = value.values() if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children)
    return deepest


def load_json(text: str | bytes) -> Any:
    """Strict JSON: ValueError for bad syntax, NaN, Infinity or an out-of-range number;
    MalformedRequest for nesting deeper than MAX_DEPTH."""
    document = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    if _depth(document) > MAX_DEPTH:
        raise MalformedRequest("JSON nested too deeply")
    return document


class Params:
    """The parameters of one request, with typed accessors that raise protocol errors."""

    def __init__(self, values: Mapping[str, Any], from_query: frozenset[str]) -> None:
        self._values = values
        self._from_query = from_query

    @classmethod
    def parse(cls, body: bytes, query: Mapping[str, str]) -> Params:
        """Merge the query string with the body's JSON object; the body wins."""
        values: dict[str, Any] = dict(query)
        from_query = set(query)
        if body.strip():
            document = _load_json(body)
            if not isinstance(document, dict):
                raise JsonFail("the body must be a JSON object")
            values.update(document)
            from_query -= set(document)
        return cls(values, frozenset(from_query))

    def present(self, name: str) -> bool:
        """Whether the parameter was given with a non-empty value."""
        return self._values.get(name) not in (None, "", [], {})

    def raw(self, name: str) -> Any:
        """The value as given (query values decoded from JSON when they hold JSON)."""
        value = self._values.get(name)
        if name in self._from_query and isinstance(value, str):
            try:
                return load_json(value)
            except ValueError:
                return value
        return value

    def text(self, name: str, required: bool = True, max_len: int = MAX_TEXT) -> str:
        """A text parameter; numbers are taken as their text, anything else is 12."""
        value = self._values.get(name)
        if value is None or value == "":
            if required:
                raise MalformedRequest(f"{name} is required")
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise MalformedRequest(f"{name} must be text")
        return _bounded(
            checked_text(value) if isinstance(value, str) else compact(value), name, max_len
        )

    def stored_text(self, name: str, max_len: int) -> str:
        """Optional free text that may come as any JSON value (`meta`): objects as JSON text."""
        value = self._values.get(name)
        if value is None:
            return ""
        text = checked_text(value) if isinstance(value, str) else compact(value)
        if len(text) > max_len:
            raise MalformedRequest(f"{name} is too long")
        return text

    def integer(self, name: str) -> int:
        """A required integer; '34', 34 and 34.0 are 34."""
        return to_int(self._values.get(name), name)

    def stamp(self, name: str) -> str | None:
        """An optional stamp, normalized; None (after the sync point) when absent, for the sync
        stamp `{"msg":"sync"}` as an object or as text, and for any other text starting with
        `{`, which the original server also reads as "no stamp"."""
        value = self.raw(name)
        if value is None or value == "" or isinstance(value, dict):
            return None
        if not isinstance(value, str):
            raise MalformedRequest(f"{name} must be a stamp")
        text = _bounded(checked_text(value), name, MAX_TEXT)
        return None if text.startswith("{") else normalize(text)

    def array(self, name: str) -> list[Any]:
        """A required non-empty JSON array, or the JSON text of one (query values, and body
        values of clients that send `"msgs":"[...]"` as the original server accepts)."""
        value = self.raw(name)
        if isinstance(value, str) and value.lstrip().startswith("["):
            value = _json_text(value, name)
        if value is None or value == "" or value == []:
            raise MalformedRequest(f"{name} is required")
        if not isinstance(value, list):
            raise MalformedRequest(f"{name} must be an array")
        return value


def to_int(value: Any, name: str) -> int:
    """An int64 from a JSON number or its text; MalformedRequest otherwise."""
    if isinstance(value, bool) or value is None or value == "":
        raise MalformedRequest(f"{name} must be an integer")
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError as exc:
            raise MalformedRequest(f"{name} must be an integer") from exc
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise MalformedRequest(f"{name} must be an integer")
        value = int(value)
    if not isinstance(value, int) or abs(value) > INT64:
        raise MalformedRequest(f"{name} must be an integer")
    return value


def to_float(value: Any, name: str) -> float:
    """A finite number from a JSON number or its text."""
    if isinstance(value, bool) or value is None:
        raise MalformedRequest(f"{name} must be a number")
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise MalformedRequest(f"{name} must be a number") from exc
    if not math.isfinite(number):
        raise MalformedRequest(f"{name} must be a finite number")
    return number


def _bounded(text: str, name: str, max_len: int) -> str:
    """The text if it is at most `max_len` characters without NUL; MalformedRequest otherwise."""
    if len(text) > max_len or "\x00" in text:
        raise MalformedRequest(f"{name} is too long or holds NUL")
    return text


def _json_text(text: str, name: str) -> Any:
    """A parameter's JSON text, as strictly as a body; MalformedRequest when it is not JSON."""
    try:
        return load_json(text)
    except (ValueError, RecursionError) as exc:
        raise MalformedRequest(f"{name} is not JSON") from exc


def _load_json(body: bytes) -> Any:
    try:
        return load_json(body)
    except (ValueError, RecursionError) as exc:
        raise JsonParserFail() from exc
