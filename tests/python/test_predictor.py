"""The prediction API (braid.Predictor over braid_predictor_*), on models exported by MXNet 1.9.1."""

from __future__ import annotations

import os

import numpy as np
import pytest

import braid as mx

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "mxnet_models")


def files(name):
    return os.path.join(FIXTURES, name + "-symbol.json"), os.path.join(FIXTURES, name + "-0000.params")


@pytest.mark.parametrize("name", ["mlp", "cnn", "resblock", "embedding"])
def test_predictor_matches_mxnet(name):
    io = np.load(os.path.join(FIXTURES, name + "-io.npz"))
    sym, params = files(name)
    pred = mx.Predictor(sym, params, {"data": io["x"].shape})
    assert pred.num_outputs == 1 and pred.output_shape(0) == io["y"].shape
    np.testing.assert_allclose(pred.forward(data=io["x"])[0], io["y"], rtol=1e-5, atol=1e-5)
    one = pred.reshape({"data": (1,) + io["x"].shape[1:]})
    np.testing.assert_allclose(one.forward(data=io["x"][:1])[0], io["y"][:1], rtol=1e-5, atol=1e-5)
    # From bytes too, as the R and JS packages pass them.
    with open(sym, "rb") as f, open(params, "rb") as g:
        again = mx.Predictor(f.read(), g.read(), {"data": io["x"].shape})
    np.testing.assert_allclose(again.forward(data=io["x"])[0], io["y"], rtol=1e-5, atol=1e-5)


def test_predictor_errors():
    sym, params = files("mlp")
    with pytest.raises(mx.BraidValueError, match="has no input 'images'"):
        mx.Predictor(sym, params, {"images": (1, 10)})
    pred = mx.Predictor(sym, params, {"data": (2, 10)})
    with pytest.raises(mx.BraidValueError, match=r"has shape \(2, 10\) \(20 values\), got 5"):
        pred.set_input("data", np.zeros(5))
    with pytest.raises(mx.BraidValueError, match="not a data input"):
        pred.set_input("hybridsequential0_dense0_weight", np.zeros(5))
    with pytest.raises(mx.BraidValueError, match="infer_shape.*dense0"):
        mx.Predictor(sym, params, {"data": (2, 7)})
    raw = open(params, "rb").read()
    with pytest.raises(mx.BraidIOError):
        mx.Predictor(sym, raw[: len(raw) // 2], {"data": (2, 10)})
    # A parameter missing from the file is named.
    lst = mx.nd.load(params)
    del lst[next(k for k in lst if k.endswith("dense1_bias"))]
    with pytest.raises(mx.BraidValueError, match="dense1_bias"):
        mx.Predictor(sym, mx.nd.save_tobuffer(lst), {"data": (2, 10)})
