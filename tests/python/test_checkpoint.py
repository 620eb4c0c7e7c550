"""Checkpoints: training N steps, checkpointing and training M more gives bit for bit the weights of a fresh
network and trainer that load the checkpoint and train M steps (Dropout masks, Adam's moments and counts, the
learning-rate schedule, the numpy data order included); saving is atomic."""

import os

import numpy as np
import pytest

import braid as mx
from braid import autograd, gluon
from braid.gluon import nn
from braid.gluon.contrib.checkpoint import load_checkpoint, save_checkpoint

_RNG = np.random.default_rng(0)
X = _RNG.standard_normal((64, 6)).astype(np.float32)
Y = (X @ _RNG.standard_normal((6, 1))).astype(np.float32)


def _make(seed, hybridize, ctx):
    mx.random.seed(seed)
    net = nn.HybridSequential()
    net.add(nn.Dense(16, activation="relu"), nn.Dropout(0.5), nn.Dense(1))  # shapes inferred at the first batch
    net.initialize(mx.init.Xavier(), ctx=ctx)
    if hybridize:
        net.hybridize()
    sched = mx.lr_scheduler.CosineScheduler(max_update=20, base_lr=0.02, warmup_steps=2)
    trainer = gluon.Trainer(net.collect_params(), "adam", {"lr_scheduler": sched, "wd": 1e-3})
    return net, trainer


def _train(net, trainer, steps, ctx):
    loss_fn = gluon.loss.L2Loss()
    for _ in range(steps):
        idx = np.random.permutation(len(X))[:16]  # the global numpy generator: restored by the checkpoint
        xs = gluon.utils.split_and_load(X[idx], ctx)
        ys = gluon.utils.split_and_load(Y[idx], ctx)
        with autograd.record():
            losses = [loss_fn(net(a), b) for a, b in zip(xs, ys)]
        autograd.backward(losses)
        trainer.step(16)


def _weights(net):
    return {k: [d.asnumpy() for d in p.list_data()] for k, p in net.collect_params().items()}


@pytest.mark.parametrize("hybridize", [False, True], ids=["eager", "hybridized"])
@pytest.mark.parametrize("ctx", [[mx.cpu(0)], [mx.cpu(0), mx.cpu(1)]], ids=["cpu0", "cpu0+cpu1"])
def test_resume_is_bit_for_bit(tmp_path, hybridize, ctx):
    path = str(tmp_path / "run.ckpt")
    np.random.seed(1)
    net, trainer = _make(0, hybridize, ctx)
    _train(net, trainer, 3, ctx)
    save_checkpoint(path, net, trainer, epoch=3, extra={"best": 0.5, "history": [1.0, 2.0], "w": mx.nd.ones((2,))})
    _train(net, trainer, 4, ctx)
    expected = _weights(net)

    np.random.seed(12345)  # a fresh process would start from other generator states
    mx.random.seed(777)
    fresh, fresh_trainer = _make(42, hybridize, ctx)
    info = load_checkpoint(path, fresh, fresh_trainer)
    assert info["epoch"] == 3 and info["extra"]["best"] == 0.5 and info["extra"]["history"] == [1.0, 2.0]
    np.testing.assert_array_equal(info["extra"]["w"].asnumpy(), [1.0, 1.0])
    _train(fresh, fresh_trainer, 4, ctx)
    got = _weights(fresh)
    for k, copies in expected.items():
        for a, b in zip(copies, got[k]):
            np.testing.assert_array_equal(a, b, err_msg=f"{k} differs after resuming")


def test_without_rng_restore_dropout_differs(tmp_path):
    # the bit-for-bit test above is meaningful: the same resume without the random streams diverges
    path = str(tmp_path / "run.ckpt")
    np.random.seed(1)
    net, trainer = _make(0, False, [mx.cpu(0)])
    _train(net, trainer, 2, [mx.cpu(0)])
    save_checkpoint(path, net, trainer)
    state = np.random.get_state()
    _train(net, trainer, 2, [mx.cpu(0)])
    fresh, fresh_trainer = _make(5, False, [mx.cpu(0)])
    load_checkpoint(path, fresh, fresh_trainer, restore_rng=False)
    np.random.set_state(state)  # same data order, other Dropout masks
    _train(fresh, fresh_trainer, 2, [mx.cpu(0)])
    assert not np.array_equal(_weights(net)["0.weight"][0], _weights(fresh)["0.weight"][0])


def test_save_is_atomic(tmp_path, monkeypatch):
    path = str(tmp_path / "model.ckpt")
    net, trainer = _make(0, False, [mx.cpu(0)])
    _train(net, trainer, 1, [mx.cpu(0)])
    save_checkpoint(path, net, trainer, epoch=1)
    before = open(path, "rb").read()
    _train(net, trainer, 1, [mx.cpu(0)])

    def crash(src, dst):
        raise OSError("simulated crash before the rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        save_checkpoint(path, net, trainer, epoch=2)
    monkeypatch.undo()
    assert open(path, "rb").read() == before, "a failed save changed the existing checkpoint"
    assert os.listdir(tmp_path) == ["model.ckpt"], "a failed save left its temporary file behind"
    fresh, fresh_trainer = _make(1, False, [mx.cpu(0)])
    assert load_checkpoint(path, fresh, fresh_trainer)["epoch"] == 1
    # a truncated file (what a non-atomic writer would leave) is refused with a clear error
    with open(path, "wb") as f:
        f.write(before[: len(before) // 2])
    with pytest.raises(ValueError, match="is not a braid state file"):
        load_checkpoint(path, fresh)


def test_checkpoint_errors(tmp_path):
    net = nn.Dense(2)
    net.initialize()
    with pytest.raises(RuntimeError, match="not initialized yet.*run a forward pass"):
        save_checkpoint(str(tmp_path / "a.ckpt"), net)
    net(mx.nd.ones((1, 3)))
    save_checkpoint(str(tmp_path / "a.ckpt"), net, epoch=0)
    with pytest.raises(ValueError, match="saved without a trainer"):
        load_checkpoint(str(tmp_path / "a.ckpt"), net, gluon.Trainer(net.collect_params(), "sgd"))
    with pytest.raises(TypeError, match="cannot be saved"):
        save_checkpoint(str(tmp_path / "b.ckpt"), net, extra={"f": object()})
    with pytest.raises(TypeError, match="epoch must be an int"):
        save_checkpoint(str(tmp_path / "b.ckpt"), net, epoch=1.5)
    mx.nd.save(str(tmp_path / "plain.params"), {"x": mx.nd.ones(1)})
    with pytest.raises(ValueError, match="not a braid state file"):
        load_checkpoint(str(tmp_path / "plain.params"), net)
    # gluon.utils re-exports the functions
    assert gluon.utils.save_checkpoint is save_checkpoint and gluon.utils.load_checkpoint is load_checkpoint
