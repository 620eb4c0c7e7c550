"""Predictor: the deployment API (the same C functions the R and JavaScript packages use).

A model is a symbol JSON plus a ``.params`` file (``net.export(prefix)`` in braid or MXNet). The predictor is
planned for fixed input shapes, runs in inference mode, and takes and returns float32 numpy arrays::

    pred = braid.Predictor("net-symbol.json", "net-0000.params", {"data": (1, 784)})
    probs = pred.forward(data=x)[0]
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ._lib import check, ffi, lib
from .context import Context, cpu


def _read(source: str | bytes, binary: bool) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, (str, os.PathLike)):
        if not binary and str(source).lstrip().startswith("{"):
            return str(source).encode()
        with open(source, "rb") as f:
            return f.read()
    raise TypeError(f"expected a file name or bytes, got {type(source).__name__}")


def _shape_args(shapes: dict[str, Any]) -> tuple:
    names = [ffi.new("char[]", k.encode()) for k in shapes]
    ndims = [len(tuple(v)) for v in shapes.values()]
    dims = [int(d) for v in shapes.values() for d in v]
    return (
        len(names),
        ffi.new("char*[]", names),
        ffi.new("int32_t[]", ndims),
        ffi.new("int64_t[]", dims or [0]),
        names,
    )


class Predictor:
    """Runs an exported model on fixed input shapes (inference mode, float32 in and out)."""

    def __init__(
        self,
        symbol: str | bytes,
        params: str | bytes,
        input_shapes: dict[str, tuple[int, ...]],
        ctx: Context | None = None,
        _handle: Any = None,
    ) -> None:
        """symbol: a ``-symbol.json`` path or its text; params: a ``.params`` path or its bytes;
        input_shapes: the data inputs by name."""
        self.input_shapes = {k: tuple(int(d) for d in v) for k, v in input_shapes.items()}
        if _handle is not None:
            self._h = ffi.gc(_handle, lib.braid_predictor_free)
            return
        ctx = ctx or cpu()
        js = _read(symbol, binary=False)
        pb = _read(params, binary=True)
        n, names, ndims, dims, keep = _shape_args(self.input_shapes)
        out = ffi.new("braid_predictor*")
        check(lib.braid_predictor_create(js, pb, len(pb), ctx.device_typeid, ctx.device_id, n, names, ndims, dims, out))
        self._h = ffi.gc(out[0], lib.braid_predictor_free)

    def reshape(self, input_shapes: dict[str, tuple[int, ...]]) -> Predictor:
        """A predictor for new input shapes (a new batch size) sharing this one's parameters."""
        n, names, ndims, dims, keep = _shape_args(input_shapes)
        out = ffi.new("braid_predictor*")
        check(lib.braid_predictor_reshape(self._h, n, names, ndims, dims, out))
        return Predictor(b"", b"", input_shapes, _handle=out[0])

    def set_input(self, name: str, data: Any) -> None:
        """Copies data (converted to float32) into the input called name."""
        a = np.ascontiguousarray(data, dtype=np.float32)
        check(lib.braid_predictor_set_input(self._h, name.encode(), ffi.from_buffer("float[]", a), a.size))

    def forward(self, **inputs: Any) -> list[np.ndarray]:
        """Sets the given inputs, runs the model and returns every output."""
        for k, v in inputs.items():
            self.set_input(k, v)
        check(lib.braid_predictor_forward(self._h))
        return [self.get_output(i) for i in range(self.num_outputs)]

    @property
    def num_outputs(self) -> int:
        n = ffi.new("int32_t*")
        check(lib.braid_predictor_num_outputs(self._h, n))
        return n[0]

    def output_shape(self, index: int) -> tuple[int, ...]:
        nd, dims = ffi.new("int32_t*"), ffi.new("int64_t**")
        check(lib.braid_predictor_output_shape(self._h, index, nd, dims))
        return tuple(int(dims[0][i]) for i in range(nd[0]))

    def get_output(self, index: int) -> np.ndarray:
        """Output index of the last forward, as a float32 numpy array."""
        out = np.empty(self.output_shape(index), dtype=np.float32)
        check(lib.braid_predictor_get_output(self._h, index, ffi.from_buffer("float[]", out), out.size))
        return out
