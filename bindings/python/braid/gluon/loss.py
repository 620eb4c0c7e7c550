"""Loss functions (MXNet 1.x ``gluon.loss``).

Every loss is a :class:`~braid.gluon.HybridBlock` whose ``hybrid_forward(F, pred, label, ...)`` calls registered
ops, so it runs eagerly (``F`` is ``braid.nd``), records for autograd, and traces into a ``braid.sym`` graph when
hybridized. A loss returns one value per sample: the elementwise loss averaged over every axis except
``batch_axis``::

    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    with autograd.record():
        loss = loss_fn(net(data), label)      # shape (batch_size,)
    loss.backward()

``weight`` (a number) scales the loss; ``sample_weight`` (an array broadcastable to the elementwise loss, e.g.
shape (batch_size, 1)) weights each sample.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

from .. import ndarray as _nd
from .block import HybridBlock

__all__ = [
    "Loss",
    "L2Loss",
    "L1Loss",
    "SigmoidBinaryCrossEntropyLoss",
    "SigmoidBCELoss",
    "SoftmaxCrossEntropyLoss",
    "SoftmaxCELoss",
    "KLDivLoss",
    "HuberLoss",
    "HingeLoss",
    "SquaredHingeLoss",
    "LogisticLoss",
    "TripletLoss",
    "PoissonNLLLoss",
    "CosineEmbeddingLoss",
]


def _apply_weighting(F: Any, loss: Any, weight: float | None = None, sample_weight: Any = None) -> Any:
    """loss * sample_weight (broadcast) * weight."""
    if sample_weight is not None:
        loss = F.broadcast_mul(loss, sample_weight)
    if weight is not None:
        loss = loss * weight
    return loss


def _reshape_like(F: Any, x: Any, y: Any) -> Any:
    """x reshaped to y's shape (a graph node when tracing)."""
    return x.reshape(y.shape) if F is _nd else F.reshape_like(x, y)


def _check_weight(cls: str, weight: Any) -> float | None:
    if weight is not None and (isinstance(weight, bool) or not isinstance(weight, Real)):
        raise TypeError(f"{cls}: weight must be a number or None, got {type(weight).__name__}")
    return None if weight is None else float(weight)


