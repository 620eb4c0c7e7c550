"""Weight initializers (MXNet's ``mx.init`` / ``mx.initializer``), also available as ``braid.init``.

An initializer is called with a parameter name (or an :class:`InitDesc`) and the NDArray to fill::

    >>> import braid as mx
    >>> w = mx.nd.zeros((64, 32))
    >>> mx.init.Xavier(magnitude=2.24)("fc_weight", w)

As in MXNet, the base class dispatches on the end of the name: ``*weight`` goes to ``_init_weight``,
``*bias`` and ``*beta`` are zeros, ``*gamma`` ones, running/moving means zeros and running/moving variances
ones. A parameter created with its own ``init`` (``InitDesc.attrs['__init__']``) is filled by that
initializer's ``_init_weight`` whatever its name. Initializers are looked up by name with :func:`create`
(``'xavier'``, ``'zeros'``, ``'ones'``, ``'uniform'``, ...); add your own with :func:`register`.

Random initializers draw from braid's own generator (``braid.nd.random``), so ``braid.random.seed(n)``
makes initialization reproducible.
"""

from __future__ import annotations

import json
import re
import warnings
from typing import Any, Callable, Sequence, TypeVar

import numpy as np

from . import ndarray as nd
from .ndarray import NDArray

__all__ = [
    "InitDesc",
    "Initializer",
    "register",
    "alias",
    "create",
    "Zero",
    "One",
    "Constant",
    "Uniform",
    "Normal",
    "Xavier",
    "MSRAPrelu",
    "Orthogonal",
    "Bilinear",
    "LSTMBias",
    "Mixed",
    "Load",
]

_REGISTRY: dict[str, type] = {}
T = TypeVar("T", bound=type)


class InitDesc(str):
    """A parameter name that carries initialization hints.

    Parameters
    ----------
    name : str
        Name of the parameter (the suffix selects the default pattern: weight, bias, gamma, beta...).
    attrs : dict, optional
        Attributes; ``attrs['__init__']`` is the parameter's own initializer (instance, name or dumps() string).
    global_init : Initializer, optional
        The global initializer this description is being initialized with.
    """

    attrs: dict
    global_init: Any

    def __new__(cls, name: str, attrs: dict | None = None, global_init: Any = None) -> InitDesc:
        ret = super().__new__(cls, name)
        ret.attrs = dict(attrs or {})
        ret.global_init = global_init
        return ret


def register(klass: T) -> T:
    """Registers an Initializer subclass under its lower-case class name, so ``create('name')`` finds it.

    Usable as a decorator::

        @mx.init.register
        class MyInit(mx.init.Initializer):
            def _init_weight(self, name, arr):
                arr[:] = 42
    """
    if not (isinstance(klass, type) and issubclass(klass, Initializer)):
        raise TypeError(f"register: expected an Initializer subclass, got {klass!r}")
    name = klass.__name__.lower()
    if name in _REGISTRY and _REGISTRY[name] is not klass:
        warnings.warn(f"New initializer {klass.__name__} is overriding existing initializer {name!r}", stacklevel=2)
    _REGISTRY[name] = klass
    return klass


def alias(*aliases: str) -> Callable[[T], T]:
    """Decorator registering an Initializer subclass under extra names (``@alias('zeros')``)."""

    def reg(klass: T) -> T:
        for a in aliases:
            _REGISTRY[a.lower()] = klass
        return klass

    return reg


def create(init: Any, **kwargs: Any) -> Initializer:
    """An Initializer from an instance (returned as is), a subclass, a registered name (``'xavier'``) or the
    JSON string of :meth:`Initializer.dumps`. Extra keyword arguments go to the constructor."""
    if isinstance(init, Initializer):
        return init
    if isinstance(init, type) and issubclass(init, Initializer):
        return init(**kwargs)
    if isinstance(init, str):
        s = init.strip()
        if s.startswith("["):
            try:
                name, kw = json.loads(s)
            except (ValueError, TypeError):
                raise ValueError(f"create: cannot parse initializer description {init!r}") from None
            kw = dict(kw, **kwargs)
        else:
            name, kw = s, kwargs
        klass = _REGISTRY.get(str(name).lower())
        if klass is None:
            raise ValueError(f"Unknown initializer {name!r}; registered initializers: {sorted(_REGISTRY)}")
        return klass(**kw)
    raise TypeError(
        f"create: expected an Initializer, an Initializer subclass or a registered name, got {type(init).__name__}"
    )


