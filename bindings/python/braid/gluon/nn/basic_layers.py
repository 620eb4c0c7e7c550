"""Basic layers: containers, Dense, Dropout, normalisation, Embedding, Flatten, Lambda, Identity.

Every layer is a HybridBlock written as ``hybrid_forward(self, F, x, <params>)`` calling braid's registered
ops with MXNet's attribute names, so the same code runs eagerly (F = braid.nd) and traced (F = braid.symbol).
"""

from __future__ import annotations

import math
from typing import Any, Callable, Union

from ... import ndarray as _nd
from ..block import Block, HybridBlock, _indent
from ..parameter import _dtype_str
from .activations import Activation

__all__ = [
    "Sequential",
    "HybridSequential",
    "Dense",
    "Dropout",
    "Embedding",
    "BatchNorm",
    "InstanceNorm",
    "LayerNorm",
    "GroupNorm",
    "Flatten",
    "Lambda",
    "HybridLambda",
    "Identity",
    "Concatenate",
    "HybridConcatenate",
]


def _eager(F: Any) -> bool:
    return F is _nd


def _chain(children: Any, x: Any, args: tuple) -> Any:
    for block in children:
        x = block(x, *args)
        args = ()
        if isinstance(x, (tuple, list)):
            args = tuple(x[1:])
            x = x[0]
    if args:
        return (x,) + args
    return x


def _container_repr(self: Block) -> str:
    modstr = "\n".join(f"  ({key}): {_indent(repr(block), 2)}" for key, block in self._children.items())
    return f"{self.__class__.__name__}(\n{modstr}\n)"


class Sequential(Block):
    """Stacks Blocks sequentially: ``net.add(a, b)``, then ``net(x)`` is ``b(a(x))``.

    Supports ``len(net)``, ``net[i]`` and ``net[i:j]`` (a new Sequential sharing the layers).
    """

    def __init__(self, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)

    def add(self, *blocks: Block) -> None:
        """Appends blocks."""
        for block in blocks:
            self.register_child(block)

    def forward(self, x: Any, *args: Any) -> Any:
        return _chain(self._children.values(), x, args)

    __repr__ = _container_repr

    def __getitem__(self, key: Union[int, slice]) -> Any:
        layers = list(self._children.values())[key]
        if isinstance(layers, list):
            net = type(self)(prefix=self._prefix)
            with net.name_scope():
                net.add(*layers)
            return net
        return layers

    def __len__(self) -> int:
        return len(self._children)

    def __iter__(self) -> Any:
        return iter(self._children.values())


class HybridSequential(HybridBlock):
    """Stacks HybridBlocks sequentially (hybridizable); see :class:`Sequential`."""

    def __init__(self, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)

    def add(self, *blocks: HybridBlock) -> None:
        """Appends blocks."""
        for block in blocks:
            self.register_child(block)

    def hybrid_forward(self, F: Any, x: Any, *args: Any) -> Any:
        return _chain(self._children.values(), x, args)

    __repr__ = _container_repr

    def __getitem__(self, key: Union[int, slice]) -> Any:
        layers = list(self._children.values())[key]
        if isinstance(layers, list):
            net = type(self)(prefix=self._prefix)
            with net.name_scope():
                net.add(*layers)
            return net
        return layers

    def __len__(self) -> int:
        return len(self._children)

    def __iter__(self) -> Any:
        return iter(self._children.values())


