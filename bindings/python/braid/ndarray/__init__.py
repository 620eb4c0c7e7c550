"""braid.ndarray (also ``braid.nd``): the imperative NDArray API.

Every operator of the core registry is a function here, generated from its metadata::

    >>> import braid as mx
    >>> a = mx.nd.array([[1, 2], [3, 4]])
    >>> mx.nd.sum(a, axis=1).asnumpy()
    array([3., 7.], dtype=float32)
"""

from __future__ import annotations

from . import _gen, _internal, op
from .ndarray import NDArray, _coerce_inputs, _ops, array, empty, waitall

_HAND_WRITTEN = {"array", "empty"}


def _install() -> list[str]:
    public = []
    for info in _gen.list_ops():
        for name in [info.name] + info.aliases:
            _ops[name] = info.handle
            fn = _gen.make_function(info, _coerce_inputs, fname=name)
            setattr(op, name, fn)
            if name.startswith("_"):
                setattr(_internal, name, fn)
            elif name not in _HAND_WRITTEN:
                globals()[name] = fn
                public.append(name)
    return public


_generated = _install()

from . import methods as _methods  # noqa: E402

_methods.attach(NDArray, op)

from . import random  # noqa: E402
from .dlpack import from_dlpack, from_numpy  # noqa: E402
from .io import load, load_frombuffer, save, save_tobuffer  # noqa: E402

__all__ = [
    "NDArray",
    "array",
    "empty",
    "waitall",
    "load",
    "save",
    "load_frombuffer",
    "save_tobuffer",
    "from_dlpack",
    "from_numpy",
    "op",
    "random",
] + _generated
