"""NDArrayIter: batches over in-memory arrays, with MXNet 1.x's exact last-batch rules."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from ..ndarray import NDArray, array, concat
from .base import DataBatch, DataDesc, DataIter

__all__ = ["NDArrayIter"]

_LAST_BATCH = ("pad", "discard", "roll_over")


def _init_data(data: Any, allow_empty: bool, default_name: str) -> list[tuple[str, NDArray]]:
    """Normalises data into sorted (name, NDArray) pairs, as MXNet's NDArrayIter does."""
    if data is None:
        if not allow_empty:
            raise ValueError("NDArrayIter: data must not be None")
        data = []
    if isinstance(data, (np.ndarray, NDArray)):
        data = [data]
    if isinstance(data, (list, tuple)):
        if not allow_empty and not data:
            raise ValueError("NDArrayIter: data must not be empty")
        if len(data) == 1:
            data = OrderedDict([(default_name, data[0])])
        else:
            data = OrderedDict([(f"_{i}_{default_name}", d) for i, d in enumerate(data)])
    if not isinstance(data, dict):
        raise TypeError(
            f"NDArrayIter: {default_name} must be an NDArray, a numpy array, a list of them or a dict of them, "
            f"got {type(data).__name__}"
        )
    out = []
    for k, v in data.items():
        if not isinstance(v, NDArray):
            try:
                v = array(np.asarray(v))
            except Exception as e:  # noqa: BLE001 - report which entry failed
                raise TypeError(
                    f"NDArrayIter: {default_name} entry {k!r} cannot be converted to an NDArray: {e}"
                ) from e
        if v.ndim == 0:
            raise ValueError(f"NDArrayIter: {default_name} entry {k!r} is a scalar; expected a batch axis first")
        out.append((k, v))
    return sorted(out, key=lambda kv: kv[0])


