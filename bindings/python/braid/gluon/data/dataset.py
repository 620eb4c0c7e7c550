"""Datasets: indexable collections of samples for :class:`~braid.gluon.data.DataLoader`.

Samples are numpy arrays, numpy scalars or Python values (tuples of them for data + label); the DataLoader
stacks them into NDArrays once per batch. In-memory datasets also answer ``_get_batch(indices)`` with whole
batches cut by index slicing, which the DataLoader uses instead of one ``__getitem__`` per sample; a lazy
``transform``/``transform_first`` keeps that fast path when its function is one of braid's vision transforms
(or a :class:`~braid.gluon.data.vision.transforms.Compose` of them), which work on whole batches.
"""

from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np

from ...ndarray import NDArray
from .sampler import FilterSampler, Sampler, SequentialSampler

__all__ = ["Dataset", "SimpleDataset", "ArrayDataset", "RecordFileDataset"]


class Dataset:
    """Abstract dataset: subclasses implement ``__getitem__(idx)`` and ``__len__()``."""

    def __getitem__(self, idx: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def _get_batch(self, indices: np.ndarray) -> Any:
        """The samples at ``indices`` already stacked (a list of arrays for tuple samples, an array otherwise),
        or None when this dataset cannot cut whole batches; the result must equal stacking the samples."""
        return None

    def filter(self, fn: Callable[[Any], bool]) -> Dataset:
        """A dataset of the samples for which ``fn(sample)`` is true (evaluated once, now)."""
        return _SampledDataset(self, FilterSampler(fn, self))

    def shard(self, num_shards: int, index: int) -> Dataset:
        """The ``index``-th of ``num_shards`` contiguous, nearly equal parts (the first ones get one extra)."""
        if not 0 <= int(index) < int(num_shards):
            raise ValueError(f"Dataset.shard: index must be in [0, num_shards={num_shards}), got {index}")
        length, n, i = len(self), int(num_shards), int(index)
        size, rest = divmod(length, n)
        start = size * i + min(i, rest)
        return _SampledDataset(self, SequentialSampler(size + (i < rest), start))

    def take(self, count: int | None) -> Dataset:
        """The first ``count`` samples (all of them when ``count`` is None or larger than the dataset)."""
        length = len(self)
        count = length if count is None or count > length else int(count)
        if count < 0:
            raise ValueError(f"Dataset.take: count must be >= 0, got {count}")
        return _SampledDataset(self, SequentialSampler(count))

    def sample(self, sampler: Sampler) -> Dataset:
        """The samples at the indices ``sampler`` yields, in that order."""
        return _SampledDataset(self, sampler)

    def transform(self, fn: Callable[..., Any], lazy: bool = True) -> Dataset:
        """A dataset of ``fn(*sample)`` (``fn(sample)`` for non-tuple samples).

        Lazy transforms run when a sample is read, so random augmentations differ between epochs; with
        ``lazy=False`` every sample is transformed now and stored.
        """
        trans = _LazyTransformDataset(self, fn)
        if lazy:
            return trans
        return SimpleDataset([trans[i] for i in range(len(trans))])

    def transform_first(self, fn: Callable[[Any], Any], lazy: bool = True) -> Dataset:
        """Like :meth:`transform`, applied to the first element of each sample only (the data, not the label)."""
        return self.transform(_TransformFirstClosure(fn), lazy)


class _SampledDataset(Dataset):
    """The samples of ``dataset`` at the indices a sampler gave (filter, shard, take, sample)."""

    def __init__(self, dataset: Dataset, sampler: Any) -> None:
        self._dataset = dataset
        self._indices = np.fromiter((int(i) for i in sampler), dtype=np.int64)

    def __getitem__(self, idx: int) -> Any:
        return self._dataset[int(self._indices[idx])]

    def __len__(self) -> int:
        return len(self._indices)

    def _get_batch(self, indices: np.ndarray) -> Any:
        return _dataset_batch(self._dataset, self._indices[indices])


class _TransformFirstClosure:
    """Applies ``fn`` to the first argument and passes the others through (picklable, unlike a lambda)."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self._fn = fn

    @property
    def _batchable(self) -> bool:
        return bool(getattr(self._fn, "_batchable", False))

    def __call__(self, x: Any, *args: Any) -> Any:
        if args:
            return (self._fn(x),) + args
        return self._fn(x)


class _LazyTransformDataset(Dataset):
    """``fn`` applied to each sample as it is read."""

    def __init__(self, data: Dataset, fn: Callable[..., Any]) -> None:
        if not callable(fn):
            raise TypeError(f"Dataset.transform: fn must be callable, got {type(fn).__name__}")
        self._data = data
        self._fn = fn

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, idx: int) -> Any:
        item = self._data[idx]
        if isinstance(item, tuple):
            return self._fn(*item)
        return self._fn(item)

    def _get_batch(self, indices: np.ndarray) -> Any:
        # Only braid's batch-capable transforms give fn(batch) == stack(fn(sample)); anything else goes sample
        # by sample.
        if not getattr(self._fn, "_batchable", False):
            return None
        batch = _dataset_batch(self._data, indices)
        if batch is None:
            return None
        out = self._fn(*batch) if isinstance(batch, list) else self._fn(batch)
        return list(out) if isinstance(out, tuple) else out


def _dataset_batch(dataset: Any, indices: np.ndarray) -> Any:
    get = getattr(dataset, "_get_batch", None)
    return get(indices) if get is not None else None


def _as_host(x: Any) -> Any:
    return x.asnumpy() if isinstance(x, NDArray) else x


class SimpleDataset(Dataset):
    """A dataset over any indexable, sized object: a list, a numpy array, an NDArray (kept as numpy)."""

    def __init__(self, data: Any) -> None:
        if not hasattr(data, "__getitem__") or not hasattr(data, "__len__"):
            raise TypeError(f"SimpleDataset: data must support len() and indexing, got {type(data).__name__}")
        self._data = _as_host(data)

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, idx: int) -> Any:
        return self._data[idx]

    def _get_batch(self, indices: np.ndarray) -> Any:
        if isinstance(self._data, np.ndarray):
            return self._data[indices]
        return None


class ArrayDataset(Dataset):
    """A dataset zipping arrays of equal length: sample ``i`` is ``(a[i], b[i], ...)``, or ``a[i]`` for one array.

    Arguments may be numpy arrays, NDArrays (copied to numpy once, here), lists or other datasets.
    """

    def __init__(self, *args: Any) -> None:
        if not args:
            raise ValueError("ArrayDataset: needs at least one array")
        self._length = len(args[0])
        self._data = []
        for i, data in enumerate(args):
            if len(data) != self._length:
                raise ValueError(
                    f"ArrayDataset: all arrays must have the same length; array 0 has length {self._length} "
                    f"while array {i} has {len(data)}"
                )
            self._data.append(_as_host(data))

    def __getitem__(self, idx: int) -> Any:
        if len(self._data) == 1:
            return self._data[0][idx]
        return tuple(data[idx] for data in self._data)

    def __len__(self) -> int:
        return self._length

    def _get_batch(self, indices: np.ndarray) -> Any:
        parts = []
        for data in self._data:
            if isinstance(data, np.ndarray):
                parts.append(data[indices])
            else:
                part = _dataset_batch(data, indices)
                if part is None:
                    return None
                parts.append(part)
        return parts[0] if len(parts) == 1 else parts


class RecordFileDataset(Dataset):
    """The raw records (``bytes``) of a RecordIO file, read through its index (``<name>.idx`` beside it)."""

    def __init__(self, filename: str | os.PathLike[str]) -> None:
        from ...recordio import MXIndexedRecordIO

        self.filename = os.fspath(filename)
        self.idx_file = os.path.splitext(self.filename)[0] + ".idx"
        for path, what in ((self.filename, "record file"), (self.idx_file, "index file")):
            if not os.path.isfile(path):
                raise FileNotFoundError(f"RecordFileDataset: {what} '{path}' does not exist")
        self._record = MXIndexedRecordIO(self.idx_file, self.filename, "r")

    def __getitem__(self, idx: int) -> bytes:
        return self._record.read_idx(self._record.keys[idx])

    def __len__(self) -> int:
        return len(self._record.keys)
