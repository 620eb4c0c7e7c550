"""Gluon: braid's imperative neural-network API (MXNet 1.x compatible).

::

    import braid as mx
    from braid import gluon, autograd
    from braid.gluon import nn

    net = nn.HybridSequential()
    net.add(nn.Dense(64, activation="relu"), nn.Dense(10))
    net.initialize(mx.init.Xavier())
    with autograd.record():
        loss = mx.nd.mean(mx.nd.square(net(x) - y))
    loss.backward()

Parameters are saved and loaded under structured names ('0.weight', 'features.1.bias'); see docs/gluon.md.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import nn, parameter
from .block import Block, HookHandle, HybridBlock
from .parameter import Constant, DeferredInitializationError, Parameter, ParameterDict
from .symbol_block import SymbolBlock

__all__ = [
    "Block",
    "HybridBlock",
    "HookHandle",
    "Parameter",
    "Constant",
    "ParameterDict",
    "SymbolBlock",
    "DeferredInitializationError",
    "nn",
    "parameter",
]

# Parts of Gluon written separately (losses, trainer, data, hybridization...), found when present.
_LAZY_MODULES = ("loss", "trainer", "utils", "data", "rnn", "model_zoo", "contrib", "metric", "_cached")
_LAZY_NAMES = {"Trainer": ("trainer",)}


def __getattr__(name: str) -> Any:
    if name in _LAZY_MODULES:
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"braid.gluon.{name} is not available in this version of braid") from None
    for mod in _LAZY_NAMES.get(name, ()):
        try:
            m = importlib.import_module(f"{__name__}.{mod}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{mod}":
                raise
            continue
        if hasattr(m, name):
            return getattr(m, name)
    raise AttributeError(f"module 'braid.gluon' has no attribute {name!r}")
