"""The Symbol class: a handle to a graph in the core (braid.sym)."""

from __future__ import annotations

import json as _json
from typing import Any, Iterator, Sequence

import numpy as np

from .._lib import check, ffi, lib
from ..base import BraidTypeError, BraidValueError
from ..dtypes import dtype_code, np_dtype

_free = lib.braid_symbol_free


class Symbol:
    """A symbolic graph: the outputs of a DAG of registered ops over named variables.

    Symbols are composed with the functions of ``braid.sym`` (one per registered op) and Python operators,
    inspected (``list_arguments``, ``infer_shape``), saved in MXNet's ``-symbol.json`` format, and executed with
    ``bind``/``simple_bind``/``eval`` or inside a hybridized Gluon block.
    """

    __slots__ = ("_h", "__weakref__")

    def __init__(self, handle: Any) -> None:
        self._h = ffi.gc(handle, _free)

    # ---- structure -----------------------------------------------------------------------------------
    @property
    def name(self) -> str | None:
        """The name of the node of a single-output symbol (None for a group)."""
        if self.num_outputs != 1:
            return None
        n = ffi.new("char**")
        check(lib.braid_symbol_name(self._h, n, ffi.NULL))
        return ffi.string(n[0]).decode()

    @property
    def op_name(self) -> str:
        """The op of a single-output symbol's node ('null' for a variable)."""
        n = ffi.new("char**")
        check(lib.braid_symbol_name(self._h, ffi.NULL, n))
        return ffi.string(n[0]).decode()

    @property
    def num_outputs(self) -> int:
        n = ffi.new("int32_t*")
        check(lib.braid_symbol_num_outputs(self._h, n))
        return n[0]

    def __len__(self) -> int:
        return self.num_outputs

    def __iter__(self) -> Iterator[Symbol]:
        return (self[i] for i in range(self.num_outputs))

    def __getitem__(self, index: int | str) -> Symbol:
        """An output by position, or by name (one of ``list_outputs()``)."""
        if isinstance(index, str):
            names = self.list_outputs()
            matches = [i for i, n in enumerate(names) if n == index]
            if not matches:
                raise BraidValueError(f"Symbol: no output named '{index}'; outputs are {names}")
            index = matches[0]
        if not isinstance(index, (int, np.integer)):
            raise TypeError(f"Symbol indices must be int or str, got {type(index).__name__}")
        n = self.num_outputs
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(f"Symbol: output index {index} is out of range ({n} outputs)")
        out = ffi.new("braid_symbol*")
        check(lib.braid_symbol_output(self._h, int(index), out))
        return Symbol(out[0])

    def _list(self, which: int) -> list[str]:
        n, names = ffi.new("int32_t*"), ffi.new("char***")
        check(lib.braid_symbol_list(self._h, which, n, names))
        return [ffi.string(names[0][i]).decode() for i in range(n[0])]

    def list_arguments(self) -> list[str]:
        """Names of the variables that are arguments (data and learnable parameters), in graph order."""
        return self._list(0)

    def list_outputs(self) -> list[str]:
        """Names of the outputs (``fc1_output``, or the variable's name)."""
        return self._list(1)

    def list_auxiliary_states(self) -> list[str]:
        """Names of the variables updated by the graph itself (BatchNorm's moving mean and variance)."""
        return self._list(2)

    def list_inputs(self) -> list[str]:
        """Every variable, arguments and auxiliary states, in graph order."""
        return self._list(3)

    def get_internals(self) -> Symbol:
        """A symbol whose outputs are every output of every node (select one with ``[name]``)."""
        out = ffi.new("braid_symbol*")
        check(lib.braid_symbol_internals(self._h, out))
        return Symbol(out[0])

    def get_children(self) -> Symbol | None:
        """The inputs of this symbol's nodes, or None for a variable."""
        out = ffi.new("braid_symbol*")
        check(lib.braid_symbol_children(self._h, out))
        return Symbol(out[0]) if out[0] != ffi.NULL else None

    def __call__(self, *args: Symbol, **kwargs: Symbol) -> Symbol:
        """Composes: a copy of this graph with its arguments (by position, in ``list_arguments()`` order, or by
        name) replaced by other symbols."""
        names = self.list_arguments()
        if len(args) > len(names):
            raise BraidValueError(f"compose: {len(args)} inputs for {len(names)} arguments {names}")
        given = dict(zip(names, args))
        given.update(kwargs)
        for k, v in given.items():
            if not isinstance(v, Symbol):
                raise TypeError(f"compose: the value for '{k}' must be a Symbol, got {type(v).__name__}")
        keys = [ffi.new("char[]", k.encode()) for k in given]
        out = ffi.new("braid_symbol*")
        check(
            lib.braid_symbol_compose(
                self._h,
                len(keys),
                ffi.new("char*[]", keys),
                ffi.new("braid_symbol[]", [v._h for v in given.values()] or [ffi.NULL]),
                out,
            )
        )
        return Symbol(out[0])

    # ---- attributes ----------------------------------------------------------------------------------
    def attr(self, key: str) -> str | None:
        """An attribute of this node as a string (op attributes and hidden ones such as ``__shape__``)."""
        v = ffi.new("char**")
        check(lib.braid_symbol_get_attr(self._h, key.encode(), v))
        return None if v[0] == ffi.NULL else ffi.string(v[0]).decode()

    def _set_attr(self, **kwargs: Any) -> None:
        for k, v in kwargs.items():
            check(lib.braid_symbol_set_attr(self._h, k.encode(), str(v).encode()))

    def list_attr(self) -> dict[str, str]:
        """The attributes of this node, as written in the graph file."""
        node = self._node_json()
        return dict(node.get("attrs", {}))

    def attr_dict(self) -> dict[str, dict[str, str]]:
        """Attributes of every node that has some, by node name."""
        graph = _json.loads(self.tojson())
        return {n["name"]: dict(n["attrs"]) for n in graph["nodes"] if n.get("attrs")}

    def _node_json(self) -> dict:
        graph = _json.loads(self.tojson())
        return graph["nodes"][graph["heads"][0][0]]

    # ---- files ---------------------------------------------------------------------------------------
    def tojson(self) -> str:
        """The graph in MXNet's JSON format (what ``save`` writes)."""
        s = ffi.new("char**")
        check(lib.braid_symbol_to_json(self._h, s))
        return ffi.string(s[0]).decode()

    def save(self, fname: str, remove_amp_cast: bool = True) -> None:
        """Writes the graph to fname (MXNet's ``-symbol.json`` format)."""
        with open(fname, "w", encoding="utf-8") as f:
            f.write(self.tojson())

    def __copy__(self) -> Symbol:
        return load_json(self.tojson())

    def __deepcopy__(self, memo: dict) -> Symbol:
        return load_json(self.tojson())

    copy = __copy__

    def __getstate__(self) -> dict:
        return {"json": self.tojson()}

    def __setstate__(self, state: dict) -> None:
        self._h = load_json(state["json"])._h

    def __repr__(self) -> str:
        if self.num_outputs == 1:
            return f"<Symbol {self.name}>"
        return f"<Symbol group [{', '.join(self.list_outputs())}]>"

    # ---- inference -----------------------------------------------------------------------------------
    def _known(self, args: tuple, kwargs: dict) -> dict:
        names = self.list_arguments()
        if args:
            if len(args) > len(names):
                raise BraidValueError(f"infer: {len(args)} positional values for {len(names)} arguments {names}")
            known = {n: v for n, v in zip(names, args) if v is not None}
            known.update(kwargs)
            return known
        return dict(kwargs)

    def _infer(self, shapes: dict, dtypes: dict, partial: bool) -> tuple:
        names = sorted(set(shapes) | set(dtypes))
        cnames = [ffi.new("char[]", n.encode()) for n in names]
        ndims, dims, codes = [], [], []
        for n in names:
            s = shapes.get(n)
            if s is None:
                ndims.append(-1)
            else:
                s = (s,) if isinstance(s, (int, np.integer)) else tuple(s)
                ndims.append(len(s))
                dims.extend(int(d) for d in s)
            codes.append(dtype_code(dtypes[n]) if n in dtypes and dtypes[n] is not None else -1)
        complete = ffi.new("int32_t*")
        check(
            lib.braid_symbol_infer(
                self._h,
                len(names),
                ffi.new("char*[]", cnames),
                ffi.new("int32_t[]", ndims or [0]),
                ffi.new("int64_t[]", dims or [0]),
                ffi.new("int32_t[]", codes or [0]),
                int(partial),
                complete,
            )
        )
        inputs = self.list_inputs()
        ndim, pdims, code = ffi.new("int32_t*"), ffi.new("int64_t**"), ffi.new("int32_t*")

        def read(which: int, i: int) -> tuple:
            check(lib.braid_symbol_inferred(self._h, which, i, ndim, pdims, code))
            shape = None if ndim[0] < 0 else tuple(int(pdims[0][k]) for k in range(ndim[0]))
            dt = None if code[0] < 0 else np_dtype(code[0])
            return shape, dt

        ins = {n: read(0, i) for i, n in enumerate(inputs)}
        outs = [read(1, i) for i in range(self.num_outputs)]
        return ins, outs, bool(complete[0])

    def infer_shape(self, *args: Any, **kwargs: Any) -> tuple:
        """Infers every shape from the given ones: ``(arg_shapes, out_shapes, aux_shapes)``.

        Give input shapes by position (in ``list_arguments()`` order) or by name. Parameter shapes are inferred
        from the data where the ops define how (FullyConnected, Convolution, BatchNorm ...). Returns
        ``(None, None, None)`` when some shape stays unknown, as MXNet does.
        """
        ins, outs, _ = self._infer(self._known(args, kwargs), {}, partial=True)
        res = self._split(ins, outs, 0)
        if any(s is None for part in res for s in part):
            return None, None, None
        return res

    def infer_shape_partial(self, *args: Any, **kwargs: Any) -> tuple:
        """Like ``infer_shape``, with ``()`` for shapes that stay unknown."""
        ins, outs, _ = self._infer(self._known(args, kwargs), {}, partial=True)
        return tuple([() if s is None else s for s in part] for part in self._split(ins, outs, 0))

    def infer_type(self, *args: Any, **kwargs: Any) -> tuple:
        """Infers dtypes from the given ones: ``(arg_types, out_types, aux_types)`` as numpy types."""
        ins, outs, _ = self._infer({}, self._known(args, kwargs), partial=True)
        res = self._split(ins, outs, 1)
        res = tuple([None if t is None else np.dtype(t).type for t in part] for part in res)
        if any(t is None for part in res for t in part):
            return None, None, None
        return res

    def _split(self, ins: dict, outs: list, k: int) -> tuple:
        args = [ins[n][k] for n in self.list_arguments()]
        aux = [ins[n][k] for n in self.list_auxiliary_states()]
        return args, [o[k] for o in outs], aux

    # ---- execution -----------------------------------------------------------------------------------
    def simple_bind(
        self, ctx: Any = None, grad_req: str | dict = "write", type_dict: dict | None = None, **shapes: Any
    ) -> Any:
        """An Executor with freshly allocated (zero) arguments, gradients and auxiliary states."""
        from .executor import Executor

        return Executor.simple(self, ctx, grad_req, type_dict or {}, shapes)

    def bind(
        self,
        ctx: Any,
        args: Sequence | dict,
        args_grad: Sequence | dict | None = None,
        grad_req: str | dict = "write",
        aux_states: Sequence | dict | None = None,
        **kwargs: Any,
    ) -> Any:
        """An Executor over the given argument arrays (by position or name)."""
        from .executor import Executor

        return Executor(self, ctx, args, args_grad, grad_req, aux_states)

    def eval(self, ctx: Any = None, **kwargs: Any) -> list:
        """Runs the graph once on the given arrays (by name) and returns its outputs."""
        from .executor import Executor

        return Executor(self, ctx, kwargs, None, "null", None).forward()

    # ---- operators -----------------------------------------------------------------------------------
    def _bin(self, o: Any, op: str, scalar_op: str, rev: bool = False) -> Symbol:
        from . import _ops

        if isinstance(o, Symbol):
            return _ops[op](o, self) if rev else _ops[op](self, o)
        if isinstance(o, (int, float, np.number, bool)):
            return _ops[scalar_op](self, scalar=float(o))
        return NotImplemented

    def __add__(self, o: Any) -> Symbol:
        return self._bin(o, "broadcast_add", "_plus_scalar")

    __radd__ = __add__

    def __sub__(self, o: Any) -> Symbol:
        return self._bin(o, "broadcast_sub", "_minus_scalar")

    def __rsub__(self, o: Any) -> Symbol:
        return self._bin(o, "broadcast_sub", "_rminus_scalar", rev=True)

    def __mul__(self, o: Any) -> Symbol:
        return self._bin(o, "broadcast_mul", "_mul_scalar")

    __rmul__ = __mul__

    def __truediv__(self, o: Any) -> Symbol:
        return self._bin(o, "broadcast_div", "_div_scalar")

    def __rtruediv__(self, o: Any) -> Symbol:
        return self._bin(o, "broadcast_div", "_rdiv_scalar", rev=True)

    def __mod__(self, o: Any) -> Symbol:
        return self._bin(o, "broadcast_mod", "_mod_scalar")

    def __pow__(self, o: Any) -> Symbol:
        return self._bin(o, "broadcast_power", "_power_scalar")

    def __rpow__(self, o: Any) -> Symbol:
        return self._bin(o, "broadcast_power", "_rpower_scalar", rev=True)

    def __neg__(self) -> Symbol:
        return self._bin(-1.0, "broadcast_mul", "_mul_scalar")

    def __eq__(self, o: Any) -> Any:  # type: ignore[override]
        return self._bin(o, "broadcast_equal", "_equal_scalar")

    def __ne__(self, o: Any) -> Any:  # type: ignore[override]
        return self._bin(o, "broadcast_not_equal", "_not_equal_scalar")

    def __gt__(self, o: Any) -> Symbol:
        return self._bin(o, "broadcast_greater", "_greater_scalar")

    def __ge__(self, o: Any) -> Symbol:
        return self._bin(o, "broadcast_greater_equal", "_greater_equal_scalar")

    def __lt__(self, o: Any) -> Symbol:
        return self._bin(o, "broadcast_lesser", "_lesser_scalar")

    def __le__(self, o: Any) -> Symbol:
        return self._bin(o, "broadcast_lesser_equal", "_lesser_equal_scalar")

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        raise BraidTypeError("a Symbol has no truth value (it is a graph, not data)")

    def astype(self, dtype: Any) -> Symbol:
        from . import _ops

        return _ops["cast"](self, dtype=dtype)

    def reshape(self, *shape: Any, **kwargs: Any) -> Symbol:
        from . import _ops

        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        if shape:
            kwargs["shape"] = shape
        return _ops["Reshape"](self, **kwargs)


