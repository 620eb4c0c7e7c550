"""braid.io: MXNet 1.x's data iterators (``mx.io``): DataDesc, DataBatch, DataIter, NDArrayIter.

::

    it = mx.io.NDArrayIter(x, y, batch_size=32, shuffle=True, last_batch_handle="discard")
    for epoch in range(10):
        it.reset()
        for batch in it:
            data, label = batch.data[0], batch.label[0]

For image sets see :mod:`braid.recordio` and :mod:`braid.gluon.data`.
"""

from __future__ import annotations

from .base import DataBatch, DataDesc, DataIter
from .ndarray_iter import NDArrayIter

__all__ = ["DataDesc", "DataBatch", "DataIter", "NDArrayIter"]