class Initializer:
    """Base class of initializers.

    Subclasses implement ``_init_weight(name, arr)`` (and may override ``_init_bias``, ``_init_gamma``,
    ``_init_beta``). Calling an initializer fills ``arr`` in place: ``init(InitDesc('fc_weight'), arr)`` or
    ``init('fc_weight', arr)``.
    """

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._verbose = False
        self._print_func: Callable[[NDArray], str] | None = None

    def set_verbosity(self, verbose: bool = False, print_func: Callable[[NDArray], str] | None = None) -> Initializer:
        """Prints each initialized parameter (with print_func(arr), default its L2 norm / sqrt(size))."""
        self._verbose = verbose
        if print_func is None:

            def asum_stat(x: NDArray) -> str:
                a = x.asnumpy().astype(np.float64)
                return str(float(np.linalg.norm(a) / np.sqrt(max(a.size, 1))))

            print_func = asum_stat
        self._print_func = print_func
        return self

    def _verbose_print(self, desc: str, init: Any, arr: NDArray) -> None:
        if self._verbose and self._print_func:
            print(f"Initialized {desc} as {init}: {self._print_func(arr)}")

    def dumps(self) -> str:
        """JSON ``[name, kwargs]`` that :func:`create` turns back into this initializer."""
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        return f"{self.__class__.__name__}({args})"

    def __call__(self, desc: str, arr: NDArray) -> None:
        """Fills arr according to desc (an :class:`InitDesc` or a parameter name)."""
        if not isinstance(arr, NDArray):
            raise TypeError(f"{type(self).__name__}: expected an NDArray to initialize, got {type(arr).__name__}")
        if not isinstance(desc, InitDesc):
            desc = InitDesc(str(desc))
        if desc.global_init is None:
            desc.global_init = self
        init = desc.attrs.get("__init__", "")
        if init:
            # The parameter's own initializer wins over the name patterns.
            create(init)._init_weight(desc, arr)
            self._verbose_print(desc, init, arr)
            return
        name = desc.lower()
        if name.endswith("weight"):
            self._init_weight(desc, arr)
            self._verbose_print(desc, "weight", arr)
        elif name.endswith("bias"):
            self._init_bias(desc, arr)
            self._verbose_print(desc, "bias", arr)
        elif name.endswith("gamma"):
            self._init_gamma(desc, arr)
            self._verbose_print(desc, "gamma", arr)
        elif name.endswith("beta"):
            self._init_beta(desc, arr)
            self._verbose_print(desc, "beta", arr)
        elif name.endswith(("running_mean", "moving_mean", "moving_inv_var", "moving_avg", "min")):
            self._init_zero(desc, arr)
            self._verbose_print(desc, "zero", arr)
        elif name.endswith(("running_var", "moving_var", "max")):
            self._init_one(desc, arr)
            self._verbose_print(desc, "one", arr)
        else:
            self._init_default(desc, arr)

    # ---- patterns ----------------------------------------------------------------------------------------
    def _init_zero(self, _: str, arr: NDArray) -> None:
        arr[:] = 0.0

    def _init_one(self, _: str, arr: NDArray) -> None:
        arr[:] = 1.0

    def _init_bias(self, _: str, arr: NDArray) -> None:
        arr[:] = 0.0

    def _init_gamma(self, _: str, arr: NDArray) -> None:
        arr[:] = 1.0

    def _init_beta(self, _: str, arr: NDArray) -> None:
        arr[:] = 0.0

    def _init_weight(self, name: str, arr: NDArray) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement _init_weight (initializing {name!r})")

    def _init_default(self, name: str, _: NDArray) -> None:
        raise ValueError(
            f"Unknown initialization pattern for {name!r}. Default initialization is limited to names ending in "
            '"weight", "bias", "gamma" (1.0), "beta" (0.0), running/moving mean (0.0) and variance (1.0). Give '
            "the parameter its own initializer (Parameter(..., init=mx.init.Zero())) to initialize it."
        )


