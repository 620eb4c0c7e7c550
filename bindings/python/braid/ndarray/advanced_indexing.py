"""Advanced indexing (integer arrays, boolean masks), filled in by the indexing work."""

from __future__ import annotations

from typing import Any


def advanced_getitem(a: Any, key: tuple) -> Any:
    raise NotImplementedError("advanced indexing")


def advanced_setitem(a: Any, key: tuple, value: Any) -> None:
    raise NotImplementedError("advanced indexing")
