"""Hybridization: a HybridBlock traced into a graph (``braid.sym``) that the core runs as one cached op.

The first call of an active block with uninitialized (deferred) parameters runs eagerly, which infers and
initializes them. The next call traces ``forward`` with ``braid.sym`` variables standing for the inputs and
parameters, and builds a :class:`braid.symbol.CachedGraph`; later calls with the same input signature (shapes,
dtypes) are one C call that runs every op of the graph in the core, recorded for autograd when recording. A new
input signature traces again (a few cached graphs are kept per block).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any

from .. import symbol as _sym
from ..ndarray import save as _nd_save

_MAX_GRAPHS = 8  # input signatures kept per block (e.g. the full batch and the last, smaller one)


class _Traced:
    __slots__ = ("symbol", "graph", "slots", "out_format", "params", "has_params")

    def __init__(self, symbol: Any, graph: Any, slots: list, out_format: Any, params: dict) -> None:
        self.symbol = symbol
        self.graph = graph
        self.slots = slots  # per graph input: (True, input index) or (False, Parameter)
        self.out_format = out_format
        self.params = params
        self.has_params = any(not is_data for is_data, _ in slots)


def _flatten(out: Any) -> tuple[list, Any]:
    if isinstance(out, (list, tuple)):
        flat, fmt = [], []
        for o in out:
            f, sub = _flatten(o)
            flat.extend(f)
            fmt.append(sub)
        return flat, (type(out), fmt)
    return [out], None


def _unflatten(flat: list, fmt: Any, pos: int = 0) -> tuple[Any, int]:
    if fmt is None:
        return flat[pos], pos + 1
    kind, subs = fmt
    items = []
    for s in subs:
        item, pos = _unflatten(flat, s, pos)
        items.append(item)
    return kind(items), pos


def _input_names(n: int) -> list[str]:
    return ["data"] if n == 1 else [f"data{i}" for i in range(n)]


def trace(block: Any, n_inputs: int) -> tuple[Any, Any, dict]:
    """The graph of block for n_inputs inputs: (grouped symbol, output format, name -> Parameter)."""
    inputs = [_sym.var(n) for n in _input_names(n_inputs)]
    out = block(*inputs)
    flat, fmt = _flatten(out)
    for o in flat:
        if not isinstance(o, _sym.Symbol):
            raise TypeError(
                f"{type(block).__name__}.forward returned a {type(o).__name__} while tracing; a hybridized block "
                "must compute its outputs from its inputs and parameters with braid operators"
            )
    sym = flat[0] if len(flat) == 1 else _sym.Group(flat)
    params = {p.name: p for p in block.collect_params().values()}
    return sym, fmt, params


def _build(block: Any, args: tuple) -> _Traced:
    sym, fmt, params = trace(block, len(args))
    data_names = _input_names(len(args))
    slots: list = []
    for name in sym.list_inputs():
        if name in data_names:
            slots.append((True, data_names.index(name)))
        elif name in params:
            slots.append((False, params[name]))
        else:
            raise ValueError(
                f"{type(block).__name__}: the traced graph uses a variable '{name}' that is neither an input nor a "
                "parameter of the block; create it with self.params.get or as a Parameter attribute"
            )
    return _Traced(sym, _sym.CachedGraph(sym), slots, fmt, params)


def _needs_eager_pass(block: Any) -> bool:
    return any(not p.is_initialized for p in block.collect_params().values())


def _signature(args: tuple) -> tuple | None:
    try:
        return tuple([(a.shape, a._dtype_code()) for a in args])
    except AttributeError:  # not all NDArrays
        return None


def _remember(block: Any, key: tuple, traced: _Traced) -> _Traced:
    cache = block.__dict__.get("_cached_op")
    if type(cache) is not OrderedDict:
        cache = OrderedDict()
        block.__dict__["_cached_op"] = cache
    cache[key] = traced
    block.__dict__["_cached_graph"] = (traced.symbol, traced.params)
    while len(cache) > _MAX_GRAPHS:
        cache.popitem(last=False)
    return traced


def call_cached(block: Any, *args: Any) -> Any:
    """Runs a hybridized block: through its cached graph for this input signature (tracing it if new)."""
    cache = block.__dict__.get("_cached_op")
    key = _signature(args) if args else None
    traced = cache.get(key) if key is not None and type(cache) is OrderedDict else None
    if traced is None:
        if key is None:
            return block._call_imperative(*args)
        if _needs_eager_pass(block):
            # Deferred shapes: this call runs eagerly to initialize the parameters; the graph is traced right
            # after, so export() works after a single forward.
            out = block._call_imperative(*args)
            if not _needs_eager_pass(block):
                _remember(block, key, _build(block, args))
            return out
        traced = _remember(block, key, _build(block, args))
    if traced.has_params:
        ctx = args[0].context
        arrays = [args[i] if kind else i.data(ctx) for kind, i in traced.slots]
    else:
        arrays = [args[i] for _, i in traced.slots]
    outs = traced.graph(arrays)
    if traced.out_format is None:
        return outs[0]
    return _unflatten(outs, traced.out_format)[0]


def export(block: Any, path: str, epoch: int = 0) -> tuple[str, str]:
    """Writes ``path-symbol.json`` and ``path-EPOCH.params`` (MXNet's format) from the block's traced graph."""
    cached = block.__dict__.get("_cached_graph")
    if not cached:
        raise RuntimeError(
            "export: call net.hybridize() and run one forward pass before export(), so that the graph exists"
        )
    sym, params = cached
    sym_file = f"{path}-symbol.json"
    params_file = f"{path}-{epoch:04d}.params"
    aux = set(sym.list_auxiliary_states())
    arrays = {}
    for name in sym.list_inputs():
        p = params.get(name)
        if p is None:
            continue
        arrays[("aux:" if name in aux else "arg:") + name] = p._reduce()
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    sym.save(sym_file)
    _nd_save(params_file, arrays)
    return sym_file, params_file
