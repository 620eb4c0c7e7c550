"""Evaluation metrics with MXNet 1.x's ``EvalMetric`` API (also ``braid.metric``).

::

    acc = mx.metric.Accuracy()
    for data, label in batches:
        acc.update(labels=[label], preds=[net(data)])
    name, value = acc.get()                    # ('accuracy', 0.93)
    metric = mx.metric.create(["acc", "ce"])   # a CompositeEvalMetric

``update(labels, preds)`` takes lists of NDArrays (or numpy arrays, or one array each); metrics accumulate until
``reset()``. As in MXNet 1.x, MAE, MSE, RMSE and PearsonCorrelation (``average='macro'``) average their per-batch
values over batches, and F1 / MCC (``average='macro'``) average per-batch scores; ``average='micro'`` pools every
sample instead. Every metric also keeps global statistics (``get_global``) that ``reset_local`` leaves alone.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as _np

from ..ndarray import NDArray

__all__ = [
    "EvalMetric",
    "CompositeEvalMetric",
    "Accuracy",
    "TopKAccuracy",
    "F1",
    "MCC",
    "MAE",
    "MSE",
    "RMSE",
    "CrossEntropy",
    "NegativeLogLikelihood",
    "Perplexity",
    "PearsonCorrelation",
    "Loss",
    "CustomMetric",
    "np",
    "create",
    "register",
    "check_label_shapes",
]


_registry: dict[str, type] = {}


def register(klass: type) -> type:
    """Registers an EvalMetric subclass under its lower-case class name (for :func:`create`)."""
    if not (isinstance(klass, type) and issubclass(klass, EvalMetric)):
        raise TypeError(f"register: expected a subclass of EvalMetric, got {klass!r}")
    _registry[klass.__name__.lower()] = klass
    return klass


def _alias(*names: str) -> Callable[[type], type]:
    def deco(klass: type) -> type:
        for n in names:
            _registry[n] = klass
        return klass

    return deco


def create(metric: Any, *args: Any, **kwargs: Any) -> EvalMetric:
    """A metric from a name ('acc', 'top_k_accuracy', 'f1', 'mse', 'ce' ...), an EvalMetric (returned as is),
    a function ``f(label, pred) -> value`` (a :class:`CustomMetric`) or a list of those (a
    :class:`CompositeEvalMetric`)."""
    if isinstance(metric, EvalMetric):
        return metric
    if callable(metric) and not isinstance(metric, type):
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, list):
        composite = CompositeEvalMetric()
        for child in metric:
            composite.add(create(child, *args, **kwargs))
        return composite
    if isinstance(metric, type) and issubclass(metric, EvalMetric):
        return metric(*args, **kwargs)
    if not isinstance(metric, str):
        raise TypeError(f"create: metric must be a name, an EvalMetric, a function or a list, got {metric!r}")
    klass = _registry.get(metric.lower())
    if klass is None:
        raise ValueError(f"create: unknown metric {metric!r}; known names: {sorted(_registry)}")
    return klass(*args, **kwargs)


def _to_numpy(x: Any) -> _np.ndarray:
    if isinstance(x, NDArray):
        return x.asnumpy()
    return _np.asarray(x)


def check_label_shapes(labels: Any, preds: Any, wrap: bool = False, shape: bool = False) -> tuple[Any, Any]:
    """Checks that labels and preds have the same length (or shape, when shape=True); with wrap, single arrays
    become one-element lists."""
    if not shape:
        label_shape, pred_shape = len(labels), len(preds)
    else:
        label_shape, pred_shape = labels.shape, preds.shape
    if label_shape != pred_shape:
        raise ValueError(f"Shape of labels {label_shape} does not match shape of predictions {pred_shape}")
    if wrap:
        if isinstance(labels, (NDArray, _np.ndarray)):
            labels = [labels]
        if isinstance(preds, (NDArray, _np.ndarray)):
            preds = [preds]
    return labels, preds


def _wrap(labels: Any, preds: Any) -> tuple[list, list]:
    if isinstance(labels, (NDArray, _np.ndarray)):
        labels = [labels]
    if isinstance(preds, (NDArray, _np.ndarray)):
        preds = [preds]
    labels, preds = list(labels), list(preds)
    if len(labels) != len(preds):
        raise ValueError(f"Shape of labels {len(labels)} does not match shape of predictions {len(preds)}")
    return labels, preds


class EvalMetric:
    """Base class of metrics: ``update(labels, preds)`` accumulates ``sum_metric`` and ``num_inst``, ``get()``
    returns ``(name, sum_metric / num_inst)`` (NaN before any update).

    Parameters
    ----------
    name : str
        Name of the metric.
    output_names, label_names : list of str, optional
        Names of the outputs and labels that :meth:`update_dict` picks.
    """

    def __init__(
        self, name: str, output_names: Sequence[str] | None = None, label_names: Sequence[str] | None = None, **kwargs
    ) -> None:
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop("has_global_stats", False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self) -> str:
        return f"EvalMetric: {dict(self.get_name_value())}"

    def get_config(self) -> dict:
        """The arguments that recreate this metric with :func:`create`."""
        config = self._kwargs.copy()
        config.update(
            {
                "metric": type(self).__name__,
                "name": self.name,
                "output_names": self.output_names,
                "label_names": self.label_names,
            }
        )
        return config

    def update_dict(self, label: dict, pred: dict) -> None:
        """Updates from dicts name -> array, picking label_names / output_names when set."""
        if self.output_names is not None:
            pred = [pred[name] for name in self.output_names]
        else:
            pred = list(pred.values())
        if self.label_names is not None:
            label = [label[name] for name in self.label_names]
        else:
            label = list(label.values())
        self.update(label, pred)

    def update(self, labels: Any, preds: Any) -> None:
        """Accumulates the metric over a batch of labels and predictions (lists of arrays)."""
        raise NotImplementedError(f"{type(self).__name__} must implement update(labels, preds)")

    def reset(self) -> None:
        """Clears the local and global statistics."""
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self) -> None:
        """Clears the local statistics only."""
        self.num_inst = 0
        self.sum_metric = 0.0

    def _add(self, value: float, count: int) -> None:
        self.sum_metric += value
        self.global_sum_metric += value
        self.num_inst += count
        self.global_num_inst += count

    def get(self) -> tuple[Any, Any]:
        """(name, value) of the local statistics."""
        if self.num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, float(self.sum_metric) / self.num_inst)

    def get_global(self) -> tuple[Any, Any]:
        """(name, value) since the last :meth:`reset`."""
        if not self._has_global_stats:
            return self.get()
        if self.global_num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, float(self.global_sum_metric) / self.global_num_inst)

    def get_name_value(self) -> list[tuple[str, Any]]:
        """[(name, value), ...] (one pair, or several for composite metrics)."""
        name, value = self.get()
        if not isinstance(name, list):
            name = [name]
        if not isinstance(value, list):
            value = [value]
        return list(zip(name, value))

    def get_global_name_value(self) -> list[tuple[str, Any]]:
        """Like :meth:`get_name_value` for the global statistics."""
        name, value = self.get_global()
        if not isinstance(name, list):
            name = [name]
        if not isinstance(value, list):
            value = [value]
        return list(zip(name, value))


@register
@_alias("composite")
class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; ``get()`` returns ([names], [values])."""

    def __init__(
        self,
        metrics: Sequence[Any] | None = None,
        name: str = "composite",
        output_names: Sequence[str] | None = None,
        label_names: Sequence[str] | None = None,
    ) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names, has_global_stats=True)
        self.metrics = [create(m) for m in (metrics or [])]

    def add(self, metric: Any) -> None:
        """Adds a child metric (anything :func:`create` accepts)."""
        self.metrics.append(create(metric))

    def get_metric(self, index: int) -> EvalMetric:
        """The child metric at index."""
        try:
            return self.metrics[index]
        except IndexError:
            raise ValueError(f"Metric index {index} is out of range 0 and {len(self.metrics)}") from None

    def update_dict(self, labels: dict, preds: dict) -> None:
        for m in self.metrics:
            m.update_dict(labels, preds)

    def update(self, labels: Any, preds: Any) -> None:
        for m in self.metrics:
            m.update(labels, preds)

    def reset(self) -> None:
        for m in getattr(self, "metrics", []):
            m.reset()

    def reset_local(self) -> None:
        for m in self.metrics:
            m.reset_local()

    def _collect(self, getter: str) -> tuple[list, list]:
        names: list = []
        values: list = []
        for m in self.metrics:
            name, value = getattr(m, getter)()
            names.extend(name if isinstance(name, list) else [name])
            values.extend(value if isinstance(value, list) else [value])
        return names, values

    def get(self) -> tuple[list, list]:
        return self._collect("get")

    def get_global(self) -> tuple[list, list]:
        return self._collect("get_global")

    def get_config(self) -> dict:
        config = super().get_config()
        config["metrics"] = [m.get_config() for m in self.metrics]
        return config


