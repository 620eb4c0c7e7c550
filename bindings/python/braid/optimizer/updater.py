"""The Updater: applies an optimizer to weights by index and keeps their states (MXNet's ``get_updater``).

``updater(index, grad, weight)`` creates the state of a new index on the weight's device, then calls
``optimizer.update_multi_precision``. ``get_states`` / ``set_states`` save and restore every state (and, with
``dump_optimizer=True``, the optimizer with its hyper-parameters, update counts and schedule) as bytes in a
self-describing format (MXNet's ``.params`` container with a JSON header; no pickle, so loading a file cannot
run code).
"""

from __future__ import annotations

from typing import Any

from ..context import Context
from ..lr_scheduler import LRScheduler
from ..ndarray import NDArray
from . import _serial
from .optimizer import Optimizer

__all__ = ["Updater", "get_updater"]

_FORMAT = "braid-optimizer-states"
_VERSION = 1
_BASES = (Optimizer, LRScheduler)


def _sync(state: Any, ctx: Context) -> Any:
    """state with every array on ctx (loaded states come back on cpu(0))."""
    if isinstance(state, NDArray):
        return state if state.context == ctx else state.as_in_context(ctx)
    if isinstance(state, (list, tuple)):
        return type(state)(_sync(s, ctx) for s in state)
    return state


def encode_optimizer(optimizer: Optimizer, arrays: dict) -> Any:
    """The optimizer's class and attributes (less param_dict and the alias of the current update counts)."""
    attrs = {k: v for k, v in vars(optimizer).items() if k not in ("param_dict", "_index_update_count")}
    return {"O": _serial.class_path(type(optimizer)), "S": _serial.encode(attrs, arrays, "optimizer", _BASES)}


def decode_optimizer(obj: Any, arrays: dict) -> Optimizer:
    """The optimizer saved by :func:`encode_optimizer` (its class found among the registered optimizers, which
    covers classes defined inside functions, or else by module and name)."""
    if not isinstance(obj, dict) or "O" not in obj or "S" not in obj:
        raise ValueError("corrupt optimizer states: the saved optimizer entry is malformed")
    registered = [c for c in Optimizer.opt_registry.values() if _serial.class_path(c) == obj["O"]]
    if registered:
        opt = registered[-1].__new__(registered[-1])
        opt.__dict__.update(_serial.decode(obj["S"], arrays, _BASES))
    else:
        opt = _serial.decode(obj, arrays, _BASES)
    if not isinstance(opt, Optimizer):
        raise ValueError(f"the saved optimizer is a {type(opt).__name__}, not an Optimizer")
    opt.param_dict = {}
    current = getattr(opt, "_current_device", 0)
    opt._index_update_count = opt._all_index_update_counts.setdefault(current, {})
    return opt


class Updater:
    """Updates weights by index with optimizer, keeping one state per index.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer to apply.
    device : hashable
        Which device's update counts this updater advances (the Trainer gives each of its contexts its own
        updater and number), so that several copies of a parameter count one update per step.
    """

    def __init__(self, optimizer: Optimizer, device: Any = 0) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"Updater: optimizer must be an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.device = device
        self.states: dict = {}
        self.states_synced: dict = {}

    def __call__(self, index: Any, grad: Any, weight: Any) -> None:
        """Updates weight[s] from grad[s]: index, grad and weight are single values or equal-length lists."""
        if isinstance(index, (list, tuple)):
            indices, grads, weights = list(index), list(grad), list(weight)
            if not len(indices) == len(grads) == len(weights):
                raise ValueError(
                    f"Updater: index, grad and weight must have the same length, got {len(indices)}, {len(grads)} "
                    f"and {len(weights)}"
                )
        else:
            indices, grads, weights = [index], [grad], [weight]
        self.optimizer._set_current_context(self.device)
        for idx, w in zip(indices, weights):
            if idx not in self.states:
                self.states[idx] = self.optimizer.create_state_multi_precision(idx, w)
                self.states_synced[idx] = True
            elif not self.states_synced[idx]:
                self.states[idx] = self.sync_state_context(self.states[idx], w.context)
                self.states_synced[idx] = True
        for idx, w, g in zip(indices, weights, grads):
            self.optimizer.update_multi_precision(idx, w, g, self.states[idx])

    def sync_state_context(self, state: Any, context: Context) -> Any:
        """state with its arrays moved to context."""
        return _sync(state, context)

    def get_states(self, dump_optimizer: bool = False) -> bytes:
        """Every state as bytes (with the optimizer itself when dump_optimizer)."""
        arrays: dict[str, NDArray] = {}
        meta: dict[str, Any] = {
            "format": _FORMAT,
            "version": _VERSION,
            "states": _serial.encode(self.states, arrays, "states"),
        }
        if dump_optimizer:
            meta["optimizer"] = encode_optimizer(self.optimizer, arrays)
        return _serial.pack(meta, arrays)

    def set_states(self, states: bytes) -> None:
        """Restores states saved by :meth:`get_states` (and the optimizer, when it was saved with them)."""
        if not isinstance(states, (bytes, bytearray, memoryview)):
            raise TypeError(f"set_states: states must be bytes from get_states(), got {type(states).__name__}")
        meta, arrays = _serial.unpack(bytes(states), "optimizer states")
        if meta.get("format") != _FORMAT:
            raise ValueError(f"set_states: not optimizer states (format {meta.get('format')!r})")
        if meta.get("version", 0) > _VERSION:
            raise ValueError(
                f"set_states: states version {meta.get('version')} is newer than this braid reads ({_VERSION})"
            )
        decoded = _serial.decode(meta["states"], arrays)
        if not isinstance(decoded, dict):
            raise ValueError("set_states: corrupt states (expected a dict index -> state)")
        if "optimizer" in meta:
            self.optimizer = decode_optimizer(meta["optimizer"], arrays)
        self.states = decoded
        self.states_synced = dict.fromkeys(self.states, False)


def get_updater(optimizer: Optimizer) -> Updater:
    """An :class:`Updater` applying optimizer."""
    return Updater(optimizer)
