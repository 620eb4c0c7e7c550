"""Optimizers with MXNet 1.x's API: ``Optimizer.update(index, weight, grad, state)``, ``create_state``, learning
rate and weight-decay multipliers, schedules, and a registry (``register`` / ``create('adam')``).

The built-in optimizers call the core's fused update ops (``sgd_mom_update``, ``adam_update`` ...), one engine op
per parameter that updates the weight and its states in place. With ``multi_precision=True``, float16 and
bfloat16 weights are updated through a float32 master copy kept in the state (the ``mp_*`` ops).
"""

from __future__ import annotations

import math
import warnings
from numbers import Real
from typing import Any

from .. import ndarray as nd
from ..dtypes import dtype_name
from ..ndarray import NDArray

__all__ = [
    "Optimizer",
    "SGD",
    "NAG",
    "Adam",
    "AdamW",
    "RMSProp",
    "AdaGrad",
    "register",
    "create",
]

_LOW_PRECISION = ("float16", "bfloat16")


def _dtype(arr: NDArray) -> str:
    return dtype_name(arr._dtype_code())


def _check_number(cls: str, name: str, value: Any, allow_none: bool = False, minimum: float | None = None) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{cls}: {name} must be a number{' or None' if allow_none else ''}, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{cls}: {name} must be >= {minimum}, got {value!r}")


