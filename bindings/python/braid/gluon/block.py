"""Gluon blocks: :class:`Block` (any Python forward) and :class:`HybridBlock` (hybridizable).

Parameter naming
----------------
Each Parameter has a unique *name* built MXNet 1.x style from its block's prefix (``dense0_weight``,
``hybridsequential0_dense1_bias`` inside a ``name_scope``). Saving and loading use *structured names* instead,
as MXNet 2 does and as MXNet 1.x's ``save_parameters`` already did: the attribute path from the block the
method is called on (``'weight'``, ``'0.bias'``, ``'features.1.weight'``). ``collect_params()`` is keyed by
structured names too. ``load_parameters`` also accepts files written by ``export`` (``'arg:'``/``'aux:'`` +
name) and by ``ParameterDict.save`` (full or prefix-stripped names).

Hybridization hooks (for the cached-graph implementation in ``braid.gluon._cached``)
------------------------------------------------------------------------------------
- ``HybridBlock.hybridize`` stores ``self._active`` and ``self._flags`` (static_alloc, static_shape, extra
  keyword flags) on every HybridBlock of the tree and clears ``self._cached_graph`` / ``self._cached_op``.
- ``HybridBlock.__call__`` calls ``braid.gluon._cached.call_cached(block, *args)`` when the block is active.
- ``HybridBlock._call_imperative(*args)`` runs the block eagerly; while it runs, the hybridized children of
  an active block run eagerly too (they do not re-enter ``call_cached``).
- ``Block._infer_param_shapes(*args)`` fills unknown parameter shapes from the inputs (through the layer's
  ``infer_shape(*args)``) and finishes deferred initializations.
- Calling a HybridBlock on a ``braid.symbol`` Symbol runs ``hybrid_forward(braid.symbol, x, **{name:
  param.var()})``: tracing is ``net(braid.sym.var('data'))``.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import threading
import warnings
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

from .. import autograd
from .. import ndarray as nd
from ..context import Context, current_context
from ..ndarray import NDArray
from . import _cached
from .parameter import (
    DeferredInitializationError,
    Parameter,
    ParameterDict,
    _brief,
)

__all__ = ["Block", "HybridBlock", "HookHandle"]


class _State(threading.local):
    imperative = False  # True while an active HybridBlock runs its subtree eagerly (a class default: reading
    # a missing attribute of a threading.local would raise and format an AttributeError on every call)


_tls = _State()


# ---- naming ------------------------------------------------------------------------------------------------


class _NameManager(threading.local):
    """Per-thread counters giving automatic prefixes (dense0_, dense1_, ...)."""

    def __init__(self) -> None:
        self.counter: dict[str, int] = {}

    def get(self, hint: str) -> str:
        n = self.counter.get(hint, 0)
        self.counter[hint] = n + 1
        return f"{hint}{n}"


_names = _NameManager()


class _BlockScope:
    """The scope of ``Block.name_scope()``: children created inside get the block's prefix."""

    _current = threading.local()

    def __init__(self, block: Block) -> None:
        self._block = block
        self._counter: dict[str, int] = {}
        self._old_scope: _BlockScope | None = None

    @staticmethod
    def create(prefix: str | None, params: Any, hint: str) -> tuple[str, ParameterDict]:
        current = getattr(_BlockScope._current, "value", None)
        if current is None:
            if prefix is None:
                prefix = _names.get(hint) + "_"
            if params is None:
                params = ParameterDict(prefix)
            else:
                params = ParameterDict(getattr(params, "prefix", ""), _as_param_dict(params))
            return prefix, params
        if prefix is None:
            count = current._counter.get(hint, 0)
            prefix = f"{hint}{count}_"
            current._counter[hint] = count + 1
        if params is None:
            parent = current._block.params
            params = ParameterDict(parent.prefix + prefix, parent._shared)
        else:
            params = ParameterDict(getattr(params, "prefix", ""), _as_param_dict(params))
        return current._block.prefix + prefix, params

    def __enter__(self) -> _BlockScope:
        if self._block._empty_prefix:
            return self
        self._old_scope = getattr(_BlockScope._current, "value", None)
        _BlockScope._current.value = self
        return self

    def __exit__(self, *exc: object) -> None:
        if self._block._empty_prefix:
            return
        _BlockScope._current.value = self._old_scope