class Loss(HybridBlock):
    """Base class of losses.

    Parameters
    ----------
    weight : float or None
        Global scalar weight of the loss.
    batch_axis : int
        The axis of the samples: the result keeps it and averages over the others.
    """

    def __init__(self, weight: float | None, batch_axis: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(batch_axis, bool) or not isinstance(batch_axis, int):
            raise TypeError(f"{type(self).__name__}: batch_axis must be an int, got {batch_axis!r}")
        self._weight = _check_weight(type(self).__name__, weight)
        self._batch_axis = batch_axis

    def __repr__(self) -> str:
        return f"{type(self).__name__}(batch_axis={self._batch_axis}, w={self._weight})"

    def _batch_mean(self, F: Any, loss: Any) -> Any:
        return F.mean(loss, axis=self._batch_axis, exclude=True)

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement hybrid_forward(self, F, pred, label, ...)")


class L2Loss(Loss):
    r"""Squared error: :math:`L = \frac{1}{2} \sum_i (label_i - pred_i)^2`, averaged over non-batch axes.

    Parameters
    ----------
    weight : float
        Global scalar weight (the 1/2 above is applied on top of it).
    batch_axis : int
        The axis of the samples.
    """

    def __init__(self, weight: float = 1.0, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _reshape_like(F, label, pred)
        loss = F.square(label - pred)
        loss = _apply_weighting(F, loss, None if self._weight is None else self._weight / 2, sample_weight)
        return self._batch_mean(F, loss)


class L1Loss(Loss):
    r"""Absolute error: :math:`L = \sum_i |label_i - pred_i|`, averaged over non-batch axes."""

    def __init__(self, weight: float | None = None, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _reshape_like(F, label, pred)
        loss = F.abs(label - pred)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._batch_mean(F, loss)


class SigmoidBinaryCrossEntropyLoss(Loss):
    r"""Binary cross-entropy with a sigmoid: labels in {0, 1} (or probabilities).

    With ``from_sigmoid=False`` (default) pred holds logits and the numerically stable form
    :math:`\max(x, 0) - x z + \log(1 + e^{-|x|})` is used; with ``from_sigmoid=True`` pred holds probabilities
    and :math:`-(z \log(p + \epsilon) + (1 - z) \log(1 - p + \epsilon))`. ``pos_weight`` (an array broadcastable
    to pred) weights the positive term.
    """

    def __init__(
        self, from_sigmoid: bool = False, weight: float | None = None, batch_axis: int = 0, **kwargs: Any
    ) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._from_sigmoid = bool(from_sigmoid)

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None, pos_weight: Any = None) -> Any:
        label = _reshape_like(F, label, pred)
        if not self._from_sigmoid:
            softplus_neg_abs = F.Activation(-F.abs(pred), act_type="softrelu")  # log(1 + exp(-|x|))
            if pos_weight is None:
                loss = F.relu(pred) - pred * label + softplus_neg_abs
            else:
                log_weight = 1 + F.broadcast_mul(pos_weight - 1, label)
                loss = pred - pred * label + log_weight * (softplus_neg_abs + F.relu(-pred))
        else:
            eps = 1e-12
            pos = F.log(pred + eps) * label
            if pos_weight is not None:
                pos = F.broadcast_mul(pos, pos_weight)
            loss = -(pos + F.log(1.0 - pred + eps) * (1.0 - label))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._batch_mean(F, loss)


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss


class SoftmaxCrossEntropyLoss(Loss):
    r"""Softmax cross-entropy: :math:`L = -\sum_j \log p_{j} \, label_j` with p the softmax of pred along axis.

    Parameters
    ----------
    axis : int
        The class axis.
    sparse_label : bool
        True: label holds class indices (pred's shape without axis); False: label holds a distribution over the
        classes (pred's shape).
    from_logits : bool
        True when pred already holds log-probabilities (the log-softmax is then skipped).
    weight : float or None
        Global scalar weight.
    batch_axis : int
        The axis of the samples.
    """

    def __init__(
        self,
        axis: int = -1,
        sparse_label: bool = True,
        from_logits: bool = False,
        weight: float | None = None,
        batch_axis: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._axis = int(axis)
        self._sparse_label = bool(sparse_label)
        self._from_logits = bool(from_logits)

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        if not self._from_logits:
            pred = F.log_softmax(pred, axis=self._axis)
        if self._sparse_label:
            loss = -F.pick(pred, label, axis=self._axis, keepdims=True)
        else:
            label = _reshape_like(F, label, pred)
            loss = -F.sum(pred * label, axis=self._axis, keepdims=True)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._batch_mean(F, loss)


SoftmaxCELoss = SoftmaxCrossEntropyLoss


class KLDivLoss(Loss):
    r"""Kullback-Leibler divergence :math:`L = \sum_i label_i (\log(label_i) - pred_i)`, averaged.

    pred holds log-probabilities when ``from_logits=True`` (default); otherwise the log-softmax of pred along
    axis is taken first. label holds probabilities.
    """

    def __init__(
        self, from_logits: bool = True, axis: int = -1, weight: float | None = None, batch_axis: int = 0, **kwargs: Any
    ) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = bool(from_logits)
        self._axis = int(axis)

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        if not self._from_logits:
            pred = F.log_softmax(pred, axis=self._axis)
        loss = label * (F.log(label + 1e-12) - pred)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._batch_mean(F, loss)


class HuberLoss(Loss):
    r"""Smoothed L1: :math:`\frac{1}{2\rho}(label - pred)^2` where :math:`|label - pred| \le \rho`, else
    :math:`|label - pred| - \frac{\rho}{2}`.

    Parameters
    ----------
    rho : float
        Threshold between the quadratic and the linear part, > 0.
    """

    def __init__(self, rho: float = 1, weight: float | None = None, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        if not rho > 0:
            raise ValueError(f"HuberLoss: rho must be > 0, got {rho!r}")
        self._rho = float(rho)

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _reshape_like(F, label, pred)
        a = F.abs(label - pred)
        # q = min(a, rho) gives 0.5*a^2/rho below rho and a - 0.5*rho above it in one expression, without the
        # comparison + where of MXNet's form (recording a comparison into where trips a core autograd bug)
        q = F.clip(a, a_min=0.0, a_max=self._rho)
        loss = q * (a - 0.5 * q) / self._rho
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._batch_mean(F, loss)


class HingeLoss(Loss):
    r"""Hinge loss :math:`\max(0, margin - pred \cdot label)` for labels in {-1, 1}."""

    def __init__(self, margin: float = 1, weight: float | None = None, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = float(margin)

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _reshape_like(F, label, pred)
        loss = F.relu(self._margin - pred * label)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._batch_mean(F, loss)


class SquaredHingeLoss(Loss):
    r"""Squared hinge loss :math:`\max(0, margin - pred \cdot label)^2` for labels in {-1, 1}."""

    def __init__(self, margin: float = 1, weight: float | None = None, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = float(margin)

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _reshape_like(F, label, pred)
        loss = F.square(F.relu(self._margin - pred * label))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._batch_mean(F, loss)


class LogisticLoss(Loss):
    r"""Logistic loss :math:`\log(1 + e^{-pred \cdot label})`.

    Parameters
    ----------
    label_format : {'signed', 'binary'}
        Labels in {-1, 1} ('signed') or in {0, 1} ('binary', mapped to {-1, 1}).
    """

    def __init__(
        self, weight: float | None = None, batch_axis: int = 0, label_format: str = "signed", **kwargs: Any
    ) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        if label_format not in ("signed", "binary"):
            raise ValueError(f"LogisticLoss: label_format must be 'signed' or 'binary', got {label_format!r}")
        self._label_format = label_format

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _reshape_like(F, label, pred)
        if self._label_format == "signed":
            label = (label + 1.0) / 2.0  # to {0, 1}
        # the stable form of log(1 + exp(-x)) for label 1 and log(1 + exp(x)) for label 0
        loss = F.relu(pred) - pred * label + F.Activation(-F.abs(pred), act_type="softrelu")
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._batch_mean(F, loss)


class TripletLoss(Loss):
    r"""Triplet loss :math:`\max(0, \sum_i (pred_i - positive_i)^2 - (pred_i - negative_i)^2 + margin)`, the
    sums taken over every non-batch axis."""

    def __init__(self, margin: float = 1, weight: float | None = None, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = float(margin)

    def hybrid_forward(self, F: Any, pred: Any, positive: Any, negative: Any, sample_weight: Any = None) -> Any:
        positive = _reshape_like(F, positive, pred)
        negative = _reshape_like(F, negative, pred)
        loss = F.sum(F.square(positive - pred) - F.square(negative - pred), axis=self._batch_axis, exclude=True)
        loss = F.relu(loss + self._margin)
        return _apply_weighting(F, loss, self._weight, sample_weight)


class PoissonNLLLoss(Loss):
    r"""Negative log-likelihood of a Poisson target: :math:`e^{pred} - label \cdot pred` when
    ``from_logits=True`` (pred is the log-rate), else :math:`pred - label \log(pred + \epsilon)`. With
    ``compute_full=True`` Stirling's approximation of :math:`\log(label!)` is added (for labels > 1). Returns
    the mean over all elements (shape (1,)), as MXNet does."""

    def __init__(
        self,
        weight: float | None = None,
        from_logits: bool = True,
        batch_axis: int = 0,
        compute_full: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = bool(from_logits)
        self._compute_full = bool(compute_full)

    def hybrid_forward(self, F: Any, pred: Any, target: Any, sample_weight: Any = None, epsilon: float = 1e-08) -> Any:
        target = _reshape_like(F, target, pred)
        if self._from_logits:
            loss = F.exp(pred) - target * pred
        else:
            loss = pred - target * F.log(pred + epsilon)
        if self._compute_full:
            # target*log(target) - target + 0.5*log(2*pi*target), only where target > 1 (elsewhere the logs
            # read 1 instead of target, so that masked entries are 0 rather than NaN)
            small = target <= 1
            stirling = target * F.log(target + small) - target + 0.5 * F.log(2 * math.pi * target + small)
            loss = loss + stirling * (target > 1)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.reshape(F.mean(loss), shape=(1,))


class CosineEmbeddingLoss(Loss):
    r"""Cosine embedding loss for labels in {-1, 1}: :math:`1 - \cos(x_1, x_2)` where label is 1 and
    :math:`\max(0, \cos(x_1, x_2) - margin)` where label is -1, the cosine taken along the last axis.

    As in MXNet, the result has shape (batch_size, 1).
    """

    def __init__(self, weight: float | None = None, batch_axis: int = 0, margin: float = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = float(margin)

    def hybrid_forward(self, F: Any, input1: Any, input2: Any, label: Any, sample_weight: Any = None) -> Any:
        input1 = _reshape_like(F, input1, input2)
        label = F.reshape(label, shape=(-1, 1))
        # sqrt(sum(x^2)) rather than F.norm: the core's norm op has no gradient rule yet
        x_norm = F.reshape(F.sqrt(F.sum(F.square(input1), axis=-1)), shape=(-1, 1))
        y_norm = F.reshape(F.sqrt(F.sum(F.square(input2), axis=-1)), shape=(-1, 1))
        x_dot_y = F.reshape(F.sum(input1 * input2, axis=-1), shape=(-1, 1))
        cos_sim = x_dot_y / F.clip(x_norm * y_norm, a_min=1e-12, a_max=3.4e38)
        loss = (1 - cos_sim) * (label == 1) + F.relu((label == -1) * (cos_sim - self._margin))
        return _apply_weighting(F, loss, self._weight, sample_weight)
