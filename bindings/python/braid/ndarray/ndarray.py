"""The imperative n-dimensional array.

Operations on NDArrays are asynchronous: each call schedules work on braid's dependency engine and returns at
once. Reading data back (``asnumpy``, ``asscalar``, ``wait_to_read``) or ``braid.waitall()`` synchronises, and
raises any error that an earlier asynchronous op stored on the array.
"""

from __future__ import annotations

from typing import Any, Iterator, Sequence

import numpy as np

from .._lib import check, ffi, lib
from ..context import Context, current_context
from ..dtypes import dtype_code, dtype_name, np_dtype
from ._invoke import invoke, invoke2, invoke_scalar, set_factory, wrap

_ops: dict[str, Any] = {}  # op name -> handle, filled by braid.ndarray at import


def _op(name: str) -> Any:
    return _ops[name]


class NDArray:
    """An n-dimensional array on a device, scheduled by braid's dependency engine.

    Create one with :func:`braid.nd.array`, :func:`braid.nd.zeros` and friends. Arithmetic follows numpy
    broadcasting; comparisons return 0/1 in the operands' dtype, as in MXNet.
    """

    __slots__ = ("_h", "_shape", "_dtype", "__weakref__")
    __array_priority__ = 1000.0  # numpy defers to our reflected operators

    # ---- metadata -------------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """The array's dimensions."""
        s = self._shape
        if s is None:
            nd = ffi.new("int32_t*")
            p = ffi.new("int64_t**")
            check(lib.braid_array_get_shape(self._h, nd, p))
            s = self._shape = tuple(ffi.unpack(p[0], nd[0])) if nd[0] else ()
        return s

    @property
    def dtype(self) -> Any:
        """The element type as a numpy type (``numpy.float32`` ...), or ``braid.bfloat16``."""
        return np_dtype(self._dtype_code())

    def _dtype_code(self) -> int:
        d = self._dtype
        if d is None:
            p = ffi.new("int32_t*")
            check(lib.braid_array_get_dtype(self._h, p))
            d = self._dtype = p[0]
        return d

    @property
    def _fresh_grad(self) -> bool:
        """Whether backward wrote this array's gradient since the flag was last cleared (MXNet's
        ``_fresh_grad``; the Trainer uses it to detect stale gradients)."""
        p = ffi.new("int32_t*")
        check(lib.braid_array_grad_fresh(self._h, -1, p))
        return bool(p[0])

    @_fresh_grad.setter
    def _fresh_grad(self, value: bool) -> None:
        check(lib.braid_array_grad_fresh(self._h, int(bool(value)), ffi.NULL))

    @property
    def context(self) -> Context:
        """The device the array lives on."""
        t, i = ffi.new("int32_t*"), ffi.new("int32_t*")
        check(lib.braid_array_get_context(self._h, t, i))
        return Context("cpu" if t[0] == 1 else "gpu", i[0])

    ctx = context
    device = context

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def T(self) -> NDArray:
        """The transpose (axes reversed), as a copy."""
        return self.transpose()

    def strides(self) -> tuple[int, ...]:
        """Strides in elements (views may be non-contiguous)."""
        p = ffi.new("int64_t**")
        check(lib.braid_array_get_strides(self._h, p))
        return tuple(ffi.unpack(p[0], self.ndim)) if self.ndim else ()

    def is_contiguous(self) -> bool:
        p = ffi.new("int32_t*")
        check(lib.braid_array_is_contiguous(self._h, p))
        return bool(p[0])

    # ---- synchronisation and host access ----------------------------------------------------------------
    def wait_to_read(self) -> None:
        """Blocks until pending writes to this array finish; raises their errors."""
        check(lib.braid_array_wait_to_read(self._h))

    def wait_to_write(self) -> None:
        """Blocks until every pending read and write of this array finishes."""
        check(lib.braid_array_wait_to_write(self._h))

    def asnumpy(self) -> np.ndarray:
        """A numpy copy of the data (waits for pending writes). bfloat16 arrays come back as float32."""
        code = self._dtype_code()
        if code == 12:
            raw = np.empty(self.shape, dtype=np.uint16)
            check(lib.braid_array_copy_to_host(self._h, ffi.from_buffer(raw), raw.nbytes))
            return (raw.astype(np.uint32) << 16).view(np.float32)
        a = np.empty(self.shape, dtype=np_dtype(code))
        check(lib.braid_array_copy_to_host(self._h, ffi.from_buffer(a), a.nbytes))
        return a

    def asscalar(self) -> Any:
        """The single element of a size-1 array as a Python scalar."""
        if self.size != 1:
            raise ValueError(f"asscalar: the array has {self.size} elements, expected 1 (shape {self.shape})")
        return self.asnumpy().reshape(()).item()

    item = asscalar

    def tolist(self) -> Any:
        return self.asnumpy().tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        a = self.asnumpy()
        return a if dtype is None else a.astype(dtype)

    # ---- copies, devices, dtypes ----------------------------------------------------------------------
    def copyto(self, other: NDArray | Context) -> NDArray:
        """Copies into another array (same shape) or onto a device; returns the destination."""
        if isinstance(other, Context):
            h = ffi.new("braid_array*")
            check(lib.braid_array_copy_to_device(self._h, other.device_typeid, other.device_id, h))
            return wrap(h[0])
        if isinstance(other, NDArray):
            if other.shape != self.shape:
                raise ValueError(f"copyto: shapes differ: source {self.shape}, destination {other.shape}")
            if other.context != self.context:
                tmp = self.copyto(other.context)
                check(lib.braid_array_assign(other._h, tmp._h))
            else:
                check(lib.braid_array_assign(other._h, self._h))
            return other
        raise TypeError(f"copyto: expected an NDArray or a Context, got {type(other).__name__}")

    def as_in_context(self, ctx: Context) -> NDArray:
        """This array if it is on ctx, else a copy on ctx."""
        return self if self.context == ctx else self.copyto(ctx)

    as_in_ctx = as_in_context
    to_device = as_in_context

    def copy(self) -> NDArray:
        """A contiguous copy on the same device."""
        return invoke(_op("_copy"), (self,))

    def astype(self, dtype: Any, copy: bool = True) -> NDArray:
        """The array converted to dtype (self when copy=False and the dtype already matches)."""
        code = dtype_code(dtype)
        if not copy and code == self._dtype_code():
            return self
        from . import op

        return op.cast(self, dtype=dtype_name(code))

    # ---- autograd ---------------------------------------------------------------------------------------
    def attach_grad(self, grad_req: str = "write", stype: Any = None) -> None:
        """Marks this array as a gradient leaf: after ``backward`` its gradient is in ``self.grad``."""
        from ..autograd import attach_grad

        attach_grad(self, grad_req)

    @property
    def grad(self) -> NDArray | None:
        """The gradient buffer attached by ``attach_grad`` (None when there is none)."""
        h = ffi.new("braid_array*")
        check(lib.braid_array_get_grad(self._h, h))
        return None if h[0] == ffi.NULL else wrap(h[0])

    def backward(self, out_grad: NDArray | None = None, retain_graph: bool = False, train_mode: bool = True) -> None:
        """Backpropagates from this array (recorded inside ``autograd.record()``) into attached leaves."""
        from ..autograd import backward

        backward([self], None if out_grad is None else [out_grad], retain_graph, train_mode)

    def detach(self) -> NDArray:
        """The same data without autograd history: gradients stop here."""
        h = ffi.new("braid_array*")
        check(lib.braid_array_detach(self._h, h))
        return wrap(h[0])

    # ---- views ----------------------------------------------------------------------------------------
    def reshape(self, *shape: Any, reverse: bool = False, **kwargs: Any) -> NDArray:
        """Reshapes; a view sharing memory when the array is contiguous. Accepts MXNet's special values
        (0 copies a dimension, -1 infers one, -2/-3/-4 as in MXNet) and ``reshape(2, 3)`` or
        ``reshape((2, 3))``."""
        if "shape" in kwargs:
            shape = (kwargs.pop("shape"),)
        if kwargs:
            raise TypeError(f"reshape: unexpected arguments {sorted(kwargs)}")
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        from ..autograd import is_recording
        from . import op

        if self.is_contiguous() and not reverse and not is_recording():  # views are invisible to autograd
            h = ffi.new("braid_array*")
            check(lib.braid_array_reshape_view(self._h, ffi.new("int64_t[]", [int(s) for s in shape]), len(shape), h))
            return wrap(h[0])
        return op.reshape(self, shape=tuple(shape), reverse=reverse)

    def _view(self, shape: Sequence[int], strides: Sequence[int], offset: int) -> NDArray:
        h = ffi.new("braid_array*")
        check(
            lib.braid_array_view(
                self._h,
                ffi.new("int64_t[]", list(shape)),
                ffi.new("int64_t[]", list(strides)),
                len(shape),
                offset,
                h,
            )
        )
        return wrap(h[0])

    def __getitem__(self, key: Any) -> NDArray:
        from .indexing import getitem

        return getitem(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        from .indexing import setitem

        setitem(self, key, value)

    # ---- Python protocol --------------------------------------------------------------------------------
    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d array")
        return self.shape[0]

    def __iter__(self) -> Iterator[NDArray]:
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        if self.size != 1:
            raise ValueError(
                f"the truth value of an array with {self.size} elements is ambiguous; use .asnumpy().any() or .all()"
            )
        return bool(self.asscalar())

    def __float__(self) -> float:
        return float(self.asscalar())

    def __int__(self) -> int:
        return int(self.asscalar())

    def __index__(self) -> int:
        if self._dtype_code() not in (3, 4, 5, 6):
            raise TypeError("only integer arrays can be used as an index")
        return int(self.asscalar())

    def __repr__(self) -> str:
        shape = "x".join(str(d) for d in self.shape) or "scalar"
        try:
            body = str(self.asnumpy())
        except Exception as e:  # noqa: BLE001 - show the stored async error instead of failing repr
            body = f"<error: {e}>"
        return f"\n{body}\n<NDArray {shape} @{self.context}>"

    def __reduce__(self) -> Any:
        return (
            _from_pickle,
            (self.asnumpy(), self._dtype_code(), str(self.context.device_type), self.context.device_id),
        )

    __hash__ = object.__hash__

    # ---- arithmetic ---------------------------------------------------------------------------------------
    def __add__(self, o: Any) -> Any:
        if type(o) is NDArray:  # the hot path of eager code, kept one call deep
            return invoke2(_ops["broadcast_add"], self, o)
        return _binary(self, o, "broadcast_add", "_plus_scalar")

    def __radd__(self, o: Any) -> Any:
        return _binary(self, o, "broadcast_add", "_plus_scalar")

    def __sub__(self, o: Any) -> Any:
        return _binary(self, o, "broadcast_sub", "_minus_scalar")

    def __rsub__(self, o: Any) -> Any:
        return _rbinary(self, o, "broadcast_sub", "_rminus_scalar")

    def __mul__(self, o: Any) -> Any:
        if type(o) is NDArray:
            return invoke2(_ops["broadcast_mul"], self, o)
        return _binary(self, o, "broadcast_mul", "_mul_scalar")

    def __rmul__(self, o: Any) -> Any:
        return _binary(self, o, "broadcast_mul", "_mul_scalar")

    def __truediv__(self, o: Any) -> Any:
        return _binary(self, o, "broadcast_div", "_div_scalar")

    def __rtruediv__(self, o: Any) -> Any:
        return _rbinary(self, o, "broadcast_div", "_rdiv_scalar")

    def __mod__(self, o: Any) -> Any:
        return _binary(self, o, "broadcast_mod", "_mod_scalar")

    def __rmod__(self, o: Any) -> Any:
        return _rbinary(self, o, "broadcast_mod", "_rmod_scalar")

    def __pow__(self, o: Any) -> Any:
        return _binary(self, o, "broadcast_power", "_power_scalar")

    def __rpow__(self, o: Any) -> Any:
        return _rbinary(self, o, "broadcast_power", "_rpower_scalar")

    def __matmul__(self, o: Any) -> Any:
        from . import op

        return op.matmul(self, o)

    def __eq__(self, o: Any) -> Any:  # type: ignore[override]
        if o is None:
            return False
        return _binary(self, o, "broadcast_equal", "_equal_scalar")

    def __ne__(self, o: Any) -> Any:  # type: ignore[override]
        if o is None:
            return True
        return _binary(self, o, "broadcast_not_equal", "_not_equal_scalar")

    def __gt__(self, o: Any) -> Any:
        return _binary(self, o, "broadcast_greater", "_greater_scalar")

    def __ge__(self, o: Any) -> Any:
        return _binary(self, o, "broadcast_greater_equal", "_greater_equal_scalar")

    def __lt__(self, o: Any) -> Any:
        return _binary(self, o, "broadcast_lesser", "_lesser_scalar")

    def __le__(self, o: Any) -> Any:
        return _binary(self, o, "broadcast_lesser_equal", "_lesser_equal_scalar")

    def __neg__(self) -> NDArray:
        return invoke(_op("negative"), (self,))

    def __pos__(self) -> NDArray:
        return self

    def __abs__(self) -> NDArray:
        return invoke(_op("abs"), (self,))

    def __iadd__(self, o: Any) -> NDArray:
        return _inplace(self, o, "broadcast_add", "_plus_scalar")

    def __isub__(self, o: Any) -> NDArray:
        return _inplace(self, o, "broadcast_sub", "_minus_scalar")

    def __imul__(self, o: Any) -> NDArray:
        return _inplace(self, o, "broadcast_mul", "_mul_scalar")

    def __itruediv__(self, o: Any) -> NDArray:
        return _inplace(self, o, "broadcast_div", "_div_scalar")

    def __imod__(self, o: Any) -> NDArray:
        return _inplace(self, o, "broadcast_mod", "_mod_scalar")

    # ---- DLPack ---------------------------------------------------------------------------------------
    def __dlpack__(self, stream: Any = None, max_version: Any = None, dl_device: Any = None, copy: Any = None) -> Any:
        from .dlpack import to_dlpack

        return to_dlpack(self, max_version=max_version, dl_device=dl_device, copy=copy)

    def __dlpack_device__(self) -> tuple[int, int]:
        ctx = self.context
        return (1, 0) if ctx.device_type == "cpu" else (2, ctx.device_id)

    def to_dlpack_for_read(self) -> Any:
        """A DLPack capsule viewing this array's memory (after its pending writes)."""
        from .dlpack import to_dlpack

        return to_dlpack(self)

    to_dlpack_for_write = to_dlpack_for_read


_new = object.__new__


def _new_ndarray(h: Any) -> NDArray:
    a = _new(NDArray)
    a._h = h
    a._shape = None
    a._dtype = None
    return a


set_factory(_new_ndarray)


def _from_pickle(data: np.ndarray, code: int, dev_type: str, dev_id: int) -> NDArray:
    return array(data, ctx=Context(dev_type, dev_id), dtype=dtype_name(code))


_SCALARS = (int, float, bool, np.number, np.bool_)


def _binary(a: NDArray, o: Any, op_name: str, scalar_op: str) -> Any:
    if type(o) is NDArray:
        return invoke2(_ops[op_name], a, o)
    if isinstance(o, _SCALARS):
        return invoke_scalar(_ops[scalar_op], a, float(o))
    if isinstance(o, (np.ndarray, list, tuple)):
        return invoke(_ops[op_name], (a, array(o, ctx=a.context, dtype=a.dtype)))
    return NotImplemented


def _rbinary(a: NDArray, o: Any, op_name: str, scalar_op: str) -> Any:
    if isinstance(o, _SCALARS):
        return invoke_scalar(_ops[scalar_op], a, float(o))
    if isinstance(o, (np.ndarray, list, tuple)):
        return invoke(_ops[op_name], (array(o, ctx=a.context, dtype=a.dtype), a))
    return NotImplemented


def _scalar_attr(value: float) -> Any:
    attr = ffi.new("braid_attr*")
    attr.index = 0
    attr.kind = 2
    attr.f = value
    return attr


def _scalar_call(a: NDArray, value: float, scalar_op: str, out: Any = None) -> NDArray:
    return invoke(_ops[scalar_op], (a,), _scalar_attr(value), 1, out)


def _inplace(a: NDArray, o: Any, op_name: str, scalar_op: str) -> NDArray:
    if type(o) is NDArray:
        invoke(_ops[op_name], (a, o), out=a)
    elif isinstance(o, _SCALARS):
        _scalar_call(a, float(o), scalar_op, out=a)
    else:
        invoke(_ops[op_name], (a, array(o, ctx=a.context, dtype=a.dtype)), out=a)
    return a


# ---- creation from host data --------------------------------------------------------------------------------


def empty(shape: int | Sequence[int], ctx: Context | None = None, dtype: Any = "float32") -> NDArray:
    """An uninitialised array (memory from the device's pool)."""
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    c = ctx if ctx is not None else current_context()
    h = ffi.new("braid_array*")
    check(
        lib.braid_array_create(
            ffi.new("int64_t[]", list(shape)),
            len(shape),
            dtype_code(dtype if dtype is not None else "float32"),
            c.device_typeid,
            c.device_id,
            h,
        )
    )
    return wrap(h[0])


def array(source: Any, ctx: Context | None = None, dtype: Any = None) -> NDArray:
    """An array holding a copy of source (an NDArray, numpy array, list or scalar).

    dtype defaults to source's dtype for arrays and to float32 otherwise (MXNet's rule).
    """
    if isinstance(source, NDArray):
        out = source.as_in_context(ctx) if ctx is not None else source.copy()
        if dtype is not None and dtype_code(dtype) != out._dtype_code():
            out = out.astype(dtype)
        elif out is source:
            out = source.copy()
        return out
    if dtype is None:
        dtype = source.dtype if isinstance(source, np.ndarray) else np.float32
    code = dtype_code(dtype)
    if code == 12:
        f = np.asarray(source, dtype=np.float32, order="C")
        from ..dtypes import float32_to_bfloat16_bits

        host = float32_to_bfloat16_bits(f)
    else:
        host = np.asarray(source, dtype=np_dtype(code), order="C")
    a = empty(host.shape, ctx=ctx, dtype=dtype_name(code))
    if host.nbytes:
        check(lib.braid_array_copy_from_host(a._h, ffi.from_buffer(host), host.nbytes))
    return a


def waitall() -> None:
    """Blocks until every scheduled op has finished; raises the first error not yet reported (once)."""
    check(lib.braid_waitall())


def _coerce_inputs(ins: tuple, op_name: str) -> tuple:
    """Turns numpy arrays, lists and scalars among op inputs into NDArrays on the first NDArray's device."""
    for x in ins:
        if type(x) is not NDArray:
            break
    else:
        return ins
    ctx = next((x.context for x in ins if isinstance(x, NDArray)), None)
    out = []
    for i, x in enumerate(ins):
        if isinstance(x, NDArray):
            out.append(x)
        elif isinstance(x, (np.ndarray, list, tuple, int, float, np.number)):
            out.append(array(x, ctx=ctx))
        elif x is None:
            raise TypeError(f"{op_name}: input {i} is missing (None)")
        else:
            raise TypeError(f"{op_name}: input {i} must be an NDArray, got {type(x).__name__}")
    return tuple(out)
