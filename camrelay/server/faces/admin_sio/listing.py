"""The answer of `list`: search, sort and one page of a module's items (CONTRACT §6)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .requests import invalid

MAX_ITEMS_PER_PAGE = 100
DEFAULTS: dict[str, Any] = {"search": None, "page": 1, "itemsPerPage": 10, "sortBy": None}

Item = dict[str, Any]


@dataclass(frozen=True)
class Listing:
    """What a `list` payload asks for; sort keys are (field, descending) pairs."""

    search: str | None
    page: int
    items_per_page: int
    sort_by: Any
    sort_keys: tuple[tuple[str, bool], ...]

    def answer(self, items: list[Item]) -> dict[str, Any]:
        """The page of `items` (search and sort applied) with the paging fields."""
        found = [item for item in items if self._matches(item)]
        for key, descending in reversed(self.sort_keys):  # stable: the first key wins
            found.sort(key=_by(key), reverse=descending)
        start = (self.page - 1) * self.items_per_page
        return {
            "search": self.search,
            "page": self.page,
            "itemsPerPage": self.items_per_page,
            "sortBy": self.sort_by,
            "total": len(found),
            "items": found[start : start + self.items_per_page],
        }

    def _matches(self, item: Item) -> bool:
        if not self.search:
            return True
        needle = self.search.lower()
        return any(needle in str(value).lower() for value in item.values() if value is not None)


def _by(key: str) -> Callable[[Item], tuple[int, Any]]:
    return lambda item: _sortable(item.get(key))


def _sortable(value: Any) -> tuple[int, Any]:
    """None first, then numbers, then text, so mixed fields never fail to compare."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool | int | float):
        return (1, value)
    return (2, str(value).lower())


def listing(payload: dict[str, Any]) -> Listing:
    """The list payload with its defaults, or "Invalid Request" naming the field at fault."""
    for name in payload:
        if name not in DEFAULTS:
            raise invalid(f"payload.{name}", "is not allowed")
    given = {**DEFAULTS, **payload}
    search, page, per_page = given["search"], given["page"], given["itemsPerPage"]
    if search is not None and not isinstance(search, str):
        raise invalid("payload.search", "must be a string or null")
    if not _whole(page) or page < 1:
        raise invalid("payload.page", "must be an integer of at least 1")
    if not _whole(per_page) or not 1 <= per_page <= MAX_ITEMS_PER_PAGE:
        raise invalid("payload.itemsPerPage", f"must be an integer from 1 to {MAX_ITEMS_PER_PAGE}")
    return Listing(search, page, per_page, given["sortBy"], _sort_keys(given["sortBy"]))


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _sort_keys(sort_by: Any) -> tuple[tuple[str, bool], ...]:
    """null; "field" or "-field"; or [{"key": field, "order": "asc"|"desc"}, ...]."""
    if sort_by is None:
        return ()
    if isinstance(sort_by, str) and sort_by.strip("-"):
        return ((sort_by.lstrip("-"), sort_by.startswith("-")),)
    if isinstance(sort_by, list) and all(_sort_entry(entry) for entry in sort_by):
        return tuple((entry["key"], entry.get("order") == "desc") for entry in sort_by)
    raise invalid(
        "payload.sortBy",
        'must be null, a field name ("-" first: descending) or [{"key", "order": "asc"|"desc"}]',
    )


def _sort_entry(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("key"), str)
        and entry.get("order", "asc") in ("asc", "desc")
        and set(entry) <= {"key", "order"}
    )