@register
@_alias("acc")
class Accuracy(EvalMetric):
    """Fraction of predictions equal to the labels. A prediction whose shape differs from its label's is
    reduced with argmax along axis first (class scores -> class)."""

    def __init__(
        self,
        axis: int = 1,
        name: str = "accuracy",
        output_names: Sequence[str] | None = None,
        label_names: Sequence[str] | None = None,
    ) -> None:
        super().__init__(name, axis=axis, output_names=output_names, label_names=label_names, has_global_stats=True)
        self.axis = axis

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = _wrap(labels, preds)
        for label, pred in zip(labels, preds):
            label = _to_numpy(label)
            pred = _to_numpy(pred)
            if pred.shape != label.shape:
                pred = _np.argmax(pred, axis=self.axis)
            pred = pred.astype("int64").ravel()
            label = label.astype("int64").ravel()
            if pred.shape != label.shape:
                raise ValueError(f"Accuracy: {label.size} labels but {pred.size} predictions")
            self._add(int((pred == label).sum()), pred.size)


@register
@_alias("top_k_accuracy", "top_k_acc")
class TopKAccuracy(EvalMetric):
    """Fraction of samples whose label is among the top_k highest-scored classes (pred: (batch, classes))."""

    def __init__(
        self,
        top_k: int = 1,
        name: str = "top_k_accuracy",
        output_names: Sequence[str] | None = None,
        label_names: Sequence[str] | None = None,
    ) -> None:
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
            raise ValueError(f"TopKAccuracy: top_k must be an int >= 1, got {top_k!r}")
        super().__init__(name, top_k=top_k, output_names=output_names, label_names=label_names, has_global_stats=True)
        self.top_k = top_k
        self.name += f"_{self.top_k}"

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = _wrap(labels, preds)
        for label, pred in zip(labels, preds):
            pred = _to_numpy(pred).astype("float32")
            label = _to_numpy(label).astype("int64").ravel()
            if pred.ndim > 2:
                raise ValueError(f"TopKAccuracy: predictions must have at most 2 dimensions, got shape {pred.shape}")
            if pred.ndim == 1:
                correct = int((pred.astype("int64") == label).sum())
            else:
                if pred.shape[0] != label.size:
                    raise ValueError(f"TopKAccuracy: {label.size} labels but {pred.shape[0]} predictions")
                k = min(pred.shape[1], self.top_k)
                top = _np.argpartition(pred, -k, axis=1)[:, -k:]
                correct = int((top == label[:, None]).any(axis=1).sum())
            self._add(correct, label.size)


