"""Samplers: the order in which a :class:`~braid.gluon.data.DataLoader` visits a dataset.

A sampler is an iterable of sample indices with a length; :class:`BatchSampler` groups another sampler's indices
into lists, one per batch. Random order comes from numpy's global generator (``numpy.random.seed`` makes it
reproducible), as in MXNet.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

import numpy as np

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "BatchSampler", "FilterSampler", "IntervalSampler"]

_LAST_BATCH = ("keep", "discard", "rollover")


def _check_length(name: str, length: Any) -> int:
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise ValueError(f"{name}: length must be a non-negative integer, got {length!r}")
    return int(length)


class Sampler:
    """Base class: an iterable over sample indices, with ``len()``."""

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")


class SequentialSampler(Sampler):
    """Indices ``start, start + 1, ..., start + length - 1`` in order."""

    def __init__(self, length: int, start: int = 0) -> None:
        self._length = _check_length("SequentialSampler", length)
        self._start = int(start)

    def __iter__(self) -> Iterator[int]:
        return iter(range(self._start, self._start + self._length))

    def _index_array(self) -> np.ndarray:
        return np.arange(self._start, self._start + self._length)

    def __len__(self) -> int:
        return self._length


class RandomSampler(Sampler):
    """A fresh random permutation of ``0 .. length - 1`` on every iteration."""

    def __init__(self, length: int) -> None:
        self._length = _check_length("RandomSampler", length)

    def __iter__(self) -> Iterator[int]:
        return iter(self._index_array().tolist())

    def _index_array(self) -> np.ndarray:
        return np.random.permutation(self._length)

    def __len__(self) -> int:
        return self._length


class FilterSampler(Sampler):
    """The indices ``i`` of ``dataset`` for which ``fn(dataset[i])`` is true (computed once, at construction)."""

    def __init__(self, fn: Callable[[Any], bool], dataset: Sequence[Any]) -> None:
        self._indices = [i for i in range(len(dataset)) if fn(dataset[i])]

    def __iter__(self) -> Iterator[int]:
        return iter(self._indices)

    def __len__(self) -> int:
        return len(self._indices)


class IntervalSampler(Sampler):
    """Every ``interval``-th index: ``0, k, 2k, ...``, then (with ``rollover``) ``1, k + 1, ...`` and so on."""

    def __init__(self, length: int, interval: int, rollover: bool = True) -> None:
        self._length = _check_length("IntervalSampler", length)
        if not 0 < int(interval) <= max(self._length, 1):
            raise ValueError(f"IntervalSampler: interval must be in [1, length={self._length}], got {interval}")
        self._interval = int(interval)
        self._rollover = bool(rollover)

    def __iter__(self) -> Iterator[int]:
        starts = range(self._interval) if self._rollover else range(1)
        for s in starts:
            yield from range(s, self._length, self._interval)

    def __len__(self) -> int:
        if self._rollover:
            return self._length
        return len(range(0, self._length, self._interval))


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    ``last_batch`` says what happens to a final, incomplete batch: ``'keep'`` yields it, ``'discard'`` drops it,
    ``'rollover'`` keeps its indices and puts them first in the next epoch's first batch.
    """

    def __init__(self, sampler: Any, batch_size: int, last_batch: str = "keep") -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"BatchSampler: batch_size must be a positive integer, got {batch_size!r}")
        if last_batch not in _LAST_BATCH:
            raise ValueError(f"BatchSampler: last_batch must be one of {_LAST_BATCH}, got {last_batch!r}")
        self._sampler = sampler
        self._batch_size = int(batch_size)
        self._last_batch = last_batch
        self._prev: list[Any] = []

    def __iter__(self) -> Iterator[list[Any]]:
        batch, self._prev = self._prev, []
        index_array = getattr(self._sampler, "_index_array", None)
        if index_array is not None:  # braid's own samplers: cut numpy index arrays instead of a Python loop
            yield from self._iter_array(batch, index_array())
            return
        for i in self._sampler:
            batch.append(i)
            if len(batch) == self._batch_size:
                yield batch
                batch = []
        if batch:
            if self._last_batch == "keep":
                yield batch
            elif self._last_batch == "rollover":
                self._prev = batch

    def _iter_array(self, batch: list[Any], order: np.ndarray) -> Iterator[list[Any]]:
        b = self._batch_size
        if batch:  # samples rolled over from the previous epoch come first
            need = b - len(batch)
            batch = batch + order[:need].tolist()
            order = order[need:]
            if len(batch) == b:
                yield batch
                batch = []
        full = len(order) // b * b
        for start in range(0, full, b):
            yield order[start : start + b].tolist()
        batch = batch + order[full:].tolist()
        if batch:
            if self._last_batch == "keep":
                yield batch
            elif self._last_batch == "rollover":
                self._prev = batch

    def __len__(self) -> int:
        n, b = len(self._sampler), self._batch_size
        if self._last_batch == "keep":
            return (n + b - 1) // b
        if self._last_batch == "discard":
            return n // b
        return (len(self._prev) + n) // b