class NDArrayIter(DataIter):
    """Iterates over NDArrays / numpy arrays in batches along their first axis (MXNet's ``io.NDArrayIter``).

    ``data`` and ``label`` are an array, a list of arrays (named ``_0_data``, ``_1_data``...) or a dict of them;
    entries are sorted by name. ``last_batch_handle`` decides the final incomplete batch: ``'pad'`` fills it
    with samples from the start (``batch.pad`` says how many), ``'discard'`` drops it, ``'roll_over'`` carries
    its samples into the first batch of the next epoch (after ``reset()``). With ``shuffle``, the samples are
    reshuffled at construction and at every reset.
    """

    def __init__(
        self,
        data: Any,
        label: Any = None,
        batch_size: int = 1,
        shuffle: bool = False,
        last_batch_handle: str = "pad",
        data_name: str = "data",
        label_name: str = "softmax_label",
    ) -> None:
        super().__init__(batch_size)
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"NDArrayIter: batch_size must be a positive integer, got {batch_size!r}")
        if last_batch_handle not in _LAST_BATCH:
            raise ValueError(f"NDArrayIter: last_batch_handle must be one of {_LAST_BATCH}, got {last_batch_handle!r}")
        self.data = _init_data(data, allow_empty=False, default_name=data_name)
        self.label = _init_data(label, allow_empty=True, default_name=label_name)
        self.num_data = self.data[0][1].shape[0]
        for name, v in self.data + self.label:
            if v.shape[0] != self.num_data:
                raise ValueError(
                    f"NDArrayIter: every array needs {self.num_data} samples along axis 0 (as "
                    f"{self.data[0][0]!r}); {name!r} has shape {v.shape}"
                )
        self.idx = np.arange(self.num_data)
        self.shuffle = bool(shuffle)
        self.last_batch_handle = last_batch_handle
        self.batch_size = int(batch_size)
        self.cursor = -self.batch_size
        self._cache_data: list[NDArray] | None = None
        self._cache_label: list[NDArray] | None = None
        self.reset()
        self.data_list = [x[1] for x in self.data] + [x[1] for x in self.label]
        self.num_source = len(self.data_list)

    @property
    def provide_data(self) -> list[DataDesc]:
        """Name, batch shape and dtype of each data input."""
        return [DataDesc(k, (self.batch_size,) + tuple(v.shape[1:]), v.dtype) for k, v in self.data]

    @property
    def provide_label(self) -> list[DataDesc]:
        """Name, batch shape and dtype of each label input."""
        return [DataDesc(k, (self.batch_size,) + tuple(v.shape[1:]), v.dtype) for k, v in self.label]

    def hard_reset(self) -> None:
        """Starts over from the first sample, forgetting any rolled-over samples."""
        if self.shuffle:
            self._shuffle_data()
        self.cursor = -self.batch_size
        self._cache_data = None
        self._cache_label = None

    def reset(self) -> None:
        """Starts the next epoch (reshuffling with ``shuffle``; 'roll_over' keeps the carried samples)."""
        if self.shuffle:
            self._shuffle_data()
        if self.last_batch_handle == "roll_over" and self.num_data - self.batch_size < self.cursor < self.num_data:
            # The samples left over at the end of the last epoch start the first batch of this one.
            self.cursor = self.cursor - self.num_data - self.batch_size
        else:
            self.cursor = -self.batch_size

    def iter_next(self) -> bool:
        self.cursor += self.batch_size
        return self.cursor < self.num_data

    def next(self) -> DataBatch:
        if not self.iter_next():
            raise StopIteration
        data = self.getdata()
        label = self.getlabel()
        if data[0].shape[0] != self.batch_size:
            # An incomplete last batch ('discard', 'roll_over'): kept for the next epoch's first batch.
            self._cache_data = data
            self._cache_label = label
            raise StopIteration
        return DataBatch(data=data, label=label, pad=self.getpad(), index=None)

    def _getdata(
        self, source: list[tuple[str, NDArray]], start: int | None = None, end: int | None = None
    ) -> list[NDArray]:
        start = 0 if start is None else start
        end = (source[0][1].shape[0] if source else 0) if end is None else end
        return [v[start:end] for _, v in source]

    @staticmethod
    def _concat(first: list[NDArray], second: list[NDArray]) -> list[NDArray]:
        if first and second:
            return [concat(a, b, dim=0) for a, b in zip(first, second)]
        return first or second

    def _batchify(self, source: list[tuple[str, NDArray]]) -> list[NDArray]:
        if self.cursor >= self.num_data:
            raise RuntimeError("NDArrayIter: the iterator is exhausted; call reset()")
        if self.last_batch_handle == "roll_over" and -self.batch_size < self.cursor < 0:
            cache = self._cache_data if source is self.data else self._cache_label
            if cache is None:
                raise RuntimeError("NDArrayIter: 'roll_over' lost the carried samples; call hard_reset()")
            second = self._getdata(source, end=self.cursor + self.batch_size)
            if source is self.data:
                self._cache_data = None
            else:
                self._cache_label = None
            return self._concat(cache, second)
        if self.last_batch_handle == "pad" and self.cursor + self.batch_size > self.num_data:
            parts = [self._getdata(source, start=self.cursor)]
            missing = self.cursor + self.batch_size - self.num_data
            while missing > 0:  # wraps around more than once when the data is smaller than a batch
                take = min(missing, self.num_data)
                parts.append(self._getdata(source, end=take))
                missing -= take
            out = parts[0]
            for p in parts[1:]:
                out = self._concat(out, p)
            return out
        end = min(self.cursor + self.batch_size, self.num_data)
        return self._getdata(source, self.cursor, end)

    def getdata(self) -> list[NDArray]:
        return self._batchify(self.data)

    def getlabel(self) -> list[NDArray]:
        return self._batchify(self.label)

    def getpad(self) -> int:
        if self.last_batch_handle == "pad" and self.cursor + self.batch_size > self.num_data:
            return self.cursor + self.batch_size - self.num_data
        if self.last_batch_handle == "roll_over" and -self.batch_size < self.cursor < 0:
            return -self.cursor
        return 0

    def _shuffle_data(self) -> None:
        np.random.shuffle(self.idx)
        order = self.idx
        self.data = [(k, v[order]) for k, v in self.data]
        self.label = [(k, v[order]) for k, v in self.label]
        self.idx = np.arange(self.num_data)
        self.data_list = [x[1] for x in self.data] + [x[1] for x in self.label]
