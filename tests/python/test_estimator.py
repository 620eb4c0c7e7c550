"""The training loop (gluon.contrib.estimator), curves (braid.plot) and the demo's main job."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import braid as mx
from braid import gluon
from braid.gluon import nn
from braid.gluon.contrib import estimator as E

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _data(n=256, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.normal(size=(n, 8)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.float32)
    return gluon.data.DataLoader(gluon.data.ArrayDataset(x, y), batch_size=32, shuffle=True)


def _estimator():
    net = nn.HybridSequential()
    net.add(nn.Dense(16, activation="relu"), nn.Dense(2))
    net.initialize(mx.init.Xavier())
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.02})
    return E.Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss(), mx.metric.Accuracy(), trainer=trainer)


def test_fit_learns_logs_and_checkpoints(tmp_path):
    est = _estimator()
    log = io.StringIO()
    csv_path = tmp_path / "curves.csv"
    history = est.fit(
        _data(),
        val_data=_data(128, seed=1),
        epochs=4,
        event_handlers=[
            E.ProgressHandler(log_interval=4, stream=log),
            E.CSVLogger(str(csv_path)),
            E.TensorBoardLogger(str(tmp_path / "tb")),
            E.CheckpointHandler(str(tmp_path / "ckpt"), "m", monitor="val_accuracy"),
        ],
    )
    assert [h["epoch"] for h in history] == [1, 2, 3, 4]
    assert history[-1]["loss"] < history[0]["loss"]
    assert history[-1]["val_accuracy"] > 0.85
    text = log.getvalue()  # not a terminal: plain lines with loss, accuracy, samples/s and time left
    assert "[epoch 1/4 batch 4/8]" in text and "samples/s=" in text and "s left" in text
    rows = list(csv.DictReader(open(csv_path)))
    assert len(rows) == 4 and {"epoch", "loss", "accuracy", "val_loss", "val_accuracy"} <= set(rows[0])
    assert os.path.exists(tmp_path / "ckpt" / "m.ckpt") and os.path.exists(tmp_path / "ckpt" / "m-best.params")
    if pytest.importorskip("tensorboardX", reason="tensorboardX not installed"):
        assert any(f.startswith("events.out.tfevents") for f in os.listdir(tmp_path / "tb"))
    png = mx.plot.plot_curves(str(csv_path), str(tmp_path / "curves.png"))
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_evaluate_and_early_stopping():
    est = _estimator()
    stop = E.EarlyStoppingHandler("val_loss", patience=1, mode="min", min_delta=10.0)  # never improves enough
    history = est.fit(
        _data(), val_data=_data(64, 2), epochs=5, event_handlers=[stop, E.ProgressHandler(0, io.StringIO())]
    )
    assert len(history) == 2
    res = est.evaluate(_data(64, 3))
    assert set(res) == {"loss", "accuracy"} and 0 <= res["accuracy"] <= 1


def test_fit_rejects_batches_without_labels():
    est = _estimator()
    with pytest.raises(ValueError, match="data, label"):
        est.fit([mx.nd.ones((4, 8))], epochs=1, event_handlers=[E.ProgressHandler(0, io.StringIO())])


FASHION = "/usr/share/datasets/fashion-mnist"


@pytest.mark.skipif(not os.path.isdir(FASHION), reason="Debian's dataset-fashion-mnist is not installed")
def test_demo_main_job_quick_run(tmp_path):
    """`make demo`'s script on a small subset: trains, exports, and its exported model reproduces Python's
    predictions (the contract the R and JavaScript demos rely on)."""
    out = tmp_path / "demo"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    r = subprocess.run(
        [
            sys.executable,
            os.path.join(ROOT, "examples", "train_fashion_mnist.py"),
            "--epochs",
            "1",
            "--limit",
            "2400",
            "--samples",
            "6",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert "test accuracy" in r.stdout
    info = json.load(open(out / "samples.json"))
    x = np.fromfile(out / "samples.f32", dtype="<f4").reshape(info["shape"])
    pred = mx.Predictor(
        str(out / "fashion_mnist-symbol.json"), str(out / "fashion_mnist-0000.params"), {"data": x.shape}
    )
    probs = pred.forward(data=x)[0]
    np.testing.assert_allclose(probs, np.array(info["python_probs"]), atol=1e-5)
    assert list(probs.argmax(axis=1)) == info["python_predictions"]
    assert os.path.exists(out / "curves.csv")
