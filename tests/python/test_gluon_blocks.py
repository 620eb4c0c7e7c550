"""gluon.Block / HybridBlock: naming, collect_params, deferred init, save/load, sharing, hooks, summary,
hybridize plumbing, and MXNet-style training scripts."""

import os

import numpy as np
import pytest

import braid as mx
from braid import autograd, gluon
from braid.gluon import block as block_mod
from braid.gluon import nn
from braid.gluon.parameter import DeferredInitializationError
from braid.test_utils import assert_almost_equal


@pytest.fixture(autouse=True)
def _seed():
    mx.random.seed(0)
    np.random.seed(0)


def _mlp():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(8, activation="relu"), nn.Dense(3))
    return net


class Net(gluon.Block):
    """A 1.x-style model: children in name_scope, a Sequential inside."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential()
            self.features.add(nn.Conv2D(4, 3, padding=1), nn.BatchNorm(), nn.Activation("relu"))
            self.pool = nn.GlobalAvgPool2D()
            self.out = nn.Dense(2)

    def forward(self, x):
        return self.out(self.pool(self.features(x)))


# ---- naming and collection -----------------------------------------------------------------------------------


def test_structured_names_and_prefixes():
    net = Net(prefix="model_")
    params = net.collect_params()
    assert list(params.keys()) == [
        "features.0.weight",
        "features.0.bias",
        "features.1.gamma",
        "features.1.beta",
        "features.1.running_mean",
        "features.1.running_var",
        "out.weight",
        "out.bias",
    ]
    # as in MXNet 1.x: the prefix comes from the name_scope the child was created in (Net's here)
    assert params["features.0.weight"].name == "model_conv0_weight"
    assert params["out.bias"].name == "model_dense0_bias"
    assert net.prefix == "model_" and net.name == "model"
    assert net.features.prefix == "model_hybridsequential0_" and net.features[0].prefix == "model_conv0_"
    assert list(net.collect_params(".*weight|.*bias").keys()) == [
        "features.0.weight",
        "features.0.bias",
        "out.weight",
        "out.bias",
    ]
    assert list(net.collect_params("features.1.*").keys())[0] == "features.1.gamma"


def test_names_without_name_scope_are_unique():
    a, b = nn.Dense(2), nn.Dense(2)
    assert a.weight.name != b.weight.name and a.weight.name.startswith("dense")
    seq = nn.HybridSequential()
    seq.add(a, b)
    assert list(seq.collect_params().keys()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_block_repr():
    net = _mlp()
    assert repr(net) == (
        "HybridSequential(\n  (0): Dense(None -> 8, Activation(relu))\n  (1): Dense(None -> 3, linear)\n)"
    )


def test_sequential_indexing_slicing_len_iter():
    net = nn.HybridSequential()
    layers = [nn.Dense(4), nn.Dense(5), nn.Dense(6)]
    net.add(*layers)
    assert len(net) == 3 and net[1] is layers[1] and list(net) == layers
    sub = net[1:]
    assert isinstance(sub, nn.HybridSequential) and len(sub) == 2 and sub[0] is layers[1]
    seq = nn.Sequential()
    seq.add(nn.Dense(2), nn.Lambda(lambda x: x * 0))
    assert isinstance(seq[:1], nn.Sequential)


def test_hybrid_children_must_be_hybrid():
    with pytest.raises(ValueError, match="Children of HybridBlock must also be HybridBlock"):
        nn.HybridSequential().add(nn.Lambda("relu"))


def test_unregistered_container_warns():
    class Bad(gluon.Block):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Dense(2)]

        def forward(self, x):
            return self.layers[0](x)

    with pytest.warns(UserWarning, match="unregistered container"):
        Bad().collect_params()


# ---- custom blocks -------------------------------------------------------------------------------------------


def test_hybrid_forward_with_params_get():
    class Affine(gluon.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.scale = self.params.get("scale", shape=(1, 3), init=mx.init.Constant(2.0))
                self.shift = self.params.get("shift", shape=(3,), init="ones")

        def hybrid_forward(self, F, x, scale, shift):
            assert F is mx.nd and scale.context == x.context
            return F.broadcast_add(F.broadcast_mul(x, scale), shift)

    blk = Affine(prefix="aff_")
    blk.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    assert blk.scale.name == "aff_scale" and list(blk.collect_params()) == ["scale", "shift"]
    x = mx.nd.ones((2, 3), ctx=mx.cpu(1))
    out = blk(x)
    assert out.context == mx.cpu(1)
    assert_almost_equal(out.asnumpy(), np.full((2, 3), 3.0))


def test_forward_style_block_with_infer_shape():
    class Scale(gluon.HybridBlock):  # MXNet 2 style: Parameter attribute, forward, infer_shape
        def __init__(self):
            super().__init__()
            self.w = gluon.Parameter("w", shape=(0,), init="ones", allow_deferred_init=True)

        def infer_shape(self, x):
            self.w.shape = (x.shape[-1],)

        def forward(self, x):
            return x * self.w.data(x.context)

    blk = Scale()
    blk.initialize()
    assert_almost_equal(blk(mx.nd.ones((2, 4)) * 3).asnumpy(), np.full((2, 4), 3.0))
    assert blk.w.shape == (4,)


def test_deferred_param_without_infer_shape_is_a_clear_error():
    class NoInfer(gluon.HybridBlock):
        def __init__(self):
            super().__init__()
            self.w = gluon.Parameter("w", shape=(0,), allow_deferred_init=True)

        def hybrid_forward(self, F, x, w):
            return x * w

    blk = NoInfer()
    blk.initialize()
    with pytest.raises(DeferredInitializationError, match="does not implement infer_shape"):
        blk(mx.nd.ones((2,)))


def test_use_before_initialize_says_initialize():
    net = nn.Dense(2, in_units=3)
    with pytest.raises(RuntimeError, match=r"has not been initialized.*initialize\(\)"):
        net(mx.nd.ones((1, 3)))


def test_deferred_init_through_network():
    net = Net()
    net.initialize(mx.init.Xavier())
    assert net.out.weight.shape == (2, 0)
    with pytest.raises(DeferredInitializationError):
        net.out.weight.data()
    out = net(mx.nd.ones((2, 3, 5, 5)))
    assert out.shape == (2, 2)
    assert net.features[0].weight.shape == (4, 3, 3, 3) and net.out.weight.shape == (2, 4)
    assert net.features[1].gamma.shape == (4,)


def test_forward_called_directly_finishes_deferred_init():
    d = nn.Dense(2)
    d.initialize()
    assert d.forward(mx.nd.ones((1, 5))).shape == (1, 2)


# ---- save / load ---------------------------------------------------------------------------------------------


def test_save_load_roundtrip(tmp_path):
    f = str(tmp_path / "net.params")
    net = Net()
    net.initialize(mx.init.Xavier())
    x = mx.nd.array(np.random.randn(2, 3, 5, 5).astype(np.float32))
    with autograd.record():  # update the BatchNorm running statistics
        net(x)
    ref = net(x).asnumpy()
    net.save_parameters(f)
    saved = mx.nd.load(f)
    assert sorted(saved) == sorted(net.collect_params().keys())
    net2 = Net()
    net2.load_parameters(f)
    assert_almost_equal(net2(x).asnumpy(), ref, rtol=1e-6, atol=1e-6)
    # into an already initialized network, onto two contexts
    net3 = Net()
    net3.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    net3(x)
    net3.load_parameters(f)
    assert_almost_equal(net3(x.as_in_context(mx.cpu(1))).asnumpy(), ref, rtol=1e-6, atol=1e-6)
    net4 = Net()
    net4.load_parameters(f, ctx=mx.cpu(1))
    assert net4.out.weight.list_ctx() == [mx.cpu(1)]


def test_load_missing_and_extra_errors(tmp_path):
    f = str(tmp_path / "mlp.params")
    net = _mlp()
    net.initialize()
    net(mx.nd.ones((1, 4)))
    net.save_parameters(f)
    bigger = nn.HybridSequential()
    bigger.add(nn.Dense(8, activation="relu"), nn.Dense(3), nn.Dense(2))
    with pytest.raises(ValueError, match=r"Parameter '2.weight' is missing in file .*allow_missing=True"):
        bigger.load_parameters(f)
    bigger.load_parameters(f, allow_missing=True)
    assert_almost_equal(bigger[0].weight.data().asnumpy(), net[0].weight.data().asnumpy())
    smaller = nn.HybridSequential()
    smaller.add(nn.Dense(8, activation="relu"))
    with pytest.raises(ValueError, match=r"Parameter '1.weight' loaded from file .*ignore_extra=True"):
        smaller.load_parameters(f)
    smaller.load_parameters(f, ignore_extra=True)
    wrong = nn.HybridSequential()
    wrong.add(nn.Dense(7, activation="relu"), nn.Dense(3))
    with pytest.raises(ValueError, match="shape incompatible"):
        wrong.load_parameters(f)


def test_load_cast_dtype(tmp_path):
    f = str(tmp_path / "d.params")
    net = nn.Dense(2, in_units=3)
    net.initialize()
    net.save_parameters(f)
    n64 = nn.Dense(2, in_units=3, dtype="float64")
    with pytest.raises(ValueError, match="cast_dtype=True"):
        n64.load_parameters(f)
    n64.load_parameters(f, cast_dtype=True)
    assert n64.weight.data().dtype == np.float64
    n64b = nn.Dense(2, in_units=3, dtype="float64")
    n64b.load_parameters(f, cast_dtype=True, dtype_source="saved")
    assert n64b.weight.data().dtype == np.float32


def test_load_export_and_legacy_names(tmp_path):
    net = _mlp()
    net.initialize()
    net(mx.nd.ones((1, 4)))
    ref = net(mx.nd.ones((1, 4))).asnumpy()
    # files written by export(): 'arg:'/'aux:' + the parameters' names
    f = str(tmp_path / "export.params")
    mx.nd.save(f, {f"arg:{p.name}": p.data() for p in net.collect_params().values()})
    net2 = _mlp()
    net2.initialize()
    net2[0].weight.shape, net2[1].weight.shape = (8, 4), (3, 8)
    # names match when the architecture is rebuilt in the same order: rename to the new prefix
    mx.nd.save(
        f, {f"arg:{p2.name}": p.data() for p, p2 in zip(net.collect_params().values(), net2.collect_params().values())}
    )
    net2.load_parameters(f)
    assert_almost_equal(net2(mx.nd.ones((1, 4))).asnumpy(), ref)
    # MXNet 2 export: 'arg:' + structured names; BatchNorm statistics as 'aux:'
    bn = nn.BatchNorm(in_channels=2)
    mx.nd.save(
        f,
        {
            "arg:gamma": mx.nd.array([2, 3]),
            "arg:beta": mx.nd.array([0, 1]),
            "aux:running_mean": mx.nd.array([1, 1]),
            "aux:running_var": mx.nd.array([4, 4]),
        },
    )
    bn.load_parameters(f)
    assert bn.running_var.data().asnumpy().tolist() == [4, 4]
    # MXNet 1.x collect_params().save(strip_prefix=...) files: names without the block's prefix
    d = nn.Dense(2, in_units=2, prefix="fc_")
    mx.nd.save(f, {"weight": mx.nd.ones((2, 2)), "bias": mx.nd.zeros(2)})
    d.load_parameters(f)
    assert (d.weight.data().asnumpy() == 1).all()


def test_save_deduplicate_and_shared_params(tmp_path):
    a = nn.Dense(3, in_units=3)
    b = nn.Dense(3, in_units=3)
    b.share_parameters(a.collect_params())
    net = nn.HybridSequential()
    net.add(a, b)
    net.initialize()
    assert b.weight is a.weight
    f = str(tmp_path / "dedup.params")
    net.save_parameters(f, deduplicate=True)
    assert sorted(mx.nd.load(f)) == ["0.bias", "0.weight"]
    net2 = nn.HybridSequential()
    a2, b2 = nn.Dense(3, in_units=3), nn.Dense(3, in_units=3)
    b2.share_parameters(a2.collect_params())
    net2.add(a2, b2)
    net2.load_parameters(f)  # every parameter is reachable through one of its names
    assert_almost_equal(b2.weight.data().asnumpy(), a.weight.data().asnumpy())
    net.save_parameters(f)
    assert len(mx.nd.load(f)) == 4


def test_share_parameters_and_params_argument():
    a = _mlp()
    a.initialize()
    x = mx.nd.ones((2, 4))
    ref = a(x).asnumpy()
    b = _mlp()
    b.share_parameters(a.collect_params())
    assert_almost_equal(b(x).asnumpy(), ref)
    a[0].weight.data()[:] = 0
    assert_almost_equal(b(x).asnumpy(), a(x).asnumpy())
    with pytest.warns(UserWarning, match="not in the current model"):
        b.share_parameters({"nope.weight": a[0].weight})
    # MXNet 1.x: params= at construction
    d1 = nn.Dense(4, in_units=2)
    d2 = nn.Dense(4, in_units=2, params=d1.collect_params())
    assert d2.weight is d1.weight and d2.bias is d1.bias


# Models exported by MXNet 1.9.1 (tests/fixtures/make_mxnet_models.py), rebuilt here with the same Gluon code.
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "mxnet_models")


class Residual(gluon.HybridBlock):
    def __init__(self, channels, stride, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.conv1 = nn.Conv2D(channels, 3, strides=stride, padding=1, use_bias=False)
            self.bn1 = nn.BatchNorm()
            self.conv2 = nn.Conv2D(channels, 3, padding=1, use_bias=False)
            self.bn2 = nn.BatchNorm()
            self.proj = nn.Conv2D(channels, 1, strides=stride, use_bias=False)
            self.bnp = nn.BatchNorm()

    def hybrid_forward(self, F, x):
        y = F.Activation(self.bn1(self.conv1(x)), act_type="relu")
        y = self.bn2(self.conv2(y))
        return F.Activation(y + self.bnp(self.proj(x)), act_type="relu")


class EmbedNet(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.embed = nn.Embedding(50, 8)
            self.norm = nn.LayerNorm()
            self.out = nn.Dense(5, flatten=True)

    def hybrid_forward(self, F, x):
        e = self.norm(self.embed(x))
        return F.softmax(self.out(F.mean(e, axis=1, keepdims=True)), axis=-1)


def _mxnet_fixture_model(name):
    net = nn.HybridSequential()
    with net.name_scope():
        if name == "mlp":
            net.add(nn.Dense(16, activation="relu"), nn.Dense(8, activation="tanh"), nn.Dense(4))
        elif name == "cnn":
            net.add(
                nn.Conv2D(4, 3, padding=1),
                nn.BatchNorm(),
                nn.LeakyReLU(0.1),
                nn.MaxPool2D(),
                nn.Dropout(0.5),
                nn.Conv2D(6, 3, strides=2, groups=2),
                nn.AvgPool2D(pool_size=2, strides=1, padding=1),
                nn.Flatten(),
                nn.Dense(5),
            )
        elif name == "resblock":
            net.add(
                nn.Conv2D(4, 3, padding=1, use_bias=False),
                nn.BatchNorm(),
                nn.Activation("relu"),
                Residual(8, 2),
                nn.GlobalAvgPool2D(),
                nn.Dense(3),
            )
        else:
            return EmbedNet()
    return net


@pytest.mark.parametrize("name", ["mlp", "cnn", "resblock", "embedding"])
@pytest.mark.parametrize("hybridize", [False, True])
def test_load_mxnet_export_into_rebuilt_network(name, hybridize):
    path = os.path.join(FIXTURES, f"{name}-0000.params")
    if not os.path.exists(path):
        pytest.skip("MXNet fixture files are not present")
    for _ in range(2):  # another automatic prefix than the exporting process had (hybridsequential0_...)
        net = _mxnet_fixture_model(name)
    net.load_parameters(path)  # 'arg:'/'aux:' names under MXNet's root prefix
    if hybridize:
        net.hybridize()
    io = np.load(os.path.join(FIXTURES, f"{name}-io.npz"))
    assert_almost_equal(net(mx.nd.array(io["x"])).asnumpy(), io["y"], rtol=1e-4, atol=1e-5)


def test_root_prefix_matching_does_not_guess():
    net = _mlp()
    net.initialize()
    net(mx.nd.ones((1, 4)))
    arrays = {f"arg:other0_{p.name[len(net.prefix) :]}": p.data() for p in net.collect_params().values()}
    arrays["arg:other0_extra_weight"] = mx.nd.ones(2)  # one name that fits nothing: no renaming at all
    with pytest.raises(ValueError, match="is not present in this Block"):
        net.load_dict(arrays)


# ---- block utilities -----------------------------------------------------------------------------------------


def test_hooks_apply_cast_setattr_zero_grad_reset_ctx():
    net = _mlp()
    net.initialize()
    calls = []
    h1 = net[0].register_forward_pre_hook(lambda blk, inputs: calls.append(("pre", blk.name, inputs[0].shape)))
    h2 = net[0].register_forward_hook(lambda blk, inputs, out: calls.append(("post", blk.name, out.shape)))
    net(mx.nd.ones((2, 5)))
    assert calls == [("pre", net[0].name, (2, 5)), ("post", net[0].name, (2, 8))]
    h1.detach()
    h2.detach()
    net(mx.nd.ones((2, 5)))
    assert len(calls) == 2
    seen = []
    assert net.apply(lambda b: seen.append(type(b).__name__)) is net
    assert seen == ["Activation", "Dense", "Dense", "HybridSequential"]
    net.cast("float64")
    assert net[1].weight.data().dtype == np.float64
    assert net(mx.nd.ones((2, 5), dtype="float64")).dtype == np.float64
    net.setattr("grad_req", "null")
    assert all(p.grad_req == "null" for p in net.collect_params().values())
    net.setattr("grad_req", "write")
    with autograd.record():
        y = net(mx.nd.ones((2, 5), dtype="float64")).sum()
    y.backward()
    net.zero_grad()
    assert all(np.abs(p.grad().asnumpy()).sum() == 0 for p in net.collect_params().values())
    net.reset_ctx(mx.cpu(1))
    assert net(mx.nd.ones((2, 5), ctx=mx.cpu(1), dtype="float64")).context == mx.cpu(1)


def test_summary_prints_layers_shapes_and_counts(capsys):
    net = Net()
    net.initialize()
    net.hybridize()
    net.summary(mx.nd.ones((2, 3, 5, 5)))
    out = capsys.readouterr().out
    lines = [line.split() for line in out.splitlines() if line and not line.startswith(("-", "="))]
    rows = {r[0]: r for r in lines}
    assert rows["Input"][-5:] == ["(2,", "3,", "5,", "5)", "0"]
    assert rows["Conv2D-1"][-1] == str(4 * 3 * 9 + 4)
    assert rows["BatchNorm-2"][-1] == "16"
    assert rows["Dense-5"][-3:] == ["(2,", "2)", str(4 * 2 + 2)]
    assert rows["Net-6"][-1] == "0"
    total = 4 * 3 * 9 + 4 + 16 + 10
    assert f"Parameters in all layers: {total}" in out
    assert f"Trainable params: {total - 8}" in out and "Non-trainable params: 8" in out
    assert "Shared params in this model: 0" in out
    assert net.features._active  # hybridization restored after the summary


def test_summary_counts_shared_params(capsys):
    a = nn.Dense(3, in_units=3)
    b = nn.Dense(3, in_units=3)
    b.share_parameters(a.collect_params())
    net = nn.HybridSequential()
    net.add(a, b)
    net.initialize()
    net.summary(mx.nd.ones((1, 3)))
    out = capsys.readouterr().out
    assert "Parameters in all layers: 24" in out and "Shared params in this model: 12" in out


# ---- hybridize plumbing --------------------------------------------------------------------------------------


def test_hybridize_flags_and_results():
    net = Net()
    net.initialize()
    x = mx.nd.ones((1, 3, 4, 4))
    ref = net(x).asnumpy()
    net.hybridize(static_alloc=True, static_shape=True)
    assert net.features._active and net.features[0]._active and net.out._active
    assert net.features[0]._flags == {"static_alloc": True, "static_shape": True}
    assert_almost_equal(net(x).asnumpy(), ref)
    net.hybridize(False)
    assert not net.features[0]._active


def test_hybridized_call_goes_through_call_cached(monkeypatch):
    calls = []
    real = block_mod._cached.call_cached

    def call_cached(block, *args):
        calls.append((type(block).__name__, len(args)))
        return real(block, *args)

    monkeypatch.setattr(block_mod._cached, "call_cached", call_cached)
    net = _mlp()
    net.initialize()
    x = mx.nd.ones((2, 4))
    ref = net(x).asnumpy()
    assert calls == []
    net.hybridize()
    assert_almost_equal(net(x).asnumpy(), ref)
    assert calls == [("HybridSequential", 1)]  # the children run inside the traced graph, not one by one
    net[0](x)  # a hybridized child called on its own goes through the cache too
    assert calls[-1] == ("Dense", 1)


def test_symbol_tracing_of_hybrid_forward():
    sym = pytest.importorskip("braid.symbol")
    net = Net()
    out = net.features(sym.var("data"))
    args = out.list_arguments()
    assert args[0] == "data" and args[1] == net.features[0].weight.name
    assert net.features[1].running_mean.name in out.list_auxiliary_states()


# ---- MXNet-style training scripts ----------------------------------------------------------------------------


def _train(net, x, y, steps, lr):
    params = [p for p in net.collect_params().values() if p.grad_req != "null"]
    losses = []
    for _ in range(steps):
        with autograd.record():
            out = net(x)
            loss = -mx.nd.mean(mx.nd.pick(mx.nd.log_softmax(out), y, axis=1))
        loss.backward()
        for p in params:
            mx.nd.sgd_update(p.data(), p.grad(), lr=lr, out=p.data())
        losses.append(float(loss.asscalar()))
    return losses


def test_mlp_training_script_decreases_loss():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 10)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.float32)
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(16, activation="relu"))
        net.add(nn.Dropout(0.1))
        net.add(nn.Dense(2))
    net.initialize(mx.init.Xavier())
    net.hybridize()
    losses = _train(net, mx.nd.array(x), mx.nd.array(y), steps=30, lr=0.5)
    assert losses[-1] < 0.5 * losses[0]


def test_cnn_training_script_decreases_loss():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 1, 8, 8)).astype(np.float32)
    y = (x[:, 0, :4].mean(axis=(1, 2)) > x[:, 0, 4:].mean(axis=(1, 2))).astype(np.float32)
    net = nn.HybridSequential()
    net.add(
        nn.Conv2D(4, 3, padding=1),
        nn.BatchNorm(),
        nn.Activation("relu"),
        nn.MaxPool2D(2),
        nn.Flatten(),
        nn.Dense(2),
    )
    net.initialize(mx.init.Xavier(magnitude=2.24))
    losses = _train(net, mx.nd.array(x), mx.nd.array(y), steps=15, lr=0.2)
    assert losses[-1] < 0.7 * losses[0]


def test_multi_context_block_gradients():
    net = _mlp()
    net.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    xs = [mx.nd.ones((2, 4), ctx=c) for c in (mx.cpu(0), mx.cpu(1))]
    with autograd.record():
        losses = [net(x).sum() for x in xs]
    autograd.backward(losses)
    w = net[1].weight
    g0, g1 = w.grad(mx.cpu(0)).asnumpy(), w.grad(mx.cpu(1)).asnumpy()
    assert g0.shape == (3, 8) and np.abs(g0).sum() > 0
    assert_almost_equal(g0, g1)