class _BinaryStats:
    """Confusion counts of a binary classifier, local and global."""

    def __init__(self) -> None:
        self.reset_stats()
        self.global_tp = self.global_fp = self.global_fn = self.global_tn = 0

    def reset_stats(self) -> None:
        self.tp = self.fp = self.fn = self.tn = 0

    def update(self, label: Any, pred: Any, threshold: float, who: str) -> None:
        pred = _to_numpy(pred)
        label = _to_numpy(label).astype("int64").ravel()
        if pred.ndim == 2 and pred.shape[1] > 1:
            pred_label = _np.argmax(pred, axis=1)
        else:
            pred_label = (pred.ravel() > threshold).astype("int64")
        if pred_label.size != label.size:
            raise ValueError(f"{who}: {label.size} labels but {pred_label.size} predictions")
        if _np.unique(label).size > 2 or not _np.isin(label, (0, 1)).all():
            raise ValueError(f"{who} currently only supports binary classification (labels 0 and 1).")
        pt, lt = pred_label == 1, label == 1
        tp, fp = int((pt & lt).sum()), int((pt & ~lt).sum())
        fn, tn = int((~pt & lt).sum()), int((~pt & ~lt).sum())
        self.tp += tp
        self.fp += fp
        self.fn += fn
        self.tn += tn
        self.global_tp += tp
        self.global_fp += fp
        self.global_fn += fn
        self.global_tn += tn

    @staticmethod
    def fscore(tp: int, fp: int, fn: int) -> float:
        precision = tp / (tp + fp) if tp + fp > 0 else 0.0
        recall = tp / (tp + fn) if tp + fn > 0 else 0.0
        return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0

    @staticmethod
    def mcc(tp: int, fp: int, fn: int, tn: int) -> float:
        terms = [tp + fp, tp + fn, tn + fp, tn + fn]
        denom = 1.0
        for t in terms:
            if t != 0:
                denom *= t
        return (tp * tn - fp * fn) / math.sqrt(denom)

    def local(self) -> tuple[int, int, int, int]:
        return self.tp, self.fp, self.fn, self.tn

    def global_(self) -> tuple[int, int, int, int]:
        return self.global_tp, self.global_fp, self.global_fn, self.global_tn


