"""Training checkpoints that resume bit for bit.

A checkpoint holds everything that decides the next training steps: the network's parameters (running
statistics included), the trainer's optimizer and states (update counts, schedule, momenta, float32 master
weights), the epoch, the positions of braid's random streams (Dropout masks, random initialisations) and of
Python's and numpy's global generators, and any extra values of the caller::

    from braid.gluon.contrib.checkpoint import save_checkpoint, load_checkpoint

    save_checkpoint("run.ckpt", net, trainer, epoch=3, extra={"best_acc": 0.91})
    ...                                               # later, in a fresh process
    info = load_checkpoint("run.ckpt", net, trainer)  # net and trainer built as before
    start = info["epoch"] + 1

The file is written atomically (a temporary file in the same directory, flushed to disk, then renamed over the
target), so a crash during ``save_checkpoint`` leaves the previous checkpoint intact, never a partial one. The
format is MXNet's ``.params`` container with a JSON header; loading runs no code from the file (no pickle).

Resuming is exact when the run continues the same way: the same network, trainer arguments, data order and
batch sizes, on the same kind of device. Gradients are not saved: checkpoint between steps (with grad_req='add',
after the gradients were used and cleared).
"""

from __future__ import annotations

import os
import random as _pyrandom
import warnings
from typing import Any

import numpy as np

from ... import random as _random
from ...context import num_gpus
from ...ndarray import NDArray
from ...ndarray import array as _array
from ...optimizer import _serial
from ..utils import atomic_write

__all__ = ["save_checkpoint", "load_checkpoint"]

_FORMAT = "braid-checkpoint"
_VERSION = 1
_PARAM = "param:"
_EXTRA = "extra:"
_TRAINER = "trainer:states"


def _bytes_array(data: bytes) -> NDArray:
    return _array(np.frombuffer(data, dtype=np.uint8), dtype="uint8")


def save_checkpoint(path: str, net: Any, trainer: Any = None, epoch: int = 0, extra: Any = None) -> None:
    """Saves a resumable checkpoint of net (and trainer) to path, atomically.

    Parameters
    ----------
    path : str
        The file to write (replaced atomically if it exists).
    net : Block
        The network: every parameter, under its structured name (as ``save_parameters``).
    trainer : gluon.Trainer, optional
        Its optimizer and per-parameter states are saved too.
    epoch : int
        The epoch (or any step counter) to resume after.
    extra : optional
        Further values to keep: None, bools, numbers, strings, lists, tuples, dicts, NDArrays and numpy arrays,
        nested freely.
    """
    if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)):
        raise TypeError(f"save_checkpoint: epoch must be an int, got {epoch!r}")
    if not hasattr(net, "_collect_params_with_prefix"):
        raise TypeError(f"save_checkpoint: net must be a gluon Block, got {type(net).__name__}")
    arrays: dict[str, NDArray] = {}
    names = []
    for name, p in net._collect_params_with_prefix().items():
        if not p.is_initialized:
            raise RuntimeError(
                f"save_checkpoint: parameter '{name}' ({p.name}) is not initialized yet (its shape is inferred by "
                "the first forward pass); run a forward pass before saving a checkpoint"
            )
        arrays[_PARAM + name] = p.list_data()[0]  # the copies on other contexts are equal (the Trainer keeps them so)
        names.append(name)
    if trainer is not None:
        if not hasattr(trainer, "_states_bytes"):
            raise TypeError(f"save_checkpoint: trainer must be a gluon.Trainer, got {type(trainer).__name__}")
        arrays[_TRAINER] = _bytes_array(trainer._states_bytes())
    extra_arrays: dict[str, NDArray] = {}
    meta = {
        "format": _FORMAT,
        "version": _VERSION,
        "epoch": int(epoch),
        "params": names,
        "has_trainer": trainer is not None,
        "braid_rng": _serial.encode(_random.get_state(), {}, "braid_rng"),
        "numpy_rng": _serial.encode(np.random.get_state(), {}, "numpy_rng"),
        "python_rng": _serial.encode(_pyrandom.getstate(), {}, "python_rng"),
        "extra": _serial.encode(extra, extra_arrays, "extra"),
    }
    arrays.update({_EXTRA + k: v for k, v in extra_arrays.items()})
    atomic_write(os.fspath(path), _serial.pack(meta, arrays))


def _restore_braid_rng(state: dict) -> None:
    have = num_gpus()
    usable = {}
    for name, pos in state.items():
        if name.startswith("gpu(") and int(name[4:-1]) >= have:
            warnings.warn(
                f"load_checkpoint: the checkpoint holds the random stream of {name}, which this process does not "
                "have; it is not restored",
                stacklevel=3,
            )
            continue
        usable[name] = pos
    _random.set_state(usable)


def load_checkpoint(
    path: str,
    net: Any,
    trainer: Any = None,
    ctx: Any = None,
    restore_rng: bool = True,
    allow_missing: bool = False,
    ignore_extra: bool = False,
) -> dict:
    """Restores a checkpoint written by :func:`save_checkpoint` into net (and trainer).

    Parameters
    ----------
    path : str
        The checkpoint file.
    net : Block
        A network built as the saved one (parameters may be uninitialized or pending deferred initialization).
    trainer : gluon.Trainer, optional
        A trainer over net's parameters, created with the same arguments; its optimizer and states are
        restored. The checkpoint must have been saved with a trainer.
    ctx : Context or list of Context, optional
        Where to put parameters that are not initialized yet (default cpu(0)); initialized ones keep theirs.
    restore_rng : bool
        Restore braid's random streams and Python's and numpy's global generators (needed to resume bit for
        bit with Dropout or random data order).
    allow_missing, ignore_extra : bool
        As in ``Block.load_parameters``.

    Returns
    -------
    dict
        ``{'epoch': int, 'extra': the saved extra value}``.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    meta, arrays = _serial.unpack(data, f"checkpoint '{path}'")
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
        raise ValueError(f"load_checkpoint: '{path}' is not a braid checkpoint")
    if meta.get("version", 0) > _VERSION:
        raise ValueError(
            f"load_checkpoint: '{path}' has format version {meta.get('version')}, newer than this braid reads "
            f"({_VERSION})"
        )
    if trainer is not None and _TRAINER not in arrays:
        raise ValueError(f"load_checkpoint: '{path}' was saved without a trainer, so it has no optimizer states")
    params = {k[len(_PARAM) :]: v for k, v in arrays.items() if k.startswith(_PARAM)}
    net.load_dict(
        params, ctx=ctx, allow_missing=allow_missing, ignore_extra=ignore_extra, _source=f"checkpoint '{path}'"
    )
    if trainer is not None:
        trainer._load_states_bytes(bytes(arrays[_TRAINER].asnumpy()))
    if restore_rng:
        _restore_braid_rng(_serial.decode(meta["braid_rng"], {}))
        np.random.set_state(_serial.decode(meta["numpy_rng"], {}))
        _pyrandom.setstate(_serial.decode(meta["python_rng"], {}))
    extra_arrays = {k[len(_EXTRA) :]: v for k, v in arrays.items() if k.startswith(_EXTRA)}
    return {"epoch": int(meta["epoch"]), "extra": _serial.decode(meta["extra"], extra_arrays)}
