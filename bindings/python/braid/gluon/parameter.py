"""Gluon parameters: :class:`Parameter`, :class:`Constant` and the dict-like :class:`ParameterDict`.

A Parameter holds one copy of its value per context (``cpu(0)``, ``cpu(1)``, ``gpu(0)``...) and, unless its
``grad_req`` is ``'null'``, a gradient buffer beside each copy (the arrays are autograd leaves, so
``autograd.record`` + ``backward`` fill :meth:`Parameter.grad`). A dimension given as 0 (or -1) is unknown:
``initialize`` is then deferred until a layer's first forward infers the shape from its input.
"""

from __future__ import annotations

import re
import warnings
from typing import Any, Iterable, Sequence, Union

import numpy as np

from .. import autograd
from .. import initializer as _init
from .. import ndarray as nd
from ..context import Context, cpu, current_context
from ..dtypes import dtype_code, dtype_name
from ..ndarray import NDArray

__all__ = ["DeferredInitializationError", "Parameter", "Constant", "ParameterDict", "tensor_types"]

tensor_types = (NDArray,)
CtxLike = Union[Context, Sequence[Context], None]


class DeferredInitializationError(RuntimeError):
    """A Parameter's data was requested while its initialization is still deferred (its shape is unknown
    until the first forward pass)."""


def _shape_known(shape: Any) -> bool:
    return shape is not None and all(int(d) > 0 for d in shape)


def _dtype_str(dtype: Any) -> str:
    """The canonical name ('float32', 'bfloat16'...) of a dtype given as name, numpy type or dtype."""
    if dtype is None:
        return "float32"
    return dtype_name(dtype_code(dtype))