class _BinaryMetric(EvalMetric):
    _score: Callable[..., float]

    def __init__(
        self,
        name: str,
        output_names: Sequence[str] | None,
        label_names: Sequence[str] | None,
        average: str,
        threshold: float,
    ) -> None:
        if average not in ("macro", "micro"):
            raise ValueError(f"{type(self).__name__}: average must be 'macro' or 'micro', got {average!r}")
        self.average = average
        self.threshold = threshold
        self.stats = _BinaryStats()
        super().__init__(name, output_names=output_names, label_names=label_names, has_global_stats=True)

    def _value(self, counts: tuple[int, int, int, int]) -> float:
        raise NotImplementedError

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = _wrap(labels, preds)
        for label, pred in zip(labels, preds):
            self.stats.update(label, pred, self.threshold, type(self).__name__)
        if self.average == "macro":  # one score per update call, averaged over calls
            self.sum_metric += self._value(self.stats.local())
            self.global_sum_metric += self._value(self.stats.global_())
            self.num_inst += 1
            self.global_num_inst += 1
            self.stats.reset_stats()
        else:  # every sample pooled
            n_local, n_global = sum(self.stats.local()), sum(self.stats.global_())
            self.sum_metric = self._value(self.stats.local()) * n_local
            self.global_sum_metric = self._value(self.stats.global_()) * n_global
            self.num_inst = n_local
            self.global_num_inst = n_global

    def reset(self) -> None:
        super().reset()
        stats = getattr(self, "stats", None)
        if stats is not None:
            self.stats = _BinaryStats()

    def reset_local(self) -> None:
        super().reset_local()
        self.stats.reset_stats()


