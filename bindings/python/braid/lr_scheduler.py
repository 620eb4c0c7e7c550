"""Learning-rate schedules (MXNet 1.x ``mx.lr_scheduler``).

A scheduler is called with the number of updates done so far and returns the learning rate; an optimizer given
``lr_scheduler=`` asks it before every update::

    sched = mx.lr_scheduler.CosineScheduler(max_update=1000, base_lr=0.1, warmup_steps=100)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"lr_scheduler": sched})

Every schedule can start with a warm-up: ``warmup_steps`` updates rising linearly from ``warmup_begin_lr`` to
``base_lr`` (``warmup_mode='linear'``) or staying at ``warmup_begin_lr`` (``'constant'``).
"""

from __future__ import annotations

import logging
import math
from typing import Sequence

__all__ = ["LRScheduler", "FactorScheduler", "MultiFactorScheduler", "PolyScheduler", "CosineScheduler"]


class LRScheduler:
    """Base class of schedules: ``sched(num_update)`` returns the learning rate after num_update updates.

    Parameters
    ----------
    base_lr : float
        The learning rate after warm-up (before any decay).
    warmup_steps : int
        Number of warm-up updates, >= 0.
    warmup_begin_lr : float
        The learning rate at update 0 of the warm-up; <= base_lr.
    warmup_mode : {'linear', 'constant'}
        How the warm-up goes from warmup_begin_lr to base_lr.
    """

    def __init__(
        self, base_lr: float = 0.01, warmup_steps: int = 0, warmup_begin_lr: float = 0, warmup_mode: str = "linear"
    ) -> None:
        if isinstance(warmup_steps, bool) or not isinstance(warmup_steps, int):
            raise TypeError(f"{type(self).__name__}: warmup_steps must be an int, got {warmup_steps!r}")
        if warmup_steps < 0:
            raise ValueError(f"{type(self).__name__}: warmup_steps must be >= 0, got {warmup_steps}")
        if warmup_mode not in ("linear", "constant"):
            raise ValueError(f"{type(self).__name__}: warmup_mode must be 'linear' or 'constant', got {warmup_mode!r}")
        if warmup_begin_lr > base_lr:
            raise ValueError(
                f"{type(self).__name__}: warmup_begin_lr ({warmup_begin_lr}) must not exceed base_lr ({base_lr})"
            )
        self.base_lr = base_lr
        self.warmup_steps = warmup_steps
        self.warmup_final_lr = base_lr
        self.warmup_begin_lr = warmup_begin_lr
        self.warmup_mode = warmup_mode

    def set_base_lr(self, lr: float) -> None:
        """Replaces the base learning rate before training starts (what an optimizer given both
        ``learning_rate`` and ``lr_scheduler`` does): the warm-up target and the start of the decay follow."""
        self.base_lr = lr
        self.warmup_final_lr = lr

    def get_warmup_lr(self, num_update: int) -> float:
        """The learning rate at update num_update < warmup_steps."""
        if num_update >= self.warmup_steps:
            raise ValueError(f"get_warmup_lr: num_update {num_update} is past the warm-up ({self.warmup_steps} steps)")
        if self.warmup_mode == "linear":
            increase = (self.warmup_final_lr - self.warmup_begin_lr) * float(num_update) / float(self.warmup_steps)
            return self.warmup_begin_lr + increase
        return self.warmup_begin_lr

    def __call__(self, num_update: int) -> float:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(num_update)")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_lr={self.base_lr}, warmup_steps={self.warmup_steps})"


class FactorScheduler(LRScheduler):
    """Multiplies the learning rate by factor every step updates, not going below stop_factor_lr:
    ``lr = base_lr * factor ** floor((num_update - 1) / step)`` (after the warm-up).

    Parameters
    ----------
    step : int
        Updates between two decays, >= 1.
    factor : float
        Decay factor, <= 1.
    stop_factor_lr : float
        Lower bound of the learning rate.
    """

    def __init__(
        self,
        step: int,
        factor: float = 1,
        stop_factor_lr: float = 1e-8,
        base_lr: float = 0.01,
        warmup_steps: int = 0,
        warmup_begin_lr: float = 0,
        warmup_mode: str = "linear",
    ) -> None:
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if step < 1:
            raise ValueError(f"FactorScheduler: step must be >= 1, got {step}")
        if factor > 1.0:
            raise ValueError(f"FactorScheduler: factor must be <= 1 so that the learning rate decreases, got {factor}")
        self.step = step
        self.factor = factor
        self.stop_factor_lr = stop_factor_lr
        self.count = 0

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        # a loop rather than an if: resuming at a later update catches up every decay at once
        while num_update > self.count + self.step:
            self.count += self.step
            self.base_lr *= self.factor
            if self.base_lr < self.stop_factor_lr:
                self.base_lr = self.stop_factor_lr
                logging.info("Update[%d]: learning rate reached %0.5e and stays there", num_update, self.base_lr)
            else:
                logging.info("Update[%d]: learning rate changed to %0.5e", num_update, self.base_lr)
        return self.base_lr


