"""Saving and loading arrays (filled in by the file-format work)."""

from __future__ import annotations

from typing import Any


def save(fname: str, data: Any) -> None:
    raise NotImplementedError


def load(fname: str) -> Any:
    raise NotImplementedError