@register
class F1(_BinaryMetric):
    """F1 score of a binary classifier: pred holds class scores (batch, 2), argmax-ed, or one score per sample
    compared with threshold; labels are 0 or 1.

    Parameters
    ----------
    average : {'macro', 'micro'}
        'macro' (MXNet 1.x's default): the mean of the F1 of each update call; 'micro': F1 of all samples.
    threshold : float
        Decision threshold for one-score-per-sample predictions.
    """

    def __init__(
        self,
        name: str = "f1",
        output_names: Sequence[str] | None = None,
        label_names: Sequence[str] | None = None,
        average: str = "macro",
        threshold: float = 0.5,
    ) -> None:
        super().__init__(name, output_names, label_names, average, threshold)

    def _value(self, counts: tuple[int, int, int, int]) -> float:
        tp, fp, fn, _ = counts
        return _BinaryStats.fscore(tp, fp, fn)


@register
class MCC(_BinaryMetric):
    """Matthews correlation coefficient of a binary classifier (inputs as :class:`F1`)."""

    def __init__(
        self,
        name: str = "mcc",
        output_names: Sequence[str] | None = None,
        label_names: Sequence[str] | None = None,
        average: str = "macro",
        threshold: float = 0.5,
    ) -> None:
        super().__init__(name, output_names, label_names, average, threshold)

    def _value(self, counts: tuple[int, int, int, int]) -> float:
        return _BinaryStats.mcc(*counts)


def _as_columns(x: _np.ndarray) -> _np.ndarray:
    return x.reshape(x.shape[0], 1) if x.ndim == 1 else x


class _Regression(EvalMetric):
    def __init__(
        self, name: str, output_names: Sequence[str] | None = None, label_names: Sequence[str] | None = None
    ) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names, has_global_stats=True)

    def _batch_value(self, label: _np.ndarray, pred: _np.ndarray) -> float:
        raise NotImplementedError

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = _wrap(labels, preds)
        for label, pred in zip(labels, preds):
            label = _as_columns(_to_numpy(label).astype("float64"))
            pred = _as_columns(_to_numpy(pred).astype("float64"))
            if label.size != pred.size:
                raise ValueError(f"{type(self).__name__}: labels of shape {label.shape}, predictions {pred.shape}")
            self._add(self._batch_value(label, pred.reshape(label.shape)), 1)


@register
class MAE(_Regression):
    """Mean absolute error (per batch, averaged over batches)."""

    def __init__(self, name: str = "mae", output_names: Any = None, label_names: Any = None) -> None:
        super().__init__(name, output_names, label_names)

    def _batch_value(self, label: _np.ndarray, pred: _np.ndarray) -> float:
        return float(_np.abs(label - pred).mean())


@register
class MSE(_Regression):
    """Mean squared error (per batch, averaged over batches)."""

    def __init__(self, name: str = "mse", output_names: Any = None, label_names: Any = None) -> None:
        super().__init__(name, output_names, label_names)

    def _batch_value(self, label: _np.ndarray, pred: _np.ndarray) -> float:
        return float(((label - pred) ** 2.0).mean())


@register
class RMSE(_Regression):
    """Root mean squared error (per batch, averaged over batches)."""

    def __init__(self, name: str = "rmse", output_names: Any = None, label_names: Any = None) -> None:
        super().__init__(name, output_names, label_names)

    def _batch_value(self, label: _np.ndarray, pred: _np.ndarray) -> float:
        return float(_np.sqrt(((label - pred) ** 2.0).mean()))


def _picked_probs(label: Any, pred: Any, who: str) -> tuple[_np.ndarray, _np.ndarray]:
    label = _to_numpy(label).ravel().astype("int64")
    pred = _to_numpy(pred)
    pred = pred.reshape(-1, pred.shape[-1])
    if label.shape[0] != pred.shape[0]:
        raise ValueError(f"{who}: {label.shape[0]} labels but {pred.shape[0]} predictions")
    if label.size and (label.min() < 0 or label.max() >= pred.shape[1]):
        raise ValueError(f"{who}: labels must lie in [0, {pred.shape[1]}), got [{label.min()}, {label.max()}]")
    return label, pred


