"""MXNet 1.x's data-iterator protocol: DataDesc, DataBatch and the DataIter base class."""

from __future__ import annotations

from collections import namedtuple
from typing import Any, Iterator

import numpy as np

__all__ = ["DataDesc", "DataBatch", "DataIter"]


class DataDesc(namedtuple("DataDesc", ["name", "shape"])):
    """Name and shape of one input (unpacks as ``name, shape``), plus ``dtype`` and ``layout`` attributes."""

    dtype: Any
    layout: str

    def __new__(cls, name: str, shape: tuple[int, ...], dtype: Any = np.float32, layout: str = "NCHW") -> DataDesc:
        ret = super().__new__(cls, name, tuple(shape))
        ret.dtype = dtype
        ret.layout = layout
        return ret

    def __repr__(self) -> str:
        return f"DataDesc[{self.name},{self.shape},{np.dtype(self.dtype)},{self.layout}]"

    def __getnewargs__(self) -> tuple[Any, ...]:
        return (self.name, self.shape, self.dtype, self.layout)

    @staticmethod
    def get_batch_axis(layout: str | None) -> int:
        """The position of 'N' in ``layout`` (0 when layout is None)."""
        return 0 if layout is None else layout.find("N")

    @staticmethod
    def get_list(shapes: list[tuple[str, Any]], types: list[tuple[str, Any]] | None) -> list[DataDesc]:
        """DataDescs from (name, shape) pairs and optional (name, dtype) pairs."""
        if types is not None:
            type_dict = dict(types)
            return [DataDesc(name, shape, type_dict[name]) for name, shape in shapes]
        return [DataDesc(name, shape) for name, shape in shapes]


class DataBatch:
    """One batch: lists of NDArrays ``data`` and ``label``, ``pad`` (padding samples at the end), ``index``."""

    def __init__(
        self,
        data: list[Any],
        label: list[Any] | None = None,
        pad: int | None = None,
        index: Any = None,
        bucket_key: Any = None,
        provide_data: list[DataDesc] | None = None,
        provide_label: list[DataDesc] | None = None,
    ) -> None:
        if data is not None and not isinstance(data, (list, tuple)):
            raise TypeError(f"DataBatch: data must be a list of NDArrays, got {type(data).__name__}")
        if label is not None and not isinstance(label, (list, tuple)):
            raise TypeError(f"DataBatch: label must be a list of NDArrays, got {type(label).__name__}")
        self.data = data
        self.label = label
        self.pad = pad
        self.index = index
        self.bucket_key = bucket_key
        self.provide_data = provide_data
        self.provide_label = provide_label

    def __str__(self) -> str:
        data_shapes = [d.shape for d in self.data]
        label_shapes = [lb.shape for lb in self.label] if self.label else None
        return f"{type(self).__name__}: data shapes: {data_shapes} label shapes: {label_shapes}"


class DataIter:
    """Base class of data iterators: ``for batch in it`` yields DataBatch objects; ``reset()`` starts over.

    Subclasses implement ``iter_next()`` (advance; False at the end) and ``getdata``/``getlabel``/``getpad``,
    or override ``next()`` directly.
    """

    def __init__(self, batch_size: int = 0) -> None:
        self.batch_size = batch_size

    def __iter__(self) -> Iterator[DataBatch]:
        return self

    def reset(self) -> None:
        """Goes back to the beginning of the data."""

    def next(self) -> DataBatch:
        """The next batch; raises StopIteration at the end."""
        if self.iter_next():
            return DataBatch(data=self.getdata(), label=self.getlabel(), pad=self.getpad(), index=self.getindex())
        raise StopIteration

    def __next__(self) -> DataBatch:
        return self.next()

    def iter_next(self) -> bool:
        """Moves to the next batch; False when there is none."""
        raise NotImplementedError(f"{type(self).__name__} must implement iter_next or next")

    def getdata(self) -> list[Any]:
        """The data of the current batch."""
        raise NotImplementedError(f"{type(self).__name__} must implement getdata")

    def getlabel(self) -> list[Any] | None:
        """The labels of the current batch."""
        raise NotImplementedError(f"{type(self).__name__} must implement getlabel")

    def getindex(self) -> Any:
        """The indices of the current batch's samples (None when unknown)."""
        return None

    def getpad(self) -> int:
        """How many samples at the end of the current batch are padding."""
        raise NotImplementedError(f"{type(self).__name__} must implement getpad")
