"""numpy-style indexing of NDArrays.

Basic indexing (integers, slices, ``None``, ``...``) returns a view that shares memory with the array; advanced
indexing (integer arrays, boolean masks) gathers into a new array. Assignment writes through the same views.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import is_recording


def _normalize_key(key: Any, ndim: int) -> tuple:
    if not isinstance(key, tuple):
        key = (key,)
    n_ell = sum(1 for k in key if k is Ellipsis)
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(1 for k in key if k is not None and k is not Ellipsis)
    if used > ndim:
        raise IndexError(f"too many indices for array: array is {ndim}-dimensional, but {used} were indexed")
    if n_ell:
        i = next(i for i, k in enumerate(key) if k is Ellipsis)
        key = key[:i] + (slice(None),) * (ndim - used) + key[i + 1 :]
    else:
        key = key + (slice(None),) * (ndim - used)
    return key


def _is_basic(key: tuple) -> bool:
    for k in key:
        if k is None or isinstance(k, slice):
            continue
        if isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_)):
            continue
        return False
    return True


def _basic_view(a: Any, key: tuple) -> Any:
    shape, strides = a.shape, a.strides()
    out_shape, out_strides = [], []
    offset = 0
    dim = 0
    for k in key:
        if k is None:
            out_shape.append(1)
            out_strides.append(0)
            continue
        n, st = shape[dim], strides[dim]
        if isinstance(k, slice):
            start, stop, step = k.indices(n)
            length = len(range(start, stop, step))
            out_shape.append(length)
            out_strides.append(st * step)
            if length:
                offset += start * st
        else:
            i = int(k)
            if i < -n or i >= n:
                raise IndexError(f"index {i} is out of bounds for axis {dim} with size {n}")
            offset += (i + n if i < 0 else i) * st
        dim += 1
    return a._view(out_shape, out_strides, offset)


def _basic_recorded(a: Any, key: tuple) -> Any:
    """Basic indexing through registered ops (slice, reshape), so autograd records it; views are invisible to
    autograd."""
    from . import op

    begin, end, step, shape = [], [], [], []
    dim = 0
    for k in key:
        if k is None:
            shape.append(1)
            continue
        n = a.shape[dim]
        if isinstance(k, slice):
            start, stop, st = k.indices(n)
            begin.append(start)
            end.append(stop if stop >= 0 else None)
            step.append(st)
            shape.append(len(range(start, stop, st)))
        else:
            i = int(k)
            if i < -n or i >= n:
                raise IndexError(f"index {i} is out of bounds for axis {dim} with size {n}")
            i = i + n if i < 0 else i
            begin.append(i)
            end.append(i + 1)
            step.append(1)
        dim += 1
    out = op.slice(a, begin=tuple(begin), end=tuple(end), step=tuple(step))
    return op.reshape(out, shape=tuple(shape)) if tuple(shape) != out.shape else out


def getitem(a: Any, key: Any) -> Any:
    k = _normalize_key(key, a.ndim)
    if _is_basic(k):
        if is_recording():
            return _basic_recorded(a, k)
        return _basic_view(a, k)
    from .advanced_indexing import advanced_getitem

    return advanced_getitem(a, key)  # the raw key: a boolean mask may cover several axes


def setitem(a: Any, key: Any, value: Any) -> None:
    from .ndarray import NDArray, array

    k = _normalize_key(key, a.ndim)
    if not _is_basic(k):
        from .advanced_indexing import advanced_setitem

        advanced_setitem(a, key, value)
        return
    target = _basic_view(a, k)
    if isinstance(value, NDArray):
        src = value if value.context == a.context else value.as_in_context(a.context)
    else:
        src = array(value, ctx=a.context, dtype=a.dtype)
    from .._lib import check, lib

    check(lib.braid_array_assign(target._h, src._h))