class Dense(HybridBlock):
    """Densely-connected layer: ``activation(dot(x, weight.T) + bias)``, MXNet's ``FullyConnected``.

    Parameters
    ----------
    units : int
        Output size.
    activation : str, optional
        Activation applied to the output ('relu', 'tanh', ...; see :class:`Activation`).
    use_bias : bool
        Whether to add a bias.
    flatten : bool
        True: the input (batch, x1, ..., xn) is flattened to (batch, x1*...*xn). False: the transformation
        applies to the last axis and the other axes are kept.
    dtype : str
        Data type of the parameters.
    weight_initializer, bias_initializer : Initializer or str
        Initializers of weight (default: the global one) and bias (default 'zeros').
    in_units : int
        Input size; 0 infers it from the first input (deferred initialization).

    The weight has shape (units, in_units), the bias (units,).
    """

    def __init__(
        self,
        units: int,
        activation: str | None = None,
        use_bias: bool = True,
        flatten: bool = True,
        dtype: Any = "float32",
        weight_initializer: Any = None,
        bias_initializer: Any = "zeros",
        in_units: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._flatten = flatten
        with self.name_scope():
            self._units = int(units)
            self._in_units = int(in_units)
            self.weight = self.params.get(
                "weight", shape=(units, in_units), init=weight_initializer, dtype=dtype, allow_deferred_init=True
            )
            if use_bias:
                self.bias = self.params.get(
                    "bias", shape=(units,), init=bias_initializer, dtype=dtype, allow_deferred_init=True
                )
            else:
                self.bias = None
            if activation is not None:
                self.act = Activation(activation, prefix=activation + "_")
            else:
                self.act = None

    def _in_units_of(self, x: Any) -> int:
        return math.prod(x.shape[1:]) if self._flatten else x.shape[-1]

    def infer_shape(self, x: Any, *args: Any) -> None:
        """Sets in_units from the input (flattened size, or last axis when flatten=False)."""
        self.weight.shape = (self._units, self._in_units_of(x))

    def hybrid_forward(self, F: Any, x: Any, weight: Any, bias: Any = None) -> Any:
        if _eager(F):
            got = self._in_units_of(x)
            if got != weight.shape[1]:
                how = "flattened size" if self._flatten else "last axis"
                raise ValueError(
                    f"Dense '{self.name}': input of shape {x.shape} has in_units={got} ({how}), but parameter "
                    f"'{self.weight.name}' has shape {weight.shape}, i.e. in_units={weight.shape[1]}"
                )
        act = F.FullyConnected(
            x, weight, bias, no_bias=bias is None, num_hidden=self._units, flatten=self._flatten, name="fwd"
        )
        if self.act is not None:
            act = self.act(act)
        return act

    def __repr__(self) -> str:
        shape = self.weight.shape
        layout = f"{shape[1] if shape[1] else None} -> {shape[0]}"
        return f"{self.__class__.__name__}({layout}, {self.act if self.act else 'linear'})"


class Dropout(HybridBlock):
    """Dropout: in training mode (``autograd.record()``), zeroes a fraction ``rate`` of the inputs and scales
    the rest by 1 / (1 - rate); the identity in prediction mode.

    Parameters
    ----------
    rate : float
        Fraction of the inputs dropped, in [0, 1).
    axes : tuple of int
        Axes along which the same mask is shared (variational dropout).
    """

    def __init__(self, rate: float, axes: tuple = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Dropout: rate must be in [0, 1], got {rate}")
        self._rate = float(rate)
        self._axes = tuple(axes)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        if self._rate > 0:
            out = F.Dropout(x, p=self._rate, axes=self._axes, name="fwd", cudnn_off=False)
            if isinstance(out, (list, tuple)):  # braid.nd returns the mask too
                out = out[0]
            return out
        return F.identity(x)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p = {self._rate}, axes={self._axes})"


class BatchNorm(HybridBlock):
    """Batch normalization (Ioffe and Szegedy, 2015).

    In training mode (inside ``autograd.record()``) normalizes with the batch statistics and updates the
    running statistics (``running = momentum * running + (1 - momentum) * batch``); in prediction mode (or with
    use_global_stats) uses the running statistics.

    Parameters
    ----------
    axis : int
        The channel axis (1 for NCHW).
    momentum : float
        Momentum of the running statistics.
    epsilon : float
        Added to the variance.
    center, scale : bool
        Whether beta is added / gamma multiplied (and trained).
    use_global_stats : bool
        Always normalize with the running statistics.
    beta_initializer, gamma_initializer, running_mean_initializer, running_variance_initializer
        Initializers (default zeros, ones, zeros, ones).
    in_channels : int
        Number of channels; 0 infers it from the first input.
    """

    def __init__(
        self,
        axis: int = 1,
        momentum: float = 0.9,
        epsilon: float = 1e-5,
        center: bool = True,
        scale: bool = True,
        use_global_stats: bool = False,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        running_mean_initializer: Any = "zeros",
        running_variance_initializer: Any = "ones",
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._kwargs = {
            "axis": int(axis),
            "eps": float(epsilon),
            "momentum": float(momentum),
            "fix_gamma": not scale,
            "use_global_stats": bool(use_global_stats),
        }
        if in_channels != 0:
            self.in_channels = in_channels
        self.gamma = self.params.get(
            "gamma",
            grad_req="write" if scale else "null",
            shape=(in_channels,),
            init=gamma_initializer,
            allow_deferred_init=True,
            differentiable=scale,
        )
        self.beta = self.params.get(
            "beta",
            grad_req="write" if center else "null",
            shape=(in_channels,),
            init=beta_initializer,
            allow_deferred_init=True,
            differentiable=center,
        )
        self.running_mean = self.params.get(
            "running_mean",
            grad_req="null",
            shape=(in_channels,),
            init=running_mean_initializer,
            allow_deferred_init=True,
            differentiable=False,
        )
        self.running_var = self.params.get(
            "running_var",
            grad_req="null",
            shape=(in_channels,),
            init=running_variance_initializer,
            allow_deferred_init=True,
            differentiable=False,
        )

    def cast(self, dtype: Any) -> None:
        """Casts; float16 is kept as float32 for the statistics, as in MXNet."""
        if _dtype_str(dtype) == "float16":
            dtype = "float32"
        super().cast(dtype)

    def infer_shape(self, x: Any, *args: Any) -> None:
        """Sets the channel count from x.shape[axis]."""
        c = int(x.shape[self._kwargs["axis"]])
        for p in (self.gamma, self.beta, self.running_mean, self.running_var):
            p.shape = (c,)

    def hybrid_forward(self, F: Any, x: Any, gamma: Any, beta: Any, running_mean: Any, running_var: Any) -> Any:
        if _eager(F):
            c = x.shape[self._kwargs["axis"]]
            if c != gamma.shape[0]:
                raise ValueError(
                    f"BatchNorm '{self.name}': input of shape {x.shape} has {c} channels on axis "
                    f"{self._kwargs['axis']}, but parameter '{self.gamma.name}' has shape {gamma.shape}"
                )
        return F.BatchNorm(x, gamma, beta, running_mean, running_var, name="fwd", **self._kwargs)

    def __repr__(self) -> str:
        content = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        c = self.gamma.shape[0]
        return f"{self.__class__.__name__}({content}, in_channels={c if c else None})"


class _NormBase(HybridBlock):
    """gamma/beta of shape (channels,) with the channel count taken from x.shape[axis]."""

    def _make_params(
        self, center: bool, scale: bool, beta_initializer: Any, gamma_initializer: Any, shape: tuple
    ) -> None:
        self.gamma = self.params.get(
            "gamma", grad_req="write" if scale else "null", shape=shape, init=gamma_initializer,
            allow_deferred_init=True,
        )  # fmt: skip
        self.beta = self.params.get(
            "beta", grad_req="write" if center else "null", shape=shape, init=beta_initializer,
            allow_deferred_init=True,
        )  # fmt: skip

    def infer_shape(self, x: Any, *args: Any) -> None:
        """Sets the channel count from x.shape[axis]."""
        c = int(x.shape[self._axis])
        self.gamma.shape = (c,)
        self.beta.shape = (c,)

    def _check(self, x: Any, gamma: Any) -> None:
        c = x.shape[self._axis]
        if c != gamma.shape[0]:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': input of shape {x.shape} has {c} channels on axis "
                f"{self._axis}, but parameter '{self.gamma.name}' has shape {gamma.shape}"
            )


class InstanceNorm(_NormBase):
    """Instance normalization (Ulyanov et al. 2016): each (sample, channel) is normalized over its other axes.

    Parameters
    ----------
    axis : int
        The channel axis (1 for NCHW).
    epsilon : float
        Added to the variance.
    center : bool
        Whether beta is added (and trained).
    scale : bool
        Whether gamma is multiplied and trained (default False, as in MXNet: gamma stays 1).
    beta_initializer, gamma_initializer
        Initializers (default zeros, ones).
    in_channels : int
        Number of channels; 0 infers it from the first input.
    """

    def __init__(
        self,
        axis: int = 1,
        epsilon: float = 1e-5,
        center: bool = True,
        scale: bool = False,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._kwargs = {"eps": float(epsilon), "axis": int(axis), "center": center, "scale": scale}
        self._axis = int(axis)
        self._epsilon = float(epsilon)
        self._make_params(center, scale, beta_initializer, gamma_initializer, (in_channels,))

    def hybrid_forward(self, F: Any, x: Any, gamma: Any, beta: Any) -> Any:
        if _eager(F):
            self._check(x, gamma)
        if self._axis == 1:
            return F.InstanceNorm(x, gamma, beta, name="fwd", eps=self._epsilon)
        x = F.swapaxes(x, 1, self._axis)
        return F.swapaxes(F.InstanceNorm(x, gamma, beta, name="fwd", eps=self._epsilon), 1, self._axis)

    def __repr__(self) -> str:
        content = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        c = self.gamma.shape[0]
        return f"{self.__class__.__name__}({content}, in_channels={c if c else None})"


class LayerNorm(_NormBase):
    """Layer normalization (Ba et al. 2016): normalizes over ``axis`` (default the last), then scales and
    shifts with gamma/beta of that axis' size.

    Parameters
    ----------
    axis : int
        The normalized axis.
    epsilon : float
        Added to the variance.
    center, scale : bool
        Whether beta is added / gamma multiplied (and trained).
    beta_initializer, gamma_initializer
        Initializers (default zeros, ones).
    in_channels : int
        Size of the axis; 0 infers it from the first input.
    """

    def __init__(
        self,
        axis: int = -1,
        epsilon: float = 1e-5,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        in_channels: int = 0,
        prefix: str | None = None,
        params: Any = None,
    ) -> None:
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {"eps": float(epsilon), "axis": int(axis), "center": center, "scale": scale}
        self._axis = int(axis)
        self._epsilon = float(epsilon)
        self._center = center
        self._scale = scale
        self._make_params(center, scale, beta_initializer, gamma_initializer, (in_channels,))

    def hybrid_forward(self, F: Any, data: Any, gamma: Any, beta: Any) -> Any:
        if _eager(F):
            self._check(data, gamma)
        out = F.LayerNorm(data, gamma=gamma, beta=beta, axis=self._axis, eps=self._epsilon)
        return out[0] if isinstance(out, (list, tuple)) else out

    def __repr__(self) -> str:
        content = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        c = self.gamma.shape[0]
        return f"{self.__class__.__name__}({content}, in_channels={c if c else None})"


class GroupNorm(HybridBlock):
    """Group normalization (Wu and He, 2018): the channels (axis 1) are split into num_groups groups, each
    (sample, group) normalized on its own.

    As in MXNet 1.x, gamma and beta have shape (num_groups,): one scale and shift per group.

    Parameters
    ----------
    num_groups : int
        Number of groups; must divide the channel count.
    epsilon : float
        Added to the variance.
    center, scale : bool
        Whether beta is added / gamma multiplied (and trained).
    beta_initializer, gamma_initializer
        Initializers (default zeros, ones).
    """

    def __init__(
        self,
        num_groups: int = 1,
        epsilon: float = 1e-5,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        prefix: str | None = None,
        params: Any = None,
    ) -> None:
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {"eps": float(epsilon), "num_groups": int(num_groups), "center": center, "scale": scale}
        self._num_groups = int(num_groups)
        self._epsilon = float(epsilon)
        self._center = center
        self._scale = scale
        self.gamma = self.params.get(
            "gamma", grad_req="write" if scale else "null", shape=(num_groups,), init=gamma_initializer,
            allow_deferred_init=True,
        )  # fmt: skip
        self.beta = self.params.get(
            "beta", grad_req="write" if center else "null", shape=(num_groups,), init=beta_initializer,
            allow_deferred_init=True,
        )  # fmt: skip

    def hybrid_forward(self, F: Any, data: Any, gamma: Any, beta: Any) -> Any:
        if _eager(F) and data.shape[1] % self._num_groups:
            raise ValueError(
                f"GroupNorm '{self.name}': num_groups={self._num_groups} does not divide the {data.shape[1]} "
                f"channels of the input of shape {data.shape}"
            )
        return F.GroupNorm(data, gamma=gamma, beta=beta, num_groups=self._num_groups, eps=self._epsilon)

    def __repr__(self) -> str:
        content = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        return f"{self.__class__.__name__}({content})"


class Embedding(HybridBlock):
    """Maps integer indices to dense vectors: row ``x`` of a (input_dim, output_dim) weight.

    Parameters
    ----------
    input_dim : int
        Vocabulary size (indices are in [0, input_dim)).
    output_dim : int
        Size of each vector.
    dtype : str
        Data type of the vectors.
    weight_initializer : Initializer
        Initializer of the weight (default: the global one).
    sparse_grad : bool
        Accepted for MXNet compatibility; braid computes a dense gradient.
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        dtype: Any = "float32",
        weight_initializer: Any = None,
        sparse_grad: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._kwargs = {
            "input_dim": int(input_dim),
            "output_dim": int(output_dim),
            "dtype": _dtype_str(dtype),
            "sparse_grad": bool(sparse_grad),
        }
        self.weight = self.params.get(
            "weight",
            shape=(input_dim, output_dim),
            init=weight_initializer,
            dtype=dtype,
            allow_deferred_init=True,
            grad_stype="row_sparse" if sparse_grad else "default",
        )

    def hybrid_forward(self, F: Any, x: Any, weight: Any) -> Any:
        return F.Embedding(x, weight, name="fwd", **self._kwargs)

    def __repr__(self) -> str:
        k = self._kwargs
        return f"{self.__class__.__name__}({k['input_dim']} -> {k['output_dim']}, {k['dtype']})"


class Flatten(HybridBlock):
    """Flattens (batch, d1, ..., dn) to (batch, d1*...*dn)."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.Flatten(x)

    def __repr__(self) -> str:
        return self.__class__.__name__


class Lambda(Block):
    """Wraps a function as a Block: a callable, or the name of a ``braid.nd`` function (``Lambda('tanh')``)."""

    def __init__(self, function: Union[str, Callable], prefix: str | None = None) -> None:
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            if not hasattr(_nd, function):
                raise ValueError(f"Lambda: function name {function!r} is not found in braid.nd")
            self._func_impl = getattr(_nd, function)
        elif callable(function):
            self._func_impl = function
        else:
            raise ValueError(f"Lambda: unrecognized function {function!r}; expected a callable or a braid.nd name")

    def forward(self, *args: Any) -> Any:
        return self._func_impl(*args)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({getattr(self._func_impl, '__name__', repr(self._func_impl))})"


class HybridLambda(HybridBlock):
    """Wraps a function as a HybridBlock: ``function(F, x, *args)``, or the name of an operator available in
    both braid.nd and braid.symbol (``HybridLambda('tanh')``)."""

    def __init__(self, function: Union[str, Callable], prefix: str | None = None) -> None:
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            if not hasattr(_nd, function):
                raise ValueError(f"HybridLambda: function name {function!r} is not found in braid.nd")
            name = function
            self._func: Callable = lambda F, *args: getattr(F, name)(*args)
            self._func_name = function
        elif callable(function):
            self._func = function
            self._func_name = getattr(function, "__name__", repr(function))
        else:
            raise ValueError(
                f"HybridLambda: unrecognized function {function!r}; expected a callable or an operator name"
            )

    def hybrid_forward(self, F: Any, x: Any, *args: Any) -> Any:
        return self._func(F, x, *args)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self._func_name})"


class Identity(HybridBlock):
    """Returns its input unchanged (a placeholder layer)."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return x

    def __repr__(self) -> str:
        return self.__class__.__name__


class Concatenate(Sequential):
    """Runs each child on the same input and concatenates the outputs along axis."""

    def __init__(self, axis: int = -1, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def forward(self, x: Any) -> Any:
        return _nd.concat(*[block(x) for block in self._children.values()], dim=self.axis)


class HybridConcatenate(HybridSequential):
    """Hybridizable :class:`Concatenate`."""

    def __init__(self, axis: int = -1, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.concat(*[block(x) for block in self._children.values()], dim=self.axis)
