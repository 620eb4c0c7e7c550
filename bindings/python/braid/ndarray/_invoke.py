"""Calling registered ops through the C ABI. Kept lean: this is the eager dispatch hot path."""

from __future__ import annotations

import threading
from typing import Any, Sequence

from .._lib import ffi, lib
from ..base import error_from_status
from ..context import current_context

_MAX_OUT = 16
_tls = threading.local()


class _Buffers:
    __slots__ = ("ins", "outs", "nout", "cap")

    def __init__(self) -> None:
        self.cap = 8
        self.ins = ffi.new("braid_array[]", self.cap)
        self.outs = ffi.new("braid_array[]", _MAX_OUT)
        self.nout = ffi.new("int32_t*")


def buffers() -> _Buffers:
    # cffi releases the GIL during calls, so each thread needs its own argument buffers.
    try:
        return _tls.buf
    except AttributeError:
        _tls.buf = b = _Buffers()
        return b


def raise_last(rc: int) -> None:
    raise error_from_status(rc, ffi.string(lib.braid_get_last_error()).decode("utf-8", "replace"))


def wrap(h: Any) -> Any:
    """A new NDArray owning the handle h."""
    from .ndarray import _new_ndarray

    return _new_ndarray(ffi.gc(h, lib.braid_array_free))


def invoke(op: Any, inputs: Sequence[Any], attrs: Any = ffi.NULL, nattrs: int = 0, out: Any = None,
           ctx: Any = None) -> Any:
    """Runs op on NDArray inputs with packed attributes; returns one NDArray, a list of them, or out."""
    b = buffers()
    n = len(inputs)
    if n > b.cap:
        b.cap = n
        b.ins = ffi.new("braid_array[]", n)
    ins = b.ins
    for i in range(n):
        ins[i] = inputs[i]._h
    if out is not None:
        outs = out if isinstance(out, (list, tuple)) else (out,)
        oh = ffi.new("braid_array[]", [o._h for o in outs])
        rc = lib.braid_op_invoke_into(op, n, ins, nattrs, attrs, len(outs), oh)
        if rc:
            raise_last(rc)
        return out
    if n == 0:
        c = ctx if ctx is not None else current_context()
        rc = lib.braid_op_invoke(op, 0, ins, nattrs, attrs, c.device_typeid, c.device_id, _MAX_OUT, b.nout,
                                 b.outs)
    else:
        rc = lib.braid_op_invoke(op, n, ins, nattrs, attrs, 1, 0, _MAX_OUT, b.nout, b.outs)
    if rc:
        raise_last(rc)
    nout = b.nout[0]
    if nout == 1:
        return wrap(b.outs[0])
    return [wrap(b.outs[i]) for i in range(nout)]