def _brief(names: Iterable[str], limit: int = 6) -> str:
    names = list(names)
    if len(names) > limit:
        return (
            ", ".join(f"'{n}'" for n in names[: limit // 2])
            + ", ..., "
            + ", ".join(f"'{n}'" for n in names[-(limit // 2) :])
        )
    return ", ".join(f"'{n}'" for n in names)


def _copy_to(data: NDArray, ctx: Context) -> NDArray:
    out = data.copyto(ctx)
    return data.copy() if out is data else out


class Parameter:
    """A weight of a Block: data (one copy per context) and gradient buffers.

    Parameters
    ----------
    name : str
        Name of the parameter. Blocks give their parameters unique prefixed names (``dense0_weight``).
    grad_req : {'write', 'add', 'null'}
        How gradients are stored: overwritten by each backward, accumulated, or not computed.
    shape : int or tuple of int, optional
        Shape; 0 (or -1) marks a dimension unknown until the first forward (deferred initialization).
    dtype : str or numpy dtype
        Data type, default float32.
    lr_mult, wd_mult : float
        Multipliers of the learning rate and weight decay for this parameter (read by optimizers).
    init : Initializer or str, optional
        This parameter's own initializer; it wins over the one given to ``initialize``.
    allow_deferred_init : bool
        Whether ``initialize`` may be called while the shape is unknown.
    differentiable : bool
        False forces grad_req='null' (running statistics, constants).
    stype, grad_stype : str
        Storage types; only 'default' (dense) storage is supported by braid (sparse values are accepted and
        stored densely).
    """

    def __init__(
        self,
        name: str = "weight",
        grad_req: str = "write",
        shape: int | Sequence[int] | None = None,
        dtype: Any = np.float32,
        lr_mult: float = 1.0,
        wd_mult: float = 1.0,
        init: Any = None,
        allow_deferred_init: bool = False,
        differentiable: bool = True,
        stype: str = "default",
        grad_stype: str = "default",
    ) -> None:
        self._var: Any = None
        self._data: list[NDArray] | None = None
        self._ctx_list: list[Context] | None = None
        self._ctx_map: dict[Context, int] = {}
        self._deferred_init: tuple = ()
        self._differentiable = differentiable
        self._allow_deferred_init = allow_deferred_init
        self._grad_req = "null"
        if isinstance(shape, (int, np.integer)):
            shape = (int(shape),)
        self._shape: tuple[int, ...] | None = None if shape is None else tuple(int(s) for s in shape)
        self.name = name
        self._dtype = _dtype_str(dtype)
        self.lr_mult = lr_mult
        self.wd_mult = wd_mult
        self.init = init
        self._stype = stype
        self._grad_stype = grad_stype
        self.grad_req = grad_req  # validated by the setter

    def __repr__(self) -> str:
        return f"Parameter {self.name} (shape={self.shape}, dtype={self.dtype})"

    # ---- attributes --------------------------------------------------------------------------------------
    @property
    def grad_req(self) -> str:
        """'write', 'add' or 'null'. Changing it re-attaches (or drops) the gradient buffers."""
        return self._grad_req

    @grad_req.setter
    def grad_req(self, req: str) -> None:
        if req not in ("write", "add", "null"):
            raise ValueError(f"Parameter '{self.name}': grad_req must be 'write', 'add' or 'null', got {req!r}")
        if not self._differentiable:
            req = "null"
        if self._grad_req == req:
            return
        self._grad_req = req
        if self._data is None:
            return
        if req == "null":
            with autograd.pause():
                self._data = [d.detach() for d in self._data]
        else:
            self._init_grad()

    @property
    def dtype(self) -> Any:
        """The data type (numpy type; see also :meth:`cast`)."""
        if self._dtype == "bfloat16":
            from ..dtypes import bfloat16

            return bfloat16
        return np.dtype(self._dtype).type

    @dtype.setter
    def dtype(self, dtype: Any) -> None:
        self.cast(dtype)

    @property
    def shape(self) -> tuple[int, ...] | None:
        """The shape; 0 (or -1) marks dimensions not known yet. Unknown dimensions may be filled in by
        assignment; known ones may not change."""
        return self._shape

    @shape.setter
    def shape(self, new_shape: Sequence[int] | int) -> None:
        if isinstance(new_shape, (int, np.integer)):
            new_shape = (int(new_shape),)
        new_shape = tuple(int(s) for s in new_shape)
        if self._shape is None:
            self._shape = new_shape
            return
        if len(self._shape) != len(new_shape) or not all(
            old in (-1, 0, new) for new, old in zip(new_shape, self._shape)
        ):
            raise ValueError(
                f"Parameter '{self.name}': expected shape {self._shape} is incompatible with given shape "
                f"{new_shape} (only unknown dimensions, 0 or -1, may change)"
            )
        if new_shape != self._shape:
            self._var = None  # the symbol carries the shape
        self._shape = new_shape

    @property
    def stype(self) -> str:
        return self._stype

    @property
    def grad_stype(self) -> str:
        return self._grad_stype

    @property
    def differentiable(self) -> bool:
        return self._differentiable

    @differentiable.setter
    def differentiable(self, value: bool) -> None:
        self._differentiable = bool(value)
        if not value:
            self.grad_req = "null"

    @property
    def allow_deferred_init(self) -> bool:
        return self._allow_deferred_init

    @allow_deferred_init.setter
    def allow_deferred_init(self, value: bool) -> None:
        self._allow_deferred_init = bool(value)

    def _shape_known(self) -> bool:
        return _shape_known(self._shape)

    @property
    def is_initialized(self) -> bool:
        """Whether data exists (initialization not pending)."""
        return self._data is not None

    # ---- access ------------------------------------------------------------------------------------------
    def _check_and_get(self, arr_list: list | None, ctx: Context | None, what: str = "data") -> Any:
        if arr_list is not None:
            if ctx is list:
                return arr_list
            if ctx is None:
                if len(arr_list) == 1:
                    return arr_list[0]
                ctx = current_context()
            idx = self._ctx_map.get(ctx)
            if idx is not None:
                return arr_list[idx]
            raise RuntimeError(
                f"Parameter '{self.name}' was not initialized on context {ctx}. It was only initialized on "
                f"{self._ctx_list}."
            )
        if self._deferred_init:
            raise DeferredInitializationError(
                f"Parameter '{self.name}' has not been initialized yet because initialization was deferred "
                f"(shape {self._shape} is not fully known). Actual initialization happens during the first "
                "forward pass: pass one batch of data through the network before accessing Parameters, or "
                "give the full shape (in_units, in_channels, ...) when creating the layer."
            )
        raise RuntimeError(
            f"Parameter '{self.name}' has not been initialized. Call initialize() on the Block (net.initialize()) "
            "or on the Parameter before using it; collect the parameters with Block.collect_params(), which "
            "includes the parameters of nested child Blocks."
        )

    def data(self, ctx: Context | None = None) -> NDArray:
        """The data on ctx (default: the only context, else the current context)."""
        return self._check_and_get(self._data, ctx)

    def list_data(self) -> list[NDArray]:
        """The data on every context, in the order of :meth:`list_ctx`."""
        return self._check_and_get(self._data, list)

    def grad(self, ctx: Context | None = None) -> NDArray:
        """The gradient buffer on ctx (default: the only context, else the current context)."""
        if self._data is not None and self._grad_req == "null":
            raise RuntimeError(f"Cannot get gradient array for Parameter '{self.name}' because grad_req='null'")
        return self._check_and_get(self._data, ctx).grad

    def list_grad(self) -> list[NDArray]:
        """The gradient buffers on every context."""
        if self._data is not None and self._grad_req == "null":
            raise RuntimeError(f"Cannot get gradient array for Parameter '{self.name}' because grad_req='null'")
        return [d.grad for d in self._check_and_get(self._data, list)]

    def list_ctx(self) -> list[Context]:
        """The contexts the parameter lives on (or will live on, while initialization is deferred)."""
        if self._data is None:
            if self._deferred_init:
                return list(self._deferred_init[1])
            raise RuntimeError(f"Parameter '{self.name}' has not been initialized; call initialize() first")
        return list(self._ctx_list or [])

    list_device = list_ctx  # MXNet 2 name

    def row_sparse_data(self, row_id: NDArray) -> NDArray:
        """Sparse storage is not supported by braid: returns the dense data on row_id's context."""
        return self.data(row_id.context)

    def list_row_sparse_data(self, row_id: NDArray) -> list[NDArray]:
        return self.list_data()

    # ---- initialization ----------------------------------------------------------------------------------
    def initialize(
        self,
        init: Any = None,
        ctx: CtxLike = None,
        default_init: Any = None,
        force_reinit: bool = False,
    ) -> None:
        """Allocates and fills the data (and gradient buffers) on each context of ctx.

        Parameters
        ----------
        init : Initializer or str, optional
            Initializer of this parameter; default its own ``init``, else default_init.
        ctx : Context or list of Context, optional
            Where to keep copies; default the current context.
        default_init : Initializer or str
            Used when neither init nor the parameter's own init is set (default ``Uniform()``).
        force_reinit : bool
            Re-initialize a parameter that already has data (otherwise a warning and no change).

        When the shape still has unknown dimensions and ``allow_deferred_init`` is set, initialization waits
        for the first forward pass.
        """
        if default_init is None:
            default_init = _init.Uniform()
        if self._data is not None and not force_reinit:
            warnings.warn(
                f"Parameter '{self.name}' is already initialized, ignoring. Set force_reinit=True to re-initialize.",
                stacklevel=2,
            )
            return
        self._data = None
        if ctx is None:
            ctx = [current_context()]
        if isinstance(ctx, Context):
            ctx = [ctx]
        ctx = list(ctx)
        if not ctx:
            raise ValueError(f"Parameter '{self.name}': initialize needs at least one context")
        if init is None:
            init = default_init if self.init is None else self.init
        if not self._shape_known():
            if self._allow_deferred_init:
                self._deferred_init = (init, ctx, default_init, None)
                return
            raise ValueError(
                f"Cannot initialize Parameter '{self.name}' because it has invalid shape: {self._shape}. Give "
                "the full shape (in_units, in_channels, ...) or create it with allow_deferred_init=True."
            )
        self._deferred_init = (init, ctx, default_init, None)
        self._finish_deferred_init()

    def _finish_deferred_init(self) -> None:
        """Runs a pending initialization now that the shape is known (called by layers after they inferred
        the shape from their first input)."""
        if not self._deferred_init:
            return
        init, ctx, default_init, data = self._deferred_init
        if not self._shape_known():
            raise ValueError(
                f"Cannot initialize Parameter '{self.name}' because it has invalid shape: {self._shape}. Please "
                "specify in_units, in_channels, etc. for Blocks."
            )
        self._deferred_init = ()
        with autograd.pause():
            if data is None:
                host = self._dtype if self._dtype in ("float32", "float64") else "float32"
                data = nd.zeros(self._shape, dtype=host, ctx=cpu())
                _init.create(default_init)(_init.InitDesc(self.name, {"__init__": init}), data)
                if host != self._dtype:
                    data = data.astype(self._dtype)
            self._init_impl(data, ctx)

    def _init_impl(self, data: NDArray, ctx_list: Sequence[Context]) -> None:
        self._ctx_list = list(ctx_list)
        self._ctx_map = {c: i for i, c in enumerate(self._ctx_list)}
        if len(self._ctx_map) != len(self._ctx_list):
            raise ValueError(f"Parameter '{self.name}': duplicate contexts in {self._ctx_list}")
        with autograd.pause():
            self._data = [_copy_to(data, c) for c in self._ctx_list]
        self._init_grad()

    def _init_grad(self) -> None:
        if self._data is None or self._grad_req == "null":
            return
        for d in self._data:
            d.attach_grad(self._grad_req)

    def _load_init(
        self, data: NDArray, ctx: CtxLike = None, cast_dtype: bool = False, dtype_source: str = "current"
    ) -> None:
        """Sets the value from loaded data (initializing the parameter if needed)."""
        if dtype_source not in ("current", "saved"):
            raise ValueError(f"dtype_source must be 'current' or 'saved', got {dtype_source!r}")
        if self._shape is not None:
            if len(self._shape) != len(data.shape) or not all(s in (-1, 0, d) for s, d in zip(self._shape, data.shape)):
                raise ValueError(
                    f"Failed loading Parameter '{self.name}' from saved params: shape incompatible, expected "
                    f"{self._shape} vs saved {tuple(data.shape)}"
                )
            self._shape = tuple(d if s in (-1, 0) else s for s, d in zip(self._shape, data.shape))
        else:
            self._shape = tuple(data.shape)
        saved = _dtype_str(data.dtype)
        if saved != self._dtype:
            if not cast_dtype:
                raise ValueError(
                    f"Failed loading Parameter '{self.name}' from saved params: dtype incompatible, expected "
                    f"{self._dtype} vs saved {saved}. Set cast_dtype=True to cast the dtype of saved params."
                )
            if dtype_source == "current":
                data = data.astype(self._dtype)
            else:
                self._dtype = saved
        if isinstance(ctx, Context):
            ctx = [ctx]
        if self._data is None:
            if self._deferred_init:
                if ctx is not None and set(ctx) != set(self._deferred_init[1]):
                    raise ValueError(
                        f"Failed to load Parameter '{self.name}' on {list(ctx)} because it was previously "
                        f"initialized on {self._deferred_init[1]}."
                    )
                ctx = self._deferred_init[1]
            elif ctx is None:
                ctx = [cpu()]
            self._init_impl(data, list(ctx))
        else:
            if ctx is not None and set(ctx) != set(self.list_ctx()):
                raise ValueError(
                    f"Failed to load Parameter '{self.name}' on {list(ctx)} because it was previously initialized "
                    f"on {self.list_ctx()}."
                )
            if self._data[0].dtype != data.dtype:  # dtype_source='saved': the stored copies change type
                self._init_impl(data, self.list_ctx())
            else:
                self.set_data(data)
        self._deferred_init = ()

    # ---- modification ------------------------------------------------------------------------------------
    def set_data(self, data: Any) -> None:
        """Sets the value on every context (an NDArray, numpy array or scalar of the parameter's shape)."""
        if not isinstance(data, NDArray):
            data = nd.array(np.asarray(data, dtype=np.float64 if self._dtype == "float64" else np.float32))
        self.shape = data.shape
        if self._data is None:
            if not self._deferred_init:
                raise RuntimeError(
                    f"Parameter '{self.name}' has not been initialized; call initialize() before set_data()"
                )
            self._deferred_init = self._deferred_init[:3] + (data,)
            return
        with autograd.pause():
            for arr in self._data:
                src = data
                if src.dtype != arr.dtype:
                    src = src.astype(arr.dtype)
                src.copyto(arr)

    def zero_grad(self) -> None:
        """Sets the gradient buffers to 0 (useful with grad_req='add')."""
        if self._data is None or self._grad_req == "null":
            return
        with autograd.pause():
            for d in self._data:
                g = d.grad
                if g is not None:
                    g[:] = 0

    def _reduce(self) -> NDArray:
        """The value on cpu(0): the average of the copies when there are several."""
        block = self.list_data()
        if len(block) == 1:
            return _copy_to(block[0], cpu())
        with autograd.pause():
            total = block[0].copyto(cpu()).astype("float64" if self._dtype == "float64" else "float32")
            for w in block[1:]:
                total = total + w.copyto(cpu()).astype(total.dtype)
            total = total / len(block)
            return total.astype(self._dtype) if total.dtype != block[0].dtype else total

    def reset_ctx(self, ctx: CtxLike) -> None:
        """Moves the data to new context(s) (the average of the current copies); gradients are reset."""
        if ctx is None:
            ctx = [current_context()]
        if isinstance(ctx, Context):
            ctx = [ctx]
        ctx = list(ctx)
        if self._data is not None:
            data = self._reduce()
            self._init_impl(data, ctx)
        elif self._deferred_init:
            init, _, default_init, data = self._deferred_init
            self._deferred_init = (init, ctx, default_init, data)
        else:
            raise ValueError(f"Cannot reset context for Parameter '{self.name}' because it has not been initialized.")

    reset_device = reset_ctx

    def cast(self, dtype: Any) -> None:
        """Changes the data type of the data and gradients (gradients are reset)."""
        self._dtype = _dtype_str(dtype)
        self._var = None
        if self._data is None:
            return
        with autograd.pause():
            self._data = [d.detach().astype(self._dtype) for d in self._data]
        self._init_grad()

    def var(self) -> Any:
        """The symbol (``braid.symbol.var``) standing for this parameter in a traced graph."""
        if self._var is None:
            from .. import symbol  # written separately; imported only when tracing

            self._var = symbol.var(
                self.name,
                shape=self._shape,
                dtype=self._dtype,
                lr_mult=self.lr_mult,
                wd_mult=self.wd_mult,
                init=self.init,
                stype=self._stype,
            )
        return self._var


class Constant(Parameter):
    """A parameter that keeps a constant value (grad_req='null', never updated by optimizers).

    ``Constant(value)`` (MXNet 2) or ``Constant(name, value)`` (MXNet 1.x); value is an NDArray, numpy array
    or list.
    """

    def __init__(self, name: Any, value: Any = None) -> None:
        if value is None and not isinstance(name, str):
            name, value = "const", name
        if isinstance(value, NDArray):
            host = value.asnumpy()
        elif isinstance(value, np.ndarray):
            host = value
        else:
            host = np.asarray(value, dtype=np.float32)  # lists and scalars: float32, as mx.nd.array
        self.value = host
        dtype = host.dtype
        super().__init__(
            name,
            grad_req="null",
            shape=host.shape,
            dtype=dtype,
            init=_init.Constant(host),
            differentiable=False,
        )

    def __repr__(self) -> str:
        return f"Constant {self.name} (shape={self.shape}, dtype={self.dtype})"

    @property
    def grad_req(self) -> str:
        return "null"

    @grad_req.setter
    def grad_req(self, req: str) -> None:
        if req != "null":
            warnings.warn(
                f"Constant parameter '{self.name}' does not support grad_req other than 'null'; ignoring "
                f"grad_req={req!r}.",
                stacklevel=2,
            )
        self._grad_req = "null"


class ParameterDict(dict):
    """A dict name -> :class:`Parameter` with MXNet's ParameterDict conveniences.

    ``Block.collect_params()`` returns one keyed by structured names (``'0.weight'``, ``'features.1.bias'``);
    ``Block.params`` (a block's own parameters, MXNet 1.x) is keyed by full parameter names. A key that is not
    found is also looked up among the parameters' own names, so MXNet 1.x code indexing by
    ``'dense0_weight'`` still works.
    """

    def __init__(self, prefix: str = "", shared: ParameterDict | None = None) -> None:
        super().__init__()
        self._prefix = prefix
        self._shared = shared
        self._collected = False  # a collect_params() result: get(key) without kwargs acts like dict.get

    # ---- dict behaviour ----------------------------------------------------------------------------------
    def __getitem__(self, key: str) -> Parameter:
        try:
            return dict.__getitem__(self, key)
        except KeyError:
            for p in self.values():
                if p.name == key:
                    return p
            raise KeyError(f"no Parameter {key!r} here; the names are: {_brief(self.keys(), 12)}") from None

    def __repr__(self) -> str:
        name = self._prefix + " " if self._prefix else ""
        body = "\n".join(f"  {k}: {v!r}" for k, v in self.items())
        return f"{name}ParameterDict(\n{body}\n)"

    @property
    def prefix(self) -> str:
        """The prefix prepended to names given to :meth:`get`."""
        return self._prefix

    @property
    def _params(self) -> ParameterDict:  # MXNet 1.x code reads params._params
        return self

    def _unique(self) -> list[Parameter]:
        seen: set[int] = set()
        out = []
        for p in self.values():
            if id(p) not in seen:
                seen.add(id(p))
                out.append(p)
        return out

    def _get_impl(self, name: str) -> Parameter | None:
        if dict.__contains__(self, name):
            return dict.__getitem__(self, name)
        shared = self._shared
        if shared is not None:
            p = None
            if dict.__contains__(shared, name):
                p = dict.__getitem__(shared, name)
            else:
                p = next((v for v in shared.values() if v.name == name), None)
            if p is not None:
                dict.__setitem__(self, name, p)
                return p
        return None

    def get(self, name: str, *default: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """The Parameter ``prefix + name``, created with kwargs (Parameter's arguments) if it does not exist
        (here or in the shared dict); an existing one must agree with kwargs (unknown shape dimensions are
        filled in).

        Given a positional default (``d.get(key, None)``), or on a ``collect_params()`` result without
        kwargs, it is ``dict.get``: nothing is created.
        """
        if default or (self._collected and not kwargs):
            if len(default) > 1:
                raise TypeError(f"get expected at most 2 arguments, got {1 + len(default)}")
            if dict.__contains__(self, name):
                return dict.__getitem__(self, name)
            return next((p for p in self.values() if p.name == name), default[0] if default else None)
        full = self._prefix + name
        param = self._get_impl(full)
        if param is None:
            param = Parameter(full, **kwargs)
            dict.__setitem__(self, full, param)
            return param
        for k, v in kwargs.items():
            if k == "grad_req" and v is not None:
                if v != param.grad_req and param.differentiable:
                    raise ValueError(
                        f"Cannot retrieve Parameter '{full}': desired grad_req {v!r} vs stored {param.grad_req!r}"
                    )
                continue
            existing = getattr(param, k, None)
            if existing is None:
                setattr(param, k, v)
                continue
            if k == "shape":
                v = (int(v),) if isinstance(v, (int, np.integer)) else tuple(v)
                if len(v) == len(existing) and all(a == b or a <= 0 or b <= 0 for a, b in zip(v, existing)):
                    param._shape = tuple(b if a <= 0 else a for a, b in zip(v, existing))
                    continue
            elif k == "dtype":
                if v is None or _dtype_str(v) == _dtype_str(existing):
                    continue
            elif v is None or v == existing:
                continue
            raise ValueError(
                f"Cannot retrieve Parameter '{full}' because desired attribute does not match with stored for "
                f"attribute '{k}': desired {v!r} vs stored {existing!r}."
            )
        return param

    def get_constant(self, name: str, value: Any = None) -> Constant:
        """The :class:`Constant` ``prefix + name``, created from value if it does not exist."""
        full = self._prefix + name
        param = self._get_impl(full)
        if param is None:
            if value is None:
                raise KeyError(
                    f"No constant named '{full}'. Please specify value if you want to create a new constant."
                )
            param = Constant(full, value)
            dict.__setitem__(self, full, param)
        elif value is not None:
            if not isinstance(param, Constant):
                raise TypeError(f"Parameter '{full}' already exists but it is not a constant.")
            v = value.asnumpy() if isinstance(value, NDArray) else np.asarray(value)
            if v.shape != param.value.shape or not np.array_equal(v, param.value):
                raise ValueError(f"Constant '{full}' already exists but it's value doesn't match new value")
        return param  # type: ignore[return-value]

    def update(self, other: Any = (), **kwargs: Any) -> None:  # type: ignore[override]
        """Adds the parameters of other; a name already bound to a different Parameter is an error."""
        items = other.items() if hasattr(other, "items") else other
        for k, v in list(items) + list(kwargs.items()):
            if dict.__contains__(self, k) and dict.__getitem__(self, k) is not v:
                raise ValueError(
                    f"Cannot update self with other because they have different Parameters with the same name '{k}'"
                )
            dict.__setitem__(self, k, v)

    def select(self, pattern: str) -> ParameterDict:
        """The parameters whose key or name matches the regular expression (``re.match``)."""
        prog = re.compile(pattern)
        out = ParameterDict(self._prefix)
        for k, v in self.items():
            if prog.match(k) or prog.match(v.name):
                dict.__setitem__(out, k, v)
        return out

    # ---- bulk operations ---------------------------------------------------------------------------------
    def initialize(
        self, init: Any = None, ctx: CtxLike = None, verbose: bool = False, force_reinit: bool = False
    ) -> None:
        """Initializes every parameter: each one's own ``init`` wins, else init (default ``Uniform()``)."""
        init = _init.Uniform() if init is None else _init.create(init)
        if verbose:
            init.set_verbosity(verbose=verbose)
        for p in self._unique():
            p.initialize(None, ctx, init, force_reinit=force_reinit)

    def zero_grad(self) -> None:
        """Sets every gradient buffer to 0."""
        for p in self._unique():
            p.zero_grad()

    def reset_ctx(self, ctx: CtxLike) -> None:
        """Moves every parameter to ctx."""
        for p in self._unique():
            p.reset_ctx(ctx)

    reset_device = reset_ctx

    def list_ctx(self) -> list[Context]:
        """The contexts the parameters live on."""
        out: list[Context] = []
        for p in self._unique():
            for c in p.list_ctx():
                if c not in out:
                    out.append(c)
        return out

    def setattr(self, name: str, value: Any) -> None:
        """Sets an attribute on every parameter, e.g. ``params.setattr('grad_req', 'null')``."""
        for p in self._unique():
            setattr(p, name, value)

    def cast(self, dtype: Any) -> None:
        for p in self._unique():
            p.cast(dtype)

    def save(self, filename: str, strip_prefix: str = "") -> None:
        """Saves the values (averaged over contexts, on cpu) under their keys, minus strip_prefix."""
        arg_dict = {}
        for k, p in self.items():
            if strip_prefix and not k.startswith(strip_prefix):
                raise ValueError(
                    f"Prefix '{strip_prefix}' is to be stripped before saving, but Parameter's name '{k}' does not "
                    f"start with '{strip_prefix}'."
                )
            arg_dict[k[len(strip_prefix) :]] = p._reduce()
        nd.save(filename, arg_dict)

    def load(
        self,
        filename: str,
        ctx: CtxLike = None,
        allow_missing: bool = False,
        ignore_extra: bool = False,
        restore_prefix: str = "",
        cast_dtype: bool = False,
        dtype_source: str = "current",
    ) -> None:
        """Loads values saved by :meth:`save`, ``Block.save_parameters`` or ``export`` ('arg:'/'aux:' names).

        Saved names are matched against the keys, then against the parameters' names, after prepending
        restore_prefix.
        """
        loaded = nd.load(filename) if isinstance(filename, str) else filename
        if not isinstance(loaded, dict):
            raise ValueError(f"load: '{filename}' holds an unnamed list of arrays; parameters need names")
        loaded = {restore_prefix + (k[4:] if k.startswith(("arg:", "aux:")) else k): v for k, v in loaded.items()}
        by_name = {p.name: p for p in self.values()}
        found: dict[int, Parameter] = {}
        for k, v in loaded.items():
            p = dict.get(self, k) or by_name.get(k)
            if p is None:
                if not ignore_extra:
                    raise ValueError(
                        f"Parameter '{k}' loaded from file '{filename}' is not present in this ParameterDict, which "
                        f"contains parameters {_brief(self.keys())}. Set ignore_extra=True to ignore."
                    )
                continue
            p._load_init(v, ctx, cast_dtype=cast_dtype, dtype_source=dtype_source)
            found[id(p)] = p
        if not allow_missing:
            for k, p in self.items():
                if id(p) not in found:
                    raise ValueError(
                        f"Parameter '{k}' is missing in file '{filename}', which contains parameters: "
                        f"{_brief(loaded.keys())}. Set allow_missing=True to ignore missing parameters."
                    )
