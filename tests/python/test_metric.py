"""gluon.metric (braid.metric) against scikit-learn and numpy: MXNet 1.x's EvalMetric API and averaging rules."""

import math

import numpy as np
import pytest

import braid as mx
from braid.gluon import metric

skm = pytest.importorskip("sklearn.metrics")


def _batches(rng, n_batches=3, n=20, classes=4):
    out = []
    for _ in range(n_batches):
        scores = rng.random((n, classes)).astype(np.float32)
        probs = scores / scores.sum(axis=1, keepdims=True)
        labels = rng.integers(0, classes, size=n).astype(np.float32)
        out.append((labels, probs))
    return out


def test_accuracy_and_top_k_against_sklearn():
    rng = np.random.default_rng(0)
    batches = _batches(rng)
    acc, top2 = metric.Accuracy(), metric.TopKAccuracy(top_k=2)
    for labels, probs in batches:
        acc.update([mx.nd.array(labels)], [mx.nd.array(probs)])
        top2.update(mx.nd.array(labels), mx.nd.array(probs))  # single arrays are accepted too
    y = np.concatenate([b[0] for b in batches])
    p = np.concatenate([b[1] for b in batches])
    assert acc.get() == ("accuracy", pytest.approx(skm.accuracy_score(y, p.argmax(1))))
    assert top2.get() == ("top_k_accuracy_2", pytest.approx(skm.top_k_accuracy_score(y, p, k=2)))
    # predicted classes (same shape as the labels) are compared directly; numpy input works
    acc.reset()
    acc.update([np.array([1, 2, 3])], [np.array([1, 0, 3])])
    assert acc.get_name_value() == [("accuracy", pytest.approx(2 / 3))]
    assert math.isnan(metric.Accuracy().get()[1])


def test_f1_and_mcc_against_sklearn():
    rng = np.random.default_rng(1)
    ys, ps = [], []
    f1_micro, mcc_micro, f1_macro = metric.F1(average="micro"), metric.MCC(average="micro"), metric.F1()
    per_batch = []
    for _ in range(3):
        y = rng.integers(0, 2, size=30)
        scores = rng.random((30, 2))
        ys.append(y)
        ps.append(scores.argmax(1))
        for m in (f1_micro, mcc_micro, f1_macro):
            m.update([mx.nd.array(y)], [mx.nd.array(scores)])
        per_batch.append(skm.f1_score(y, scores.argmax(1)))
    y, p = np.concatenate(ys), np.concatenate(ps)
    assert f1_micro.get()[1] == pytest.approx(skm.f1_score(y, p))
    assert mcc_micro.get()[1] == pytest.approx(skm.matthews_corrcoef(y, p))
    assert f1_macro.get()[1] == pytest.approx(np.mean(per_batch))  # MXNet 1.x: the mean of per-update scores
    assert f1_macro.get_global()[1] == pytest.approx(
        np.mean([skm.f1_score(y[: 30 * (i + 1)], p[: 30 * (i + 1)]) for i in range(3)])
    )
    # one score per sample: thresholded
    f1 = metric.F1(average="micro", threshold=0.3)
    f1.update([np.array([1, 0, 1, 1])], [np.array([0.9, 0.4, 0.2, 0.35])])
    assert f1.get()[1] == pytest.approx(skm.f1_score([1, 0, 1, 1], [1, 1, 0, 1]))
    with pytest.raises(ValueError, match="only supports binary classification"):
        metric.F1().update([np.array([0, 1, 2])], [np.eye(3)])


def test_regression_metrics_per_batch_average():
    rng = np.random.default_rng(2)
    mae, mse, rmse, pr = metric.MAE(), metric.MSE(), metric.RMSE(), metric.PearsonCorrelation()
    pr_micro = metric.PearsonCorrelation(average="micro")
    want = {"mae": [], "mse": [], "rmse": [], "pr": []}
    ys, ps = [], []
    for n in (10, 25):
        y, p = rng.standard_normal(n), rng.standard_normal(n)
        for m in (mae, mse, rmse, pr, pr_micro):
            m.update([mx.nd.array(y)], [mx.nd.array(p.reshape(n, 1))])
        want["mae"].append(skm.mean_absolute_error(y, p))
        want["mse"].append(skm.mean_squared_error(y, p))
        want["rmse"].append(math.sqrt(skm.mean_squared_error(y, p)))
        want["pr"].append(np.corrcoef(y, p)[0, 1])
        ys.append(y)
        ps.append(p)
    for m, key in ((mae, "mae"), (mse, "mse"), (rmse, "rmse"), (pr, "pr")):
        assert m.get()[1] == pytest.approx(np.mean(want[key]), rel=1e-5), key
    assert pr_micro.get()[1] == pytest.approx(np.corrcoef(np.concatenate(ys), np.concatenate(ps))[0, 1])


