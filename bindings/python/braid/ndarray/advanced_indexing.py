"""numpy's advanced indexing (integer arrays, boolean masks) for ``a[key]`` and ``a[key] = value``.

The key is taken apart into a basic view and a gather: slices and ``None`` become a view of ``a`` (sharing
memory) in which each array-indexed axis is kept whole, those axes are moved to the front of the view, and the
core's ``gather_nd`` (reading) or ``_scatter_set_nd`` (writing in place through the view) does the rest.
Integers next to index arrays count as 0-d index arrays, so the result's axis order follows numpy: the
broadcast index dimensions replace the indexed axes where those are adjacent in the key, and go first
otherwise.

Boolean masks are turned into integer arrays with ``nonzero``, which needs their values on the host (a
mask that is an NDArray is synchronised). Index arrays given as lists or numpy arrays are checked on the host,
so an index out of range raises ``IndexError`` at once; index arrays that are NDArrays stay on the device and
an index out of range raises ``braid.BraidIndexError`` (an ``IndexError``) from ``gather_nd`` when the result
is next read.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

_INT_CODES = {3, 4, 5, 6}  # uint8, int32, int8, int64
_BOOL_CODE = 7
_FLOAT_MSG = "index arrays must be integer or bool; for a 0/1 float mask use .astype('bool')"
_VALID_MSG = "only integers, slices (`:`), ellipsis (`...`), None and integer or boolean arrays are valid indices"


class _Plan(NamedTuple):
    """A key taken apart: the view to index, the index tuples and where the result's index dimensions go."""

    view: Any  # a view of the array with the indexed axes first
    indices: Any  # NDArray (M, *bshape), int64
    bshape: tuple  # broadcast shape of the index arrays
    rest: tuple  # shape of the axes of the view that are not indexed
    insert_at: int  # position of the index dimensions in the result


def _is_ndarray(x: Any) -> bool:
    from .ndarray import NDArray

    return isinstance(x, NDArray)


def _classify(k: Any) -> tuple[str, Any]:
    """One key entry as (kind, value); kind is none, ellipsis, slice, int, mask or array."""
    if k is None:
        return "none", None
    if k is Ellipsis:
        return "ellipsis", None
    if isinstance(k, slice):
        return "slice", k
    if isinstance(k, (bool, np.bool_)):
        raise IndexError("boolean scalar indices are not supported; use a boolean array")
    if isinstance(k, (int, np.integer)):
        return "int", int(k)
    if _is_ndarray(k):
        code = k._dtype_code()
        if code == _BOOL_CODE:
            return "mask", k
        if code in _INT_CODES:
            return "array", k
        raise TypeError(_FLOAT_MSG)
    if isinstance(k, (list, tuple, np.ndarray)):
        arr = np.asarray(k)
        if arr.dtype == np.bool_:
            return "mask", arr
        if arr.size == 0 and arr.dtype == np.float64 and not isinstance(k, np.ndarray):
            arr = arr.astype(np.int64)  # [] is an empty integer index, as in numpy
        if np.issubdtype(arr.dtype, np.integer):
            return "array", arr.astype(np.int64)
        if np.issubdtype(arr.dtype, np.floating):
            raise TypeError(_FLOAT_MSG)
        raise IndexError(_VALID_MSG)
    raise IndexError(_VALID_MSG)


def _expand(a: Any, key: Any) -> list[tuple[str, Any, int]]:
    """Classified entries with the ellipsis filled in and masks turned into integer arrays.

    Returns (kind, value, axis) with kind none, slice or array; axis is the axis of ``a`` the entry indexes.
    """
    entries = [_classify(k) for k in (key if isinstance(key, tuple) else (key,))]
    if sum(kind == "ellipsis" for kind, _ in entries) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(v.ndim if kind == "mask" else kind in ("int", "slice", "array") for kind, v in entries)
    if used > a.ndim:
        raise IndexError(f"too many indices for array: array is {a.ndim}-dimensional, but {used} were indexed")
    fill = [("slice", slice(None))] * (a.ndim - used)
    at = next((i for i, (kind, _) in enumerate(entries) if kind == "ellipsis"), len(entries))
    entries = entries[:at] + fill + entries[at + 1 :]

    out: list[tuple[str, Any, int]] = []
    axis = 0
    for kind, v in entries:
        if kind == "none":
            out.append(("none", None, axis))
        elif kind == "slice":
            out.append(("slice", v, axis))
            axis += 1
        elif kind == "mask":
            mask = v.asnumpy() if _is_ndarray(v) else v
            if mask.ndim == 0:
                raise IndexError("0-d boolean indices are not supported")
            for j, n in enumerate(mask.shape):
                if a.shape[axis + j] != n:
                    raise IndexError(
                        f"boolean index did not match indexed array along axis {axis + j}; size of "
                        f"axis is {a.shape[axis + j]} but size of corresponding boolean axis is {n}"
                    )
            for j, nz in enumerate(np.nonzero(mask)):
                out.append(("array", nz.astype(np.int64), axis + j))
            axis += mask.ndim
        else:
            if kind == "int":
                v = np.asarray(v, dtype=np.int64)
            if isinstance(v, np.ndarray):
                v = _check_bounds(v, a.shape[axis], axis)
            out.append(("array", v, axis))
            axis += 1
    return out


