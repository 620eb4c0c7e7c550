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


def _branchy_model():
    """A graph that stresses the predictor's static plan: a value read by two later steps (no in-place over it),
    elementwise steps over dying inputs (in place), BatchNorm (updates inputs in training only), Dropout that
    draws random numbers in inference (mode='always'), and outputs that are an intermediate still read later
    and a graph input."""
    data = mx.sym.var("data")
    a = mx.sym.FullyConnected(data, num_hidden=6, name="fc1")
    r = mx.sym.relu(a)
    c = a + r
    d = mx.sym.sigmoid(c * 0.5)
    bn = mx.sym.BatchNorm(d, fix_gamma=False, name="bn")
    drop = mx.sym.Dropout(bn, p=0.5, mode="always")
    e = mx.sym.FullyConnected(mx.sym.tanh(drop), num_hidden=3, name="fc2")
    out = mx.sym.Group([mx.sym.softmax(e), c, data])
    rng = np.random.RandomState(3)
    params = {
        "arg:fc1_weight": rng.randn(6, 5),
        "arg:fc1_bias": rng.randn(6),
        "arg:bn_gamma": rng.rand(6) + 0.5,
        "arg:bn_beta": rng.randn(6),
        "aux:bn_moving_mean": rng.randn(6) * 0.1,
        "aux:bn_moving_var": rng.rand(6) + 0.5,
        "arg:fc2_weight": rng.randn(3, 6),
        "arg:fc2_bias": rng.randn(3),
    }
    blob = mx.nd.save_tobuffer({k: mx.nd.array(v.astype(np.float32)) for k, v in params.items()})
    return out.tojson(), blob


def test_static_plan_matches_the_general_executor(monkeypatch):
    sym, blob = _branchy_model()
    x1, x2 = np.random.RandomState(0).randn(2, 4, 5).astype(np.float32)

    def run(pred, x):
        mx.random.seed(7)
        return [o.copy() for o in pred.forward(data=x)]

    fast = mx.Predictor(sym, blob, {"data": (4, 5)})
    monkeypatch.setenv("BRAID_PREDICTOR_STATIC", "0")
    general = mx.Predictor(sym, blob, {"data": (4, 5)})
    for x in (x1, x2, x1):  # buffers are reused across calls: nothing of the previous call may leak in
        want, got = run(general, x), run(fast, x)
        assert len(got) == 3
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
        np.testing.assert_array_equal(got[2], x)
        assert 0 < np.count_nonzero(got[0]) and np.allclose(got[0].sum(axis=1), 1, atol=1e-6)
    # The Dropout draws advance the random stream as they do in the general path.
    mx.random.seed(7)
    first = fast.forward(data=x1)[0].copy()
    second = fast.forward(data=x1)[0].copy()
    assert not np.array_equal(first, second)
