"""Random sampling, MXNet style: ``braid.nd.random.uniform``, ``normal`` and ``randint``.

Each device draws from its own counter-based (Philox) stream, seeded with ``braid.random.seed``; a seed gives
the same numbers whatever the number of threads. These functions wrap the registry ops ``random_uniform``,
``random_normal`` and ``random_randint`` with MXNet's argument conventions.
"""

from __future__ import annotations

from typing import Any, Sequence, Union

from ..context import Context
from . import op
from .ndarray import NDArray

__all__ = ["uniform", "normal", "randint"]

ShapeLike = Union[int, Sequence[int], None]


def _resolve(
    name: str,
    shape: ShapeLike,
    dtype: Any,
    ctx: Context | None,
    out: NDArray | None,
    default_dtype: str,
    params: dict[str, Any],
) -> tuple[tuple[int, ...], Any, Context | None]:
    """Shape, dtype and context of a sampling call: given ones, else out's, else the defaults."""
    for pname, value in params.items():
        if isinstance(value, NDArray):
            raise TypeError(
                f"{name}: {pname} must be a number; per-element distribution parameters (NDArray "
                f"{pname}) are not supported"
            )
    if shape is None:
        shape = out.shape if out is not None else (1,)
    elif isinstance(shape, int):
        shape = (shape,)
    else:
        shape = tuple(int(s) for s in shape)
    if dtype is None:
        dtype = out.dtype if out is not None else default_dtype
    if ctx is None and out is not None:
        ctx = out.context
    return shape, dtype, ctx


def uniform(
    low: float = 0.0,
    high: float = 1.0,
    shape: ShapeLike = None,
    dtype: Any = None,
    ctx: Context | None = None,
    out: NDArray | None = None,
) -> NDArray:
    """Samples from the uniform distribution on [low, high).

    Parameters
    ----------
    low, high : float
        Bounds of the interval (low inclusive, high exclusive); low <= high.
    shape : int or tuple of int, optional
        Shape of the result; default (1,), or out's shape when out is given.
    dtype : str or numpy dtype, optional
        A floating-point type; default float32 (or out's dtype).
    ctx : Context, optional
        Device whose random stream is used; default the current context (or out's).
    out : NDArray, optional
        Array to write the samples into.
    """
    shape, dtype, ctx = _resolve("uniform", shape, dtype, ctx, out, "float32", {"low": low, "high": high})
    return op.random_uniform(low=float(low), high=float(high), shape=shape, dtype=dtype, ctx=ctx, out=out)


def normal(
    loc: float = 0.0,
    scale: float = 1.0,
    shape: ShapeLike = None,
    dtype: Any = None,
    ctx: Context | None = None,
    out: NDArray | None = None,
) -> NDArray:
    """Samples from the normal distribution with mean loc and standard deviation scale.

    Parameters
    ----------
    loc : float
        Mean.
    scale : float
        Standard deviation, >= 0.
    shape : int or tuple of int, optional
        Shape of the result; default (1,), or out's shape when out is given.
    dtype : str or numpy dtype, optional
        A floating-point type; default float32 (or out's dtype).
    ctx : Context, optional
        Device whose random stream is used; default the current context (or out's).
    out : NDArray, optional
        Array to write the samples into.
    """
    shape, dtype, ctx = _resolve("normal", shape, dtype, ctx, out, "float32", {"loc": loc, "scale": scale})
    return op.random_normal(loc=float(loc), scale=float(scale), shape=shape, dtype=dtype, ctx=ctx, out=out)


def randint(
    low: int,
    high: int,
    shape: ShapeLike = None,
    dtype: Any = None,
    ctx: Context | None = None,
    out: NDArray | None = None,
) -> NDArray:
    """Samples integers uniformly from [low, high).

    Parameters
    ----------
    low, high : int
        Bounds (low inclusive, high exclusive); low < high.
    shape : int or tuple of int, optional
        Shape of the result; default (1,), or out's shape when out is given.
    dtype : str or numpy dtype, optional
        int32 (default, or out's dtype) or int64.
    ctx : Context, optional
        Device whose random stream is used; default the current context (or out's).
    out : NDArray, optional
        Array to write the samples into.
    """
    shape, dtype, ctx = _resolve("randint", shape, dtype, ctx, out, "int32", {"low": low, "high": high})
    return op.random_randint(low=int(low), high=int(high), shape=shape, dtype=dtype, ctx=ctx, out=out)
