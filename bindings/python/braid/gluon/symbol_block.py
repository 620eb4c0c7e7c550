"""SymbolBlock: a block made from a symbol graph, such as a model exported by braid or MXNet."""

from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np

from .. import symbol as _sym
from ..context import Context, cpu
from .block import HybridBlock
from .parameter import Parameter

_SHAPE = re.compile(r"-?\d+")


def _attr_shape(s: Any) -> tuple | None:
    text = s.attr("__shape__")
    if not text:
        return None
    return tuple(int(d) for d in _SHAPE.findall(text))


def _attr_dtype(s: Any) -> Any:
    text = s.attr("__dtype__")
    if text is None:
        return np.float32
    from ..dtypes import np_dtype

    return np_dtype(int(text)) if text.isdigit() else text


class SymbolBlock(HybridBlock):
    """A HybridBlock running a given graph: ``SymbolBlock(outputs, inputs, params=None)``.

    Every variable of the graph that is not an input becomes a Parameter named like the variable (auxiliary
    states such as BatchNorm's moving statistics get ``grad_req='null'``). Parameter shapes not recorded in the
    graph are inferred from the first input.
    """

    def __init__(self, outputs: Any, inputs: Any, params: Any = None) -> None:
        super().__init__(prefix="", params=None)
        outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        ins = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        for i in ins:
            if not isinstance(i, _sym.Symbol) or i.op_name != "null":
                raise TypeError("SymbolBlock: inputs must be variables (braid.sym.var)")
        self._symbol = outs[0] if len(outs) == 1 else _sym.Group(outs)
        self._input_names = [i.name for i in ins]
        missing = [n for n in self._input_names if n not in self._symbol.list_inputs()]
        if missing:
            raise ValueError(f"SymbolBlock: the graph has no input(s) {missing}")
        shared = (
            {} if params is None else {p.name: p for p in (params.values() if hasattr(params, "values") else params)}
        )
        aux = set(self._symbol.list_auxiliary_states())
        internals = self._symbol.get_internals()
        by_name = {n: internals[n] for n in self._symbol.list_inputs()}
        for name in self._symbol.list_inputs():
            if name in self._input_names:
                continue
            if name in shared:
                p = shared[name]
            else:
                v = by_name[name]
                shape = _attr_shape(v)
                p = Parameter(
                    name,
                    grad_req="null" if name in aux else "write",
                    shape=shape,
                    dtype=_attr_dtype(v),
                    allow_deferred_init=True,
                )
            self._reg_params[name] = p
        self._graph = _sym.CachedGraph(self._symbol)

    @staticmethod
    def imports(
        symbol_file: str,
        input_names: str | Sequence[str],
        param_file: str | None = None,
        ctx: Context | Sequence[Context] | None = None,
        allow_missing: bool = False,
        ignore_extra: bool = False,
    ) -> SymbolBlock:
        """Loads a model written by ``export`` (braid or MXNet): ``prefix-symbol.json`` and, when given, its
        ``prefix-EPOCH.params``, onto ctx (default cpu(0))."""
        sym = _sym.load(symbol_file)
        names = [input_names] if isinstance(input_names, str) else list(input_names)
        block = SymbolBlock(sym, [_sym.var(n) for n in names])
        if param_file is not None:
            block.load_parameters(
                param_file, ctx=ctx or cpu(), allow_missing=allow_missing, ignore_extra=ignore_extra, cast_dtype=True
            )
        return block

    def infer_shape(self, *args: Any) -> None:
        shapes = {n: a.shape for n, a in zip(self._input_names, args)}
        types = {n: a.dtype for n, a in zip(self._input_names, args)}
        arg_shapes, _, aux_shapes = self._symbol.infer_shape(**shapes)
        if arg_shapes is None:
            partial = self._symbol.infer_shape_partial(**shapes)
            raise ValueError(f"SymbolBlock: cannot infer the parameter shapes from inputs {shapes}: {partial}")
        known = dict(zip(self._symbol.list_arguments(), arg_shapes))
        known.update(zip(self._symbol.list_auxiliary_states(), aux_shapes))
        arg_types = self._symbol.infer_type(**types)[0]
        for name, p in self._reg_params.items():
            if not p._shape_known():
                p.shape = known[name]
        _ = arg_types

    def forward(self, *args: Any) -> Any:
        if len(args) != len(self._input_names):
            raise ValueError(
                f"SymbolBlock: expected {len(self._input_names)} input(s) {self._input_names}, got {len(args)}"
            )
        if isinstance(args[0], _sym.Symbol):
            out = self._symbol(**dict(zip(self._input_names, args)))
        else:
            ctx = args[0].context
            given = dict(zip(self._input_names, args))
            arrays = [given[n] if n in given else self._reg_params[n].data(ctx) for n in self._symbol.list_inputs()]
            out = self._graph(arrays)
            if len(out) == 1:
                return out[0]
            return out
        return out if out.num_outputs == 1 else list(out)

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("SymbolBlock runs its graph in forward")
