"""A loss of your own: focal loss as a HybridBlock, trained on scikit-learn's 8x8 digits.

    python examples/custom_loss.py

A loss is a HybridBlock whose hybrid_forward uses braid's operators: autograd differentiates it, and it
hybridizes with the network. Focal loss down-weights the examples the model already gets right:
FL = -(1 - p_t)^gamma * log(p_t).
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits

import braid as mx
from braid import autograd, gluon
from braid.gluon import nn


class FocalLoss(gluon.loss.Loss):
    def __init__(self, gamma: float = 2.0, weight: float | None = None, batch_axis: int = 0) -> None:
        super().__init__(weight, batch_axis)
        self._gamma = gamma

    def hybrid_forward(self, F, pred, label, sample_weight=None):  # noqa: N803 - MXNet's F convention
        log_p = F.log_softmax(pred, axis=-1)
        log_pt = F.pick(log_p, label, axis=-1)
        loss = -((1 - F.exp(log_pt)) ** self._gamma) * log_pt
        return loss if sample_weight is None else loss * sample_weight


def main() -> None:
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.float32)
    order = np.random.RandomState(0).permutation(len(x))
    test_idx, train_idx = order[:360], order[360:]
    train = gluon.data.DataLoader(gluon.data.ArrayDataset(x[train_idx], y[train_idx]), batch_size=64, shuffle=True)

    net = nn.HybridSequential()
    net.add(nn.Dense(64, activation="relu"), nn.Dense(10))
    net.initialize(mx.init.Xavier())
    net.hybridize()
    loss_fn = FocalLoss(gamma=2.0)
    loss_fn.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.01})
    for epoch in range(15):
        total = 0.0
        for data, label in train:
            with autograd.record():
                loss = loss_fn(net(data), label)
            loss.backward()
            trainer.step(data.shape[0])
            total += loss.sum().asscalar()
        if epoch % 5 == 4:
            print(f"epoch {epoch + 1}: focal loss {total / len(train_idx):.4f}")
    pred = net(mx.nd.array(x[test_idx])).argmax(axis=1).asnumpy()
    print(f"test accuracy: {(pred == y[test_idx]).mean():.3f}")


if __name__ == "__main__":
    main()