# ---- helpers ---------------------------------------------------------------------------------------------


def _fill(arr: NDArray, values: Any) -> None:
    """arr[:] = values, casting through float32 for dtypes the samplers do not produce."""
    if isinstance(values, NDArray):
        if values.dtype != arr.dtype:
            values = values.astype(arr.dtype)
        if values.context != arr.context:
            values = values.as_in_context(arr.context)
        values.copyto(arr)
    else:
        arr[:] = values


def _sample_dtype(arr: NDArray) -> str:
    return "float64" if arr.dtype == np.float64 else "float32"


def _uniform(arr: NDArray, low: float, high: float) -> None:
    _fill(arr, nd.random.uniform(low, high, shape=arr.shape, dtype=_sample_dtype(arr), ctx=arr.context))


def _normal(arr: NDArray, loc: float, scale: float) -> None:
    _fill(arr, nd.random.normal(loc, scale, shape=arr.shape, dtype=_sample_dtype(arr), ctx=arr.context))


# ---- initializers ----------------------------------------------------------------------------------------


@register
@alias("zeros")
class Zero(Initializer):
    """Fills with 0."""

    def __init__(self) -> None:
        super().__init__()

    def _init_weight(self, _: str, arr: NDArray) -> None:
        arr[:] = 0.0


@register
@alias("ones")
class One(Initializer):
    """Fills with 1."""

    def __init__(self) -> None:
        super().__init__()

    def _init_weight(self, _: str, arr: NDArray) -> None:
        arr[:] = 1.0


@register
class Constant(Initializer):
    """Fills with a constant: a scalar, or an array (NDArray, numpy, list) broadcast to the parameter's shape."""

    def __init__(self, value: Any = 0.0) -> None:
        kw = value.tolist() if isinstance(value, (NDArray, np.ndarray)) else value
        super().__init__(value=kw)
        self.value = value

    def _init_weight(self, name: str, arr: NDArray) -> None:
        v = self.value
        if isinstance(v, (int, float, np.number, bool)):
            arr[:] = float(v)
            return
        host = v.asnumpy() if isinstance(v, NDArray) else np.asarray(v)
        try:
            host = np.broadcast_to(host, arr.shape)
        except ValueError:
            raise ValueError(
                f"Constant: value of shape {host.shape} cannot fill parameter {name!r} of shape {arr.shape}"
            ) from None
        arr[:] = np.ascontiguousarray(host, dtype=np.float64 if arr.dtype == np.float64 else np.float32)


@register
class Uniform(Initializer):
    """Samples uniformly from [-scale, scale]."""

    def __init__(self, scale: float = 0.07) -> None:
        super().__init__(scale=scale)
        self.scale = float(scale)

    def _init_weight(self, _: str, arr: NDArray) -> None:
        _uniform(arr, -self.scale, self.scale)


@register
class Normal(Initializer):
    """Samples from the normal distribution N(0, sigma^2)."""

    def __init__(self, sigma: float = 0.01) -> None:
        super().__init__(sigma=sigma)
        self.sigma = float(sigma)

    def _init_weight(self, _: str, arr: NDArray) -> None:
        _normal(arr, 0.0, self.sigma)


