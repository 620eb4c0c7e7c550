"""Testing helpers (MXNet's ``mx.test_utils``): tolerant comparisons, random arrays, the default context."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .context import Context, current_context
from .ndarray import NDArray
from .ndarray import array as _array

__all__ = [
    "assert_almost_equal",
    "almost_equal",
    "assert_allclose",
    "same",
    "rand_ndarray",
    "rand_shape_2d",
    "rand_shape_3d",
    "rand_shape_nd",
    "random_arrays",
    "default_context",
    "set_default_context",
    "default_device",
    "set_default_device",
    "default_dtype",
    "get_rtol",
    "get_atol",
    "assert_exception",
]

_DEFAULT_RTOLS = {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-5}
_DEFAULT_ATOLS = {np.dtype(np.float16): 1e-1, np.dtype(np.float32): 1e-3, np.dtype(np.float64): 1e-20}


def default_context() -> Context:
    """The context tests run on (the current default context, cpu(0) unless set)."""
    return current_context()


def set_default_context(ctx: Context) -> None:
    """Sets the default context of this thread (what arrays are created on when no ctx is given)."""
    if not isinstance(ctx, Context):
        raise TypeError(f"set_default_context: expected a Context, got {type(ctx).__name__}")
    Context._local.value = ctx


default_device = default_context
set_default_device = set_default_context


def default_dtype() -> Any:
    """The default floating-point type (float32)."""
    return np.float32


def get_rtol(rtol: float | None = None, dtype: Any = np.float32) -> float:
    """rtol, or the default relative tolerance of dtype (float16 1e-2, float32 1e-4, float64 1e-5)."""
    return _DEFAULT_RTOLS.get(np.dtype(dtype), 0.0) if rtol is None else rtol


def get_atol(atol: float | None = None, dtype: Any = np.float32) -> float:
    """atol, or the default absolute tolerance of dtype (float16 1e-1, float32 1e-3, float64 1e-20)."""
    return _DEFAULT_ATOLS.get(np.dtype(dtype), 0.0) if atol is None else atol


def _as_np(x: Any) -> np.ndarray:
    if isinstance(x, NDArray):
        return x.asnumpy()
    return np.asarray(x)


def _tols(a: np.ndarray, b: np.ndarray, rtol: float | None, atol: float | None) -> tuple[float, float]:
    # The looser default of the two dtypes (comparing float16 against float64 uses float16's tolerance).
    def loosest(table: dict, x: np.ndarray, y: np.ndarray) -> float:
        vals = [table.get(np.dtype(d), 0.0) for d in (x.dtype, y.dtype) if np.issubdtype(d, np.floating)]
        return max(vals) if vals else 0.0

    return (
        loosest(_DEFAULT_RTOLS, a, b) if rtol is None else rtol,
        loosest(_DEFAULT_ATOLS, a, b) if atol is None else atol,
    )


def almost_equal(a: Any, b: Any, rtol: float | None = None, atol: float | None = None, equal_nan: bool = False) -> bool:
    """Whether ``|a - b| <= atol + rtol * |b|`` everywhere (NDArrays, numpy arrays or scalars)."""
    a_, b_ = _as_np(a), _as_np(b)
    rtol, atol = _tols(a_, b_, rtol, atol)
    try:
        return bool(np.allclose(a_, b_, rtol=rtol, atol=atol, equal_nan=equal_nan))
    except ValueError:
        return False


def assert_almost_equal(
    a: Any,
    b: Any,
    rtol: float | None = None,
    atol: float | None = None,
    names: Sequence[str] = ("a", "b"),
    equal_nan: bool = False,
    use_broadcast: bool = True,
    mismatches: tuple[int, int] = (10, 10),
) -> None:
    """Asserts ``|a - b| <= atol + rtol * |b|`` elementwise; the message shows the worst element and up to
    mismatches[0] differing positions.

    Default tolerances depend on the dtypes (float32: rtol 1e-4, atol 1e-3; float64: 1e-5, 1e-20; float16:
    1e-2, 1e-1). With use_broadcast=False the shapes must be equal.
    """
    a_, b_ = _as_np(a), _as_np(b)
    rtol, atol = _tols(a_, b_, rtol, atol)
    if not use_broadcast and a_.shape != b_.shape:
        raise AssertionError(f"shape mismatch: {names[0]} {a_.shape} vs {names[1]} {b_.shape}")
    try:
        af, bf = np.broadcast_arrays(a_.astype(np.float64, copy=False), b_.astype(np.float64, copy=False))
    except ValueError:
        raise AssertionError(f"shapes do not broadcast: {names[0]} {a_.shape} vs {names[1]} {b_.shape}") from None
    if np.allclose(af, bf, rtol=rtol, atol=atol, equal_nan=equal_nan):
        return
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = np.abs(af - bf)
        bad = ~np.isclose(af, bf, rtol=rtol, atol=atol, equal_nan=equal_nan)
        rel = np.where(bad, diff / (atol + rtol * np.abs(bf)), 0.0)
    rel = np.nan_to_num(rel, nan=np.inf)
    idx = np.unravel_index(int(np.argmax(rel)), rel.shape) if rel.ndim else ()
    positions = np.argwhere(bad)[: mismatches[0]]
    lines = [
        f"Items are not equal (rtol={rtol}, atol={atol}): {int(bad.sum())} of {bad.size} elements differ.",
        f"Worst at {tuple(int(i) for i in idx)}: {names[0]}={float(af[idx])}, {names[1]}={float(bf[idx])} "
        f"(error {rel[idx]:.3g} times the tolerance).",
        "First differing positions: "
        + ", ".join(f"{tuple(int(i) for i in p)}: {float(af[tuple(p)])} vs {float(bf[tuple(p)])}" for p in positions),
    ]
    if a_.size <= 64:
        lines += [f" {names[0]}: {a_!r}", f" {names[1]}: {b_!r}"]
    raise AssertionError("\n".join(lines))


def assert_allclose(a: Any, b: Any, rtol: float = 1e-7, atol: float = 0.0, equal_nan: bool = True) -> None:
    """numpy.testing.assert_allclose on NDArrays or arrays."""
    np.testing.assert_allclose(_as_np(a), _as_np(b), rtol=rtol, atol=atol, equal_nan=equal_nan)


def same(a: Any, b: Any) -> bool:
    """Whether a and b are exactly equal (same shape and values)."""
    return bool(np.array_equal(_as_np(a), _as_np(b)))


def random_arrays(*shapes: Any) -> Any:
    """Standard-normal numpy arrays (float32) of the given shapes; one array for one shape."""
    arrays = [np.array(np.random.randn(), dtype=np.float32) if s == () else np.random.randn(*s).astype(np.float32)
              for s in shapes]  # fmt: skip
    return arrays[0] if len(arrays) == 1 else arrays


def rand_ndarray(
    shape: Sequence[int],
    stype: str = "default",
    density: float | None = None,
    dtype: Any = None,
    modifier_func: Callable | None = None,
    shuffle_csr_indices: bool = False,
    distribution: str | None = None,
    ctx: Context | None = None,
) -> NDArray:
    """A random NDArray of shape (standard normal values, float32 unless dtype is given), on ctx.

    Only dense storage exists in braid: stype other than 'default' raises NotImplementedError. density < 1
    zeroes a random fraction of the elements.
    """
    if stype != "default":
        raise NotImplementedError(f"rand_ndarray: storage type {stype!r} is not supported by braid (dense only)")
    host = np.asarray(random_arrays(tuple(shape)))
    if density is not None:
        host = host * (np.random.rand(*host.shape) < density)
    if modifier_func is not None:
        host = np.vectorize(modifier_func)(host)
    return _array(host, ctx=ctx, dtype=dtype if dtype is not None else np.float32)


def rand_shape_2d(dim0: int = 10, dim1: int = 10, allow_zero_size: bool = False) -> tuple[int, int]:
    low = 0 if allow_zero_size else 1
    return int(np.random.randint(low, dim0 + 1)), int(np.random.randint(low, dim1 + 1))


def rand_shape_3d(dim0: int = 10, dim1: int = 10, dim2: int = 10, allow_zero_size: bool = False) -> tuple[int, ...]:
    low = 0 if allow_zero_size else 1
    return tuple(int(np.random.randint(low, d + 1)) for d in (dim0, dim1, dim2))


def rand_shape_nd(num_dim: int, dim: int = 10, allow_zero_size: bool = False) -> tuple[int, ...]:
    low = 0 if allow_zero_size else 1
    return tuple(int(i) for i in np.random.randint(low, dim + 1, size=num_dim))


def assert_exception(f: Callable, exception_type: type, *args: Any, **kwargs: Any) -> None:
    """Asserts that f(*args, **kwargs) raises exception_type."""
    try:
        f(*args, **kwargs)
    except exception_type:
        return
    raise AssertionError(f"{getattr(f, '__name__', f)} did not raise {exception_type.__name__}")