def _check_bounds(idx: np.ndarray, n: int, axis: int) -> np.ndarray:
    bad = (idx < -n) | (idx >= n)
    if bad.any():
        raise IndexError(f"index {int(idx[bad].flat[0])} is out of bounds for axis {axis} with size {n}")
    return np.where(idx < 0, idx + n, idx)


def _index_tuples(arrays: list, bshape: tuple, ctx: Any) -> Any:
    """The (M, *bshape) int64 NDArray of index tuples, built on the host when every array is there."""
    from . import op
    from .ndarray import array

    if not any(_is_ndarray(x) for x in arrays):
        host = np.stack([np.broadcast_to(x, bshape) for x in arrays])
        return array(host, ctx=ctx, dtype="int64")
    parts = []
    for x in arrays:
        x = x.as_in_context(ctx).astype("int64", copy=False) if _is_ndarray(x) else array(x, ctx=ctx, dtype="int64")
        if x.shape != bshape:
            x = op.broadcast_to(x, shape=bshape)
        parts.append(x)
    return op.stack(*parts, axis=0)


def _plan(a: Any, key: Any) -> _Plan:
    entries = _expand(a, key)
    basic = tuple(None if kind == "none" else (v if kind == "slice" else slice(None)) for kind, v, _ in entries)
    from .indexing import _basic_view

    v = _basic_view(a, basic)
    adv = [i for i, (kind, _, _) in enumerate(entries) if kind == "array"]
    arrays = [entries[i][1] for i in adv]
    try:
        bshape = tuple(np.broadcast_shapes(*(tuple(x.shape) for x in arrays)))
    except ValueError:
        shapes = " ".join(str(tuple(x.shape)) for x in arrays)
        raise IndexError(
            f"shape mismatch: indexing arrays could not be broadcast together with shapes {shapes}"
        ) from None
    others = [i for i in range(len(entries)) if i not in adv]
    shape, strides = v.shape, v.strides()
    perm = adv + others
    view = v._view([shape[i] for i in perm], [strides[i] for i in perm], 0)
    adjacent = adv == list(range(adv[0], adv[-1] + 1))
    return _Plan(
        view,
        _index_tuples(arrays, bshape, a.context),
        bshape,
        tuple(shape[i] for i in others),
        adv[0] if adjacent else 0,
    )


def _front_to(n_front: int, at: int, ndim: int) -> list[int]:
    """Axes that move the first n_front axes of an ndim array to position at (after the next `at` axes)."""
    front = list(range(n_front))
    return list(range(n_front, n_front + at)) + front + list(range(n_front + at, ndim))


def advanced_getitem(a: Any, key: Any) -> Any:
    """``a[key]`` for a key with integer arrays or boolean masks: a new array (numpy's result shape)."""
    from . import op

    p = _plan(a, key)
    res = op.gather_nd(p.view, p.indices)
    if p.insert_at and p.bshape:
        res = op.transpose(res, axes=tuple(_front_to(len(p.bshape), p.insert_at, res.ndim)))
    return res


def advanced_setitem(a: Any, key: Any, value: Any) -> None:
    """``a[key] = value`` for a key with integer arrays or boolean masks.

    value broadcasts to the shape of ``a[key]`` and converts to ``a``'s dtype.

    With repeated indices the last value wins, as in numpy.
    """
    from . import op
    from .ndarray import array

    p = _plan(a, key)
    nb = len(p.bshape)
    target = p.rest[: p.insert_at] + p.bshape + p.rest[p.insert_at :]
    if _is_ndarray(value):
        val = value.as_in_context(a.context)
    else:
        val = array(value, ctx=a.context, dtype=a.dtype)
    vshape = tuple(val.shape)
    while len(vshape) > len(target) and vshape[0] == 1:  # numpy drops leading size-1 axes of the value
        vshape = vshape[1:]
    try:
        if np.broadcast_shapes(vshape, target) != target:
            raise ValueError
    except ValueError:
        raise ValueError(f"could not broadcast input array from shape {tuple(val.shape)} into shape {target}") from None
    full = (1,) * (len(target) - len(vshape)) + vshape
    if tuple(val.shape) != full:
        val = val.reshape(full)
    if p.insert_at and nb:
        # The scatter expects the index dimensions first, where the view has them.
        val = op.transpose(val, axes=tuple(_invert(_front_to(nb, p.insert_at, len(full)))))
    op._scatter_set_nd(p.view, val, p.indices, out=p.view)


def _invert(perm: list[int]) -> list[int]:
    inv = [0] * len(perm)
    for i, j in enumerate(perm):
        inv[j] = i
    return inv
