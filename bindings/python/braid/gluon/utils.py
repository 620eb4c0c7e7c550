"""Gluon utilities (MXNet 1.x ``gluon.utils``): splitting a batch across devices, clipping by the global norm,
and atomic file writes.

::

    for x, ctx in zip(gluon.utils.split_and_load(batch, [mx.cpu(0), mx.cpu(1)]), ...): ...
    norm = gluon.utils.clip_global_norm([p.grad() for p in params], max_norm=1.0)

``save_checkpoint`` / ``load_checkpoint`` (from :mod:`braid.gluon.contrib.checkpoint`) are available here too.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
import warnings
from typing import Any, Sequence

import numpy as np

from .. import autograd
from .. import ndarray as nd
from ..context import Context
from ..ndarray import NDArray

__all__ = [
    "split_data",
    "split_and_load",
    "clip_global_norm",
    "check_sha1",
    "atomic_write",
]


def split_data(data: NDArray, num_slice: int, batch_axis: int = 0, even_split: bool = True) -> list[NDArray]:
    """Splits data into num_slice slices along batch_axis.

    Parameters
    ----------
    data : NDArray
        The array to split.
    num_slice : int
        Number of slices, >= 1.
    batch_axis : int
        The axis to split along.
    even_split : bool
        Require the axis length to be a multiple of num_slice. Otherwise the last slice takes the remainder,
        and an axis shorter than num_slice gives one slice per element.
    """
    if not isinstance(data, NDArray):
        raise TypeError(f"split_data: data must be an NDArray, got {type(data).__name__}")
    if isinstance(num_slice, bool) or not isinstance(num_slice, int) or num_slice < 1:
        raise ValueError(f"split_data: num_slice must be an int >= 1, got {num_slice!r}")
    ndim = len(data.shape)
    if not -ndim <= batch_axis < ndim:
        raise ValueError(f"split_data: batch_axis {batch_axis} is out of range for data of shape {data.shape}")
    batch_axis %= ndim
    size = data.shape[batch_axis]
    if even_split and size % num_slice != 0:
        raise ValueError(
            f"data with shape {data.shape} cannot be evenly split into {num_slice} slices along axis {batch_axis}. "
            f"Use a batch size that's multiple of {num_slice} or set even_split=False to allow uneven partitioning "
            "of data."
        )
    step = size // num_slice
    if not even_split and size < num_slice:
        step = 1
        num_slice = size
    if num_slice == 1:
        return [data]
    if batch_axis == 0:
        return [
            data[i * step : (i + 1) * step] if i < num_slice - 1 else data[i * step : size] for i in range(num_slice)
        ]
    if even_split:
        return list(nd.split(data, num_outputs=num_slice, axis=batch_axis))
    return [
        nd.slice_axis(data, axis=batch_axis, begin=i * step, end=(i + 1) * step if i < num_slice - 1 else size)
        for i in range(num_slice)
    ]


def split_and_load(
    data: Any, ctx_list: Sequence[Context], batch_axis: int = 0, even_split: bool = True
) -> list[NDArray]:
    """Splits data (an NDArray or numpy array) along batch_axis into one slice per context and copies each slice
    to its context."""
    if isinstance(ctx_list, Context):
        ctx_list = [ctx_list]
    ctx_list = list(ctx_list)
    if not ctx_list:
        raise ValueError("split_and_load: ctx_list must hold at least one Context")
    if isinstance(data, np.ndarray):
        data = nd.array(data, ctx=ctx_list[0])
    if len(ctx_list) == 1:
        return [data.as_in_context(ctx_list[0])]
    slices = split_data(data, len(ctx_list), batch_axis, even_split)
    return [s.as_in_context(ctx) for s, ctx in zip(slices, ctx_list)]


def clip_global_norm(arrays: Sequence[NDArray], max_norm: float, check_isfinite: bool = True) -> Any:
    """Rescales arrays in place so that the 2-norm of all of them together is at most max_norm.

    The squared norms come from one ``multi_sum_sq`` op per device. Returns the norm before clipping: a float
    when check_isfinite (which warns when it is not finite), else a (1,)-shaped NDArray on the first array's
    device (no synchronisation).
    """
    arrays = list(arrays)
    if not arrays:
        raise ValueError("clip_global_norm: arrays must not be empty")
    if not max_norm > 0:
        raise ValueError(f"clip_global_norm: max_norm must be > 0, got {max_norm!r}")
    ctx = arrays[0].context
    with autograd.pause():
        by_ctx: dict[Context, list[NDArray]] = {}
        for a in arrays:
            by_ctx.setdefault(a.context, []).append(a)
        total = None
        for group in by_ctx.values():
            part = nd.sum(nd.multi_sum_sq(*group, num_arrays=len(group))).reshape((1,))
            part = part.as_in_context(ctx)
            total = part if total is None else total + part
        total_norm = nd.sqrt(total)
        if check_isfinite and not math.isfinite(float(total_norm.asscalar())):
            warnings.warn("nan or inf is detected. Clipping results will be undefined.", UserWarning, stacklevel=2)
        scale = nd.clip(max_norm / (total_norm + 1e-8), a_min=0.0, a_max=1.0)
        scales = {ctx: scale}
        for a in arrays:
            s = scales.get(a.context)
            if s is None:
                s = scales[a.context] = scale.as_in_context(a.context)
            if a.dtype != s.dtype:
                s = s.astype(a.dtype)
            a *= s
    return float(total_norm.asscalar()) if check_isfinite else total_norm


def check_sha1(filename: str, sha1_hash: str) -> bool:
    """Whether the SHA-1 hash of the file's content is sha1_hash (a hex string; a prefix is enough)."""
    sha1 = hashlib.sha1()
    with open(filename, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            sha1.update(chunk)
    digest = sha1.hexdigest()
    n = min(len(digest), len(sha1_hash))
    return n > 0 and digest[:n] == sha1_hash[:n]


def atomic_write(path: str, data: bytes) -> None:
    """Writes data to path so that path holds either its old content or all of data, never a part: the bytes
    go to a temporary file in the same directory, are flushed to disk, and the file is renamed over path."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def __getattr__(name: str) -> Any:
    if name in ("save_checkpoint", "load_checkpoint"):
        from .contrib import checkpoint

        return getattr(checkpoint, name)
    raise AttributeError(f"module 'braid.gluon.utils' has no attribute {name!r}")
