"""hybridize(): traced graphs run by the core give the imperative results, forward and backward; export and
import in MXNet's format."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import braid as mx
from braid.gluon import nn

LAYERS = {
    "dense": (lambda: nn.Dense(5, activation="tanh"), (3, 7)),
    "dense_noflat": (lambda: nn.Dense(4, flatten=False, use_bias=False), (2, 3, 6)),
    "conv1d": (lambda: nn.Conv1D(3, 3, padding=1), (2, 2, 9)),
    "conv2d": (lambda: nn.Conv2D(4, 3, strides=2, padding=1, groups=2), (2, 4, 7, 7)),
    "conv3d": (lambda: nn.Conv3D(2, 2), (1, 2, 4, 4, 4)),
    "deconv2d": (lambda: nn.Conv2DTranspose(3, 3, strides=2, output_padding=1), (2, 2, 4, 4)),
    "maxpool": (lambda: nn.MaxPool2D(3, 2, padding=1), (2, 3, 8, 8)),
    "avgpool": (lambda: nn.AvgPool2D(2, ceil_mode=True, count_include_pad=False), (2, 3, 7, 7)),
    "globalavg": (lambda: nn.GlobalAvgPool2D(), (2, 3, 5, 5)),
    "batchnorm": (lambda: nn.BatchNorm(), (4, 3, 5, 5)),
    "layernorm": (lambda: nn.LayerNorm(), (3, 6)),
    "groupnorm": (lambda: nn.GroupNorm(2), (2, 4, 3, 3)),
    "instancenorm": (lambda: nn.InstanceNorm(), (2, 3, 4, 4)),
    "dropout": (lambda: nn.Dropout(0.4), (6, 8)),
    "embedding": (lambda: nn.Embedding(10, 4), None),
    "flatten": (lambda: nn.Flatten(), (2, 3, 4)),
    "leakyrelu": (lambda: nn.LeakyReLU(0.2), (3, 4)),
    "prelu": (lambda: nn.PReLU(), (3, 4)),
    "elu": (lambda: nn.ELU(), (3, 4)),
    "selu": (lambda: nn.SELU(), (3, 4)),
    "gelu": (lambda: nn.GELU(), (3, 4)),
    "swish": (lambda: nn.Swish(), (3, 4)),
    "activation": (lambda: nn.Activation("softrelu"), (3, 4)),
}


def _run(net, x, seed):
    """Forward + backward in training mode with a fixed random stream; returns output, grads, aux values."""
    params = net.collect_params()
    x = x.copy()
    x.attach_grad()
    mx.random.seed(seed)
    with mx.autograd.record():
        y = net(x)
        loss = (y * y).sum()
    loss.backward()
    grads = {k: p.grad().asnumpy().copy() for k, p in params.items() if p.grad_req != "null"}
    if x.dtype == np.float32 and not isinstance(net[0], nn.Embedding):
        grads["x"] = x.grad.asnumpy()
    aux = {k: p.data().asnumpy().copy() for k, p in params.items() if p.grad_req == "null"}
    return y.asnumpy(), grads, aux, net(x).asnumpy()


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_hybrid_matches_imperative(name, rng):
    make, shape = LAYERS[name]
    if shape is None:
        x = mx.nd.array(rng.integers(0, 10, size=(3, 5)).astype(np.float32))
    else:
        x = mx.nd.array(rng.normal(size=shape).astype(np.float32))
    net = nn.HybridSequential()
    net.add(make())
    net.initialize(mx.init.Xavier())
    net(x)
    state = {k: p.data().copy() for k, p in net.collect_params().items()}
    eager = _run(net, x, 11)
    for k, p in net.collect_params().items():
        p.set_data(state[k])
    net.hybridize()
    hybrid = _run(net, x, 11)
    assert net._cached_op, "the hybridized call did not build a graph"
    np.testing.assert_allclose(hybrid[0], eager[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(hybrid[3], eager[3], rtol=1e-5, atol=1e-6)
    for k in eager[1]:
        np.testing.assert_allclose(hybrid[1][k], eager[1][k], rtol=1e-4, atol=1e-5, err_msg=k)
    for k in eager[2]:
        np.testing.assert_allclose(hybrid[2][k], eager[2][k], rtol=1e-5, atol=1e-6, err_msg=k)


class TwoHeads(mx.gluon.HybridBlock):
    def __init__(self):
        super().__init__()
        self.body = nn.Dense(6, activation="relu")
        self.a = nn.Dense(2)
        self.b = nn.Dense(3)

    def hybrid_forward(self, F, x, y):
        h = self.body(x) + F.sum(y, axis=1, keepdims=True)
        return self.a(h), [self.b(h), F.relu(y)]


def test_multiple_inputs_and_nested_outputs(rng):
    net = TwoHeads()
    net.initialize()
    x = mx.nd.array(rng.normal(size=(4, 5)).astype(np.float32))
    y = mx.nd.array(rng.normal(size=(4, 3)).astype(np.float32))
    ref = net(x, y)
    net.hybridize()
    out = net(x, y)
    assert isinstance(out, tuple) and isinstance(out[1], list)
    for r, o in zip([ref[0], *ref[1]], [out[0], *out[1]]):
        np.testing.assert_allclose(o.asnumpy(), r.asnumpy(), rtol=1e-6)


def test_new_shape_retraces_and_deferred_init(rng):
    net = nn.HybridSequential()
    net.add(nn.Dense(8, activation="relu"), nn.Dense(2))
    net.initialize()
    net.hybridize()
    out1 = net(mx.nd.ones((3, 5)))  # deferred initialization runs eagerly first
    net(mx.nd.ones((3, 5)))
    assert len(net._cached_op) == 1
    out2 = net(mx.nd.ones((7, 5)))
    assert out2.shape == (7, 2) and len(net._cached_op) == 2
    np.testing.assert_allclose(out2.asnumpy()[:3], out1.asnumpy(), rtol=1e-6)


class Broken(mx.gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        return F.no_such_operator(x)  # the traceback must point here


def test_tracing_errors_point_at_user_code():
    net = Broken()
    net.initialize()
    net.hybridize()
    with pytest.raises(AttributeError) as info:
        net(mx.nd.ones((2, 2)))
    assert any("test_hybridize.py" in str(tb.path) and "no_such_operator" in str(tb.statement) for tb in info.traceback)


class ShapeClash(mx.gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        return F.broadcast_add(x, F.ones((5, 7)))


def test_graph_errors_name_the_node():
    net = ShapeClash()
    net.hybridize()
    with pytest.raises(mx.BraidValueError, match=r"node 'shapeclash\d+_broadcast_add0'.*\(2, 3\) and \(5, 7\)"):
        net(mx.nd.ones((2, 3)))


def _cnn():
    net = nn.HybridSequential()
    net.add(
        nn.Conv2D(4, 3, padding=1),
        nn.BatchNorm(),
        nn.Activation("relu"),
        nn.MaxPool2D(),
        nn.Dropout(0.3),
        nn.Flatten(),
        nn.Dense(3),
    )
    return net


def test_export_and_imports_round_trip(tmp_path, rng):
    net = _cnn()
    net.initialize(mx.init.Xavier())
    x = mx.nd.array(rng.normal(size=(2, 3, 6, 6)).astype(np.float32))
    with pytest.raises(RuntimeError, match="hybridize"):
        net.export(str(tmp_path / "none"))
    net.hybridize()
    with mx.autograd.record():
        net(x)  # moves BatchNorm's running statistics
    ref = net(x).asnumpy()
    sym_file, params_file = net.export(str(tmp_path / "cnn"), epoch=3)
    assert params_file.endswith("cnn-0003.params")
    saved = mx.nd.load(params_file)
    assert any(k.startswith("aux:") and k.endswith("running_mean") for k in saved)
    graph = json.load(open(sym_file))
    assert {n["op"] for n in graph["nodes"]} >= {"Convolution", "BatchNorm", "Pooling", "FullyConnected", "null"}
    back = mx.gluon.SymbolBlock.imports(sym_file, ["data"], params_file)
    np.testing.assert_allclose(back(x).asnumpy(), ref, rtol=1e-5, atol=1e-6)
    pred = mx.Predictor(sym_file, params_file, {"data": x.shape})
    np.testing.assert_allclose(pred.forward(data=x.asnumpy())[0], ref, rtol=1e-5, atol=1e-6)
    # A loaded model composes with new layers, hybridized or not, and trains.
    head = nn.HybridSequential()
    head.add(back, nn.Dense(2))
    head.initialize()
    y0 = head(x)
    head.hybridize()
    np.testing.assert_allclose(head(x).asnumpy(), y0.asnumpy(), rtol=1e-5, atol=1e-6)
    with mx.autograd.record():
        loss = head(x).sum()
    loss.backward()
    assert np.abs(back.collect_params()[next(iter(back.collect_params()))].grad().asnumpy()).sum() > 0


def test_symbolblock_deferred_shapes(rng):
    data = mx.sym.var("data")
    out = mx.sym.FullyConnected(mx.sym.Activation(data, act_type="relu"), num_hidden=4, name="fc")
    block = mx.gluon.SymbolBlock(out, data)
    block.initialize()
    y = block(mx.nd.ones((2, 6)))
    assert y.shape == (2, 4)
    assert block.collect_params()["fc_weight"].shape == (4, 6)


def test_hybridized_training_decreases_loss(rng):
    x = mx.nd.array(rng.normal(size=(32, 10)).astype(np.float32))
    y = mx.nd.array((rng.normal(size=32) > 0).astype(np.float32))
    net = nn.HybridSequential()
    net.add(nn.Dense(16, activation="relu"), nn.BatchNorm(), nn.Dense(2))
    net.initialize(mx.init.Xavier())
    net.hybridize()
    losses = []
    for _ in range(30):
        with mx.autograd.record():
            loss = mx.nd.softmax_cross_entropy(net(x), y)
        loss.backward()
        for p in net.collect_params().values():
            if p.grad_req != "null":
                mx.nd.sgd_update(p.data(), p.grad(), out=p.data(), lr=0.01)
        losses.append(loss.asscalar())
    assert losses[-1] < 0.7 * losses[0]


FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures")
MODELS = ("mlp", "cnn", "resblock", "embedding")


@pytest.mark.parametrize("name", MODELS)
def test_braid_exports_run_in_mxnet(name):
    """tests/fixtures/braid_models: exported by braid, loaded by MXNet 1.9.1 (its outputs recorded there)."""
    d = os.path.join(FIXTURES, "braid_models")
    io = np.load(os.path.join(d, name + "-io.npz"))
    theirs = np.load(os.path.join(d, name + "-mxnet.npz"))["y"]
    np.testing.assert_allclose(theirs, io["y"], rtol=1e-5, atol=1e-5)
    net = mx.gluon.SymbolBlock.imports(
        os.path.join(d, name + "-symbol.json"), ["data"], os.path.join(d, name + "-0000.params")
    )
    np.testing.assert_allclose(net(mx.nd.array(io["x"])).asnumpy(), theirs, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", MODELS)
def test_mxnet_exports_import_as_symbolblock(name):
    d = os.path.join(FIXTURES, "mxnet_models")
    io = np.load(os.path.join(d, name + "-io.npz"))
    net = mx.gluon.SymbolBlock.imports(
        os.path.join(d, name + "-symbol.json"), ["data"], os.path.join(d, name + "-0000.params")
    )
    np.testing.assert_allclose(net(mx.nd.array(io["x"])).asnumpy(), io["y"], rtol=1e-5, atol=1e-5)
    net.hybridize()
    np.testing.assert_allclose(net(mx.nd.array(io["x"])).asnumpy(), io["y"], rtol=1e-5, atol=1e-5)


def test_export_matches_the_committed_fixture_format(tmp_path):
    """What braid exports today still has the structure MXNet accepted when the fixtures were made."""
    import sys

    sys.path.insert(0, FIXTURES)
    from fixture_models import models

    net, shape, _ = models(mx)["cnn"]
    net.initialize()
    net.hybridize()
    net(mx.nd.ones(shape))  # deferred initialization runs eagerly, then the graph is traced: export works
    sym_file, _ = net.export(str(tmp_path / "cnn"))
    ours = json.load(open(sym_file))
    ref = json.load(open(os.path.join(FIXTURES, "braid_models", "cnn-symbol.json")))
    assert [n["op"] for n in ours["nodes"]] == [n["op"] for n in ref["nodes"]]
    assert [n.get("attrs", {}) for n in ours["nodes"] if n["op"] != "null"] == [
        n.get("attrs", {}) for n in ref["nodes"] if n["op"] != "null"
    ]
    assert ours["heads"] == ref["heads"] and ours["arg_nodes"] == ref["arg_nodes"]


def test_reads_mxnet2_npz_parameters(tmp_path):
    """MXNet 2's save_parameters writes a numpy .npz keyed by structured names."""
    net = nn.HybridSequential()
    net.add(nn.Dense(3, in_units=4), nn.Dense(2, in_units=3))
    net.initialize()
    f = tmp_path / "mx2.params.npz"
    w0, w1 = np.arange(12, dtype=np.float32).reshape(3, 4), np.full((2, 3), 0.5, np.float32)
    np.savez(f, **{"0.weight": w0, "0.bias": np.zeros(3, np.float32), "1.weight": w1, "1.bias": np.ones(2, np.float32)})
    net.load_parameters(str(f))
    x = np.ones((1, 4), np.float32)
    np.testing.assert_allclose(net(mx.nd.array(x)).asnumpy(), (x @ w0.T) @ w1.T + 1)