class MultiFactorScheduler(LRScheduler):
    """Multiplies the learning rate by factor when num_update passes each of the given steps.

    Parameters
    ----------
    step : list of int
        Increasing update counts, each >= 1.
    factor : float
        Decay factor, <= 1.
    """

    def __init__(
        self,
        step: Sequence[int],
        factor: float = 1,
        base_lr: float = 0.01,
        warmup_steps: int = 0,
        warmup_begin_lr: float = 0,
        warmup_mode: str = "linear",
    ) -> None:
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        step = list(step) if isinstance(step, (list, tuple)) else step
        if not isinstance(step, list) or not step:
            raise ValueError(f"MultiFactorScheduler: step must be a non-empty list of ints, got {step!r}")
        for i, s in enumerate(step):
            if s < 1:
                raise ValueError(f"MultiFactorScheduler: every step must be >= 1, got {step}")
            if i and s <= step[i - 1]:
                raise ValueError(f"MultiFactorScheduler: step must be increasing, got {step}")
        if factor > 1.0:
            raise ValueError(
                f"MultiFactorScheduler: factor must be <= 1 so that the learning rate decreases, got {factor}"
            )
        self.step = step
        self.cur_step_ind = 0
        self.factor = factor
        self.count = 0

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        while self.cur_step_ind < len(self.step) and num_update > self.step[self.cur_step_ind]:
            self.count = self.step[self.cur_step_ind]
            self.cur_step_ind += 1
            self.base_lr *= self.factor
            logging.info("Update[%d]: learning rate changed to %0.5e", num_update, self.base_lr)
        return self.base_lr


class PolyScheduler(LRScheduler):
    """Polynomial decay from base_lr to final_lr over max_update updates:
    ``final_lr + (base_lr - final_lr) * (1 - (t - warmup_steps) / (max_update - warmup_steps)) ** pwr``,
    then final_lr.

    Parameters
    ----------
    max_update : int
        The update at which final_lr is reached, > warmup_steps.
    pwr : float
        The power of the decay.
    final_lr : float
        The learning rate at and after max_update.
    """

    def __init__(
        self,
        max_update: int,
        base_lr: float = 0.01,
        pwr: float = 2,
        final_lr: float = 0,
        warmup_steps: int = 0,
        warmup_begin_lr: float = 0,
        warmup_mode: str = "linear",
    ) -> None:
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        _check_max_update("PolyScheduler", max_update, warmup_steps)
        self.power = pwr
        self.base_lr_orig = self.base_lr
        self.max_update = max_update
        self.final_lr = final_lr
        self.max_steps = self.max_update - self.warmup_steps

    def set_base_lr(self, lr: float) -> None:
        super().set_base_lr(lr)
        self.base_lr_orig = lr

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update <= self.max_update:
            frac = float(num_update - self.warmup_steps) / float(self.max_steps)
            self.base_lr = self.final_lr + (self.base_lr_orig - self.final_lr) * pow(1 - frac, self.power)
        return self.base_lr


class CosineScheduler(LRScheduler):
    """Cosine decay from base_lr to final_lr over max_update updates:
    ``final_lr + (base_lr - final_lr) * (1 + cos(pi * (t - warmup_steps) / (max_update - warmup_steps))) / 2``,
    then final_lr.

    Parameters
    ----------
    max_update : int
        The update at which final_lr is reached, > warmup_steps.
    final_lr : float
        The learning rate at and after max_update.
    """

    def __init__(
        self,
        max_update: int,
        base_lr: float = 0.01,
        final_lr: float = 0,
        warmup_steps: int = 0,
        warmup_begin_lr: float = 0,
        warmup_mode: str = "linear",
    ) -> None:
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        _check_max_update("CosineScheduler", max_update, warmup_steps)
        self.base_lr_orig = base_lr
        self.max_update = max_update
        self.final_lr = final_lr
        self.max_steps = self.max_update - self.warmup_steps

    def set_base_lr(self, lr: float) -> None:
        super().set_base_lr(lr)
        self.base_lr_orig = lr

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update <= self.max_update:
            frac = (num_update - self.warmup_steps) / self.max_steps
            self.base_lr = self.final_lr + (self.base_lr_orig - self.final_lr) * (1 + math.cos(math.pi * frac)) / 2
        return self.base_lr


def _check_max_update(cls: str, max_update: int, warmup_steps: int) -> None:
    if isinstance(max_update, bool) or not isinstance(max_update, int):
        raise TypeError(f"{cls}: max_update must be an int, got {max_update!r}")
    if max_update < 1:
        raise ValueError(f"{cls}: max_update must be >= 1, got {max_update}")
    if max_update <= warmup_steps:
        raise ValueError(f"{cls}: max_update ({max_update}) must exceed warmup_steps ({warmup_steps})")