@register
@_alias("ce", "cross-entropy")
class CrossEntropy(EvalMetric):
    """Mean cross-entropy ``-log(pred[label] + eps)`` of predicted probabilities (batch, classes)."""

    def __init__(
        self, eps: float = 1e-12, name: str = "cross-entropy", output_names: Any = None, label_names: Any = None
    ) -> None:
        super().__init__(name, eps=eps, output_names=output_names, label_names=label_names, has_global_stats=True)
        self.eps = eps

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = _wrap(labels, preds)
        for label, pred in zip(labels, preds):
            label, pred = _picked_probs(label, pred, type(self).__name__)
            prob = pred[_np.arange(label.shape[0]), label].astype("float64")
            self._add(float((-_np.log(prob + self.eps)).sum()), label.shape[0])


@register
@_alias("nll_loss")
class NegativeLogLikelihood(CrossEntropy):
    """Mean negative log-likelihood of predicted probabilities (the same value as :class:`CrossEntropy`)."""

    def __init__(
        self, eps: float = 1e-12, name: str = "nll-loss", output_names: Any = None, label_names: Any = None
    ) -> None:
        super().__init__(eps=eps, name=name, output_names=output_names, label_names=label_names)


@register
class Perplexity(EvalMetric):
    """Perplexity ``exp(mean(-log p[label]))`` of predicted probabilities along axis; positions whose label is
    ignore_label are left out."""

    def __init__(
        self,
        ignore_label: int | None,
        axis: int = -1,
        name: str = "perplexity",
        output_names: Any = None,
        label_names: Any = None,
    ) -> None:
        super().__init__(
            name,
            ignore_label=ignore_label,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )
        self.ignore_label = ignore_label
        self.axis = axis

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = _wrap(labels, preds)
        loss = 0.0
        num = 0
        for label, pred in zip(labels, preds):
            pred = _np.moveaxis(_to_numpy(pred), self.axis, -1)
            label = _to_numpy(label)
            if label.size * pred.shape[-1] != pred.size:
                raise ValueError(f"Perplexity: shape mismatch: labels {label.shape} vs. predictions {pred.shape}")
            label, pred = _picked_probs(label, pred, "Perplexity")
            keep = _np.ones(label.shape, dtype=bool)
            if self.ignore_label is not None:
                keep = label != self.ignore_label
            picked = pred[_np.arange(label.shape[0]), _np.clip(label, 0, pred.shape[1] - 1)].astype("float64")
            loss -= float(_np.log(_np.maximum(1e-10, picked[keep])).sum())
            num += int(keep.sum())
        self._add(loss, num)

    def get(self) -> tuple[str, float]:
        if self.num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, math.exp(self.sum_metric / self.num_inst))

    def get_global(self) -> tuple[str, float]:
        if self.global_num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, math.exp(self.global_sum_metric / self.global_num_inst))


@register
@_alias("pearsonr")
class PearsonCorrelation(EvalMetric):
    """Pearson correlation coefficient of predictions and labels.

    Parameters
    ----------
    average : {'macro', 'micro'}
        'macro': the coefficient of each batch, averaged over batches; 'micro': the coefficient of all samples
        seen (from running sums).
    """

    def __init__(
        self, name: str = "pearsonr", output_names: Any = None, label_names: Any = None, average: str = "macro"
    ) -> None:
        if average not in ("macro", "micro"):
            raise ValueError(f"PearsonCorrelation: average must be 'macro' or 'micro', got {average!r}")
        self.average = average
        super().__init__(name, output_names=output_names, label_names=label_names, has_global_stats=True)

    def reset(self) -> None:
        super().reset()
        self._sums = _np.zeros(5)  # n, sum x, sum y, sum xx, sum yy ... and xy below
        self._sxy = 0.0
        self._global_sums = _np.zeros(5)
        self._global_sxy = 0.0

    def reset_local(self) -> None:
        super().reset_local()
        self._sums = _np.zeros(5)
        self._sxy = 0.0

    @staticmethod
    def _corr(sums: _np.ndarray, sxy: float) -> float:
        n, sx, sy, sxx, syy = sums
        cov = sxy - sx * sy / n
        vx = sxx - sx * sx / n
        vy = syy - sy * sy / n
        return float(cov / math.sqrt(vx * vy)) if vx > 0 and vy > 0 else float("nan")

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = _wrap(labels, preds)
        for label, pred in zip(labels, preds):
            y = _to_numpy(label).astype("float64").ravel()
            x = _to_numpy(pred).astype("float64").ravel()
            if x.shape != y.shape:
                raise ValueError(f"PearsonCorrelation: {y.size} labels but {x.size} predictions")
            if self.average == "macro":
                self._add(float(_np.corrcoef(x, y)[0, 1]), 1)
            else:
                add = _np.array([x.size, x.sum(), y.sum(), (x * x).sum(), (y * y).sum()])
                self._sums += add
                self._global_sums += add
                self._sxy += float((x * y).sum())
                self._global_sxy += float((x * y).sum())
                self.num_inst += 1
                self.global_num_inst += 1

    def get(self) -> tuple[str, float]:
        if self.average == "macro" or self.num_inst == 0:
            return super().get()
        return (self.name, self._corr(self._sums, self._sxy))

    def get_global(self) -> tuple[str, float]:
        if self.average == "macro" or self.global_num_inst == 0:
            return super().get_global()
        return (self.name, self._corr(self._global_sums, self._global_sxy))


