"""Transfer learning from an exported model: reuse the Fashion-MNIST CNN of `make demo` for a new task.

    python examples/transfer_learning.py [--model demo_out/fashion_mnist]

Loads ``PREFIX-symbol.json`` + ``PREFIX-0000.params`` (written by `make demo`, or by MXNet's export) with
SymbolBlock.imports, cuts the graph at the flattened features (get_internals), freezes those layers
(grad_req='null') and trains a new head to tell footwear from clothing on 2000 test images, evaluated on others.
"""

from __future__ import annotations

import argparse

import numpy as np

import braid as mx
from braid import autograd, gluon
from braid.gluon import nn
from braid.gluon.data.vision import transforms


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="demo_out/fashion_mnist", help="prefix of the exported model")
    args = ap.parse_args()
    sym = mx.sym.load(f"{args.model}-symbol.json")
    internals = sym.get_internals()
    feature_name = next(n for n in internals.list_outputs() if "flatten" in n)
    features = gluon.SymbolBlock(internals[feature_name], mx.sym.var("data"))
    features.load_parameters(f"{args.model}-0000.params", ignore_extra=True, allow_missing=False)
    for p in features.collect_params().values():
        p.grad_req = "null"  # frozen: only the new head learns
    print(f"features from '{feature_name}' of {args.model}")

    net = nn.HybridSequential()
    net.add(features, nn.Dense(32, activation="relu"), nn.Dense(2))
    net[1].initialize(mx.init.Xavier())
    net[2].initialize(mx.init.Xavier())
    net.hybridize()

    test = gluon.data.vision.FashionMNIST(train=False)
    footwear = {5, 7, 9}  # sandal, sneaker, ankle boot
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(0.2860, 0.3530)])
    images = np.stack([test[i][0] for i in range(len(test))])
    is_footwear = np.array([float(int(test[i][1]) in footwear) for i in range(len(test))], dtype=np.float32)
    relabel = gluon.data.ArrayDataset(images, is_footwear).transform_first(tf)
    train = gluon.data.DataLoader(relabel.take(2000), batch_size=64, shuffle=True)
    held_out = gluon.data.DataLoader(relabel.shard(5, 4), batch_size=256)
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 1e-3})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    for epoch in range(3):
        for data, label in train:
            with autograd.record():
                loss = loss_fn(net(data), label)
            loss.backward()
            trainer.step(data.shape[0], ignore_stale_grad=True)
        acc = mx.metric.Accuracy()
        for data, label in held_out:
            acc.update([label], [net(data)])
        print(f"epoch {epoch + 1}: footwear-vs-clothing accuracy {acc.get()[1]:.3f}")


if __name__ == "__main__":
    main()
