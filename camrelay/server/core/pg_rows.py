"""Rows of a PostgreSQL query that read like sqlite3.Row: by position, by slice and by name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, SupportsIndex, overload

from psycopg import AsyncCursor


class Row(tuple[Any, ...]):
    """A tuple that also answers `row["column"]`, as the core reads SQLite rows."""

    _names: dict[str, int]

    @overload
    def __getitem__(self, key: SupportsIndex) -> Any: ...
    @overload
    def __getitem__(self, key: slice) -> tuple[Any, ...]: ...
    @overload
    def __getitem__(self, key: str) -> Any: ...
    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return super().__getitem__(self._names[key])
        return super().__getitem__(key)

    def keys(self) -> list[str]:
        """The column names, in order (as sqlite3.Row.keys)."""
        return list(self._names)


def row_factory(cursor: AsyncCursor[Any]) -> Callable[[Sequence[Any]], Row]:
    """psycopg's row factory making `Row`s with the cursor's column names."""
    names = {column.name: i for i, column in enumerate(cursor.description or ())}

    def make(values: Sequence[Any]) -> Row:
        row = Row(values)
        row._names = names
        return row

    return make
