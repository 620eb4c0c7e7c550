"""braid.optimizer: optimizers with MXNet 1.x's API, and the Updater that applies them.

::

    opt = mx.optimizer.create("sgd", learning_rate=0.1, momentum=0.9, wd=1e-4)
    updater = mx.optimizer.get_updater(opt)
    updater(0, grad, weight)                   # one fused update op, weight and momentum updated in place

    @mx.optimizer.register                     # user-defined optimizers join the registry by class name
    class MySGD(mx.optimizer.Optimizer):
        def update(self, index, weight, grad, state):
            self._update_count(index)
            weight[:] -= self._get_lr(index) * self.rescale_grad * grad
"""

from __future__ import annotations

from .optimizer import (
    NAG,
    SGD,
    AdaGrad,
    Adam,
    AdamW,
    Optimizer,
    RMSProp,
    adagrad,
    adam,
    adamw,
    create,
    nag,
    register,
    rmsprop,
    sgd,
)
from .updater import Updater, get_updater

__all__ = [
    "Optimizer",
    "SGD",
    "NAG",
    "Adam",
    "AdamW",
    "RMSProp",
    "AdaGrad",
    "sgd",
    "nag",
    "adam",
    "adamw",
    "rmsprop",
    "adagrad",
    "register",
    "create",
    "Updater",
    "get_updater",
]
