"""gluon.Trainer: training reduces the loss, two contexts equal one, rescaling by the batch size, multipliers,
save_states / load_states, the errors; gluon.utils."""

import math

import numpy as np
import pytest

import braid as mx
from braid import autograd, gluon
from braid.gluon import nn


def _data(seed=0, n=32):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 6)).astype(np.float32)
    y = (x @ rng.standard_normal((6, 1)) + 0.1 * rng.standard_normal((n, 1))).astype(np.float32)
    return x, y


def _net(seed=0, ctx=None, dtype="float32"):
    mx.random.seed(seed)
    net = nn.HybridSequential()
    net.add(nn.Dense(8, activation="tanh", in_units=6), nn.Dense(1, in_units=8))
    net.initialize(mx.init.Xavier(), ctx=ctx)
    if dtype != "float32":
        net.cast(dtype)
    return net


def _weights(net):
    return {k: p.data(p.list_ctx()[0]).asnumpy() for k, p in net.collect_params().items()}


def test_training_reduces_loss():
    x, y = _data()
    net = _net()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.05, "momentum": 0.9})
    loss_fn = gluon.loss.L2Loss()
    data, label = mx.nd.array(x), mx.nd.array(y)
    losses = []
    for _ in range(40):
        with autograd.record():
            loss = loss_fn(net(data), label)
        loss.backward()
        trainer.step(len(x))
        losses.append(float(loss.mean().asscalar()))
    assert losses[-1] < 0.1 * losses[0], losses[::8]
    assert trainer.learning_rate == 0.05 and isinstance(trainer.optimizer, mx.optimizer.SGD)


def _train(net, ctxs, steps, optimizer="adam", params=None, batches=None, kvstore="device"):
    trainer = gluon.Trainer(net.collect_params(), optimizer, params or {"learning_rate": 0.01}, kvstore=kvstore)
    loss_fn = gluon.loss.L2Loss()
    for s in range(steps):
        x, y = batches[s] if batches else _data(seed=s)
        xs = gluon.utils.split_and_load(x, ctxs)
        ys = gluon.utils.split_and_load(y, ctxs)
        with autograd.record():
            losses = [loss_fn(net(a), b) for a, b in zip(xs, ys)]
        autograd.backward(losses)
        trainer.step(len(x))
    return trainer


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_two_contexts_equal_one(optimizer):
    params = {"learning_rate": 0.01, "wd": 0.01} if optimizer == "adam" else {"learning_rate": 0.1, "momentum": 0.9}
    single = _net(seed=3)
    _train(single, [mx.cpu(0)], 4, optimizer, params)
    double = _net(seed=3, ctx=[mx.cpu(0), mx.cpu(1)])
    trainer = _train(double, [mx.cpu(0), mx.cpu(1)], 4, optimizer, params)
    for k, p in double.collect_params().items():
        a, b = (d.asnumpy() for d in p.list_data())
        np.testing.assert_array_equal(a, b, err_msg=f"{k}: the copies differ")
        assert p.list_data()[1].context == mx.cpu(1)
        np.testing.assert_allclose(a, single.collect_params()[k].data().asnumpy(), rtol=1e-5, atol=1e-6)
    # each context counts its own updates: 4 steps are 4 updates (Adam's bias correction uses t=4)
    assert trainer.optimizer.num_update == 4


def test_kvstore_none_updates_each_copy_with_its_own_gradient():
    net = _net(seed=4, ctx=[mx.cpu(0), mx.cpu(1)])
    x, y = _data(seed=1, n=8)
    _train(net, [mx.cpu(0), mx.cpu(1)], 1, "sgd", {"learning_rate": 0.1}, batches=[(x, y)], kvstore=None)
    w = net.collect_params()["1.weight"]
    assert not np.array_equal(*(d.asnumpy() for d in w.list_data()))


def test_rescale_by_batch_size_and_multipliers():
    w = gluon.Parameter("w", shape=(3,), init=mx.init.One(), lr_mult=0.5)
    frozen = gluon.Parameter("f", shape=(3,), init=mx.init.One(), grad_req="null")
    w.initialize()
    frozen.initialize()
    trainer = gluon.Trainer([w, frozen], "sgd", {"learning_rate": 1.0, "rescale_grad": 2.0})
    with autograd.record():
        loss = (w.data() * mx.nd.array([1.0, 2.0, 3.0])).sum() * 4
    loss.backward()
    trainer.step(batch_size=8)  # grad (4, 8, 12) * rescale 2/8 * lr 1 * lr_mult 0.5
    np.testing.assert_allclose(w.data().asnumpy(), [0.5, 0.0, -0.5], rtol=1e-6)
    np.testing.assert_array_equal(frozen.data().asnumpy(), [1, 1, 1])
    trainer.set_learning_rate(0.25)
    assert trainer.learning_rate == 0.25
    with pytest.raises(ValueError, match="batch_size must be a positive number"):
        trainer.step(0)


