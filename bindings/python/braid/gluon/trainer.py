"""The Gluon Trainer (MXNet 1.x ``gluon.Trainer``): applies an optimizer to a set of Parameters.

::

    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    with autograd.record():
        loss = loss_fn(net(data), label)
    loss.backward()
    trainer.step(batch_size)          # gradients scaled by 1/batch_size, one fused update op per parameter copy

A parameter kept on several contexts (``initialize(ctx=[mx.cpu(0), mx.cpu(1)])``) has its gradients summed across
the copies before every copy is updated with the sum, so the copies stay identical.
"""

from __future__ import annotations

import os
from typing import Any

from .. import autograd
from .. import optimizer as opt
from ..context import Context
from ..ndarray import NDArray
from .parameter import Parameter
from .utils import atomic_write

__all__ = ["Trainer"]

_LOCAL_KVSTORES = ("device", "local")


class Trainer:
    """Applies an optimizer to Parameters.

    Parameters
    ----------
    params : ParameterDict, dict or list of Parameter
        The parameters to train (a dict is taken in sorted key order, as MXNet does; a parameter reachable
        under several names is trained once).
    optimizer : str or Optimizer
        A registered optimizer name ('sgd', 'adam' ...) or an Optimizer instance.
    optimizer_params : dict, optional
        Arguments of the optimizer when it is given by name (learning_rate, wd, momentum ...).
    kvstore : {'device', 'local'} or None
        'device' and 'local': the gradients of a parameter kept on several contexts are summed on its first
        context and the sum is copied back to every copy before the update. None: no reduction, each copy is
        updated with its own gradient (as in MXNet). Distributed stores are not available yet.
    compression_params : None
        Gradient compression is not supported (only None is accepted).
    update_on_kvstore : bool or None
        Must be None or False: updates run on each context.
    """

    def __init__(
        self,
        params: Any,
        optimizer: Any,
        optimizer_params: dict | None = None,
        kvstore: Any = "device",
        compression_params: Any = None,
        update_on_kvstore: bool | None = None,
    ) -> None:
        if isinstance(params, dict):
            params = [params[k] for k in sorted(params.keys())]
        if not isinstance(params, (list, tuple)):
            raise ValueError(
                f"First argument must be a list or dict of Parameters, got {type(params).__name__}; pass "
                "net.collect_params()"
            )
        self._params: list[Parameter] = []
        self._param2idx: dict[str, int] = {}
        seen: set[int] = set()
        for p in params:
            if not isinstance(p, Parameter):
                raise ValueError(
                    f"First argument must be a list or dict of Parameters, got list of {type(p).__name__}."
                )
            if id(p) in seen:
                continue
            seen.add(id(p))
            self._param2idx[p.name] = len(self._params)
            self._params.append(p)
        if kvstore is not None and kvstore not in _LOCAL_KVSTORES:
            raise ValueError(
                f"Trainer: kvstore must be 'device', 'local' or None, got {kvstore!r}: braid sums the gradients of "
                "copies on several local contexts itself; distributed key-value stores are not available yet"
            )
        if compression_params is not None:
            raise ValueError("Trainer: compression_params must be None: gradient compression is not supported")
        if update_on_kvstore:
            raise ValueError(
                "Trainer: update_on_kvstore must be None or False: braid updates the parameters on each context"
            )
        self._kvstore = kvstore
        self._update_on_kvstore = False
        self._compression_params = compression_params
        optimizer_params = dict(optimizer_params) if optimizer_params else {}
        self._init_optimizer(optimizer, optimizer_params)
        self._scale = self._optimizer.rescale_grad
        self._contexts: list[Context] = []
        self._updaters: list[opt.Updater] = []
        self._updater_of: dict[Context, opt.Updater] = {}
        self._loaded_states: bytes | None = None

    def _init_optimizer(self, optimizer: Any, optimizer_params: dict) -> None:
        param_dict = dict(enumerate(self._params))
        if isinstance(optimizer, opt.Optimizer):
            if optimizer_params:
                raise ValueError(
                    "optimizer_params must be None if optimizer is an instance of Optimizer instead of str"
                )
            self._optimizer = optimizer
            # not a copy: lr_mult / wd_mult changed on a Parameter later still apply
            self._optimizer.param_dict = param_dict
        elif isinstance(optimizer, str):
            self._optimizer = opt.create(optimizer, param_dict=param_dict, **optimizer_params)
        else:
            raise TypeError(f"Trainer: optimizer must be a str or an Optimizer, got {type(optimizer).__name__}")

    # ---- properties ----------------------------------------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        """The optimizer's current learning rate."""
        return self._optimizer.learning_rate

    @property
    def optimizer(self) -> opt.Optimizer:
        """The optimizer (replaced by :meth:`load_states` when the states file holds one)."""
        return self._optimizer

    def set_learning_rate(self, lr: float) -> None:
        """Sets the optimizer's learning rate (not allowed while an lr_scheduler drives it)."""
        self._optimizer.set_learning_rate(lr)

    # ---- updaters ------------------------------------------------------------------------------------------
    def _updater(self, ctx: Context) -> opt.Updater:
        """The updater of ctx's parameter copies, created on first use (numbered in order of appearance)."""
        u = self._updater_of.get(ctx)
        if u is None:
            u = opt.Updater(self._optimizer, device=len(self._contexts))
            if self._loaded_states is not None:
                u.set_states(self._loaded_states)
                u.optimizer = self._optimizer
            self._contexts.append(ctx)
            self._updaters.append(u)
            self._updater_of[ctx] = u
        return u

    def _trainable(self, ignore_stale_grad: bool) -> list[tuple[int, Parameter]]:
        """(index, parameter) of the parameters to update. A parameter with gradients that is not initialized
        yet has no gradient at all: an error, or skipped with ignore_stale_grad."""
        out = []
        for i, p in enumerate(self._params):
            if p.grad_req == "null":
                continue
            if not p.is_initialized:
                if ignore_stale_grad:
                    continue
                raise RuntimeError(
                    f"Parameter '{p.name}' has not been initialized (its shape is inferred by the first forward "
                    "pass) so it has no gradient. Run a forward and backward pass before trainer.step(), or call "
                    "step(..., ignore_stale_grad=True) to skip parameters the network did not use."
                )
            out.append((i, p))
        return out

    # ---- training ------------------------------------------------------------------------------------------
    def step(self, batch_size: int, ignore_stale_grad: bool = False) -> None:
        """One optimization step: gradients are summed across contexts, scaled by 1/batch_size (times the
        optimizer's rescale_grad at creation) and applied.

        Parameters
        ----------
        batch_size : int
            The batch size the gradients were summed over (the loss is usually summed, not averaged, over it).
        ignore_stale_grad : bool
            Skip parameters whose gradient the last backward did not write (or that have none yet) instead of
            raising, as MXNet does.
        """
        self._set_rescale(batch_size)
        self._allreduce_grads(ignore_stale_grad=True)
        self._update(ignore_stale_grad)

    def allreduce_grads(self) -> None:
        """Sums the gradients of each parameter's copies and writes the sum into every copy's gradient (for
        code that modifies gradients between this and :meth:`update`, e.g. clipping)."""
        self._allreduce_grads(ignore_stale_grad=True)

    def update(self, batch_size: int, ignore_stale_grad: bool = False) -> None:
        """Applies the optimizer with gradients scaled by 1/batch_size, without summing across contexts (use
        after :meth:`allreduce_grads`)."""
        self._set_rescale(batch_size)
        self._update(ignore_stale_grad)

    def _set_rescale(self, batch_size: int) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, float)) or not batch_size > 0:
            raise ValueError(f"Trainer: batch_size must be a positive number, got {batch_size!r}")
        self._optimizer.rescale_grad = self._scale / batch_size

    def _allreduce_grads(self, ignore_stale_grad: bool) -> None:
        if self._kvstore is None:
            return
        with autograd.pause():
            for _, p in self._trainable(ignore_stale_grad):
                if len(p.list_ctx()) < 2:
                    continue
                grads = p.list_grad()
                total: NDArray = grads[0].copy()
                ctx0 = grads[0].context
                for g in grads[1:]:
                    total += g.as_in_context(ctx0)
                for g in grads:
                    total.copyto(g)

    def _update(self, ignore_stale_grad: bool = False) -> None:
        batches: dict[Context, tuple[list, list, list]] = {}
        for i, p in self._trainable(ignore_stale_grad):
            for ctx, w, g in zip(p.list_ctx(), p.list_data(), p.list_grad()):
                if not w._fresh_grad:
                    if ignore_stale_grad:
                        continue  # MXNet's rule: a stale gradient is skipped, not applied again
                    raise UserWarning(
                        f"Gradient of Parameter '{p.name}' on context {ctx} has not been updated by backward since "
                        "the last step. This could mean a bug in your model that made it use only a subset of the "
                        "Parameters (Blocks) in this iteration. If you use a subset on purpose, call step with "
                        "ignore_stale_grad=True to skip the Parameters with stale gradients."
                    )
                w._fresh_grad = False
                idx, grads, weights = batches.setdefault(ctx, ([], [], []))
                idx.append(i)
                grads.append(g)
                weights.append(w)
        with autograd.pause():
            for ctx, (idx, grads, weights) in batches.items():
                self._updater(ctx)(idx, grads, weights)

    # ---- states --------------------------------------------------------------------------------------------
    def _states_bytes(self) -> bytes:
        """The optimizer and every parameter's state (from the updater of its first context) as bytes."""
        merged = opt.Updater(self._optimizer)
        for i, p in enumerate(self._params):
            if not p.is_initialized:
                continue
            u = self._updater_of.get(p.list_ctx()[0])
            if u is not None and i in u.states:
                merged.states[i] = u.states[i]
        if self._loaded_states is not None:  # states loaded but not used yet (no step since load_states)
            pending = opt.Updater(self._optimizer)
            pending.set_states(self._loaded_states)
            for i, s in pending.states.items():
                merged.states.setdefault(i, s)
        return merged.get_states(dump_optimizer=True)

    def _load_states_bytes(self, states: bytes) -> None:
        probe = opt.Updater(self._optimizer)
        probe.set_states(states)  # validates, and decodes the saved optimizer
        self._optimizer = probe.optimizer
        self._optimizer.param_dict = dict(enumerate(self._params))
        self._loaded_states = bytes(states)
        for u in self._updaters:
            u.set_states(states)
            u.optimizer = self._optimizer

    def save_states(self, fname: str) -> None:
        """Saves the optimizer (hyper-parameters, update counts, schedule) and every parameter's state to fname,
        atomically (a temporary file renamed over fname)."""
        atomic_write(os.fspath(fname), self._states_bytes())

    def load_states(self, fname: str) -> None:
        """Loads a file written by :meth:`save_states`: the optimizer is replaced by the saved one and each
        parameter continues from its saved state."""
        with open(os.fspath(fname), "rb") as f:
            data = f.read()
        self._load_states_bytes(data)

    def __repr__(self) -> str:
        return f"Trainer(optimizer={self._optimizer!r}, params={len(self._params)}, contexts={self._contexts})"