@register
class Loss(EvalMetric):
    """The mean of loss values: preds are the per-sample losses (labels are ignored)."""

    def __init__(self, name: str = "loss", output_names: Any = None, label_names: Any = None) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names, has_global_stats=True)

    def update(self, _: Any, preds: Any) -> None:
        if isinstance(preds, (NDArray, _np.ndarray)):
            preds = [preds]
        for pred in preds:
            p = _to_numpy(pred)
            self._add(float(p.astype("float64").sum()), int(p.size))


@register
class CustomMetric(EvalMetric):
    """A metric from a function ``feval(label, pred)`` of numpy arrays returning a value, or a
    (sum_metric, num_inst) pair.

    Parameters
    ----------
    feval : callable
        The function.
    name : str, optional
        Name (default: 'custom(<function name>)').
    allow_extra_outputs : bool
        Allow more predictions than labels (the extra ones are ignored).
    """

    def __init__(
        self,
        feval: Callable[[Any, Any], Any],
        name: str | None = None,
        allow_extra_outputs: bool = False,
        output_names: Any = None,
        label_names: Any = None,
    ) -> None:
        if not callable(feval):
            raise TypeError(f"CustomMetric: feval must be callable, got {type(feval).__name__}")
        if name is None:
            name = getattr(feval, "__name__", "custom")
            if name.find("<") != -1:
                name = f"custom({name})"
        super().__init__(
            name,
            feval=feval,
            allow_extra_outputs=allow_extra_outputs,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )
        self._feval = feval
        self._allow_extra_outputs = allow_extra_outputs

    def update(self, labels: Any, preds: Any) -> None:
        if isinstance(labels, (NDArray, _np.ndarray)):
            labels = [labels]
        if isinstance(preds, (NDArray, _np.ndarray)):
            preds = [preds]
        labels, preds = list(labels), list(preds)
        if not self._allow_extra_outputs:
            check_label_shapes(labels, preds)
        for label, pred in zip(labels, preds):
            result = self._feval(_to_numpy(label), _to_numpy(pred))
            if isinstance(result, tuple):
                self._add(float(result[0]), int(result[1]))
            else:
                self._add(float(result), 1)

    def get_config(self) -> dict:
        raise NotImplementedError("CustomMetric cannot be serialized")


def np(numpy_feval: Callable[[Any, Any], Any], name: str | None = None, allow_extra_outputs: bool = False) -> Any:
    """A :class:`CustomMetric` from a function of numpy arrays (MXNet's ``mx.metric.np``)."""

    def feval(label: Any, pred: Any) -> Any:
        return numpy_feval(label, pred)

    feval.__name__ = numpy_feval.__name__
    return CustomMetric(feval, name, allow_extra_outputs)