def test_allreduce_then_update_equals_step():
    a = _net(seed=5, ctx=[mx.cpu(0), mx.cpu(1)])
    b = _net(seed=5, ctx=[mx.cpu(0), mx.cpu(1)])
    x, y = _data(seed=2, n=8)
    ta = gluon.Trainer(a.collect_params(), "nag", {"learning_rate": 0.1, "momentum": 0.5})
    tb = gluon.Trainer(b.collect_params(), "nag", {"learning_rate": 0.1, "momentum": 0.5})
    for net, tr, manual in ((a, ta, False), (b, tb, True)):
        xs = gluon.utils.split_and_load(x, [mx.cpu(0), mx.cpu(1)])
        ys = gluon.utils.split_and_load(y, [mx.cpu(0), mx.cpu(1)])
        with autograd.record():
            losses = [gluon.loss.L1Loss()(net(u), v) for u, v in zip(xs, ys)]
        autograd.backward(losses)
        if manual:
            tr.allreduce_grads()
            grads = [g for p in net.collect_params().values() for g in p.list_grad()]
            gluon.utils.clip_global_norm(grads, 1e6)  # no-op clip: the sum was written into every copy
            tr.update(len(x))
        else:
            tr.step(len(x))
    for (ka, va), vb in zip(_weights(a).items(), _weights(b).values()):
        np.testing.assert_array_equal(va, vb, err_msg=ka)


def test_save_states_load_states_round_trip(tmp_path):
    net = _net(seed=6)
    trainer = _train(net, [mx.cpu(0)], 3, "adam", {"learning_rate": 0.01, "wd": 0.001})
    fname = str(tmp_path / "trainer.states")
    trainer.save_states(fname)
    saved = {k: p.data().copy() for k, p in net.collect_params().items()}
    _train_more(net, trainer)
    expected = _weights(net)

    net2 = _net(seed=99)
    for k, p in net2.collect_params().items():
        p.set_data(saved[k])
    trainer2 = gluon.Trainer(net2.collect_params(), "adam", {"learning_rate": 0.5})  # replaced by the file
    trainer2.load_states(fname)
    assert trainer2.learning_rate == 0.01 and trainer2.optimizer.num_update == 3
    _train_more(net2, trainer2)
    for k, v in _weights(net2).items():
        np.testing.assert_array_equal(v, expected[k], err_msg=k)
    # saving right after loading (before any step) keeps the loaded states
    trainer3 = gluon.Trainer(net2.collect_params(), "adam")
    trainer3.load_states(fname)
    trainer3.save_states(str(tmp_path / "again.states"))
    u = mx.optimizer.get_updater(mx.optimizer.Adam())
    u.set_states(open(tmp_path / "again.states", "rb").read())
    assert sorted(u.states) == list(range(4)) and u.optimizer.num_update == 3


def _train_more(net, trainer):
    loss_fn = gluon.loss.L2Loss()
    for s in (10, 11):
        x, y = _data(seed=s)
        with autograd.record():
            loss = loss_fn(net(mx.nd.array(x)), mx.nd.array(y))
        loss.backward()
        trainer.step(len(x))


def test_multi_precision_float16_network():
    net = _net(seed=7, dtype="float16")
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.05, "multi_precision": True})
    x, y = _data(seed=3)
    data, label = mx.nd.array(x, dtype="float16"), mx.nd.array(y, dtype="float16")
    first = None
    for _ in range(10):
        with autograd.record():
            loss = gluon.loss.L2Loss()(net(data), label)
        loss.backward()
        trainer.step(len(x))
        first = first if first is not None else float(loss.mean().asscalar())
    assert float(loss.mean().asscalar()) < first
    states = trainer._updaters[0].states
    for i, p in enumerate(trainer._params):
        master = states[i][0]
        assert master.dtype == np.float32
        np.testing.assert_array_equal(p.data().asnumpy(), master.asnumpy().astype(np.float16))


def test_trainer_errors():
    net = nn.Dense(2)
    net.initialize()
    with pytest.raises(ValueError, match="list or dict of Parameters"):
        gluon.Trainer(net, "sgd")
    with pytest.raises(ValueError, match="got list of str"):
        gluon.Trainer(["w"], "sgd")
    with pytest.raises(ValueError, match="kvstore must be 'device', 'local' or None"):
        gluon.Trainer(net.collect_params(), "sgd", kvstore="dist_sync")
    with pytest.raises(ValueError, match="optimizer_params must be None"):
        gluon.Trainer(net.collect_params(), mx.optimizer.SGD(), {"learning_rate": 0.1})
    with pytest.raises(TypeError, match="optimizer must be a str or an Optimizer"):
        gluon.Trainer(net.collect_params(), 3)
    with pytest.raises(ValueError, match="Cannot find optimizer"):
        gluon.Trainer(net.collect_params(), "nope")
    trainer = gluon.Trainer(net.collect_params(), "sgd")  # weight shape unknown: deferred initialization
    with pytest.raises(RuntimeError, match="has not been initialized.*ignore_stale_grad=True"):
        trainer.step(1)
    trainer.step(1, ignore_stale_grad=True)  # skips them
    with pytest.raises(ValueError, match="update_on_kvstore"):
        gluon.Trainer(net.collect_params(), "sgd", update_on_kvstore=True)
    with pytest.raises(ValueError, match="not a braid state file"):
        trainer._load_states_bytes(b"\x00" * 10)