class Optimizer:
    """Base class of optimizers.

    Parameters
    ----------
    rescale_grad : float
        Multiplies every gradient before anything else (the Trainer sets it to 1/batch_size at each step).
    param_idx2name : dict int -> str, optional
        Parameter names by index; names not ending in ``_weight`` or ``_gamma`` get no weight decay (MXNet's
        rule for Module-style training; Gluon's Trainer passes ``param_dict`` instead).
    wd : float
        Weight decay (L2 penalty coefficient).
    clip_gradient : float, optional
        Clips the rescaled gradient to [-clip_gradient, clip_gradient]; None or <= 0 turns clipping off.
    learning_rate : float, optional
        The learning rate. Default: the schedule's base_lr when lr_scheduler is given, else the class's
        ``default_learning_rate`` (0.01; 0.001 for Adam, AdamW and RMSProp). Given together with lr_scheduler,
        it replaces the schedule's base_lr (MXNet's rule; unlike MXNet 1.x, Adam's own default does not).
    lr_scheduler : LRScheduler, optional
        Gives the learning rate from the number of updates.
    sym : Symbol, optional
        A graph whose variables' ``__lr_mult__`` / ``__wd_mult__`` attributes set per-parameter multipliers.
    begin_num_update : int
        The update count to start from.
    multi_precision : bool
        Update float16/bfloat16 weights through a float32 master copy.
    param_dict : dict int -> Parameter, optional
        Gluon Parameters by index: their ``lr_mult`` and ``wd_mult`` apply.
    """

    opt_registry: dict[str, type] = {}
    default_learning_rate = 0.01  # used when neither learning_rate nor lr_scheduler is given

    def __init__(
        self,
        rescale_grad: float = 1.0,
        param_idx2name: dict | None = None,
        wd: float = 0.0,
        clip_gradient: float | None = None,
        learning_rate: float | None = None,
        lr_scheduler: Any = None,
        sym: Any = None,
        begin_num_update: int = 0,
        multi_precision: bool = False,
        param_dict: dict | None = None,
    ) -> None:
        cls = type(self).__name__
        _check_number(cls, "rescale_grad", rescale_grad)
        _check_number(cls, "wd", wd)
        _check_number(cls, "clip_gradient", clip_gradient, allow_none=True)
        _check_number(cls, "learning_rate", learning_rate, allow_none=True, minimum=0.0)
        if lr_scheduler is not None and not callable(lr_scheduler):
            raise TypeError(f"{cls}: lr_scheduler must be an LRScheduler (callable), got {type(lr_scheduler).__name__}")
        if param_idx2name is not None and not isinstance(param_idx2name, dict):
            raise TypeError(f"{cls}: param_idx2name must be a dict index -> name, got {type(param_idx2name).__name__}")
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if lr_scheduler is None and learning_rate is None:
            learning_rate = self.default_learning_rate
        self.lr = learning_rate
        if (
            lr_scheduler is not None
            and learning_rate is not None
            and getattr(lr_scheduler, "base_lr", learning_rate) != learning_rate
        ):
            # an explicit learning_rate wins over the schedule's base_lr, as in MXNet
            if hasattr(lr_scheduler, "set_base_lr"):
                lr_scheduler.set_base_lr(learning_rate)
            else:
                lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.lr_mult: dict = {}
        self.wd_mult: dict = {}
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        self._all_index_update_counts: dict = {0: {}}
        self._index_update_count: dict = self._all_index_update_counts[0]
        self._current_device: Any = 0
        self.clip_gradient = clip_gradient
        self.multi_precision = bool(multi_precision)
        self.idx2name = dict(param_idx2name or {})
        self.sym_info = (sym.attr_dict(), sym.list_arguments()) if sym is not None else ()
        self.param_dict = param_dict if param_dict else {}
        self.set_lr_mult({})
        self.set_wd_mult({})

    def __repr__(self) -> str:
        lr = f"lr_scheduler={self.lr_scheduler!r}" if self.lr_scheduler is not None else f"learning_rate={self.lr}"
        return f"{type(self).__name__}({lr}, wd={self.wd})"

    # ---- registry ------------------------------------------------------------------------------------------
    @staticmethod
    def register(klass: type) -> type:
        """Registers an Optimizer subclass under its lower-case class name (a class decorator)."""
        if not (isinstance(klass, type) and issubclass(klass, Optimizer)):
            raise TypeError(f"register: expected a subclass of Optimizer, got {klass!r}")
        name = klass.__name__.lower()
        if name in Optimizer.opt_registry and Optimizer.opt_registry[name] is not klass:
            old = Optimizer.opt_registry[name]
            warnings.warn(
                f"New optimizer {klass.__module__}.{klass.__name__} is overriding existing optimizer "
                f"{old.__module__}.{old.__name__}",
                stacklevel=2,
            )
        Optimizer.opt_registry[name] = klass
        return klass

    @staticmethod
    def create_optimizer(name: str, **kwargs: Any) -> Optimizer:
        """An instance of the optimizer registered as name (case-insensitive), built with kwargs."""
        if not isinstance(name, str):
            raise TypeError(f"create_optimizer: name must be a str, got {type(name).__name__}")
        klass = Optimizer.opt_registry.get(name.lower())
        if klass is None:
            raise ValueError(f"Cannot find optimizer {name!r}; registered optimizers: {sorted(Optimizer.opt_registry)}")
        return klass(**kwargs)

    # ---- learning rate and multipliers ---------------------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        """The current learning rate (from the schedule when there is one)."""
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        return self.lr

    def set_learning_rate(self, lr: float) -> None:
        """Sets the learning rate; not allowed while a schedule drives it."""
        if self.lr_scheduler is not None:
            raise UserWarning(
                "LRScheduler of the optimizer has already been defined. Note that set_learning_rate can mutate "
                "the value of the learning rate of the optimizer only when the LRScheduler of the optimizer is "
                "undefined."
            )
        _check_number(type(self).__name__, "learning_rate", lr, minimum=0.0)
        self.lr = lr

    def set_lr_mult(self, args_lr_mult: dict) -> None:
        """Sets per-parameter learning-rate multipliers (name or index -> float); a graph given as ``sym``
        contributes its ``__lr_mult__`` attributes first."""
        self.lr_mult = {}
        if self.sym_info:
            attr, arg_names = self.sym_info
            for name in arg_names:
                if name in attr and "__lr_mult__" in attr[name]:
                    self.lr_mult[name] = float(attr[name]["__lr_mult__"])
        self.lr_mult.update(args_lr_mult)

    def set_wd_mult(self, args_wd_mult: dict) -> None:
        """Sets per-parameter weight-decay multipliers (name or index -> float). Names from param_idx2name
        that end neither in ``_weight`` nor ``_gamma`` default to 0 (no decay of biases); a graph given as
        ``sym`` contributes its ``__wd_mult__`` attributes."""
        self.wd_mult = {}
        for n in self.idx2name.values():
            if not (n.endswith("_weight") or n.endswith("_gamma")):
                self.wd_mult[n] = 0.0
        if self.sym_info:
            attr, arg_names = self.sym_info
            for name in arg_names:
                if name in attr and "__wd_mult__" in attr[name]:
                    self.wd_mult[name] = float(attr[name]["__wd_mult__"])
        self.wd_mult.update(args_wd_mult)

    def _set_current_context(self, device_id: Any) -> None:
        """Selects the update counts of one device: each device's copies count their own updates."""
        if device_id not in self._all_index_update_counts:
            self._all_index_update_counts[device_id] = {}
        self._current_device = device_id
        self._index_update_count = self._all_index_update_counts[device_id]

    def _update_count(self, index: Any) -> None:
        """Counts one more update of index (or of each index of a list)."""
        for idx in index if isinstance(index, (list, tuple)) else [index]:
            if idx not in self._index_update_count:
                self._index_update_count[idx] = self.begin_num_update
            self._index_update_count[idx] += 1
            self.num_update = max(self._index_update_count[idx], self.num_update)

    def _get_lrs(self, indices: list) -> list[float]:
        lr = self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr
        lrs = [lr for _ in indices]
        for i, index in enumerate(indices):
            if index in self.param_dict:
                lrs[i] *= self.param_dict[index].lr_mult
            elif index in self.lr_mult:
                lrs[i] *= self.lr_mult[index]
            elif index in self.idx2name:
                lrs[i] *= self.lr_mult.get(self.idx2name[index], 1.0)
        return lrs

    def _get_lr(self, index: Any) -> float:
        """The learning rate of index: the current rate times its multiplier."""
        return self._get_lrs([index])[0]

    def _get_wds(self, indices: list) -> list[float]:
        wds = [self.wd for _ in indices]
        for i, index in enumerate(indices):
            if index in self.param_dict:
                wds[i] *= self.param_dict[index].wd_mult
            elif index in self.wd_mult:
                wds[i] *= self.wd_mult[index]
            elif index in self.idx2name:
                wds[i] *= self.wd_mult.get(self.idx2name[index], 1.0)
        return wds

    def _get_wd(self, index: Any) -> float:
        """The weight decay of index: wd times its multiplier."""
        return self._get_wds([index])[0]

    def _clip(self) -> float:
        """clip_gradient as the fused ops take it (-1: off)."""
        c = self.clip_gradient
        return float(c) if c is not None and c > 0 else -1.0

    # ---- states and updates --------------------------------------------------------------------------------
    def _use_multi_precision(self, weight: NDArray) -> bool:
        return self.multi_precision and _dtype(weight) in _LOW_PRECISION

    def create_state(self, index: Any, weight: NDArray) -> Any:
        """The auxiliary state (None, an NDArray or a tuple of them) of the weight at index."""
        return None

    def create_state_multi_precision(self, index: Any, weight: NDArray) -> Any:
        """The state of the weight at index; with multi_precision and a float16/bfloat16 weight, the tuple
        (float32 master copy, state of the master copy)."""
        if self._use_multi_precision(weight):
            weight32 = weight.astype("float32")
            return (weight32, self.create_state(index, weight32))
        if _dtype(weight) == "float16" and not self.multi_precision:
            warnings.warn(
                "Accumulating with float16 in optimizer can lead to poor accuracy or slow convergence. Consider "
                "using multi_precision=True option of the optimizer",
                stacklevel=3,
            )
        return self.create_state(index, weight)

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        """Updates weight (in place) from grad and the state made by :meth:`create_state`."""
        raise NotImplementedError(f"{type(self).__name__} must implement update(index, weight, grad, state)")

    def update_multi_precision(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        """Like :meth:`update`, with the state of :meth:`create_state_multi_precision`: a float16/bfloat16
        weight is updated through its float32 master copy, then rounded back."""
        if self._use_multi_precision(weight):
            weight32, inner = state
            self.update(index, weight32, grad.astype("float32"), inner)
            nd.cast(weight32, dtype=_dtype(weight), out=weight)
        else:
            self.update(index, weight, grad, state)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("param_dict", None)  # the Trainer sets it again
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.param_dict = {}


register = Optimizer.register


def create(name: str, **kwargs: Any) -> Optimizer:
    """An optimizer by registered name: ``create('sgd', learning_rate=0.1, momentum=0.9)``."""
    return Optimizer.create_optimizer(name, **kwargs)


class _FusedOptimizer(Optimizer):
    """An optimizer whose update is one fused op; the mp_ form of the op handles multi-precision."""

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        self._update_impl(index, weight, grad, state, False)

    def update_multi_precision(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        self._update_impl(index, weight, grad, state, self._use_multi_precision(weight))

    def _common(self, index: Any) -> dict:
        self._update_count(index)
        return {
            "lr": self._get_lr(index),
            "wd": self._get_wd(index),
            "rescale_grad": float(self.rescale_grad),
            "clip_gradient": self._clip(),
        }

    def _update_impl(self, index: Any, weight: NDArray, grad: NDArray, state: Any, multi_precision: bool) -> None:
        raise NotImplementedError


def _zeros_like(weight: NDArray) -> NDArray:
    return nd.zeros(weight.shape, ctx=weight.context, dtype=_dtype(weight))


@register
class SGD(_FusedOptimizer):
    """Stochastic gradient descent, with momentum when momentum > 0 (MXNet's formulas)::

        rescaled = clip(rescale_grad * grad, clip_gradient)
        state = momentum * state - lr * (rescaled + wd * weight)     # momentum > 0
        weight = weight + state                                       # (weight -= lr * (rescaled + wd * weight))

    Parameters
    ----------
    momentum : float
        The momentum, in [0, 1).
    lazy_update : bool
        Accepted for MXNet compatibility (dense gradients always update every element).
    **kwargs
        The arguments of :class:`Optimizer` (learning_rate, wd, clip_gradient, rescale_grad, lr_scheduler,
        multi_precision ...).
    """

    def __init__(self, momentum: float = 0.0, lazy_update: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _check_number("SGD", "momentum", momentum, minimum=0.0)
        self.momentum = momentum
        self.lazy_update = bool(lazy_update)

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def _update_impl(self, index: Any, weight: NDArray, grad: NDArray, state: Any, multi_precision: bool) -> None:
        kw = self._common(index)
        if not multi_precision:
            if state is not None:
                nd.sgd_mom_update(weight, grad, state, momentum=self.momentum, out=weight, **kw)
            else:
                nd.sgd_update(weight, grad, out=weight, **kw)
        else:
            weight32, mom = state
            if mom is not None:
                nd.mp_sgd_mom_update(weight, grad, mom, weight32, momentum=self.momentum, out=weight, **kw)
            else:
                nd.mp_sgd_update(weight, grad, weight32, out=weight, **kw)


@register
class NAG(_FusedOptimizer):
    """Nesterov accelerated gradient (MXNet's formula)::

        g = clip(rescale_grad * grad, clip_gradient) + wd * weight
        state = momentum * state + g
        weight = weight - lr * (momentum * state + g)

    Without momentum it is :class:`SGD`.
    """

    def __init__(self, momentum: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _check_number("NAG", "momentum", momentum, minimum=0.0)
        self.momentum = momentum

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def _update_impl(self, index: Any, weight: NDArray, grad: NDArray, state: Any, multi_precision: bool) -> None:
        kw = self._common(index)
        if not multi_precision:
            if state is not None:
                nd.nag_mom_update(weight, grad, state, momentum=self.momentum, out=weight, **kw)
            else:
                nd.sgd_update(weight, grad, out=weight, **kw)
        else:
            weight32, mom = state
            if mom is not None:
                nd.mp_nag_mom_update(weight, grad, mom, weight32, momentum=self.momentum, out=weight, **kw)
            else:
                nd.mp_sgd_update(weight, grad, weight32, out=weight, **kw)


@register
class Adam(_FusedOptimizer):
    """Adam (Kingma and Ba), MXNet's formula: the weight decay joins the gradient before clipping, and the bias
    correction of update t scales the learning rate::

        g = clip(rescale_grad * grad + wd * weight, clip_gradient)
        mean = beta1 * mean + (1 - beta1) * g
        var = beta2 * var + (1 - beta2) * g**2
        weight -= lr * sqrt(1 - beta2**t) / (1 - beta1**t) * mean / (sqrt(var) + epsilon)
    """

    default_learning_rate = 0.001

    def __init__(
        self,
        learning_rate: float | None = None,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        lazy_update: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        for name, v in (("beta1", beta1), ("beta2", beta2), ("epsilon", epsilon)):
            _check_number("Adam", name, v, minimum=0.0)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lazy_update = bool(lazy_update)

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return (_zeros_like(weight), _zeros_like(weight))

    def _update_impl(self, index: Any, weight: NDArray, grad: NDArray, state: Any, multi_precision: bool) -> None:
        kw = self._common(index)
        t = self._index_update_count[index]
        kw["lr"] *= math.sqrt(1.0 - self.beta2**t) / (1.0 - self.beta1**t)
        kw.update(beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon)
        if not multi_precision:
            mean, var = state
            nd.adam_update(weight, grad, mean, var, out=weight, **kw)
        else:
            weight32, (mean, var) = state
            nd.mp_adam_update(weight, grad, mean, var, weight32, out=weight, **kw)


@register
class AdamW(_FusedOptimizer):
    """Adam with decoupled weight decay (Loshchilov and Hutter)::

        g = clip(rescale_grad * grad, clip_gradient)
        mean = beta1 * mean + (1 - beta1) * g
        var = beta2 * var + (1 - beta2) * g**2
        weight -= lr * (c_t * mean / (sqrt(var) + epsilon) + wd * weight)

    with c_t = sqrt(1 - beta2**t) / (1 - beta1**t) when correct_bias (else 1). The decay is scaled by the
    scheduled learning rate but not by the bias correction (PyTorch's AdamW; MXNet 2's scales it by both).
    """

    default_learning_rate = 0.001

    def __init__(
        self,
        learning_rate: float | None = None,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-6,
        correct_bias: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        for name, v in (("beta1", beta1), ("beta2", beta2), ("epsilon", epsilon)):
            _check_number("AdamW", name, v, minimum=0.0)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.correct_bias = bool(correct_bias)

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return (_zeros_like(weight), _zeros_like(weight))

    def _update_impl(self, index: Any, weight: NDArray, grad: NDArray, state: Any, multi_precision: bool) -> None:
        kw = self._common(index)
        t = self._index_update_count[index]
        # the op computes weight -= eta * (lr * step + wd * weight): eta carries the scheduled rate
        kw["eta"] = kw["lr"]
        kw["lr"] = math.sqrt(1.0 - self.beta2**t) / (1.0 - self.beta1**t) if self.correct_bias else 1.0
        kw.update(beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon)
        if not multi_precision:
            mean, var = state
            nd.adamw_update(weight, grad, mean, var, out=weight, **kw)
        else:
            weight32, (mean, var) = state
            nd.mp_adamw_update(weight, grad, mean, var, weight32, out=weight, **kw)


@register
class RMSProp(_FusedOptimizer):
    """RMSProp (Tieleman and Hinton), MXNet's formulas. Plain (centered=False)::

        g = clip(rescale_grad * grad + wd * weight, clip_gradient)
        n = (1 - gamma1) * g**2 + gamma1 * n
        weight -= lr * g / sqrt(n + epsilon)

    Centered (Graves 2013): also ``m = (1 - gamma1) * g + gamma1 * m``,
    ``delta = gamma2 * delta - lr * g / sqrt(n - m**2 + epsilon)``, ``weight += delta``. The new weight is clipped
    to [-clip_weights, clip_weights] when clip_weights > 0. The plain form is one fused op; the centered form
    is written with several ops.
    """

    default_learning_rate = 0.001

    def __init__(
        self,
        learning_rate: float | None = None,
        gamma1: float = 0.9,
        gamma2: float = 0.9,
        epsilon: float = 1e-8,
        centered: bool = False,
        clip_weights: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        for name, v in (("gamma1", gamma1), ("gamma2", gamma2), ("epsilon", epsilon)):
            _check_number("RMSProp", name, v, minimum=0.0)
        _check_number("RMSProp", "clip_weights", clip_weights, allow_none=True)
        self.gamma1 = gamma1
        self.gamma2 = gamma2
        self.epsilon = epsilon
        self.centered = bool(centered)
        self.clip_weights = clip_weights

    def create_state(self, index: Any, weight: NDArray) -> Any:
        if self.centered:
            return (_zeros_like(weight), _zeros_like(weight), _zeros_like(weight))  # n, m, delta
        return (_zeros_like(weight),)

    def update_multi_precision(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        if self.centered:  # no fused mp form: through the master copy
            Optimizer.update_multi_precision(self, index, weight, grad, state)
        else:
            super().update_multi_precision(index, weight, grad, state)

    def _update_impl(self, index: Any, weight: NDArray, grad: NDArray, state: Any, multi_precision: bool) -> None:
        kw = self._common(index)
        clip_w = float(self.clip_weights) if self.clip_weights is not None and self.clip_weights > 0 else -1.0
        if self.centered:
            self._centered(weight, grad, state, kw, clip_w)
            return
        kw.update(rho=self.gamma1, epsilon=self.epsilon, clip_weights=clip_w)
        if not multi_precision:
            (n,) = state
            nd.rmsprop_update(weight, grad, n, out=weight, **kw)
        else:
            weight32, (n,) = state
            nd.mp_rmsprop_update(weight, grad, n, weight32, out=weight, **kw)

    def _centered(self, weight: NDArray, grad: NDArray, state: Any, kw: dict, clip_w: float) -> None:
        n, m, delta = state
        g = grad * kw["rescale_grad"] + weight * kw["wd"]
        if kw["clip_gradient"] > 0:
            g = nd.clip(g, a_min=-kw["clip_gradient"], a_max=kw["clip_gradient"])
        g1 = self.gamma1
        n[:] = (1 - g1) * nd.square(g) + g1 * n
        m[:] = (1 - g1) * g + g1 * m
        delta[:] = self.gamma2 * delta - kw["lr"] * g / nd.sqrt(n - nd.square(m) + self.epsilon)
        new = weight + delta
        if clip_w > 0:
            new = nd.clip(new, a_min=-clip_w, a_max=clip_w)
        weight[:] = new


@register
class AdaGrad(_FusedOptimizer):
    """AdaGrad (Duchi et al.), the formula of MXNet's ``adagrad_update`` op::

        g = clip(rescale_grad * grad, clip_gradient)
        history += g**2
        weight -= lr * (g / (sqrt(history) + epsilon) + wd * weight)

    Parameters
    ----------
    epsilon : float
        Added to the root of the history. ``eps`` is MXNet 1.x's name for it.
    """

    def __init__(
        self, learning_rate: float | None = None, epsilon: float = 1e-7, eps: float | None = None, **kwargs: Any
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        if eps is not None:
            epsilon = eps
        _check_number("AdaGrad", "epsilon", epsilon, minimum=0.0)
        self.float_stable_eps = epsilon

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _zeros_like(weight)

    def _update_impl(self, index: Any, weight: NDArray, grad: NDArray, state: Any, multi_precision: bool) -> None:
        kw = self._common(index)
        kw["epsilon"] = self.float_stable_eps
        if not multi_precision:
            nd.adagrad_update(weight, grad, state, out=weight, **kw)
        else:
            weight32, history = state
            nd.mp_adagrad_update(weight, grad, history, weight32, out=weight, **kw)


# MXNet's lower-case aliases (mx.optimizer.sgd ...).
sgd = SGD
nag = NAG
adam = Adam
adamw = AdamW
rmsprop = RMSProp
adagrad = AdaGrad
