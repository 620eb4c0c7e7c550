"""braid.gluon.data.vision: image datasets and transforms (MXNet 1.x's ``gluon.data.vision``)."""

from __future__ import annotations

from . import datasets, transforms
from .datasets import MNIST, FashionMNIST, ImageFolderDataset, ImageRecordDataset

__all__ = ["MNIST", "FashionMNIST", "ImageFolderDataset", "ImageRecordDataset", "datasets", "transforms"]
