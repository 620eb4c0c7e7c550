"""Loads libbraid through cffi (ABI mode) and declares the C ABI from the shipped header.

The declarations are read from ``c_api.h`` itself (the part between BRAID_CDEF_BEGIN and BRAID_CDEF_END), so
the Python view of the ABI cannot drift from the C one.
"""

from __future__ import annotations

import ctypes
import os
import re

from cffi import FFI

from .base import error_from_status

_HERE = os.path.dirname(os.path.abspath(__file__))


def _package_dirs() -> list[str]:
    # Editable installs split the package between the source tree and the build output: search every part.
    from . import __path__ as pkg_path  # type: ignore[attr-defined]

    return list(pkg_path)


def _find_file(rel: str, extra: list[str]) -> str | None:
    for d in _package_dirs() + extra:
        p = os.path.join(d, rel)
        if os.path.exists(p):
            return p
    return None


def _find_header() -> str:
    source_tree = os.path.join(_HERE, "..", "..", "..", "capi", "include")
    p = _find_file(os.path.join("include", "braid", "c_api.h"), [])
    if p is None:
        p = _find_file(os.path.join("braid", "c_api.h"), [source_tree])
    if p is None:
        raise OSError("braid: c_api.h not found next to the package; reinstall braid (pip install .)")
    return p


def _find_library() -> str:
    env = os.environ.get("BRAID_LIBRARY")
    if env:
        return env
    p = _find_file("libbraid.so", [])
    if p is None:
        raise OSError(
            "braid: libbraid.so not found in the package; build and install it with `pip install .` "
            "or point BRAID_LIBRARY at a built libbraid.so"
        )
    return p


def _preload_openblas() -> None:
    # The library's RUNPATH finds scipy-openblas32 in a regular install; editable and build-tree layouts need
    # the dependency loaded first.
    try:
        import scipy_openblas32  # type: ignore[import-not-found]
    except ImportError:
        return
    path = os.path.join(scipy_openblas32.get_lib_dir(), "libscipy_openblas.so")
    if os.path.exists(path):
        ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)


def _cdef_source(header: str) -> str:
    with open(header, encoding="utf-8") as f:
        text = f.read()
    body = text.split("/* BRAID_CDEF_BEGIN */", 1)[1].split("/* BRAID_CDEF_END */", 1)[0]
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    return body.replace("BRAID_API ", "")


def _tame_thread_pools() -> None:
    # braid's kernels (OpenMP) and its GEMMs (OpenBLAS's own pthreads) alternate within every training step.
    # By default each pool keeps its threads spinning long after its work ends (libgomp ~300k spins, OpenBLAS
    # 2^28 cycles), so on a small machine the two pools steal each other's cores: measured 12 vs 140 MLP
    # training steps/s on 2 cores. Shorter spins fix it; both values are read when the libraries load, and a
    # user's own setting wins.
    os.environ.setdefault("GOMP_SPINCOUNT", "1000")
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")


ffi = FFI()
ffi.cdef(_cdef_source(_find_header()))
_tame_thread_pools()
_preload_openblas()
lib = ffi.dlopen(_find_library())


def last_error() -> str:
    return ffi.string(lib.braid_get_last_error()).decode("utf-8", "replace")


def check(status: int) -> None:
    """Raises the braid error for a non-zero status from the C ABI."""
    if status:
        raise error_from_status(status, last_error())
