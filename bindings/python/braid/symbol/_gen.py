"""Generates the functions of ``braid.sym`` from the core's operator registry (the same metadata as ``braid.nd``)."""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Callable, Iterator

from .._lib import check, ffi, lib
from ..ndarray._gen import ATTR_DTYPE, OpInfo
from ._attrs import attr_str
from .symbol import Symbol


class _Names(threading.local):
    prefix = ""
    counts: dict | None = None


_names = _Names()


@contextlib.contextmanager
def name_prefix(prefix: str) -> Iterator[None]:
    """Node names created inside get this prefix (a Gluon block's ``dense0_`` while it is traced), as MXNet's
    Prefix name manager does: ``name='fwd'`` becomes ``dense0_fwd``, unnamed nodes ``dense0_relu0``."""
    old, old_counts = _names.prefix, _names.counts
    _names.prefix, _names.counts = prefix, {}
    try:
        yield
    finally:
        _names.prefix, _names.counts = old, old_counts


def _node_name(name: str | None, hint: str) -> str | None:
    prefix = _names.prefix
    if not prefix:
        return name
    if name:
        return prefix + name
    hint = hint.lower()
    counts = _names.counts
    k = counts.get(hint, 0)
    counts[hint] = k + 1
    return f"{prefix}{hint}{k}"


def make_function(info: OpInfo, fname: str | None = None) -> Callable:
    """The symbol function of one op: inputs positionally or by name, attributes as keywords, ``name=``."""
    fname = fname or info.name
    variadic = info.num_inputs < 0
    attr_by_name = {a.name: a for a in info.attrs}
    input_names = info.input_names

    def fn(*args: Any, name: str | None = None, attr: dict | None = None, **kwargs: Any) -> Symbol:
        if info.num_inputs == 0:
            # Creation ops (zeros, ones, arange ...): positional values are attributes, as in braid.nd; the
            # device is chosen when the graph runs.
            kwargs.pop("ctx", None)
            for a, v in zip(info.attrs, args):
                kwargs[a.name] = v
            args = ()
        if variadic:
            if len(args) == 1 and isinstance(args[0], (list, tuple)):
                args = tuple(args[0])
            inputs: list = list(args)
        else:
            if len(args) > len(input_names):
                raise TypeError(f"{info.name}() takes at most {len(input_names)} inputs {input_names}, got {len(args)}")
            inputs = list(args) + [None] * (len(input_names) - len(args))
            for i, n in enumerate(input_names):
                if n in kwargs and (n not in attr_by_name):
                    if inputs[i] is not None:
                        raise TypeError(f"{info.name}() got input '{n}' twice")
                    inputs[i] = kwargs.pop(n)
            while inputs and inputs[-1] is None:
                inputs.pop()
        for i, x in enumerate(inputs):
            if x is not None and not isinstance(x, Symbol):
                raise TypeError(
                    f"{info.name}: input {i} ('{input_names[0] if variadic else input_names[i]}') must be a Symbol, "
                    f"got {type(x).__name__}"
                )
        keys, vals = [], []
        for k, v in kwargs.items():
            a = attr_by_name.get(k)
            if a is None and not (k.startswith("__") and k.endswith("__")):
                raise TypeError(
                    f"{info.name}() got an unexpected argument '{k}'; its inputs are {input_names} and its "
                    f"attributes {[x.name for x in info.attrs]}"
                )
            keys.append(k)
            vals.append(attr_str(v, a is not None and a.kind == ATTR_DTYPE))
        for k, v in (attr or {}).items():
            keys.append(k)
            vals.append(str(v))
        ck = [ffi.new("char[]", k.encode()) for k in keys]
        cv = [ffi.new("char[]", v.encode()) for v in vals]
        ins = ffi.new("braid_symbol[]", [ffi.NULL if x is None else x._h for x in inputs] or [ffi.NULL])
        out = ffi.new("braid_symbol*")
        check(
            lib.braid_symbol_create(
                info.handle,
                len(keys),
                ffi.new("char*[]", ck),
                ffi.new("char*[]", cv),
                len(inputs),
                ins,
                name.encode() if (name := _node_name(name, info.name)) else ffi.NULL,
                out,
            )
        )
        return Symbol(out[0])

    fn.__name__ = fn.__qualname__ = fname
    from ..ndarray._gen import _doc

    fn.__doc__ = _doc(info).replace("NDArray", "Symbol")
    return fn
