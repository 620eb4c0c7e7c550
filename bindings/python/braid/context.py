"""Device contexts: ``braid.cpu(i)`` and ``braid.gpu(i)``.

``cpu(0)`` and ``cpu(1)`` are distinct contexts (separate memory pools and engine workers on the same host), so
multi-device code can be exercised without a GPU. An op on arrays from different contexts is an error: move
data explicitly with ``copyto`` or ``as_in_context``.
"""

from __future__ import annotations

import threading

from ._lib import check, ffi, lib

_DEV_TYPES = {"cpu": 1, "gpu": 2}
_DEV_NAMES = {1: "cpu", 2: "gpu"}


class Context:
    """A device: ``Context('cpu', 0)``, or use :func:`cpu` / :func:`gpu`. Usable as ``with ctx:`` to set
    the default context of array creation."""

    __slots__ = ("device_typeid", "device_id", "_old")
    _local = threading.local()

    def __init__(self, device_type: str | Context, device_id: int = 0) -> None:
        if isinstance(device_type, Context):
            self.device_typeid, self.device_id = device_type.device_typeid, device_type.device_id
            return
        if device_type not in _DEV_TYPES:
            raise ValueError(f"unknown device type {device_type!r}; expected 'cpu' or 'gpu'")
        if int(device_id) < 0:
            raise ValueError(f"device_id must be >= 0, got {device_id}")
        self.device_typeid = _DEV_TYPES[device_type]
        self.device_id = int(device_id)

    @property
    def device_type(self) -> str:
        return _DEV_NAMES[self.device_typeid]

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Context)
            and self.device_typeid == other.device_typeid
            and self.device_id == other.device_id
        )

    def __hash__(self) -> int:
        return hash((self.device_typeid, self.device_id))

    def __repr__(self) -> str:
        return f"{self.device_type}({self.device_id})"

    __str__ = __repr__

    def __enter__(self) -> Context:
        self._old = current_context()
        Context._local.value = self
        return self

    def __exit__(self, *exc: object) -> None:
        Context._local.value = self._old

    def empty_cache(self) -> None:
        """Returns the memory pool's cached free blocks of this device to the system."""
        check(lib.braid_memory_release_cached(self.device_typeid, self.device_id))

    def memory_stats(self) -> dict[str, int]:
        """Pool statistics: bytes_in_use, peak_bytes_in_use, bytes_cached, num_allocs, num_pool_hits."""
        s = ffi.new("braid_memory_stats*")
        check(lib.braid_memory_get_stats(self.device_typeid, self.device_id, s))
        return {
            k: int(getattr(s, k))
            for k in ("bytes_in_use", "peak_bytes_in_use", "bytes_cached", "num_allocs", "num_pool_hits")
        }


Device = Context


def cpu(device_id: int = 0) -> Context:
    """The CPU context ``device_id`` (all CPU contexts use host memory; the id selects pool and workers)."""
    return Context("cpu", device_id)


def gpu(device_id: int = 0) -> Context:
    """The GPU context ``device_id``. Arrays on it need a CUDA build of braid."""
    return Context("gpu", device_id)


def current_context() -> Context:
    """The default context for new arrays (``cpu(0)`` unless changed with ``with ctx:``)."""
    return getattr(Context._local, "value", None) or _DEFAULT


def num_gpus() -> int:
    """Number of GPUs this build of braid can use."""
    n = ffi.new("int32_t*")
    check(lib.braid_device_count(2, n))
    return int(n[0])


_DEFAULT = Context("cpu", 0)
current_device = current_context
