"""Stand-in for `make demo`'s training job: trains a small LeNet on Fashion-MNIST with braid and writes the demo
contract's files, so the web page, the JavaScript tests and the benchmarks have a model before (or without) the
full demo run. The files and their meaning are those `make demo` writes into demo_out/:

  fashion_mnist-symbol.json, fashion_mnist-0000.params   input `data` (N,1,28,28) normalized, output softmax (N,10)
  samples.f32    the normalized sample test images, float32 little-endian, (N,1,28,28) C-order
  samples.json   {"shape", "labels", "python_predictions", "python_probs", "classes", "mean", "std"}

Fashion-MNIST comes from Debian's dataset-fashion-mnist package (/usr/share/datasets/fashion-mnist).
Usage: python examples/web/make_standin_model.py [--out demo_out] [--steps 300] [--samples 16]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time

import numpy as np

import braid as mx
from braid import autograd
from braid.gluon import nn

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
MEAN, STD = 0.2860, 0.3530
DATA_DIR = "/usr/share/datasets/fashion-mnist"


def load_idx(path: str) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def normalize(images: np.ndarray) -> np.ndarray:
    return ((images.astype(np.float32) / 255.0 - MEAN) / STD).reshape(-1, 1, 28, 28).astype(np.float32)


class LeNetProbs(mx.gluon.HybridBlock):
    """LeNet-5 (W4's layout) ending in softmax, so the exported graph outputs class probabilities."""

    def __init__(self) -> None:
        super().__init__()
        with self.name_scope():
            self.body = nn.HybridSequential()
            self.body.add(
                nn.Conv2D(6, 5, padding=2, activation="relu"),
                nn.MaxPool2D(2, 2),
                nn.Conv2D(16, 5, activation="relu"),
                nn.MaxPool2D(2, 2),
                nn.Flatten(),
                nn.Dense(120, activation="relu"),
                nn.Dense(84, activation="relu"),
                nn.Dense(10),
            )

    def hybrid_forward(self, F, x):
        return F.softmax(self.body(x))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="demo_out")
    ap.add_argument("--steps", type=int, default=300, help="SGD steps of batch 64")
    ap.add_argument("--samples", type=int, default=16, help="test images in samples.f32")
    args = ap.parse_args()
    if not os.path.isdir(DATA_DIR):
        print(f"Fashion-MNIST not found in {DATA_DIR}: apt-get install dataset-fashion-mnist", file=sys.stderr)
        return 1
    xtr = normalize(load_idx(f"{DATA_DIR}/train-images-idx3-ubyte.gz"))
    ytr = load_idx(f"{DATA_DIR}/train-labels-idx1-ubyte.gz").astype(np.float32)
    xte = normalize(load_idx(f"{DATA_DIR}/t10k-images-idx3-ubyte.gz"))
    yte = load_idx(f"{DATA_DIR}/t10k-labels-idx1-ubyte.gz").astype(np.int64)

    mx.random.seed(0)
    rng = np.random.RandomState(0)
    net = LeNetProbs()
    net.initialize(mx.init.Xavier())
    net.hybridize()
    net(mx.nd.array(xtr[:1]))  # the first call infers the parameters' shapes
    params = [p for p in net.collect_params().values() if p.grad_req != "null"]
    moms = [mx.nd.zeros(p.shape) for p in params]
    t0 = time.time()
    for _step in range(args.steps):
        idx = rng.randint(0, len(xtr), 64)
        x, y = mx.nd.array(xtr[idx]), mx.nd.array(ytr[idx])
        with autograd.record():
            probs = net(x)
            loss = -mx.nd.mean(mx.nd.log(mx.nd.pick(probs, y, axis=1) + 1e-8))
        loss.backward()
        for p, m in zip(params, moms):
            mx.nd.sgd_mom_update(p.data(), p.grad(), m, lr=0.05, momentum=0.9, out=p.data())
    test = net(mx.nd.array(xte[:2000])).asnumpy()
    acc = float((test.argmax(1) == yte[:2000]).mean())
    print(f"trained {args.steps} steps in {time.time() - t0:.1f} s; accuracy on 2000 test images {acc:.3f}")

    os.makedirs(args.out, exist_ok=True)
    net.export(os.path.join(args.out, "fashion_mnist"))
    sx = xte[: args.samples]
    # The predictions come from the exported files, as any other consumer of them sees them.
    pred = mx.Predictor(
        os.path.join(args.out, "fashion_mnist-symbol.json"),
        os.path.join(args.out, "fashion_mnist-0000.params"),
        {"data": sx.shape},
    )
    probs = pred.forward(data=sx)[0]
    sx.astype("<f4").tofile(os.path.join(args.out, "samples.f32"))
    meta = {
        "shape": list(sx.shape),
        "labels": [int(v) for v in yte[: args.samples]],
        "python_predictions": [int(v) for v in probs.argmax(1)],
        "python_probs": [[float(v) for v in row] for row in probs],
        "classes": CLASSES,
        "mean": MEAN,
        "std": STD,
    }
    with open(os.path.join(args.out, "samples.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(f"wrote the model and {args.samples} samples to {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
