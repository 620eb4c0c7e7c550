"""Method forms of registered ops on NDArray: ``x.sum(axis=1)`` is ``braid.nd.sum(x, axis=1)``.

The methods are attached once, after the op functions are generated, and only for ops the core registers, so
this list may name ops that a build (or a later issue) does not have yet. Methods written by hand in
``ndarray.py`` (``reshape``, ``copy``, ``astype`` ...) are never replaced.
"""

from __future__ import annotations

from typing import Any, Callable

# MXNet's NDArray methods that are plain calls of the op of the same name with the array as first input.
METHOD_OPS = (
    # shape and indexing
    "reshape_like",
    "transpose",
    "swapaxes",
    "expand_dims",
    "squeeze",
    "flatten",
    "tile",
    "repeat",
    "flip",
    "split",
    "take",
    "pick",
    "one_hot",
    "slice",
    "slice_axis",
    "broadcast_to",
    "broadcast_like",
    "gather_nd",
    # reductions and sorting
    "sum",
    "nansum",
    "mean",
    "prod",
    "nanprod",
    "max",
    "min",
    "argmax",
    "argmin",
    "norm",
    "topk",
    "sort",
    "argsort",
    "softmax",
    "log_softmax",
    # elementwise
    "clip",
    "abs",
    "sign",
    "sqrt",
    "rsqrt",
    "cbrt",
    "square",
    "reciprocal",
    "exp",
    "expm1",
    "log",
    "log1p",
    "log2",
    "log10",
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
    "arcsinh",
    "arccosh",
    "arctanh",
    "degrees",
    "radians",
    "relu",
    "sigmoid",
    "softsign",
    "round",
    "rint",
    "fix",
    "floor",
    "ceil",
    "trunc",
    "zeros_like",
    "ones_like",
)


def _method(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return fn(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"Same as ``braid.nd.{name}(self, ...)``.\n\n{fn.__doc__ or ''}"
    return method


def attach(cls: type, ops: Any, names: tuple[str, ...] = METHOD_OPS) -> list[str]:
    """Adds a method to cls for each name that ops (the generated ``braid.nd.op`` module) defines.

    Returns the names attached. Attributes cls already has are left alone.
    """
    attached = []
    for name in names:
        fn = getattr(ops, name, None)
        if fn is None or name in vars(cls):
            continue
        setattr(cls, name, _method(fn, name))
        attached.append(name)
    return attached
