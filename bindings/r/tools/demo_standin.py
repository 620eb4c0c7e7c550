"""Writes a stand-in for `make demo`'s output, for developing and testing the R package without the training job.

It exports an *untrained* Gluon LeNet (softmax output) and a batch of Fashion-MNIST test images in the demo's
format: ``fashion_mnist-symbol.json``, ``fashion_mnist-0000.params``, ``samples.f32`` (float32 little-endian,
(N, 1, 28, 28), C order, normalized) and ``samples.json`` (shape, labels, python_predictions, python_probs,
classes, mean, std). Images come from Debian's dataset-fashion-mnist when it is installed, else they are
random (labels too). The real files come from the demo's training job; this script never overwrites them
unless --force is given::

    PYTHONPATH=bindings/python .venv/bin/python bindings/r/tools/demo_standin.py --out build/demo_standin
"""

from __future__ import annotations

import argparse
import gzip
import json
import os

import numpy as np

import braid as mx
from braid import gluon
from braid.gluon import nn

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST's training-set pixel statistics (pixels scaled to [0, 1])
IDX_DIR = "/usr/share/datasets/fashion-mnist"


class LeNet(gluon.HybridBlock):
    def __init__(self) -> None:
        super().__init__()
        with self.name_scope():
            self.features = nn.HybridSequential()
            self.features.add(
                nn.Conv2D(6, 5, padding=2, activation="relu"),
                nn.MaxPool2D(2, 2),
                nn.Conv2D(16, 5, activation="relu"),
                nn.MaxPool2D(2, 2),
                nn.Flatten(),
                nn.Dense(120, activation="relu"),
                nn.Dense(84, activation="relu"),
                nn.Dense(10),
            )

    def hybrid_forward(self, F, x):  # noqa: N803 (MXNet's name for the op namespace)
        return F.softmax(self.features(x), axis=-1)


def read_idx(path: str) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def test_images(n: int, rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
    images = os.path.join(IDX_DIR, "t10k-images-idx3-ubyte.gz")
    if os.path.exists(images):
        x = read_idx(images)[:n].astype(np.float32) / 255.0
        y = read_idx(os.path.join(IDX_DIR, "t10k-labels-idx1-ubyte.gz"))[:n].astype(np.int64)
    else:
        x = rng.uniform(size=(n, 28, 28)).astype(np.float32)
        y = rng.randint(0, 10, size=n)
    return ((x - MEAN) / STD).reshape(n, 1, 28, 28).astype(np.float32), y


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="demo_out")
    ap.add_argument("--n", type=int, default=32, help="number of sample images")
    ap.add_argument("--force", action="store_true", help="overwrite an existing model in --out")
    args = ap.parse_args()
    prefix = os.path.join(args.out, "fashion_mnist")
    if os.path.exists(prefix + "-symbol.json") and not args.force:
        raise SystemExit(f"{prefix}-symbol.json exists (the demo's own model?); use --force to replace it")
    os.makedirs(args.out, exist_ok=True)
    mx.random.seed(3)
    rng = np.random.RandomState(3)
    net = LeNet()
    net.initialize(mx.init.Xavier())
    net.hybridize()
    x, labels = test_images(args.n, rng)
    for _ in range(2):  # the first pass finishes the deferred initialization, the second traces the graph
        net(mx.nd.array(x))
    net.export(prefix)
    # The reference numbers come from the exported files, as a deployed Python program would compute them.
    pred = mx.Predictor(prefix + "-symbol.json", prefix + "-0000.params", {"data": x.shape})
    probs = pred.forward(data=x)[0]
    x.astype("<f4").tofile(os.path.join(args.out, "samples.f32"))
    meta = {
        "shape": list(x.shape),
        "labels": [int(v) for v in labels],
        "python_predictions": [int(v) for v in probs.argmax(axis=1)],
        "python_probs": [[float(v) for v in row] for row in probs],
        "classes": CLASSES,
        "mean": MEAN,
        "std": STD,
    }
    with open(os.path.join(args.out, "samples.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f)
    print(f"wrote an untrained LeNet and {args.n} samples to {args.out}")


if __name__ == "__main__":
    main()