@register
class Xavier(Initializer):
    """Xavier/Glorot initialization: scale = sqrt(magnitude / factor).

    factor is (fan_in + fan_out) / 2 ('avg'), fan_in ('in') or fan_out ('out'), with fan_in = shape[1] * hw
    and fan_out = shape[0] * hw where hw is the product of the dimensions after the second. 'uniform' samples
    from [-scale, scale], 'gaussian' from N(0, scale^2).

    Parameters
    ----------
    rnd_type : {'uniform', 'gaussian'}
    factor_type : {'avg', 'in', 'out'}
    magnitude : float
    """

    def __init__(self, rnd_type: str = "uniform", factor_type: str = "avg", magnitude: float = 3) -> None:
        super().__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        if rnd_type not in ("uniform", "gaussian"):
            raise ValueError(f"Xavier: rnd_type must be 'uniform' or 'gaussian', got {rnd_type!r}")
        if factor_type not in ("avg", "in", "out"):
            raise ValueError(f"Xavier: factor_type must be 'avg', 'in' or 'out', got {factor_type!r}")
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        self.magnitude = float(magnitude)

    def _init_weight(self, name: str, arr: NDArray) -> None:
        shape = arr.shape
        if len(shape) < 2:
            raise ValueError(
                f"Xavier initializer cannot be applied to vector {name}: it needs at least 2 dimensions, got "
                f"shape {shape}"
            )
        hw_scale = float(np.prod(shape[2:])) if len(shape) > 2 else 1.0
        fan_in, fan_out = shape[1] * hw_scale, shape[0] * hw_scale
        factor = {"avg": (fan_in + fan_out) / 2.0, "in": fan_in, "out": fan_out}[self.factor_type]
        if factor <= 0:
            raise ValueError(f"Xavier: parameter {name} of shape {shape} has a zero fan")
        scale = float(np.sqrt(self.magnitude / factor))
        if self.rnd_type == "uniform":
            _uniform(arr, -scale, scale)
        else:
            _normal(arr, 0.0, scale)


@register
class MSRAPrelu(Xavier):
    """He/MSRA initialization for PReLU/ReLU nets: Xavier('gaussian', factor_type, 2 / (1 + slope^2))."""

    def __init__(self, factor_type: str = "avg", slope: float = 0.25) -> None:
        magnitude = 2.0 / (1 + slope**2)
        super().__init__("gaussian", factor_type, magnitude)
        self._kwargs = {"factor_type": factor_type, "slope": slope}


@register
class Orthogonal(Initializer):
    """Orthogonal matrix initialization (Saxe et al. 2013): the weight, reshaped to (shape[0], rest), has
    orthonormal rows (or columns), times ``scale``.

    Parameters
    ----------
    scale : float
        Scaling factor of the orthonormal matrix.
    rand_type : {'uniform', 'normal'}
        Distribution of the random matrix that is orthogonalised.
    """

    def __init__(self, scale: float = 1.414, rand_type: str = "uniform") -> None:
        super().__init__(scale=scale, rand_type=rand_type)
        if rand_type not in ("uniform", "normal"):
            raise ValueError(f"Orthogonal: rand_type must be 'uniform' or 'normal', got {rand_type!r}")
        self.scale = float(scale)
        self.rand_type = rand_type

    def _init_weight(self, name: str, arr: NDArray) -> None:
        if len(arr.shape) < 2:
            raise ValueError(f"Orthogonal: parameter {name} needs at least 2 dimensions, got shape {arr.shape}")
        nout = arr.shape[0]
        nin = int(np.prod(arr.shape[1:]))
        if self.rand_type == "uniform":
            tmp = nd.random.uniform(-1.0, 1.0, shape=(nout, nin), ctx=arr.context).asnumpy()
        else:
            tmp = nd.random.normal(0.0, 1.0, shape=(nout, nin), ctx=arr.context).asnumpy()
        u, _, v = np.linalg.svd(tmp.astype(np.float64), full_matrices=False)
        res = u if u.shape == tmp.shape else v
        res = self.scale * res.reshape(arr.shape)
        arr[:] = res.astype(np.float64 if arr.dtype == np.float64 else np.float32)


