"""Writes the R package's test fixtures into bindings/r/tests/testthat/fixtures/ (run with braid).

base R cannot read numpy's .npz, so every array is written as raw little-endian float32 in C order
(``NAME.f32``) and listed in ``arrays.dcf`` (``read.dcf``) with its shape in Python's order. Models:

- ``mlp``, ``cnn``, ``resblock``, ``embedding``: copies of tests/fixtures/mxnet_models (exported by MXNet
  1.9.1), with MXNet's own input and output (``NAME-x``, ``NAME-y``).
- ``twoio``: a graph with two data inputs (``a``, ``b``) and two outputs, one of them 3-d, built here with
  ``braid.sym``; its reference outputs (``twoio-y0``, ``twoio-y1``) come from ``braid.Predictor`` in Python.
- ``layout``: no parameters; outputs its 4-d input unchanged, flattened and with its axes moved (the order of
  dimensions between R and the core, checked without any arithmetic).

Run from the repository root::

    PYTHONPATH=bindings/python .venv/bin/python bindings/r/tools/make_fixtures.py
"""

from __future__ import annotations

import os
import shutil

import numpy as np

import braid as mx

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
MXNET = os.path.join(ROOT, "tests", "fixtures", "mxnet_models")
OUT = os.path.join(ROOT, "bindings", "r", "tests", "testthat", "fixtures")


def write_array(records: list[dict[str, str]], name: str, a: np.ndarray, note: str) -> None:
    a = np.ascontiguousarray(a, dtype="<f4")
    a.tofile(os.path.join(OUT, name + ".f32"))
    records.append({"Name": name, "Shape": " ".join(str(d) for d in a.shape), "Note": note})


def mxnet_models(records: list[dict[str, str]]) -> None:
    for name in ["mlp", "cnn", "resblock", "embedding"]:
        for suffix in ["-symbol.json", "-0000.params"]:
            shutil.copyfile(os.path.join(MXNET, name + suffix), os.path.join(OUT, name + suffix))
        io = np.load(os.path.join(MXNET, name + "-io.npz"))
        write_array(records, name + "-x", io["x"], "input 'data' (MXNet 1.9.1 fixture)")
        write_array(records, name + "-y", io["y"], "MXNet 1.9.1's output")


def two_io_model(records: list[dict[str, str]]) -> None:
    """Two data inputs, two outputs: softmax(fa(a) + fb(b)) and tanh(fc(b)) reshaped to (N, 2, 3)."""
    a, b = mx.sym.var("a"), mx.sym.var("b")
    fa = mx.sym.FullyConnected(a, num_hidden=4, name="fa")
    fb = mx.sym.FullyConnected(b, num_hidden=4, name="fb")
    probs = mx.sym.softmax(fa + fb, axis=1, name="probs")
    fc = mx.sym.FullyConnected(b, num_hidden=6, name="fc")
    grid = mx.sym.reshape(mx.sym.tanh(fc), shape=(-1, 2, 3), name="grid")
    net = mx.sym.Group([probs, grid])
    rng = np.random.RandomState(11)
    arg_shapes, _, _ = net.infer_shape(a=(5, 3), b=(5, 7))
    params = {}
    for name, shape in zip(net.list_arguments(), arg_shapes):
        if name not in ("a", "b"):
            params["arg:" + name] = mx.nd.array(rng.normal(scale=0.5, size=shape).astype(np.float32))
    prefix = os.path.join(OUT, "twoio")
    net.save(prefix + "-symbol.json")
    mx.nd.save(prefix + "-0000.params", params)
    xa = rng.normal(size=(5, 3)).astype(np.float32)
    xb = rng.normal(size=(5, 7)).astype(np.float32)
    pred = mx.Predictor(prefix + "-symbol.json", prefix + "-0000.params", {"a": xa.shape, "b": xb.shape})
    y0, y1 = pred.forward(a=xa, b=xb)
    write_array(records, "twoio-a", xa, "input 'a'")
    write_array(records, "twoio-b", xb, "input 'b'")
    write_array(records, "twoio-y0", y0, "output 0 (probs) from braid.Predictor in Python")
    write_array(records, "twoio-y1", y1, "output 1 (grid) from braid.Predictor in Python")


def layout_model(records: list[dict[str, str]]) -> None:
    data = mx.sym.var("data")
    net = mx.sym.Group(
        [
            mx.sym.identity(data, name="same"),
            mx.sym.Flatten(data, name="flat"),
            mx.sym.transpose(data, axes=(0, 3, 1, 2), name="moved"),
        ]
    )
    prefix = os.path.join(OUT, "layout")
    net.save(prefix + "-symbol.json")
    mx.nd.save(prefix + "-0000.params", {})
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    outs = mx.Predictor(prefix + "-symbol.json", prefix + "-0000.params", {"data": x.shape}).forward(data=x)
    write_array(records, "layout-x", x, "input 'data': 0, 1, 2, ... in C order")
    for i, y in enumerate(outs):
        write_array(records, f"layout-y{i}", y, f"output {i} from braid.Predictor in Python")


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    records: list[dict[str, str]] = []
    mxnet_models(records)
    two_io_model(records)
    layout_model(records)
    with open(os.path.join(OUT, "arrays.dcf"), "w", encoding="utf-8") as f:
        f.write("\n".join("".join(f"{k}: {v}\n" for k, v in r.items()) for r in records))
    print(f"wrote {len(records)} arrays to {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
