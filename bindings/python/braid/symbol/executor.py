"""Executor: runs a bound Symbol forward and backward (MXNet's ``bind`` / ``simple_bind``)."""

from __future__ import annotations

from typing import Any, Sequence

from .. import autograd
from .._lib import check, ffi, lib
from ..base import BraidValueError
from ..context import Context, current_context
from ..ndarray._invoke import wrap
from .symbol import Symbol

_MAX_OUT = 1024
_forward = lib.braid_graph_forward


class CachedGraph:
    """A symbol planned once in the core and run with one call per forward (hybridize's cached op)."""

    __slots__ = ("_h", "input_names", "num_outputs", "_outs", "_nout", "_ins")

    def __init__(self, sym: Symbol) -> None:
        out = ffi.new("braid_graph*")
        check(lib.braid_graph_create(sym._h, out))
        self._h = ffi.gc(out[0], lib.braid_graph_free)
        self.input_names = sym.list_inputs()
        self.num_outputs = sym.num_outputs
        self._outs = ffi.new("braid_array[]", self.num_outputs)
        self._nout = ffi.new("int32_t*")
        self._ins = ffi.new("braid_array[]", max(1, len(self.input_names)))

    def __call__(self, arrays: Sequence[Any]) -> list:
        """Runs the graph on arrays (one per ``input_names`` entry); recorded when autograd records."""
        n = len(arrays)
        if n != len(self.input_names):
            raise BraidValueError(f"cached graph: expected {len(self.input_names)} inputs {self.input_names}, got {n}")
        ins = self._ins
        for i in range(n):
            ins[i] = arrays[i]._h
        rc = _forward(self._h, n, ins, self.num_outputs, self._nout, self._outs)
        for i in range(n):
            ins[i] = ffi.NULL  # hold no reference past the call
        check(rc)
        outs = self._outs
        return [wrap(outs[i]) for i in range(self._nout[0])]


def _as_dict(names: list[str], values: Sequence | dict | None, what: str) -> dict:
    if values is None:
        return {}
    if isinstance(values, dict):
        unknown = set(values) - set(names)
        if unknown:
            raise BraidValueError(f"bind: {what} names {sorted(unknown)} are not in the symbol ({names})")
        return dict(values)
    values = list(values)
    if len(values) != len(names):
        raise BraidValueError(f"bind: {len(values)} {what} given for {len(names)} ({names})")
    return dict(zip(names, values))


class Executor:
    """A Symbol bound to arrays: ``forward(is_train)``, ``backward(out_grads)``, ``outputs``, ``arg_dict`` ..."""

    def __init__(
        self,
        sym: Symbol,
        ctx: Context | None,
        args: Sequence | dict,
        args_grad: Sequence | dict | None,
        grad_req: str | dict,
        aux_states: Sequence | dict | None,
    ) -> None:
        self._symbol = sym
        self._ctx = ctx or current_context()
        arg_names, aux_names = sym.list_arguments(), sym.list_auxiliary_states()
        self.arg_dict = _as_dict(arg_names, args, "arguments")
        missing = [n for n in arg_names if n not in self.arg_dict]
        if missing:
            raise BraidValueError(f"bind: no array for argument(s) {missing}")
        self.aux_dict = _as_dict(aux_names, aux_states, "auxiliary states")
        missing = [n for n in aux_names if n not in self.aux_dict]
        if missing:
            raise BraidValueError(f"bind: no array for auxiliary state(s) {missing}")
        self.grad_dict = _as_dict(arg_names, args_grad, "gradients")
        reqs = grad_req if isinstance(grad_req, dict) else {n: grad_req for n in arg_names}
        self._reqs = {n: reqs.get(n, "null") for n in arg_names}
        for n, req in self._reqs.items():
            if req == "null":
                continue
            arr = self.arg_dict[n]
            arr.attach_grad(req)
            if n in self.grad_dict:
                # The caller's gradient array receives the result after backward.
                pass
            else:
                self.grad_dict[n] = arr.grad
        self._graph = CachedGraph(sym)
        self.outputs: list = []

    @classmethod
    def simple(cls, sym: Symbol, ctx: Any, grad_req: Any, type_dict: dict, shapes: dict) -> Executor:
        from .. import ndarray as nd

        arg_shapes, _, aux_shapes = sym.infer_shape(**shapes)
        if arg_shapes is None:
            partial = sym.infer_shape_partial(**shapes)[0]
            unknown = [n for n, s in zip(sym.list_arguments(), partial) if not s]
            raise BraidValueError(f"simple_bind: cannot infer the shapes of {unknown}; give them as keywords")
        arg_types, _, aux_types = sym.infer_type(**type_dict) if type_dict else (None, None, None)
        ctx = ctx or current_context()
        args = {
            n: nd.zeros(s, ctx=ctx, dtype=(arg_types[i] if arg_types else "float32"))
            for i, (n, s) in enumerate(zip(sym.list_arguments(), arg_shapes))
        }
        aux = {
            n: nd.zeros(s, ctx=ctx, dtype=(aux_types[i] if aux_types else "float32"))
            for i, (n, s) in enumerate(zip(sym.list_auxiliary_states(), aux_shapes))
        }
        return cls(sym, ctx, args, None, grad_req, aux)

    @property
    def arg_arrays(self) -> list:
        return [self.arg_dict[n] for n in self._symbol.list_arguments()]

    @property
    def grad_arrays(self) -> list:
        return [self.grad_dict.get(n) for n in self._symbol.list_arguments()]

    @property
    def aux_arrays(self) -> list:
        return [self.aux_dict[n] for n in self._symbol.list_auxiliary_states()]

    @property
    def output_dict(self) -> dict:
        return dict(zip(self._symbol.list_outputs(), self.outputs))

    def forward(self, is_train: bool = False, **kwargs: Any) -> list:
        """Runs the graph (recording for backward when is_train); new argument values may be given by name."""
        for k, v in kwargs.items():
            if k not in self.arg_dict:
                raise BraidValueError(f"forward: '{k}' is not an argument of the symbol")
            self.arg_dict[k][:] = v
        arrays = [self.arg_dict[n] if n in self.arg_dict else self.aux_dict[n] for n in self._graph.input_names]
        if is_train:
            with autograd.record(train_mode=True):
                self.outputs = self._graph(arrays)
        else:
            with autograd.predict_mode():
                self.outputs = self._graph(arrays)
        return self.outputs

    def backward(self, out_grads: Any = None, is_train: bool = True) -> None:
        """Backpropagates from the outputs of the last ``forward(is_train=True)`` into the gradient arrays."""
        if not self.outputs:
            raise BraidValueError("backward: call forward(is_train=True) first")
        if out_grads is not None and not isinstance(out_grads, (list, tuple)):
            out_grads = [out_grads]
        autograd.backward(self.outputs, out_grads, train_mode=is_train)
        for n, req in self._reqs.items():
            g = self.grad_dict.get(n)
            own = self.arg_dict[n].grad
            if req != "null" and g is not None and g is not own:
                g[:] = own

    def copy_params_from(self, arg_params: dict, aux_params: dict | None = None, allow_extra_params: bool = False):
        """Copies values into the bound arrays by name."""
        for src, dst in ((arg_params, self.arg_dict), (aux_params or {}, self.aux_dict)):
            for k, v in src.items():
                if k in dst:
                    dst[k][:] = v
                elif not allow_extra_params:
                    raise BraidValueError(f"copy_params_from: '{k}' is not in the symbol")
