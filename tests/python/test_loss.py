"""gluon.loss against numpy references: values (with weight, sample_weight, batch_axis), gradients against finite
differences, and the same values when hybridized (traced into a braid.sym graph)."""

import numpy as np
import pytest

import braid as mx
from braid.gluon import loss as gloss
from op_check import check_grad


def _log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    e = x - m
    return e - np.log(np.exp(e).sum(axis=axis, keepdims=True))


def _batch_mean(x, batch_axis=0):
    axes = tuple(i for i in range(x.ndim) if i != batch_axis)
    return x.mean(axis=axes) if axes else x


def _softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _cases(rng):
    """name -> (loss block, numpy reference of (inputs...), inputs as float64 numpy arrays, which to differentiate)."""
    pred = rng.standard_normal((4, 5))
    sparse = rng.integers(0, 5, size=(4,)).astype(np.float64)
    dense = np.exp(rng.standard_normal((4, 5)))
    dense /= dense.sum(axis=1, keepdims=True)
    target = rng.standard_normal((4, 5))
    binary = (rng.random((4, 5)) > 0.5).astype(np.float64)
    signed = 2 * binary - 1
    prob = rng.uniform(0.05, 0.95, size=(4, 5))
    pred3 = rng.standard_normal((3, 4, 2))
    label3 = rng.integers(0, 4, size=(3, 2)).astype(np.float64)
    return {
        "softmax_ce_sparse": (
            gloss.SoftmaxCrossEntropyLoss(),
            lambda p, y: -_log_softmax(p, 1)[np.arange(4), y.astype(int)],
            [pred, sparse],
            [0],
        ),
        "softmax_ce_dense": (
            gloss.SoftmaxCELoss(sparse_label=False),
            lambda p, y: _batch_mean(-(_log_softmax(p, 1) * y).sum(axis=1, keepdims=True)),
            [pred, dense],
            [0, 1],
        ),
        "softmax_ce_from_logits": (
            gloss.SoftmaxCrossEntropyLoss(from_logits=True),
            lambda p, y: -p[np.arange(4), y.astype(int)],
            [pred, sparse],
            [0],
        ),
        "softmax_ce_axis1": (
            gloss.SoftmaxCrossEntropyLoss(axis=1),
            lambda p, y: _batch_mean(-np.take_along_axis(_log_softmax(p, 1), y.astype(int)[:, None, :], axis=1), 0),
            [pred3, label3],
            [0],
        ),
        "l2": (gloss.L2Loss(), lambda p, y: _batch_mean(0.5 * (y - p) ** 2), [pred, target], [0, 1]),
        "l1": (gloss.L1Loss(), lambda p, y: _batch_mean(np.abs(y - p)), [pred, target], [0]),
        "sigmoid_bce": (
            gloss.SigmoidBinaryCrossEntropyLoss(),
            lambda p, y: _batch_mean(-(y * np.log(_sigmoid(p)) + (1 - y) * np.log(1 - _sigmoid(p)))),
            [pred, binary],
            [0],
        ),
        "sigmoid_bce_from_sigmoid": (
            gloss.SigmoidBCELoss(from_sigmoid=True),
            lambda p, y: _batch_mean(-(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))),
            [prob, binary],
            [0],
        ),
        "huber": (
            gloss.HuberLoss(rho=0.7),
            lambda p, y: _batch_mean(np.where(np.abs(y - p) > 0.7, np.abs(y - p) - 0.35, 0.5 / 0.7 * (y - p) ** 2)),
            [pred, target],
            [0],
        ),
        "hinge": (
            gloss.HingeLoss(margin=0.5),
            lambda p, y: _batch_mean(np.maximum(0, 0.5 - p * y)),
            [pred, signed],
            [0],
        ),
        "squared_hinge": (
            gloss.SquaredHingeLoss(),
            lambda p, y: _batch_mean(np.maximum(0, 1 - p * y) ** 2),
            [pred, signed],
            [0],
        ),
        "logistic_signed": (
            gloss.LogisticLoss(),
            lambda p, y: _batch_mean(np.log1p(np.exp(-p * y))),
            [pred, signed],
            [0],
        ),
        "logistic_binary": (
            gloss.LogisticLoss(label_format="binary"),
            lambda p, y: _batch_mean(np.log1p(np.exp(-p * (2 * y - 1)))),
            [pred, binary],
            [0],
        ),
        "kldiv": (
            gloss.KLDivLoss(),
            lambda p, y: _batch_mean(y * (np.log(y + 1e-12) - p)),
            [_log_softmax(pred, 1), dense],
            [0],
        ),
        "kldiv_not_from_logits": (
            gloss.KLDivLoss(from_logits=False),
            lambda p, y: _batch_mean(y * (np.log(y + 1e-12) - _log_softmax(p, 1))),
            [pred, dense],
            [0],
        ),
        "triplet": (
            gloss.TripletLoss(margin=0.3),
            lambda a, pos, neg: np.maximum(0, ((pos - a) ** 2 - (neg - a) ** 2).sum(axis=1) + 0.3),
            [pred, target, rng.standard_normal((4, 5))],
            [0, 1, 2],
        ),
        "poisson_nll": (
            gloss.PoissonNLLLoss(),
            lambda p, y: np.array([(np.exp(p) - y * p).mean()]),
            [pred, np.floor(prob * 4)],
            [0],
        ),
        "cosine_embedding": (
            gloss.CosineEmbeddingLoss(margin=0.1),
            lambda a, b, y: _cosine_ref(a, b, y, 0.1),
            [pred, target, np.array([1.0, -1.0, 1.0, -1.0])],
            [0, 1],
        ),
    }


