"""Zero-copy exchange with numpy, PyTorch and other frameworks through DLPack.

``np.from_dlpack(a)`` and ``torch.from_dlpack(a)`` view a braid array's memory (``NDArray.__dlpack__``), and
:func:`from_dlpack` views theirs::

    >>> import numpy as np, braid as mx
    >>> x = np.arange(4.0)
    >>> a = mx.nd.from_dlpack(x)
    >>> x[0] = 7.0
    >>> a.asnumpy()[0]
    7.0

Capsules follow the DLPack 0.x protocol: a ``PyCapsule`` named ``"dltensor"`` holding a ``DLManagedTensor*``;
the consumer renames it ``"used_dltensor"`` and becomes responsible for calling the tensor's deleter.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from .._lib import check, ffi, lib
from ..base import BraidValueError
from ..dtypes import bfloat16
from ._invoke import wrap
from .ndarray import NDArray, array

_c_int64_p = ctypes.POINTER(ctypes.c_int64)


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device", _DLDevice),
        ("ndim", ctypes.c_int32),
        ("dtype", _DLDataType),
        ("shape", _c_int64_p),
        ("strides", _c_int64_p),
        ("byte_offset", ctypes.c_uint64),
    ]


class _DLManagedTensor(ctypes.Structure):
    pass


_Deleter = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_DLManagedTensor._fields_ = [
    ("dl_tensor", _DLTensor),
    ("manager_ctx", ctypes.c_void_p),
    ("deleter", _Deleter),
]


class _DLManagedTensorVersioned(ctypes.Structure):
    _fields_ = [
        ("version_major", ctypes.c_uint32),
        ("version_minor", ctypes.c_uint32),
        ("manager_ctx", ctypes.c_void_p),
        ("deleter", _Deleter),
        ("flags", ctypes.c_uint64),
        ("dl_tensor", _DLTensor),
    ]


_FLAG_IS_COPIED = 2


def _capi(name: str, restype: Any, *argtypes: Any) -> Any:
    # Private prototypes: ctypes.pythonapi's shared function objects may be reconfigured by other libraries.
    return ctypes.PYFUNCTYPE(restype, *argtypes)((name, ctypes.pythonapi))


_capsule_new = _capi("PyCapsule_New", ctypes.py_object, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p)
_capsule_is_valid = _capi("PyCapsule_IsValid", ctypes.c_int, ctypes.py_object, ctypes.c_char_p)
_capsule_get_pointer = _capi("PyCapsule_GetPointer", ctypes.c_void_p, ctypes.py_object, ctypes.c_char_p)
_capsule_set_name = _capi("PyCapsule_SetName", ctypes.c_int, ctypes.py_object, ctypes.c_char_p)
# In a capsule destructor the capsule is already dying: pass it as a raw pointer, never as a new reference.
_raw_is_valid = _capi("PyCapsule_IsValid", ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p)
_raw_get_pointer = _capi("PyCapsule_GetPointer", ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p)
_incref = _capi("Py_IncRef", None, ctypes.py_object)

# Capsule names must outlive every capsule using them.
_NAME = ctypes.c_char_p(b"dltensor")
_USED_NAME = ctypes.c_char_p(b"used_dltensor")
_VERSIONED_NAME = ctypes.c_char_p(b"dltensor_versioned")


def _call_deleter(addr: int, struct: Any = _DLManagedTensor) -> None:
    mt = struct.from_address(addr)
    if mt.deleter:
        mt.deleter(addr)


def _capsule_destructor(capsule: int) -> None:
    # Still named "dltensor": no consumer took the tensor, so its deleter is ours to call.
    if _raw_is_valid(capsule, _NAME):
        _call_deleter(_raw_get_pointer(capsule, _NAME))


def _versioned_capsule_destructor(capsule: int) -> None:
    if _raw_is_valid(capsule, _VERSIONED_NAME):
        _call_deleter(_raw_get_pointer(capsule, _VERSIONED_NAME), _DLManagedTensorVersioned)


_CAPSULE_DESTRUCTOR = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(_capsule_destructor)
_VERSIONED_CAPSULE_DESTRUCTOR = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(_versioned_capsule_destructor)
# Capsules (kept alive e.g. as the base of a numpy array) may die after this module is torn down at exit: the
# callbacks and the names they point to must never be freed.
for _obj in (_CAPSULE_DESTRUCTOR, _VERSIONED_CAPSULE_DESTRUCTOR, _NAME, _USED_NAME, _VERSIONED_NAME):
    _incref(_obj)
del _obj
_CAPSULE_DESTRUCTOR_ADDR = ctypes.cast(_CAPSULE_DESTRUCTOR, ctypes.c_void_p).value
_VERSIONED_CAPSULE_DESTRUCTOR_ADDR = ctypes.cast(_VERSIONED_CAPSULE_DESTRUCTOR, ctypes.c_void_p).value


def to_dlpack(
    a: NDArray,
    *,
    max_version: tuple[int, int] | None = None,
    dl_device: tuple[int, int] | None = None,
    copy: bool | None = None,
) -> Any:
    """A DLPack capsule viewing ``a``'s memory, taken after its pending writes (and raising their errors).

    The memory stays valid until the consumer releases the tensor, even if ``a`` is deleted first. The
    keywords follow the array API's ``__dlpack__``: with ``max_version`` >= (1, 0) the capsule is a DLPack 1.0
    ``"dltensor_versioned"`` one (numpy 2 maps only those writable), otherwise a 0.x ``"dltensor"`` capsule;
    ``copy=True`` exports a copy; ``dl_device`` must be the array's own device.
    """
    if not isinstance(a, NDArray):
        raise TypeError(f"to_dlpack: expected an NDArray, got {type(a).__name__}")
    if dl_device is not None and tuple(dl_device) != a.__dlpack_device__():
        raise BufferError(
            f"to_dlpack: the array is on {a.context}; exporting it to DLPack device "
            f"{tuple(dl_device)} needs a copy with as_in_context first"
        )
    if copy:
        a = a.copy()
    versioned = max_version is not None and int(max_version[0]) >= 1
    p = ffi.new("void**")
    if versioned:
        check(lib.braid_array_to_dlpack_versioned(a._h, p))
    else:
        check(lib.braid_array_to_dlpack(a._h, p))
    addr = int(ffi.cast("uintptr_t", p[0]))
    struct = _DLManagedTensorVersioned if versioned else _DLManagedTensor
    try:
        if versioned:
            if copy:
                _DLManagedTensorVersioned.from_address(addr).flags |= _FLAG_IS_COPIED
            return _capsule_new(addr, _VERSIONED_NAME, _VERSIONED_CAPSULE_DESTRUCTOR_ADDR)
        return _capsule_new(addr, _NAME, _CAPSULE_DESTRUCTOR_ADDR)
    except BaseException:
        _call_deleter(addr, struct)
        raise


def _is_capsule(x: Any) -> bool:
    return type(x).__name__ == "PyCapsule"


def from_dlpack(x: Any) -> NDArray:
    """An NDArray sharing the memory of ``x``: an object with ``__dlpack__`` (numpy >= 1.22, PyTorch, JAX,
    CuPy, a braid NDArray) or a ``"dltensor"`` capsule, which is consumed.

    Writes through either side are visible on the other. The memory is released (the producer's deleter
    runs) when the last braid view of it dies; the source object may be deleted before that.
    """
    if hasattr(x, "__dlpack__") and not _is_capsule(x):
        capsule = x.__dlpack__()
    elif _is_capsule(x):
        capsule = x
    else:
        raise TypeError(f"from_dlpack: expected an object with __dlpack__ or a DLPack capsule, got {type(x).__name__}")
    if not _capsule_is_valid(capsule, _NAME):
        raise BraidValueError(
            "from_dlpack: the capsule is not a live DLPack tensor (not named 'dltensor'; "
            "a capsule can be consumed only once)"
        )
    addr = _capsule_get_pointer(capsule, _NAME)
    h = ffi.new("braid_array*")
    check(lib.braid_array_from_dlpack(ffi.cast("void*", addr), h))
    _capsule_set_name(capsule, _USED_NAME)
    return wrap(h[0])


# ---- from_numpy -------------------------------------------------------------------------------------------

_DL_CODES = {"f": 2, "i": 0, "u": 1, "b": 6}
# Tensors braid imports from numpy arrays that numpy itself cannot export, keyed by their address: each entry
# keeps the numpy array and the shape/strides buffers alive until braid calls the deleter.
_exports: dict[int, tuple[Any, ...]] = {}


def _release_export(addr: int) -> None:
    _exports.pop(addr, None)


_EXPORT_DELETER = _Deleter(_release_export)
_incref(_EXPORT_DELETER)


def _dl_dtype(dt: np.dtype) -> _DLDataType:
    if dt == bfloat16:
        return _DLDataType(4, 16, 1)
    if dt.kind not in _DL_CODES or not dt.isnative:
        raise TypeError(f"from_numpy: dtype {dt} is not supported by braid")
    return _DLDataType(_DL_CODES[dt.kind], dt.itemsize * 8, 1)


def _wrap_numpy(x: np.ndarray) -> NDArray:
    """Builds the DLPack tensor for x here: numpy exports neither read-only arrays nor braid.bfloat16."""
    item = x.itemsize
    if any(s % item for s in x.strides):
        raise ValueError(
            f"from_numpy: strides {x.strides} are not multiples of the item size {item}; use zero_copy=False"
        )
    shape = (ctypes.c_int64 * x.ndim)(*x.shape)
    strides = (ctypes.c_int64 * x.ndim)(*(s // item for s in x.strides))
    mt = _DLManagedTensor()
    mt.dl_tensor.data = x.ctypes.data
    mt.dl_tensor.device = _DLDevice(1, 0)
    mt.dl_tensor.ndim = x.ndim
    mt.dl_tensor.dtype = _dl_dtype(x.dtype)
    mt.dl_tensor.shape = ctypes.cast(shape, _c_int64_p)
    mt.dl_tensor.strides = ctypes.cast(strides, _c_int64_p)
    mt.deleter = _EXPORT_DELETER
    addr = ctypes.addressof(mt)
    _exports[addr] = (mt, shape, strides, x)
    h = ffi.new("braid_array*")
    rc = lib.braid_array_from_dlpack(ffi.cast("void*", addr), h)
    if rc:
        _exports.pop(addr, None)
        check(rc)
    return wrap(h[0])


def from_numpy(ndarray: np.ndarray, zero_copy: bool = True) -> NDArray:
    """An NDArray with the contents of a numpy array (MXNet's ``nd.from_numpy``).

    With ``zero_copy`` (the default) the NDArray uses the numpy array's memory, and the numpy array is made
    read-only: braid's ops run asynchronously, so writes through numpy could race with them. Otherwise the
    data is copied. :data:`braid.bfloat16` arrays become bfloat16 NDArrays.
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(ndarray).__name__}")
    if not zero_copy:
        if ndarray.dtype == bfloat16:
            return _wrap_numpy(np.array(ndarray, copy=True))
        return array(ndarray, dtype=ndarray.dtype)
    _dl_dtype(ndarray.dtype)  # reject unsupported dtypes with braid's message
    capsule = None
    if ndarray.flags.writeable and ndarray.dtype != bfloat16 and hasattr(ndarray, "__dlpack__"):
        # Prefer numpy's own export: its deleter is safe to run at any time, even while Python shuts down.
        try:
            capsule = ndarray.__dlpack__()
        except (BufferError, TypeError, ValueError):
            capsule = None  # e.g. bool before numpy 1.25
    out = from_dlpack(capsule) if capsule is not None else _wrap_numpy(ndarray)
    ndarray.flags.writeable = False
    return out
