"""Errors and small shared helpers.

Every failure inside braid's core reaches Python as a :class:`BraidError` carrying the core's message. Where a
natural Python exception fits, the raised class also derives from it, so ``except ValueError`` works too.
"""

from __future__ import annotations


class BraidError(Exception):
    """An error reported by braid's core (the message names the op and the argument)."""


class BraidValueError(BraidError, ValueError):
    """A bad argument value: shape, axis, attribute."""


class BraidTypeError(BraidError, TypeError):
    """A wrong dtype or argument type."""


class BraidIndexError(BraidError, IndexError):
    """An index out of range."""


class BraidIOError(BraidError, OSError):
    """A missing, corrupt or truncated file."""


class BraidNotImplementedError(BraidError, NotImplementedError):
    """A feature this build or backend does not have."""


class BraidDeviceError(BraidError, ValueError):
    """An unavailable device, or arrays on different devices."""


class BraidMemoryError(BraidError, MemoryError):
    """An allocation failed."""


_BY_STATUS = {
    1: BraidError,
    2: BraidValueError,
    3: BraidTypeError,
    4: BraidIndexError,
    5: BraidIOError,
    6: BraidNotImplementedError,
    7: BraidDeviceError,
    8: BraidMemoryError,
}


def error_from_status(status: int, message: str) -> BraidError:
    return _BY_STATUS.get(status, BraidError)(message)
