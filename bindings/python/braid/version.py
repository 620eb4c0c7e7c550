"""Version of the Python package and of the loaded core."""

from __future__ import annotations

from ._lib import check, ffi, lib

__version__ = "0.1.0"


def core_version() -> tuple[int, int, int, int]:
    """(major, minor, patch, abi) of the loaded libbraid."""
    v = [ffi.new("int32_t*") for _ in range(4)]
    check(lib.braid_get_version(*v))
    return tuple(int(x[0]) for x in v)  # type: ignore[return-value]


def features() -> list[str]:
    """Features compiled into the core, e.g. ['OPENMP', 'BLAS']."""
    p = ffi.new("char**")
    check(lib.braid_get_features(p))
    return ffi.string(p[0]).decode().split()