def _as_param_dict(params: Any) -> ParameterDict:
    if isinstance(params, ParameterDict):
        return params
    if isinstance(params, dict):
        out = ParameterDict("")
        dict.update(out, params)
        return out
    raise TypeError(f"params must be a ParameterDict or a dict name -> Parameter, got {type(params).__name__}")


# ---- helpers -----------------------------------------------------------------------------------------------


def _indent(s_: str, num_spaces: int) -> str:
    lines = s_.split("\n")
    if len(lines) == 1:
        return s_
    return "\n".join([lines[0]] + [" " * num_spaces + line for line in lines[1:]])


def _is_symbol(x: Any) -> bool:
    return type(x).__module__.startswith("braid.symbol")


def _find_ctx(args: Any) -> Context:
    """The context of the first NDArray among args (nested lists included), else the current context."""
    for a in args:
        if isinstance(a, NDArray):
            return a.context
        if isinstance(a, (list, tuple)):
            for b in a:
                if isinstance(b, NDArray):
                    return b.context
    return current_context()


def _shape_str(x: Any) -> str:
    if isinstance(x, (list, tuple)):
        return str([_shape_obj(i) for i in x])[1:-1]
    return str(_shape_obj(x))


def _shape_obj(x: Any) -> Any:
    if isinstance(x, NDArray):
        return x.shape
    if isinstance(x, (list, tuple)):
        return [_shape_obj(i) for i in x]
    return x


class HookHandle:
    """Returned by ``register_forward_hook``/``register_forward_pre_hook``; ``detach()`` removes the hook
    (also usable as a context manager)."""

    _next_id = [0]

    def __init__(self, hooks: OrderedDict, hook: Callable) -> None:
        self._hooks: OrderedDict | None = hooks
        self._id = HookHandle._next_id[0]
        HookHandle._next_id[0] += 1
        hooks[self._id] = hook

    def detach(self) -> None:
        """Removes the hook."""
        if self._hooks is not None:
            self._hooks.pop(self._id, None)
            self._hooks = None

    def __enter__(self) -> HookHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.detach()


# ---- Block -------------------------------------------------------------------------------------------------


