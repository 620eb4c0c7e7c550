"""braid.gluon.data: datasets, samplers and the DataLoader (MXNet 1.x's ``gluon.data``).

::

    from braid.gluon.data import ArrayDataset, DataLoader
    from braid.gluon.data.vision import FashionMNIST, transforms

    train = FashionMNIST(train=True).transform_first(
        transforms.Compose([transforms.ToTensor(), transforms.Normalize(0.286, 0.353)]))
    for data, label in DataLoader(train, batch_size=256, shuffle=True, num_workers=2):
        ...                                  # data: NDArray (256, 1, 28, 28) float32, label: (256,) int32

Samples are numpy values; batches are NDArrays. See docs/data.md.
"""

from __future__ import annotations

from . import dataloader, dataset, sampler, vision
from .dataloader import DataLoader, default_batchify_fn, default_mp_batchify_fn
from .dataset import ArrayDataset, Dataset, RecordFileDataset, SimpleDataset
from .sampler import BatchSampler, FilterSampler, IntervalSampler, RandomSampler, Sampler, SequentialSampler

__all__ = [
    "Dataset",
    "SimpleDataset",
    "ArrayDataset",
    "RecordFileDataset",
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "BatchSampler",
    "FilterSampler",
    "IntervalSampler",
    "DataLoader",
    "default_batchify_fn",
    "default_mp_batchify_fn",
    "dataloader",
    "dataset",
    "sampler",
    "vision",
]
