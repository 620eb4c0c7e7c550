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
