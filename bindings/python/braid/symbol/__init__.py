"""braid.symbol (also ``braid.sym``): the symbolic graph API.

Every registered op is a function here that builds a graph node instead of computing::

    >>> import braid as mx
    >>> data = mx.sym.var("data")
    >>> net = mx.sym.FullyConnected(data, num_hidden=10, name="fc1")
    >>> net.list_arguments()
    ['data', 'fc1_weight', 'fc1_bias']
    >>> net.infer_shape(data=(2, 5))[0]
    [(2, 5), (10, 5), (10,)]

Graphs are saved and loaded in MXNet's ``-symbol.json`` format, run with ``bind``/``simple_bind``/``eval``, and
are what a hybridized Gluon block traces into.
"""

from __future__ import annotations

from typing import Any

from ..ndarray._gen import list_ops
from . import _gen
from .executor import CachedGraph, Executor
from .symbol import Group, Symbol, Variable, load, load_json, var

_ops: dict[str, Any] = {}


def _install() -> list[str]:
    public = []
    for info in list_ops():
        for name in [info.name] + info.aliases:
            fn = _gen.make_function(info, fname=name)
            _ops[name] = fn
            if not name.startswith("_") and name not in globals():
                globals()[name] = fn
                public.append(name)
    return public


_generated = _install()


class _Internal:
    """Ops whose names start with an underscore (``braid.sym._internal._plus_scalar``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return _ops[name]
        except KeyError:
            raise AttributeError(name) from None


_internal = _Internal()


def _attach_methods() -> None:
    from ..ndarray.methods import METHOD_OPS

    def method(op_name: str) -> Any:
        f = _ops[op_name]

        def m(self: Symbol, *args: Any, **kwargs: Any) -> Symbol:
            return f(self, *args, **kwargs)

        m.__name__ = op_name
        m.__doc__ = f.__doc__
        return m

    for name in METHOD_OPS:
        if name in _ops and not hasattr(Symbol, name):
            setattr(Symbol, name, method(name))


_attach_methods()

__all__ = ["Symbol", "Variable", "var", "Group", "load", "load_json", "Executor", "CachedGraph"] + _generated
