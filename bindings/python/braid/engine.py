"""The dependency engine as seen from Python.

The engine is chosen when braid loads, from ``BRAID_ENGINE_TYPE``: ``ThreadedEngine`` (default, asynchronous,
workers per device) or ``NaiveEngine`` (every op runs synchronously in the calling thread, for debugging).
"""

from __future__ import annotations

from ._lib import check, ffi, lib


def engine_type() -> str:
    """The running engine's name: 'ThreadedEngine' or 'NaiveEngine'."""
    p = ffi.new("char**")
    check(lib.braid_engine_type(p))
    return ffi.string(p[0]).decode()


def num_pending() -> int:
    """Operations scheduled and not yet finished."""
    p = ffi.new("int64_t*")
    check(lib.braid_engine_num_pending(p))
    return int(p[0])


def set_num_threads(n: int) -> None:
    """Threads each CPU kernel may use (0 restores the OpenMP default, OMP_NUM_THREADS)."""
    check(lib.braid_set_num_threads(int(n)))


def get_num_threads() -> int:
    p = ffi.new("int32_t*")
    check(lib.braid_get_num_threads(p))
    return int(p[0])
