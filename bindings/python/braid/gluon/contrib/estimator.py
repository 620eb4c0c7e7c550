"""Estimator: a training loop with progress, validation, logging and checkpoints (MXNet 1.x's
``gluon.contrib.estimator`` idiom)::

    est = Estimator(net, loss=gluon.loss.SoftmaxCrossEntropyLoss(), train_metrics=metric.Accuracy(),
                    trainer=gluon.Trainer(net.collect_params(), "adam"))
    history = est.fit(train_loader, val_data=val_loader, epochs=5,
                      event_handlers=[CSVLogger("curves.csv"), CheckpointHandler("ckpt")])

Progress shows loss, metrics, samples/s and time left per epoch: a tqdm bar on a terminal, plain log lines
otherwise (or when tqdm is not installed). Handlers receive events at the start and end of training, each epoch
and each batch.
"""

from __future__ import annotations

import csv
import math
import os
import sys
import time
from typing import Any, Iterable, Sequence

from ... import autograd
from ... import metric as _metric
from ...context import Context, cpu
from ...ndarray import NDArray
from ..utils import split_and_load


class EventHandler:
    """Base of the training-loop callbacks; override the events you need. ``estimator`` is the running one."""

    def train_begin(self, estimator: Estimator) -> None: ...

    def epoch_begin(self, estimator: Estimator) -> None: ...

    def batch_end(self, estimator: Estimator, batch: int, loss: float) -> None: ...

    def epoch_end(self, estimator: Estimator, record: dict) -> bool | None:
        """Return True to stop training after this epoch."""

    def train_end(self, estimator: Estimator) -> None: ...


class ProgressHandler(EventHandler):
    """A progress bar per epoch (tqdm on a terminal) or one log line every ``log_interval`` batches."""

    def __init__(self, log_interval: int = 100, stream: Any = None, use_tqdm: bool | None = None) -> None:
        self.log_interval = log_interval
        self.stream = stream or sys.stderr
        if use_tqdm is None:
            use_tqdm = hasattr(self.stream, "isatty") and self.stream.isatty()
        try:
            import tqdm  # noqa: F401
        except ImportError:
            use_tqdm = False
        self.use_tqdm = use_tqdm
        self._bar: Any = None

    def epoch_begin(self, estimator: Estimator) -> None:
        self._t0 = time.perf_counter()
        self._samples = 0
        total = estimator.batches_per_epoch
        if self.use_tqdm:
            import tqdm

            self._bar = tqdm.tqdm(
                total=total, desc=f"epoch {estimator.epoch + 1}/{estimator.epochs}", file=self.stream, leave=True
            )

    def _postfix(self, estimator: Estimator, loss: float) -> dict:
        dt = max(time.perf_counter() - self._t0, 1e-9)
        post = {"loss": f"{loss:.4f}", "samples/s": f"{self._samples / dt:.0f}"}
        for name, value in estimator.train_metric_values():
            post[name] = f"{value:.4f}"
        return post

    def batch_end(self, estimator: Estimator, batch: int, loss: float) -> None:
        self._samples += estimator.last_batch_size
        if self._bar is not None:
            self._bar.update(1)
            if batch % 10 == 0:
                self._bar.set_postfix(self._postfix(estimator, loss))
        elif self.log_interval and (batch + 1) % self.log_interval == 0:
            post = self._postfix(estimator, loss)
            total = estimator.batches_per_epoch
            left = ""
            if total:
                rate = (batch + 1) / max(time.perf_counter() - self._t0, 1e-9)
                left = f" | {(total - batch - 1) / rate:.0f}s left"
            items = " ".join(f"{k}={v}" for k, v in post.items())
            where = f"batch {batch + 1}" + (f"/{total}" if total else "")
            print(
                f"[epoch {estimator.epoch + 1}/{estimator.epochs} {where}] {items}{left}",
                file=self.stream,
                flush=True,
            )

    def epoch_end(self, estimator: Estimator, record: dict) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        items = " ".join(f"{k}={v:.4f}" for k, v in record.items() if k not in ("epoch",) and isinstance(v, float))
        print(f"[epoch {record['epoch']}/{estimator.epochs}] {items}", file=self.stream, flush=True)