def test_cross_entropy_perplexity_and_loss():
    rng = np.random.default_rng(3)
    batches = _batches(rng, n=12)
    ce, nll, ppl, ppl_ignore = metric.CrossEntropy(), metric.create("nll_loss"), metric.Perplexity(None), None
    ppl_ignore = metric.Perplexity(ignore_label=0)
    for labels, probs in batches:
        for m in (ce, nll, ppl, ppl_ignore):
            m.update([mx.nd.array(labels)], [mx.nd.array(probs)])
    y = np.concatenate([b[0] for b in batches]).astype(int)
    p = np.concatenate([b[1] for b in batches])
    assert ce.get()[1] == pytest.approx(skm.log_loss(y, p, labels=range(4)), rel=1e-5)
    assert nll.get()[1] == pytest.approx(ce.get()[1])
    picked = p[np.arange(len(y)), y]
    assert ppl.get()[1] == pytest.approx(math.exp(-np.log(picked).mean()), rel=1e-5)
    assert ppl_ignore.get()[1] == pytest.approx(math.exp(-np.log(picked[y != 0]).mean()), rel=1e-5)
    # sequence predictions (batch, time, vocab) with labels (batch, time)
    seq = metric.Perplexity(None)
    probs = rng.random((2, 3, 5))
    probs /= probs.sum(-1, keepdims=True)
    labels = rng.integers(0, 5, size=(2, 3))
    seq.update([labels], [probs])
    assert seq.get()[1] == pytest.approx(math.exp(-np.log(np.take_along_axis(probs, labels[..., None], -1)).mean()))
    loss = metric.Loss()
    loss.update(None, [mx.nd.array([1.0, 2.0]), mx.nd.array([3.0])])
    assert loss.get() == ("loss", pytest.approx(2.0))


def test_composite_create_custom_and_reset():
    comp = metric.create(["acc", "mse", metric.MAE()])
    assert isinstance(comp, metric.CompositeEvalMetric) and len(comp.metrics) == 3
    labels, preds = [mx.nd.array([0.0, 1.0])], [mx.nd.array([0.0, 0.5])]
    comp.update(labels, preds)
    names, values = comp.get()
    assert names == ["accuracy", "mse", "mae"]
    assert values == [pytest.approx(0.5), pytest.approx(0.125), pytest.approx(0.25)]
    assert comp.get_metric(1).name == "mse"
    with pytest.raises(ValueError, match="out of range"):
        comp.get_metric(5)
    comp.reset_local()
    comp.update(labels, [mx.nd.array([0.0, 1.0])])
    assert comp.get()[1][0] == 1.0 and comp.get_global()[1][0] == pytest.approx(0.75)
    comp.reset()
    assert all(math.isnan(v) for v in comp.get()[1])

    def abs_err(label, pred):
        return float(np.abs(label - pred).sum()), label.size

    custom = metric.create(abs_err)
    custom.update([np.array([1.0, 2.0])], [np.array([1.5, 2.0])])
    assert custom.get() == ("abs_err", pytest.approx(0.25))
    wrapped = mx.metric.np(lambda label, pred: float((label == pred).mean()))
    wrapped.update([np.array([1, 2])], [np.array([1, 3])])
    assert wrapped.get()[1] == pytest.approx(0.5) and wrapped.name.startswith("custom(")
    assert mx.metric.create("acc").get_config()["metric"] == "Accuracy"
    with pytest.raises(ValueError, match="unknown metric 'nope'"):
        metric.create("nope")
    with pytest.raises(ValueError, match="does not match shape of predictions"):
        metric.MAE().update([mx.nd.ones(2)], [mx.nd.ones(2), mx.nd.ones(2)])
    assert str(metric.Accuracy()) == "EvalMetric: {'accuracy': nan}"
