"""Calling registered ops through the C ABI. Kept lean: this is the eager dispatch hot path."""

from __future__ import annotations

import threading
from typing import Any, Sequence

from .._lib import ffi, lib
from ..base import error_from_status
from ..context import current_context

_MAX_OUT = 4096  # split(num_outputs=...) may return many arrays; the buffer is allocated once per thread
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


_free = lib.braid_array_free
_factory: Any = None  # set by ndarray.py: builds an NDArray around an owned handle


def set_factory(f: Any) -> None:
    global _factory
    _factory = f


def wrap(h: Any) -> Any:
    """A new NDArray owning the handle h (freed when the NDArray dies)."""
    return _factory(ffi.gc(h, _free))


def invoke(
    op: Any, inputs: Sequence[Any], attrs: Any = ffi.NULL, nattrs: int = 0, out: Any = None, ctx: Any = None
) -> Any:
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
        rc = lib.braid_op_invoke(op, 0, ins, nattrs, attrs, c.device_typeid, c.device_id, _MAX_OUT, b.nout, b.outs)
    else:
        rc = lib.braid_op_invoke(op, n, ins, nattrs, attrs, 1, 0, _MAX_OUT, b.nout, b.outs)
    if rc:
        raise_last(rc)
    nout = b.nout[0]
    if nout == 1:
        return _factory(ffi.gc(b.outs[0], _free))
    return [wrap(b.outs[i]) for i in range(nout)]


# Fast paths for Python operators (a + b, a * 2): two dedicated C entry points with few arguments, a reused
# output slot, no sequence handling.
_call2 = lib.braid_op_call
_call_scalar = lib.braid_op_call_scalar
_gc = ffi.gc


def invoke2(op: Any, a: Any, b: Any) -> Any:
    """op(a, b) for an op with no attributes and one output."""
    try:
        outs = _tls.buf.outs
    except AttributeError:
        outs = buffers().outs
    rc = _call2(op, a._h, b._h, outs)
    if rc:
        raise_last(rc)
    return _factory(_gc(outs[0], _free))


def invoke_scalar(op: Any, a: Any, value: float) -> Any:
    """op(a, scalar=value) for the _*_scalar ops."""
    try:
        outs = _tls.buf.outs
    except AttributeError:
        outs = buffers().outs
    rc = _call_scalar(op, a._h, value, outs)
    if rc:
        raise_last(rc)
    return _factory(_gc(outs[0], _free))