class CSVLogger(EventHandler):
    """Appends one row per epoch (epoch, time, train loss and metrics, validation metrics) to a CSV file."""

    def __init__(self, path: str) -> None:
        self.path = path

    def train_begin(self, estimator: Estimator) -> None:
        d = os.path.dirname(self.path)
        if d:
            os.makedirs(d, exist_ok=True)
        self._header: list[str] | None = None

    def epoch_end(self, estimator: Estimator, record: dict) -> None:
        new = self._header is None
        if new:
            self._header = list(record)
        with open(self.path, "w" if new else "a", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            if new:
                w.writerow(self._header)
            w.writerow([record.get(k, "") for k in self._header])


class TensorBoardLogger(EventHandler):
    """Writes the epoch records as TensorBoard scalars with tensorboardX (a no-op with a note when absent)."""

    def __init__(self, logdir: str) -> None:
        self.logdir = logdir
        self._writer: Any = None

    def train_begin(self, estimator: Estimator) -> None:
        try:
            from tensorboardX import SummaryWriter
        except ImportError:
            print("note: tensorboardX is not installed; TensorBoard logging is off", file=sys.stderr)
            return
        self._writer = SummaryWriter(self.logdir)

    def epoch_end(self, estimator: Estimator, record: dict) -> None:
        if self._writer is None:
            return
        for k, v in record.items():
            if k != "epoch" and isinstance(v, float):
                self._writer.add_scalar(k, v, record["epoch"])
        self._writer.flush()

    def train_end(self, estimator: Estimator) -> None:
        if self._writer is not None:
            self._writer.close()


class CheckpointHandler(EventHandler):
    """Saves a resumable checkpoint (parameters, trainer states, epoch, random streams) every epoch, and the
    best parameters by a monitored record key (e.g. ``'val_accuracy'``)."""

    def __init__(self, model_dir: str, model_prefix: str = "model", monitor: str | None = None, mode: str = "max"):
        if mode not in ("max", "min"):
            raise ValueError(f"CheckpointHandler: mode must be 'max' or 'min', got {mode!r}")
        self.model_dir, self.model_prefix, self.monitor, self.mode = model_dir, model_prefix, monitor, mode
        self.best: float | None = None

    def epoch_end(self, estimator: Estimator, record: dict) -> None:
        from .checkpoint import save_checkpoint

        os.makedirs(self.model_dir, exist_ok=True)
        save_checkpoint(
            os.path.join(self.model_dir, f"{self.model_prefix}.ckpt"),
            estimator.net,
            estimator.trainer,
            epoch=record["epoch"],
        )
        if self.monitor and self.monitor in record:
            v = record[self.monitor]
            if self.best is None or (v > self.best if self.mode == "max" else v < self.best):
                self.best = v
                estimator.net.save_parameters(os.path.join(self.model_dir, f"{self.model_prefix}-best.params"))


class EarlyStoppingHandler(EventHandler):
    """Stops when a record key has not improved for ``patience`` epochs."""

    def __init__(self, monitor: str, patience: int = 3, mode: str = "max", min_delta: float = 0.0) -> None:
        self.monitor, self.patience, self.mode, self.min_delta = monitor, patience, mode, min_delta
        self.best: float | None = None
        self.wait = 0

    def epoch_end(self, estimator: Estimator, record: dict) -> bool:
        v = record.get(self.monitor)
        if v is None:
            return False
        better = self.best is None or (
            v > self.best + self.min_delta if self.mode == "max" else v < self.best - self.min_delta
        )
        if better:
            self.best, self.wait = v, 0
            return False
        self.wait += 1
        return self.wait >= self.patience


def _as_metrics(m: Any) -> list:
    if m is None:
        return []
    if isinstance(m, (list, tuple)):
        return [_metric.create(x) if isinstance(x, str) else x for x in m]
    return [_metric.create(m) if isinstance(m, str) else m]


class Estimator:
    """Trains ``net`` with ``loss`` and ``trainer`` on batches of (data, label) and evaluates metrics."""

    def __init__(
        self,
        net: Any,
        loss: Any,
        train_metrics: Any = None,
        val_metrics: Any = None,
        trainer: Any = None,
        context: Context | Sequence[Context] | None = None,
    ) -> None:
        self.net = net
        self.loss = loss
        self.train_metrics = _as_metrics(train_metrics)
        self.val_metrics = _as_metrics(val_metrics) or [type(m)() for m in self.train_metrics]
        if trainer is None:
            from ..trainer import Trainer

            trainer = Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01})
        self.trainer = trainer
        self.contexts = list(context) if isinstance(context, (list, tuple)) else [context or cpu()]
        self.epoch = 0
        self.epochs = 0
        self.batches_per_epoch: int | None = None
        self.last_batch_size = 0
        self.history: list[dict] = []
        self._loss_sum = 0.0
        self._loss_n = 0

    def train_metric_values(self) -> list[tuple[str, float]]:
        out = []
        for m in self.train_metrics:
            names, values = m.get()
            names = names if isinstance(names, list) else [names]
            values = values if isinstance(values, list) else [values]
            out += [(n, float(v)) for n, v in zip(names, values) if not (isinstance(v, float) and math.isnan(v))]
        return out

    def _split(self, batch: Any) -> tuple[list, list]:
        if isinstance(batch, (list, tuple)) and len(batch) >= 2:
            data, label = batch[0], batch[1]
        else:
            raise ValueError("Estimator: each batch must be (data, label)")
        if len(self.contexts) == 1:
            ctx = self.contexts[0]
            data = data.as_in_context(ctx) if isinstance(data, NDArray) else data
            label = label.as_in_context(ctx) if isinstance(label, NDArray) else label
            return [data], [label]
        return split_and_load(data, self.contexts), split_and_load(label, self.contexts)

    def evaluate(self, val_data: Iterable, metrics: Sequence | None = None) -> dict[str, float]:
        """Metric values of the network (inference mode) over val_data; includes 'loss'."""
        metrics = list(metrics) if metrics is not None else self.val_metrics
        for m in metrics:
            m.reset()
        total, n = 0.0, 0
        for batch in val_data:
            xs, ys = self._split(batch)
            for x, y in zip(xs, ys):
                out = self.net(x)
                loss = self.loss(out, y)
                total += float(loss.sum().asscalar())
                n += loss.shape[0]
                for m in metrics:
                    m.update([y], [out])
        result = {"loss": total / max(n, 1)}
        for m in metrics:
            names, values = m.get()
            names = names if isinstance(names, list) else [names]
            values = values if isinstance(values, list) else [values]
            result.update({k: float(v) for k, v in zip(names, values)})
        return result

    def fit(
        self,
        train_data: Iterable,
        val_data: Iterable | None = None,
        epochs: int = 1,
        event_handlers: Sequence[EventHandler] | None = None,
        batches: int | None = None,
    ) -> list[dict]:
        """Trains for ``epochs`` epochs (or ``batches`` batches per epoch at most) and returns the history: one
        record per epoch with the epoch number, seconds, train loss and metrics, and ``val_``-prefixed validation
        values. A ProgressHandler is added unless one is given."""
        handlers = list(event_handlers or [])
        if not any(isinstance(h, ProgressHandler) for h in handlers):
            handlers.insert(0, ProgressHandler())
        self.epochs = epochs
        try:
            self.batches_per_epoch = min(len(train_data), batches) if batches else len(train_data)  # type: ignore[arg-type]
        except TypeError:
            self.batches_per_epoch = batches
        for h in handlers:
            h.train_begin(self)
        stop = False
        for e in range(epochs):
            self.epoch = e
            for m in self.train_metrics:
                m.reset()
            self._loss_sum, self._loss_n = 0.0, 0
            t0 = time.perf_counter()
            for h in handlers:
                h.epoch_begin(self)
            pending: list = []
            for i, batch in enumerate(train_data):
                if batches is not None and i >= batches:
                    break
                xs, ys = self._split(batch)
                with autograd.record():
                    outs = [self.net(x) for x in xs]
                    losses = [self.loss(o, y) for o, y in zip(outs, ys)]
                autograd.backward(losses)
                size = sum(x.shape[0] for x in xs)
                self.last_batch_size = size
                self.trainer.step(size)
                for m in self.train_metrics:
                    m.update(ys, outs)
                pending.append((sum(loss.sum() for loss in losses), size))
                # Reading a loss value synchronises; doing it a few batches late keeps the engine busy.
                if len(pending) > 2:
                    s, k = pending.pop(0)
                    self._loss_sum += float(s.asscalar())
                    self._loss_n += k
                loss_now = self._loss_sum / max(self._loss_n, 1)
                for h in handlers:
                    h.batch_end(self, i, loss_now)
            for s, k in pending:
                self._loss_sum += float(s.asscalar())
                self._loss_n += k
            record: dict[str, Any] = {"epoch": e + 1, "seconds": time.perf_counter() - t0}
            record["loss"] = self._loss_sum / max(self._loss_n, 1)
            record.update(dict(self.train_metric_values()))
            if val_data is not None:
                record.update({f"val_{k}": v for k, v in self.evaluate(val_data).items()})
            self.history.append(record)
            for h in handlers:
                stop = bool(h.epoch_end(self, record)) or stop
            if stop:
                break
        for h in handlers:
            h.train_end(self)
        return self.history