def _cosine_ref(a, b, y, margin):
    cos = (a * b).sum(-1) / np.maximum(np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1), 1e-12)
    loss = np.where(y == 1, 1 - cos, np.maximum(0, cos - margin))
    return loss.reshape(-1, 1)


CASES = sorted(_cases(np.random.default_rng(0)))


@pytest.mark.parametrize("name", CASES)
def test_loss_matches_numpy_and_hybridized(name):
    block, ref, inputs, _ = _cases(np.random.default_rng(0))[name]
    want = ref(*inputs)
    arrays = [mx.nd.array(x, dtype="float32") for x in inputs]
    got = block(*arrays)
    assert got.shape == want.shape, f"{name}: shape {got.shape}, expected {want.shape}"
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-6)
    block.hybridize()
    np.testing.assert_allclose(block(*arrays).asnumpy(), want, rtol=1e-5, atol=1e-6)
    assert block._cached_op, f"{name}: the hybridized loss did not build a graph"
    # traced with symbols: a graph over the inputs only
    sym = block(*[mx.sym.var(f"in{i}") for i in range(len(inputs))])
    assert sorted(sym.list_arguments()) == sorted(f"in{i}" for i in range(len(inputs)))


@pytest.mark.parametrize("name", CASES)
def test_loss_gradient_matches_finite_differences(name):
    block, _, inputs, which = _cases(np.random.default_rng(1))[name]
    check_grad(lambda *xs: block(*xs), inputs, grad_inputs=which, rtol=1e-4, atol=1e-6)


def test_weight_sample_weight_and_batch_axis():
    rng = np.random.default_rng(2)
    pred, label = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    sw = rng.uniform(0, 2, size=(4, 1))
    p, y, s = (mx.nd.array(v, dtype="float32") for v in (pred, label, sw))
    np.testing.assert_allclose(
        gloss.L1Loss(weight=3.0)(p, y, s).asnumpy(), 3.0 * (np.abs(label - pred) * sw).mean(axis=1), rtol=1e-5
    )
    np.testing.assert_allclose(
        gloss.L2Loss(weight=2.0)(p, y).asnumpy(), (2.0 / 2 * (label - pred) ** 2).mean(axis=1), rtol=1e-5
    )
    # batch_axis=1: one value per column
    np.testing.assert_allclose(
        gloss.L2Loss(batch_axis=1)(p, y).asnumpy(), (0.5 * (label - pred) ** 2).mean(axis=0), rtol=1e-5
    )
    # sample weights through the hybridized graph (a third input)
    ce = gloss.SoftmaxCrossEntropyLoss()
    lab = mx.nd.array([0, 2, 1, 1])
    want = -_log_softmax(pred, 1)[np.arange(4), [0, 2, 1, 1]] * sw[:, 0]
    np.testing.assert_allclose(ce(p, lab, s).asnumpy(), want, rtol=1e-5)
    ce.hybridize()
    np.testing.assert_allclose(ce(p, lab, s).asnumpy(), want, rtol=1e-5)
    # label reshaped to pred's shape (MXNet's rule)
    np.testing.assert_allclose(
        gloss.L1Loss()(p, mx.nd.array(label.reshape(-1), dtype="float32")).asnumpy(),
        np.abs(label - pred).mean(axis=1),
        rtol=1e-5,
    )


def test_sigmoid_bce_pos_weight_and_stability():
    rng = np.random.default_rng(3)
    pred, label = rng.standard_normal((3, 4)) * 3, (rng.random((3, 4)) > 0.5).astype(np.float64)
    pw = rng.uniform(0.5, 3, size=(1, 4))
    want = -(pw * label * np.log(_sigmoid(pred)) + (1 - label) * np.log(1 - _sigmoid(pred))).mean(axis=1)
    got = gloss.SigmoidBCELoss()(*(mx.nd.array(v, dtype="float32") for v in (pred, label)), None, mx.nd.array(pw))
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5)
    # logits far beyond float32's exp range stay finite
    big = mx.nd.array([[100.0, -100.0]])
    out = gloss.SigmoidBCELoss()(big, mx.nd.array([[0.0, 1.0]])).asnumpy()
    np.testing.assert_allclose(out, [100.0], rtol=1e-6)


def test_poisson_compute_full_and_cosine_shape():
    rng = np.random.default_rng(4)
    pred, target = rng.standard_normal((3, 4)), np.array([[0, 1, 2, 5]] * 3, dtype=np.float64)
    base = np.exp(pred) - target * pred
    stirling = np.where(
        target > 1, target * np.log(np.maximum(target, 1)) - target + 0.5 * np.log(2 * np.pi * np.maximum(target, 1)), 0
    )
    got = gloss.PoissonNLLLoss(compute_full=True)(mx.nd.array(pred), mx.nd.array(target)).asnumpy()
    np.testing.assert_allclose(got, [(base + stirling).mean()], rtol=1e-6)
    a = mx.nd.array(rng.standard_normal((5, 3)))
    assert gloss.CosineEmbeddingLoss()(a, a, mx.nd.ones((5,))).shape == (5, 1)


def test_loss_argument_errors():
    with pytest.raises(TypeError, match="weight must be a number"):
        gloss.L1Loss(weight="2")
    with pytest.raises(TypeError, match="batch_axis must be an int"):
        gloss.L2Loss(batch_axis=0.5)
    with pytest.raises(ValueError, match="rho must be > 0"):
        gloss.HuberLoss(rho=0)
    with pytest.raises(ValueError, match="label_format"):
        gloss.LogisticLoss(label_format="pm1")
    assert repr(gloss.L2Loss()) == "L2Loss(batch_axis=0, w=1.0)"
