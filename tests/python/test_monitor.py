"""braid.monitor.Monitor on Gluon blocks: outputs, weights and gradients at the chosen interval, pattern filter,
custom statistics, printing and uninstalling."""

import logging

import numpy as np
import pytest

import braid as mx
from braid import autograd
from braid.gluon import nn


def _net():
    mx.random.seed(0)
    net = nn.HybridSequential(prefix="net_")
    with net.name_scope():
        net.add(nn.Dense(5, in_units=4, prefix="fc1_"), nn.Activation("relu", prefix="act_"))
        net.add(nn.Dense(2, in_units=5, prefix="fc2_"))
    net.initialize(mx.init.Xavier())
    return net


def _rms(a):
    return float(np.linalg.norm(a) / np.sqrt(a.size))


def _step(net, mon, x):
    mon.tic()
    with autograd.record():
        out = net(x)
        loss = (out * out).sum()
    loss.backward()
    return out, mon.toc()


def test_outputs_weights_and_gradients_at_interval():
    net = _net()
    mon = mx.monitor.Monitor(interval=2)
    mon.install(net)
    x = mx.nd.array(np.random.default_rng(0).standard_normal((3, 4)), dtype="float32")
    out, res = _step(net, mon, x)
    stats = {name: stat for _, name, stat in res}
    assert all(step == 1 for step, _, _ in res)
    fc1 = net[0](x).asnumpy()
    assert stats["net_fc1_output"] == pytest.approx(_rms(fc1), rel=1e-5)
    assert stats["net_act_output"] == pytest.approx(_rms(np.maximum(fc1, 0)), rel=1e-5)
    assert stats["net_output"] == pytest.approx(_rms(out.asnumpy()), rel=1e-5)
    w = net[2].weight
    assert stats["net_fc2_weight"] == pytest.approx(_rms(w.data().asnumpy()), rel=1e-5)
    assert stats["net_fc2_weight_grad"] == pytest.approx(_rms(w.grad().asnumpy()), rel=1e-5)
    assert _step(net, mon, x)[1] == []  # step 1: not an interval step
    assert [r[0] for r in _step(net, mon, x)[1]][:1] == [3]
    assert mon.step == 3


def test_pattern_sort_custom_stat_and_print(caplog):
    net = _net()
    mon = mx.monitor.Monitor(
        1, stat_func=lambda a: [mx.nd.max(a), mx.nd.min(a)], pattern=".*fc2.*", sort=True, monitor_weights=False
    )
    mon.install(net)
    x = mx.nd.ones((2, 4))
    out, res = _step(net, mon, x)
    assert [name for _, name, _ in res] == ["net_fc2_output"]
    np.testing.assert_allclose(res[0][2], [out.asnumpy().max(), out.asnumpy().min()], rtol=1e-6)
    mon.tic()
    net(x)
    with caplog.at_level(logging.INFO):
        mon.toc_print()
    assert "net_fc2_output" in caplog.text
    mon.uninstall()
    mon.tic()
    net(x)
    assert mon.toc() == []


def test_hybridized_network_reports_its_output_and_arguments_are_checked():
    net = _net()
    net.hybridize()
    mon = mx.monitor.Monitor(1, pattern=".*output")
    mon.install(net)
    x = mx.nd.ones((2, 4))
    net(x)  # the first call runs eagerly and traces
    out, res = _step(net, mon, x)
    assert [name for _, name, _ in res] == ["net_output"]
    assert res[0][2] == pytest.approx(_rms(out.asnumpy()), rel=1e-5)
    with pytest.raises(ValueError, match="interval must be an int >= 1"):
        mx.monitor.Monitor(0)
    with pytest.raises(TypeError, match="expected a gluon Block"):
        mx.monitor.Monitor(1).install(object())
