"""Monitor: statistics of a network's layer outputs, weights and gradients every few batches (MXNet 1.x's
``mx.monitor.Monitor``, installed on Gluon blocks through forward hooks)::

    mon = mx.monitor.Monitor(interval=100, pattern=".*dense.*")
    mon.install(net)
    for batch in batches:
        mon.tic()                             # every interval-th batch, starts collecting
        with autograd.record():
            loss = loss_fn(net(data), label)  # outputs of matching blocks are measured here
        loss.backward()
        trainer.step(batch_size)
        for step, name, stat in mon.toc():    # ... and weights and gradients here
            print(step, name, stat)

Names are ``<block name>_output`` (``_output0``, ``_output1`` ... for several outputs) for block outputs, the
parameter name (``dense0_weight``) for weights and ``<parameter name>_grad`` for gradients. The default
statistic is ``norm(x) / sqrt(x.size)``. Blocks inside a hybridized block run as one graph, so only the outermost
hybridized block's output is seen; call ``net.hybridize(False)`` to monitor every layer.
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any, Callable

import numpy as np

from . import autograd
from . import ndarray as nd
from .ndarray import NDArray

__all__ = ["Monitor"]


def _default_stat(x: NDArray) -> NDArray:
    """norm(x) / sqrt(size): the root mean square of the elements."""
    return nd.norm(x.astype("float32") if x.dtype not in (np.float32, np.float64) else x) / math.sqrt(max(x.size, 1))


class Monitor:
    """Collects a statistic of the outputs, weights and gradients of the blocks of a network whose names
    match pattern, on every interval-th batch.

    Parameters
    ----------
    interval : int
        Collect on batches 0, interval, 2*interval ... (counted by :meth:`tic`).
    stat_func : callable, optional
        NDArray -> NDArray (or a list of them) computing the statistic; default ``norm(x) / sqrt(x.size)``.
    pattern : str
        Regular expression (``re.match``) selecting names.
    sort : bool
        Sort the results of :meth:`toc` by name.
    monitor_weights : bool
        Also report the weights and gradients of the matching parameters at :meth:`toc`.
    """

    def __init__(
        self,
        interval: int,
        stat_func: Callable[[NDArray], Any] | None = None,
        pattern: str = ".*",
        sort: bool = False,
        monitor_weights: bool = True,
    ) -> None:
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise ValueError(f"Monitor: interval must be an int >= 1, got {interval!r}")
        if stat_func is not None and not callable(stat_func):
            raise TypeError(f"Monitor: stat_func must be callable, got {type(stat_func).__name__}")
        self.stat_func = stat_func or _default_stat
        self.interval = interval
        self.activated = False
        self.queue: list[tuple[int, str, Any]] = []
        self.step = 0
        self.re_prog = re.compile(pattern)
        self.sort = sort
        self.monitor_weights = monitor_weights
        self._blocks: list[Any] = []
        self._hooks: list[Any] = []

    def install(self, block: Any) -> None:
        """Installs forward hooks on block and all its descendants (callable several times, for several
        networks)."""
        if not hasattr(block, "register_forward_hook") or not hasattr(block, "apply"):
            raise TypeError(f"Monitor.install: expected a gluon Block, got {type(block).__name__}")
        self._blocks.append(block)
        block.apply(lambda b: self._hooks.append(b.register_forward_hook(self._hook)))

    def uninstall(self) -> None:
        """Removes every hook this monitor installed."""
        for h in self._hooks:
            h.detach()
        self._hooks = []
        self._blocks = []

    def _record(self, name: str, array: NDArray) -> None:
        with autograd.pause():
            self.queue.append((self.step, name, self.stat_func(array)))

    def _hook(self, block: Any, inputs: tuple, outputs: Any) -> None:
        if not self.activated:
            return
        outs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        arrays = [o for o in outs if isinstance(o, NDArray)]
        for i, out in enumerate(arrays):
            name = f"{block.name}_output" if len(arrays) == 1 else f"{block.name}_output{i}"
            if self.re_prog.match(name):
                self._record(name, out)

    def tic(self) -> None:
        """Starts a batch: on every interval-th call, clears the queue and starts collecting."""
        if self.step % self.interval == 0:
            self.queue = []
            self.activated = True
        self.step += 1

    def toc(self) -> list[tuple[int, str, Any]]:
        """Ends a collecting batch: adds the weights' and gradients' statistics and returns every
        ``(step, name, stat)`` collected (stat as a float when it has one element, else a numpy array, or a
        list of those when stat_func returns a list). Returns [] on batches that do not collect."""
        if not self.activated:
            return []
        if self.monitor_weights:
            seen: set[int] = set()
            for block in self._blocks:
                for p in block.collect_params().values():
                    if id(p) in seen or not p.is_initialized:
                        continue
                    seen.add(id(p))
                    if self.re_prog.match(p.name):
                        self._record(p.name, p.list_data()[0])
                    if p.grad_req != "null" and self.re_prog.match(p.name + "_grad"):
                        self._record(p.name + "_grad", p.list_grad()[0])
        self.activated = False
        queue, self.queue = self.queue, []
        if self.sort:
            queue.sort(key=lambda x: x[1])
        return [(step, name, self._value(stat)) for step, name, stat in queue]

    @staticmethod
    def _value(stat: Any) -> Any:
        if isinstance(stat, (list, tuple)):
            return [Monitor._value(s) for s in stat]
        if isinstance(stat, NDArray):
            v = stat.asnumpy()
            return float(v.reshape(-1)[0]) if v.size == 1 else v
        return stat

    def toc_print(self) -> None:
        """Logs the results of :meth:`toc` (``logging.info``), one line per name."""
        for step, name, value in self.toc():
            logging.info("Batch: %7d %30s %s", step, name, value)