class Block:
    """Base class of all layers and models.

    Subclasses create their layers and parameters in ``__init__`` (assigned as attributes, which registers
    them) and compute in ``forward``::

        class Model(gluon.Block):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.dense0 = nn.Dense(20)
                self.dense1 = nn.Dense(20)

            def forward(self, x):
                x = mx.nd.relu(self.dense0(x))
                return mx.nd.relu(self.dense1(x))

    Parameters
    ----------
    prefix : str, optional
        Prefix of the names of this block's parameters and children (default: the lower-case class name and a
        counter, e.g. ``dense0_``; inside a parent's ``name_scope()`` the parent's prefix is prepended).
    params : ParameterDict or dict, optional
        Parameters to share (MXNet 1.x): ``self.params.get(name)`` returns the parameter of that dict with the
        same name instead of creating one. Prefer :meth:`share_parameters`.
    """

    def __init__(self, prefix: str | None = None, params: Any = None) -> None:
        d = self.__dict__
        d["_empty_prefix"] = prefix == ""
        d["_children"] = OrderedDict()
        d["_reg_params"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()
        prefix, pdict = _BlockScope.create(prefix, params, self._alias())
        d["_prefix"] = prefix
        d["_params"] = pdict
        d["_name"] = prefix[:-1] if prefix.endswith("_") else prefix
        d["_scope"] = _BlockScope(self)

    def _alias(self) -> str:
        return self.__class__.__name__.lower()

    def __repr__(self) -> str:
        modstr = "\n".join(f"  ({key}): {_indent(repr(block), 2)}" for key, block in self._children.items())
        return f"{self.__class__.__name__}(\n{modstr}\n)"

    def __setattr__(self, name: str, value: Any) -> None:
        """Registers Blocks as children and Parameters as this block's parameters."""
        d = self.__dict__
        if "_children" not in d:
            if isinstance(value, (Block, Parameter)):
                raise RuntimeError(
                    f"{type(self).__name__}: call super().__init__() before assigning the child Block or "
                    f"Parameter '{name}'"
                )
            object.__setattr__(self, name, value)
            return
        existing = d.get(name)
        if isinstance(existing, Block) and not isinstance(value, Block):
            d["_children"].pop(name, None)
            self._clear_cached_op()
        if isinstance(existing, Parameter) and value is not existing:
            if not isinstance(value, Parameter):
                d["_reg_params"].pop(name, None)
            # a replaced parameter (share_parameters) leaves this block entirely
            for k in [k for k, v in dict.items(d["_params"]) if v is existing]:
                dict.__delitem__(d["_params"], k)
            self._clear_cached_op()
        if isinstance(value, Block):
            self.register_child(value, name)
        elif isinstance(value, Parameter):
            d["_reg_params"][name] = value
            self._clear_cached_op()
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._children.pop(name, None)
        self._reg_params.pop(name, None)
        object.__delattr__(self, name)

    # ---- naming --------------------------------------------------------------------------------------------
    @property
    def prefix(self) -> str:
        """Prefix of this block's parameter and child names (``dense0_``)."""
        return self._prefix

    @property
    def name(self) -> str:
        """Name of this block (the prefix without its trailing underscore)."""
        return self._name

    @property
    def params(self) -> ParameterDict:
        """This block's own parameters created with ``self.params.get`` (not the children's; see
        :meth:`collect_params`)."""
        return self._params

    def name_scope(self) -> _BlockScope:
        """Context manager under which created child blocks get this block's prefix (MXNet 1.x; optional:
        children are registered by attribute assignment either way)."""
        return self._scope

    # ---- children and parameters ---------------------------------------------------------------------------
    def register_child(self, block: Block, name: str | None = None) -> None:
        """Registers block as a child (attribute assignment does this); name defaults to its index."""
        if not isinstance(block, Block):
            raise TypeError(f"register_child: expected a Block, got {type(block).__name__}")
        if name is None:
            name = str(len(self._children))
        self._children[name] = block
        self._clear_cached_op()

    def _own_params(self) -> list[tuple[str, Parameter]]:
        """(local name, Parameter) of this block's own parameters: attributes first, then params.get ones."""
        out = list(self._reg_params.items())
        seen = {id(p) for _, p in out}
        pre = self._params.prefix
        for full, p in dict.items(self._params):
            if id(p) not in seen:
                seen.add(id(p))
                out.append((full[len(pre) :] if pre and full.startswith(pre) else full, p))
        return out

    def _collect_params_with_prefix(self, prefix: str = "", select: str | None = None) -> OrderedDict:
        """Structured name -> Parameter for this block and its descendants (shared parameters appear under
        every name that reaches them)."""
        if prefix:
            prefix += "."
        prog = re.compile(select) if select is not None else None
        ret: OrderedDict = OrderedDict()
        for key, p in self._own_params():
            k = prefix + key
            if prog is None or prog.match(k) or prog.match(p.name):
                ret[k] = p
        for cname, child in self._children.items():
            ret.update(child._collect_params_with_prefix(prefix + cname, select))
        return ret

    def _check_container_with_block(self) -> None:
        children = {id(c) for c in self._children.values()}

        def has_unregistered(data: Any) -> bool:
            if isinstance(data, (list, tuple)):
                return any(has_unregistered(x) for x in data)
            if isinstance(data, dict):
                return any(has_unregistered(x) for x in data.values())
            return isinstance(data, Block) and id(data) not in children

        for k, v in self.__dict__.items():
            if isinstance(v, (list, tuple, dict)) and not k.startswith("_") and has_unregistered(v):
                warnings.warn(
                    f'"{k}" is an unregistered container with Blocks. Blocks inside a list, tuple or dict are not '
                    "registered automatically: register them with register_child() or use "
                    "nn.Sequential/nn.HybridSequential.",
                    stacklevel=3,
                )

    def collect_params(self, select: str | None = None) -> ParameterDict:
        """The parameters of this block and its children, keyed by structured name (``'0.weight'``,
        ``'features.1.bias'``).

        select is a regular expression matched (``re.match``) against the structured names and the
        parameters' own names: ``collect_params('.*weight|.*bias')``. The result supports
        ``initialize``, ``zero_grad``, ``reset_ctx``, ``setattr``, ``save`` and ``load``.
        """
        self._check_container_with_block()
        out = ParameterDict("")
        out._collected = True
        dict.update(out, self._collect_params_with_prefix(select=select))
        return out

    def initialize(
        self,
        init: Any = None,
        ctx: Context | list[Context] | None = None,
        verbose: bool = False,
        force_reinit: bool = False,
    ) -> None:
        """Initializes the parameters of this block and its children.

        Parameters
        ----------
        init : Initializer or str
            Global initializer (default ``Uniform()``); a parameter's own ``init`` (e.g. Dense's
            bias_initializer='zeros') wins.
        ctx : Context or list of Context
            Context(s) to keep copies on (default: current context).
        verbose : bool
            Print each initialized parameter.
        force_reinit : bool
            Re-initialize parameters that are already initialized.
        """
        self.collect_params().initialize(init, ctx, verbose, force_reinit)
        self.apply(lambda b: b._clear_cached_op())

    def zero_grad(self) -> None:
        """Sets the gradients of all parameters to 0."""
        self.collect_params().zero_grad()

    def reset_ctx(self, ctx: Context | list[Context]) -> None:
        """Moves all parameters to ctx (a Context or a list)."""
        self.collect_params().reset_ctx(ctx)
        self.apply(lambda b: b._clear_cached_op())

    reset_device = reset_ctx

    def setattr(self, name: str, value: Any) -> None:
        """Sets an attribute on all parameters: ``net.setattr('grad_req', 'null')`` freezes the network."""
        self.collect_params().setattr(name, value)

    def cast(self, dtype: Any) -> None:
        """Casts all parameters to dtype."""
        for child in self._children.values():
            child.cast(dtype)
        for _, p in self._own_params():
            p.cast(dtype)
        self._clear_cached_op()

    def apply(self, fn: Callable[[Block], Any]) -> Block:
        """Calls fn on every descendant block, then on this one; returns self."""
        for child in self._children.values():
            child.apply(fn)
        fn(self)
        return self

    def share_parameters(self, shared: dict) -> Block:
        """Uses the parameters of shared (structured name -> Parameter, e.g. ``other.collect_params()``) in
        place of this block's parameters of the same structured name; returns self."""
        if shared is None:
            return self
        if not isinstance(shared, dict):
            raise ValueError(f"share_parameters: 'shared' must be a dict, got {type(shared).__name__}")
        remaining = set(shared.keys())
        self._share_parameters(shared, remaining)
        for name in sorted(remaining):
            warnings.warn(f"Parameter name {name} is not in the current model!", stacklevel=2)
        return self

    def _share_parameters(self, shared: dict, remaining: set, prefix: str = "") -> None:
        if prefix:
            prefix += "."
        for name in list(self._reg_params):
            key = prefix + name
            value = dict.get(shared, key)
            if value is not None:
                setattr(self, name, value)
                remaining.discard(key)
        for cname, child in self._children.items():
            child._share_parameters(shared, remaining, prefix + cname)
        self._clear_cached_op()

    def hybridize(self, active: bool = True, **kwargs: Any) -> None:
        """Activates or deactivates hybridization of the HybridBlocks in this tree (no effect on Blocks)."""
        for child in self._children.values():
            child.hybridize(active, **kwargs)

    def _clear_cached_op(self) -> None:
        pass

    # ---- save / load ---------------------------------------------------------------------------------------
    def save_parameters(self, filename: str, deduplicate: bool = False) -> None:
        """Saves the parameters under their structured names (``'0.weight'``) in MXNet's .params format
        (or .npz when filename ends so). deduplicate stores a shared parameter once."""
        params = self._collect_params_with_prefix()
        if deduplicate:
            reverse = {id(v): k for k, v in reversed(list(params.items()))}
            params = OrderedDict((k, v) for k, v in params.items() if reverse[id(v)] == k)
        nd.save(filename, {k: v._reduce() for k, v in params.items()})

    def load_parameters(
        self,
        filename: str,
        ctx: Context | list[Context] | None = None,
        allow_missing: bool = False,
        ignore_extra: bool = False,
        cast_dtype: bool = False,
        dtype_source: str = "current",
    ) -> None:
        """Loads parameters saved by :meth:`save_parameters` (braid or MXNet 1.x/2), ``export``
        (``arg:``/``aux:`` names) or ``ParameterDict.save``.

        Parameters
        ----------
        filename : str
            Path of the file.
        ctx : Context or list of Context, optional
            Where to put parameters that are not initialized yet (default cpu(0), or the contexts of a pending
            deferred initialization); initialized parameters keep their contexts.
        allow_missing : bool
            Leave parameters absent from the file as they are instead of raising.
        ignore_extra : bool
            Ignore names in the file that match no parameter instead of raising.
        cast_dtype : bool
            Cast loaded values whose dtype differs instead of raising.
        dtype_source : {'current', 'saved'}
            With cast_dtype: keep the parameters' dtype ('current') or adopt the saved one ('saved').
        """
        loaded = nd.load(filename)
        if isinstance(loaded, list):
            if not loaded and not self._collect_params_with_prefix():
                return
            raise ValueError(f"load_parameters: '{filename}' holds an unnamed list of arrays, not parameters")
        self.load_dict(loaded, ctx, allow_missing, ignore_extra, cast_dtype, dtype_source, _source=filename)

    def load_dict(
        self,
        param_dict: dict,
        ctx: Context | list[Context] | None = None,
        allow_missing: bool = False,
        ignore_extra: bool = False,
        cast_dtype: bool = False,
        dtype_source: str = "current",
        _source: str | None = None,
    ) -> None:
        """Loads parameters from a dict name -> NDArray (names as accepted by :meth:`load_parameters`)."""
        where = f"file '{_source}'" if _source is not None else "the given dict"
        params = self._collect_params_with_prefix()
        if not param_dict and not params:
            return
        by_name: dict[str, Parameter] = {}
        for p in params.values():
            by_name.setdefault(p.name, p)
        matched: list[tuple[Parameter, NDArray]] = []
        extra = []
        keys = {key: key[4:] if key.startswith(("arg:", "aux:")) else key for key in param_dict}
        renamed = self._match_root_prefix(
            [k for k in keys.values() if k not in params and k not in by_name and self.prefix + k not in by_name],
            by_name,
        )
        for key, value in param_dict.items():
            k = keys[key]
            p = params.get(k) or by_name.get(k) or by_name.get(self.prefix + k) or renamed.get(k)
            if p is None:
                extra.append(key)
            else:
                if not isinstance(value, NDArray):
                    value = nd.array(np.asarray(value))
                matched.append((p, value))
        if extra and not ignore_extra:
            raise ValueError(
                f"Parameter '{extra[0]}' loaded from {where} is not present in this Block, which contains "
                f"parameters {_brief(params.keys())}. Set ignore_extra=True to ignore."
            )
        if not allow_missing:
            got = {id(p) for p, _ in matched}
            for name, p in params.items():
                if id(p) not in got:
                    raise ValueError(
                        f"Parameter '{name}' is missing in {where}, which contains parameters: "
                        f"{_brief(param_dict.keys())}. Set allow_missing=True to ignore missing parameters."
                    )
        for p, value in matched:
            p._load_init(value, ctx, cast_dtype=cast_dtype, dtype_source=dtype_source)
        self.apply(lambda b: b._clear_cached_op())

    def _match_root_prefix(self, names: list[str], by_name: dict[str, Parameter]) -> dict[str, Parameter]:
        """Maps saved names written under another root prefix to this block's parameters.

        A network rebuilt in another process gets other automatic prefixes (``hybridsequential3_`` instead
        of the exporter's ``hybridsequential0_``); below the root, names created in ``name_scope`` agree. The
        mapping is used only when one prefix P turns every given name into ``self.prefix + rest`` of a
        parameter of this block."""
        pre = self.prefix
        if not names or not pre:
            return {}
        local = {n[len(pre) :]: p for n, p in by_name.items() if n.startswith(pre) and len(n) > len(pre)}
        if not local:
            return {}
        first = names[0]
        suffixes = sorted((s for s in local if first.endswith(s) and len(first) > len(s)), key=len, reverse=True)
        for suffix in suffixes:
            root = first[: -len(suffix)]
            if root.endswith("_") and all(n.startswith(root) and n[len(root) :] in local for n in names):
                return {n: local[n[len(root) :]] for n in names}
        return {}

    save_params = save_parameters  # MXNet < 1.3 names
    load_params = load_parameters

    # ---- hooks and calling ---------------------------------------------------------------------------------
    def register_forward_pre_hook(self, hook: Callable[[Block, tuple], Any]) -> HookHandle:
        """Registers hook(block, inputs), called before forward."""
        return HookHandle(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook: Callable[[Block, tuple, Any], Any]) -> HookHandle:
        """Registers hook(block, inputs, outputs), called after forward."""
        return HookHandle(self._forward_hooks, hook)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Calls forward (with the registered hooks around it)."""
        for hook in self._forward_pre_hooks.values():
            hook(self, args)
        if self._reg_params:
            self._infer_param_shapes(*args)
        out = self.forward(*args, **kwargs)
        for hook in self._forward_hooks.values():
            hook(self, args, out)
        return out

    def forward(self, *args: Any) -> Any:
        """The computation; subclasses override it."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def infer_shape(self, *args: Any) -> None:
        """Infers parameter shapes from example inputs.

        Layers override it to set the unknown dimensions of their own parameters from the input
        (``self.weight.shape = (units, x.shape[1])``); it is called on the first forward of a layer whose
        parameters have unknown shapes. This default runs one forward pass under ``autograd.pause()``
        (which completes the deferred initialization of every child layer).
        """
        with autograd.pause():
            self(*args)

    def _infer_param_shapes(self, *args: Any) -> None:
        """Fills the unknown shapes of this block's own parameters from args (via ``infer_shape``) and
        finishes their deferred initialization. Cheap when nothing is pending."""
        for p in self._reg_params.values():
            if p._data is None:
                break
        else:
            return  # every parameter has data: nothing pending
        pending = [p for p in self._reg_params.values() if p._deferred_init or not p._shape_known()]
        if not pending:
            return
        unknown = [p for p in pending if not p._shape_known()]
        if unknown:
            if args and _is_symbol(args[0]):
                return
            if type(self).infer_shape is Block.infer_shape:
                raise DeferredInitializationError(
                    f"{type(self).__name__} '{self.name}': parameter(s) {_brief(p.name for p in unknown)} have "
                    f"unknown shape(s) {[p.shape for p in unknown]} and {type(self).__name__} does not implement "
                    "infer_shape(self, *args) to set them from the input. Give the full shapes when creating "
                    "the parameters, or override infer_shape."
                )
            self.infer_shape(*args)
            still = [p for p in unknown if not p._shape_known()]
            if still:
                raise DeferredInitializationError(
                    f"{type(self).__name__} '{self.name}': infer_shape left parameter(s) "
                    f"{_brief(p.name for p in still)} with unknown shape(s) {[p.shape for p in still]}"
                )
        for p in pending:
            if p._deferred_init:
                p._finish_deferred_init()

    # ---- summary -------------------------------------------------------------------------------------------
    def summary(self, *inputs: Any) -> None:
        """Prints each layer (type and index), its output shape and parameter count, then the totals
        (all, trainable, non-trainable, shared). Runs one forward pass on inputs (imperatively, also for
        hybridized blocks)."""
        from .nn.basic_layers import HybridSequential, Sequential

        summary: OrderedDict = OrderedDict()
        seen: set[int] = set()
        hooks: list[HookHandle] = []

        def _summary_hook(block: Block, _: tuple, outputs: Any) -> None:
            m_key = f"{block.__class__.__name__}-{len(summary)}"
            entry = summary[m_key] = {"output_shape": _shape_str(outputs), "n_params": 0, "trainable": 0, "shared": 0}
            for _, p in block._own_params():
                size = int(np.prod(p.shape)) if p.shape is not None else 0
                entry["n_params"] += size
                entry["trainable"] += 0 if p.grad_req == "null" else size
                if id(p) in seen:
                    entry["shared"] += size
                else:
                    seen.add(id(p))

        def _register(block: Block) -> None:
            if not isinstance(block, (Sequential, HybridSequential)):
                hooks.append(block.register_forward_hook(_summary_hook))

        summary["Input"] = {"output_shape": _shape_str(inputs), "n_params": 0, "trainable": 0, "shared": 0}
        active: list[tuple[HybridBlock, bool]] = []
        self.apply(lambda b: active.append((b, b._active)) if isinstance(b, HybridBlock) else None)
        try:
            for b, _ in active:
                b._active = False
            self.apply(_register)
            with autograd.pause():
                self(*inputs)
            line_format = "{:>20}  {:>42} {:>15}"
            print("-" * 80)
            print(line_format.format("Layer (type)", "Output Shape", "Param #"))
            print("=" * 80)
            total = trainable = shared = 0
            for layer, e in summary.items():
                print(line_format.format(layer, str(e["output_shape"]), e["n_params"]))
                total += e["n_params"]
                trainable += e["trainable"]
                shared += e["shared"]
            print("=" * 80)
            print(f"Parameters in all layers: {total}")
            print(f"Trainable params: {trainable}")
            print(f"Non-trainable params: {total - trainable}")
            print(f"Shared params in this model: {shared}")
            print("-" * 80)
        finally:
            for h in hooks:
                h.detach()
            for b, was in active:
                b._active = was


# ---- HybridBlock -------------------------------------------------------------------------------------------


class HybridBlock(Block):
    """A Block that can be hybridized (compiled into a cached graph).

    Write the computation either as ``forward(self, x)`` (MXNet 2 style; parameters read with
    ``self.weight.data(x.context)``) or as ``hybrid_forward(self, F, x, weight, bias=None)`` (MXNet 1.x
    style): F is ``braid.nd`` when called on NDArrays (``braid.symbol`` when traced on Symbols), and every
    registered parameter is passed as a keyword argument named like its attribute, as an NDArray on x's
    context. Children of a HybridBlock must be HybridBlocks.

    Layers whose parameters have unknown dimensions implement ``infer_shape(self, x, *args)`` to set them from
    the first input.
    """

    def __init__(self, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        d = self.__dict__
        d["_active"] = False
        d["_flags"] = {}
        d["_cached_graph"] = ()
        d["_cached_op"] = None

    def register_child(self, block: Block, name: str | None = None) -> None:
        if not isinstance(block, HybridBlock):
            raise ValueError(
                f"Children of HybridBlock must also be HybridBlock, but {block!r} has type {type(block)}. If you "
                "are using Sequential, please try HybridSequential instead."
            )
        super().register_child(block, name)

    def hybridize(
        self, active: bool = True, static_alloc: bool = False, static_shape: bool = False, **kwargs: Any
    ) -> None:
        """Activates (or deactivates) hybridization of this block and its HybridBlock descendants.

        Parameters
        ----------
        active : bool
            Whether to hybridize.
        static_alloc : bool
            Statically allocate memory to improve speed (a hint for the cached graph).
        static_shape : bool
            Optimize for invariant input shapes between iterations (needs static_alloc).
        **kwargs
            Further flags, kept in ``self._flags`` for the cached graph.
        """
        self._active = bool(active)
        self._flags = dict(kwargs, static_alloc=static_alloc, static_shape=static_shape)
        self._clear_cached_op()
        for child in self._children.values():
            child.hybridize(active, static_alloc=static_alloc, static_shape=static_shape, **kwargs)

    def _clear_cached_op(self) -> None:
        d = self.__dict__
        if "_cached_op" in d:
            d["_cached_graph"] = ()
            d["_cached_op"] = None

    def infer_type(self, *args: Any) -> None:
        """Parameter dtypes are given at creation (or by cast); nothing to infer imperatively."""

    def export(self, path: str, epoch: int = 0, remove_amp_cast: bool = True) -> tuple[str, str]:
        """Writes the traced graph and parameters in MXNet's format: ``path-symbol.json`` and
        ``path-EPOCH.params`` (``arg:``/``aux:`` + parameter name). Hybridize and run one forward pass first.
        Returns the two file names. MXNet 1.9.1's ``SymbolBlock.imports`` and braid's load them."""
        return _cached.export(self, path, epoch)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Runs the block: through ``braid.gluon._cached.call_cached`` when hybridized, else eagerly."""
        if self._active and not kwargs and not _tls.imperative and args and type(args[0]) is NDArray:
            if not self._forward_pre_hooks and not self._forward_hooks:
                return _cached.call_cached(self, *args)  # the hot path of a hybridized block
        for hook in self._forward_pre_hooks.values():
            hook(self, args)
        if args and _is_symbol(args[0]):
            out = self.forward(*args, **kwargs)
        elif self._active and not kwargs and not _tls.imperative:
            out = _cached.call_cached(self, *args)
        else:
            out = self._call_imperative(*args, **kwargs)
        for hook in self._forward_hooks.values():
            hook(self, args, out)
        return out

    def _call_imperative(self, *args: Any, **kwargs: Any) -> Any:
        """Runs this block eagerly on NDArrays: finishes deferred initialization, then forward. While an
        active (hybridized) block runs here, its descendants run eagerly as well."""
        self._infer_param_shapes(*args)
        if not self._active or _tls.imperative:
            return self.forward(*args, **kwargs)
        _tls.imperative = True
        try:
            return self.forward(*args, **kwargs)
        finally:
            _tls.imperative = False

    def forward(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        """Calls ``hybrid_forward(F, x, *args, **params)`` with F = braid.nd and the parameters' data on x's
        context (or F = braid.symbol and the parameters' symbols when x is a Symbol). Override either this
        or hybrid_forward."""
        if type(self).hybrid_forward is HybridBlock.hybrid_forward:
            raise NotImplementedError(
                f"{type(self).__name__} must implement forward(self, x, ...) or hybrid_forward(self, F, x, ...)"
            )
        if _is_symbol(x):
            F = importlib.import_module("braid.symbol")
            params = {k: p.var() for k, p in self._reg_params.items()}
            with F._gen.name_prefix(self.prefix):
                return self.hybrid_forward(F, x, *args, **params, **kwargs)
        try:
            params = self._param_arrays(x, args)
        except DeferredInitializationError:
            self._infer_param_shapes(x, *args)  # forward() called directly, not through __call__
            params = self._param_arrays(x, args)
        return self.hybrid_forward(nd, x, *args, **params, **kwargs)

    def _param_arrays(self, x: Any, args: tuple) -> dict[str, NDArray]:
        """{attribute name: data} of this block's parameters, on the inputs' context. A parameter kept on a
        single context is used as is (an input on another device then fails in the op)."""
        params = {}
        ctx = None
        for k, p in self._reg_params.items():
            data = p._data
            if data is not None and len(data) == 1:
                params[k] = data[0]
                continue
            if ctx is None:
                ctx = x.context if isinstance(x, NDArray) else _find_ctx((x,) + args)
            params[k] = p.data(ctx)
        return params

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        """The computation written with F's operators (``F.FullyConnected(x, weight, bias, ...)``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement hybrid_forward(self, F, x, ...)")