@register
class Bilinear(Initializer):
    """Bilinear upsampling kernel for deconvolution weights of shape (C, 1, k, k)."""

    def __init__(self) -> None:
        super().__init__()

    def _init_weight(self, name: str, arr: NDArray) -> None:
        shape = arr.shape
        if len(shape) != 4:
            raise ValueError(f"Bilinear: parameter {name} must be 4-D, got shape {shape}")
        f = np.ceil(shape[3] / 2.0)
        c = (2 * f - 1 - f % 2) / (2.0 * f)
        x = np.arange(shape[3])
        y = np.arange(shape[2])
        kernel = (1 - np.abs(y[:, None] / f - c)) * (1 - np.abs(x[None, :] / f - c))
        arr[:] = np.ascontiguousarray(np.broadcast_to(kernel, shape), dtype=np.float32)


@register
class LSTMBias(Initializer):
    """Zeros, except the forget-gate quarter of an LSTM bias, set to forget_bias."""

    def __init__(self, forget_bias: float = 1.0) -> None:
        super().__init__(forget_bias=forget_bias)
        self.forget_bias = float(forget_bias)

    def _init_weight(self, name: str, arr: NDArray) -> None:
        v = np.zeros(arr.shape, dtype=np.float32)
        n = arr.shape[0] // 4
        v[n : 2 * n] = self.forget_bias
        arr[:] = v


@register
class Mixed(Initializer):
    """Chooses the initializer by the first regular expression that matches the parameter's name.

    Parameters
    ----------
    patterns : list of str
        Regular expressions, matched with ``re.match`` in order.
    initializers : list of Initializer
        The initializer of each pattern.
    """

    def __init__(self, patterns: Sequence[str], initializers: Sequence[Any]) -> None:
        super().__init__()
        if len(patterns) != len(initializers):
            raise ValueError(
                f"Mixed: {len(patterns)} patterns but {len(initializers)} initializers; give one per pattern"
            )
        self.map = [(re.compile(p), create(i)) for p, i in zip(patterns, initializers)]

    def dumps(self) -> str:
        raise NotImplementedError("Mixed initializers cannot be serialized with dumps()")

    def __call__(self, desc: str, arr: NDArray) -> None:
        for prog, init in self.map:
            if prog.match(str(desc)):
                init(desc, arr)
                return
        raise ValueError(
            f"Parameter name {str(desc)!r} did not match any pattern of Mixed. Consider adding a '.*' pattern at "
            "the end with a default Initializer."
        )


@register
class Load(Initializer):
    """Initializes from saved arrays (a dict name -> NDArray or a file name), falling back to default_init.

    'arg:' / 'aux:' prefixes of the saved names are ignored.
    """

    def __init__(self, param: Any, default_init: Any = None, verbose: bool = False) -> None:
        super().__init__()
        if isinstance(param, str):
            param = nd.load(param)
        if not isinstance(param, dict):
            raise TypeError("Load: param must be a dict name -> NDArray or the name of a file holding one")
        self.param = {(k[4:] if k.startswith(("arg:", "aux:")) else k): v for k, v in param.items()}
        self.default_init = create(default_init) if default_init is not None else None
        self.verbose = verbose

    def dumps(self) -> str:
        raise NotImplementedError("Load initializers cannot be serialized with dumps()")

    def __call__(self, desc: str, arr: NDArray) -> None:
        name = str(desc)
        if name in self.param:
            src = self.param[name]
            if tuple(src.shape) != tuple(arr.shape):
                raise ValueError(
                    f"Load: parameter {name!r} cannot be loaded: shape {tuple(src.shape)} in the saved data vs "
                    f"{tuple(arr.shape)} expected"
                )
            _fill(arr, src)
            if self.verbose:
                print(f"Initialized {name} by loading")
        else:
            if self.default_init is None:
                raise ValueError(f"Load: cannot initialize {name!r}: not found in the loaded data and no default_init")
            self.default_init(desc, arr)
            if self.verbose:
                print(f"Initialized {name} by default")