def test_split_data_and_split_and_load():
    x = np.arange(24, dtype=np.float32).reshape(6, 4)
    parts = gluon.utils.split_and_load(x, [mx.cpu(0), mx.cpu(1)])
    assert [p.context for p in parts] == [mx.cpu(0), mx.cpu(1)]
    np.testing.assert_array_equal(np.concatenate([p.asnumpy() for p in parts]), x)
    cols = gluon.utils.split_data(mx.nd.array(x), 2, batch_axis=1)
    np.testing.assert_array_equal(cols[1].asnumpy(), x[:, 2:])
    uneven = gluon.utils.split_data(mx.nd.array(x), 4, even_split=False)
    assert [p.shape[0] for p in uneven] == [1, 1, 1, 3]
    uneven_cols = gluon.utils.split_data(mx.nd.array(x), 3, batch_axis=1, even_split=False)
    np.testing.assert_array_equal(uneven_cols[2].asnumpy(), x[:, 2:])
    assert len(gluon.utils.split_data(mx.nd.array(x[:2]), 4, even_split=False)) == 2
    with pytest.raises(ValueError, match="cannot be evenly split into 4 slices"):
        gluon.utils.split_data(mx.nd.array(x), 4)
    with pytest.raises(ValueError, match="batch_axis 2 is out of range"):
        gluon.utils.split_data(mx.nd.array(x), 2, batch_axis=2)


def test_clip_global_norm():
    rng = np.random.default_rng(8)
    host = [rng.standard_normal((3, 4)), rng.standard_normal((5,)), rng.standard_normal((2, 2))]
    arrays = [
        mx.nd.array(host[0], dtype="float32"),
        mx.nd.array(host[1], dtype="float32", ctx=mx.cpu(1)),
        mx.nd.array(host[2], dtype="float64"),
    ]
    total = math.sqrt(sum((h**2).sum() for h in host))
    norm = gluon.utils.clip_global_norm(arrays, max_norm=1.0)
    assert norm == pytest.approx(total, rel=1e-5)
    for a, h in zip(arrays, host):
        np.testing.assert_allclose(a.asnumpy(), h / (total + 1e-8), rtol=1e-5)
    assert arrays[1].context == mx.cpu(1)
    small = [mx.nd.array([0.1, 0.2])]
    lazy = gluon.utils.clip_global_norm(small, max_norm=10.0, check_isfinite=False)
    assert isinstance(lazy, mx.nd.NDArray) and lazy.asscalar() == pytest.approx(math.sqrt(0.05))
    np.testing.assert_allclose(small[0].asnumpy(), [0.1, 0.2])  # under the bound: unchanged
    with pytest.warns(UserWarning, match="nan or inf"):
        gluon.utils.clip_global_norm([mx.nd.array([np.inf, 1.0])], 1.0)
    with pytest.raises(ValueError, match="max_norm must be > 0"):
        gluon.utils.clip_global_norm(small, 0)


def test_stale_gradients_raise_or_are_skipped():
    used, unused = mx.gluon.nn.Dense(2, in_units=3), mx.gluon.nn.Dense(2, in_units=3)
    used.initialize()
    unused.initialize()
    params = list(used.collect_params().values()) + list(unused.collect_params().values())
    trainer = mx.gluon.Trainer(params, "sgd", {"learning_rate": 0.1})
    x = mx.nd.ones((4, 3))
    with mx.autograd.record():
        loss = used(x).sum()
    loss.backward()
    with pytest.raises(UserWarning, match="has not been updated by backward"):
        trainer.step(4)
    before = unused.weight.data().asnumpy().copy()
    w_before = used.weight.data().asnumpy().copy()
    with mx.autograd.record():
        loss = used(x).sum()
    loss.backward()
    trainer.step(4, ignore_stale_grad=True)
    np.testing.assert_array_equal(unused.weight.data().asnumpy(), before)
    assert not np.array_equal(used.weight.data().asnumpy(), w_before)
    with pytest.raises(UserWarning):  # the gradient was consumed by the step: stale again
        trainer.step(4)
