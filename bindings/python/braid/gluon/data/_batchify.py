"""Batch assembly in numpy: what the DataLoader's workers run, and how their batches travel.

Workers build batches as numpy arrays and mark the leaves that become NDArrays with :class:`NDPayload`; the
main process turns each marked array into an NDArray once per batch, sharing its memory (the array was just
made, so nobody else holds it).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ...ndarray import NDArray, from_numpy


class NDPayload:
    """A freshly built numpy array that the main process turns into an NDArray without copying."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    def __reduce__(self) -> Any:
        return (NDPayload, (self.array,))


def _stack(arrays: list[np.ndarray], where: str) -> np.ndarray:
    first = arrays[0]
    for k, a in enumerate(arrays):
        if a.shape != first.shape:
            raise ValueError(
                f"default_batchify_fn: cannot stack the samples of a batch{where}: sample 0 has shape "
                f"{first.shape} but sample {k} has shape {a.shape}; make them equal-sized (e.g. with "
                "transforms.Resize) or pass a batchify_fn"
            )
    return np.stack(arrays)


def np_batchify(samples: list[Any], where: str = "") -> Any:
    """Stacks samples into numpy batches marked as NDPayload: a tuple sample gives a list, one batch per element."""
    first = samples[0]
    if isinstance(first, tuple):
        return [np_batchify(list(col), f" (element {k} of each sample)") for k, col in enumerate(zip(*samples))]
    if isinstance(first, NDArray):
        return NDPayload(_stack([s.asnumpy() for s in samples], where))
    if isinstance(first, np.ndarray):
        return NDPayload(_stack(samples, where))
    try:
        out = np.asarray(samples)
    except ValueError as e:
        raise ValueError(f"default_batchify_fn: cannot make one array of the samples of a batch{where}: {e}") from e
    if out.dtype == object:
        raise TypeError(
            f"default_batchify_fn: samples{where} of type {type(first).__name__} do not form a numeric array; "
            "pass a batchify_fn"
        )
    return NDPayload(out)


def mark(batch: Any) -> Any:
    """Marks the arrays of a fast-path batch (a list of arrays or one array) as NDPayload."""
    if isinstance(batch, list):
        return [mark(b) for b in batch]
    if isinstance(batch, np.ndarray):
        return NDPayload(batch)
    return batch


def to_transport(obj: Any) -> Any:
    """Makes a custom batchify_fn's result sendable: NDArray leaves become NDPayload (numpy copies)."""
    if isinstance(obj, NDArray):
        return NDPayload(obj.asnumpy())
    if isinstance(obj, list):
        return [to_transport(o) for o in obj]
    if isinstance(obj, tuple):
        return tuple(to_transport(o) for o in obj)
    if isinstance(obj, dict):
        return {k: to_transport(v) for k, v in obj.items()}
    return obj


def _to_ndarray(a: np.ndarray) -> NDArray:
    if a.flags.c_contiguous and a.flags.writeable and a.dtype.isnative and a.dtype.kind in "fiub":
        return from_numpy(a)
    return from_numpy(np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("=")))


def from_transport(obj: Any) -> Any:
    """Turns NDPayload leaves into NDArrays (zero copy); other values pass through."""
    if isinstance(obj, NDPayload):
        return _to_ndarray(obj.array)
    if isinstance(obj, list):
        return [from_transport(o) for o in obj]
    if isinstance(obj, tuple):
        return tuple(from_transport(o) for o in obj)
    if isinstance(obj, dict):
        return {k: from_transport(v) for k, v in obj.items()}
    return obj


def fetch(dataset: Any, indices: Any, batchify_fn: Callable[[list[Any]], Any] | None) -> Any:
    """One batch in numpy form: whole-batch slicing when the dataset offers it, else sample by sample."""
    if batchify_fn is not None:
        return batchify_fn([dataset[i] for i in indices])
    get_batch = getattr(dataset, "_get_batch", None)
    if get_batch is not None:
        idx = np.asarray(indices)
        if idx.ndim == 1 and idx.dtype.kind in "iu":
            batch = get_batch(idx.astype(np.int64, copy=False))
            if batch is not None:
                return mark(batch)
    return np_batchify([dataset[i] for i in indices])