def load_json(json_str: str) -> Symbol:
    """A Symbol from MXNet's graph JSON (the text of a ``-symbol.json`` file)."""
    out = ffi.new("braid_symbol*")
    check(lib.braid_symbol_from_json(json_str.encode(), out))
    return Symbol(out[0])


def load(fname: str) -> Symbol:
    """Loads a ``-symbol.json`` file written by braid or MXNet."""
    with open(fname, encoding="utf-8") as f:
        return load_json(f.read())


def var(
    name: str,
    attr: dict | None = None,
    shape: Sequence[int] | None = None,
    lr_mult: float | None = None,
    wd_mult: float | None = None,
    dtype: Any = None,
    init: Any = None,
    stype: str | None = None,
    **kwargs: Any,
) -> Symbol:
    """A variable: a named input of the graph (data, a parameter or an auxiliary state)."""
    if not isinstance(name, str):
        raise TypeError("Variable: name must be a string")
    out = ffi.new("braid_symbol*")
    check(lib.braid_symbol_variable(name.encode(), out))
    s = Symbol(out[0])
    hidden: dict[str, Any] = dict(attr or {})
    if shape is not None:
        hidden["__shape__"] = str(tuple(int(d) for d in shape))
    if lr_mult is not None:
        hidden["__lr_mult__"] = lr_mult
    if wd_mult is not None:
        hidden["__wd_mult__"] = wd_mult
    if dtype is not None:
        hidden["__dtype__"] = dtype_code(dtype)
    if init is not None:
        hidden["__init__"] = init if isinstance(init, str) else (init.dumps() if hasattr(init, "dumps") else repr(init))
    for k, v in kwargs.items():
        if not (k.startswith("__") and k.endswith("__")):
            raise TypeError(f"Variable: unknown argument '{k}' (extra attributes are written as __name__)")
        hidden[k] = v
    s._set_attr(**{k: v for k, v in hidden.items()})
    return s


Variable = var


def Group(symbols: Sequence[Symbol]) -> Symbol:  # noqa: N802 - MXNet's name
    """One symbol whose outputs are those of every symbol given, in order."""
    symbols = list(symbols)
    if not symbols or not all(isinstance(s, Symbol) for s in symbols):
        raise TypeError("Group: expected a non-empty list of Symbols")
    out = ffi.new("braid_symbol*")
    check(lib.braid_symbol_group(len(symbols), ffi.new("braid_symbol[]", [s._h for s in symbols]), out))
    return Symbol(out[0])
