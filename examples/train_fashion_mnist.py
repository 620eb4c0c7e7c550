"""The main job of `make demo`: train a CNN on Fashion-MNIST with braid and export it.

    python examples/train_fashion_mnist.py [--epochs 8] [--batch-size 128] [--out demo_out]

Trains a small VGG-style CNN (two conv-BN-ReLU-pool stages, a dense layer with dropout), hybridized, on the
Fashion-MNIST training set minus a 5000-image validation split, with Adam. Progress bars (or log lines) show loss,
accuracy, samples/s and time left. It then reports test accuracy and writes into --out:

- curves.csv / curves.png   loss and accuracy per epoch (train and validation); tensorboard/ when tensorboardX is
                            installed
- fashion_mnist-symbol.json + fashion_mnist-0000.params   the model with a softmax output (MXNet's format),
  loadable by braid.Predictor, SymbolBlock.imports, the R package, the JavaScript package and MXNet 1.9.1
- samples.f32 + samples.json   a few normalized test images with Python's predictions, for the R and browser
  demos to check they predict the same labels
- checkpoint/   a resumable checkpoint of the last epoch
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

import braid as mx
from braid import gluon
from braid.gluon import nn
from braid.gluon.contrib.estimator import CheckpointHandler, CSVLogger, Estimator, TensorBoardLogger
from braid.gluon.data.vision import transforms

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
MEAN, STD = 0.2860, 0.3530  # of the Fashion-MNIST training pixels (scaled to [0, 1])


def build_net() -> nn.HybridSequential:
    net = nn.HybridSequential()
    net.add(
        nn.Conv2D(32, 3, padding=1),
        nn.BatchNorm(),
        nn.Activation("relu"),
        nn.MaxPool2D(2),
        nn.Conv2D(64, 3, padding=1),
        nn.BatchNorm(),
        nn.Activation("relu"),
        nn.MaxPool2D(2),
        nn.Flatten(),
        nn.Dense(256, activation="relu"),
        nn.Dropout(0.3),
        nn.Dense(10),
    )
    return net


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--out", default="demo_out")
    ap.add_argument("--root", default=None, help="folder with the Fashion-MNIST IDX files (default: Debian's)")
    ap.add_argument("--limit", type=int, default=None, help="use only this many training images (quick runs)")
    ap.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    ap.add_argument("--samples", type=int, default=16, help="test images exported for the R and web demos")
    args = ap.parse_args()

    mx.random.seed(42)
    rng = np.random.RandomState(42)
    try:
        full = gluon.data.vision.FashionMNIST(root=args.root, train=True)
        test = gluon.data.vision.FashionMNIST(root=args.root, train=False)
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    to_input = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    order = rng.permutation(len(full))
    if args.limit:
        order = order[: args.limit]
    n_val = min(5000, len(order) // 12)
    val_idx, train_idx = order[:n_val], order[n_val:]
    loader = gluon.data.DataLoader
    train_data = loader(
        full.sample(train_idx).transform_first(to_input),
        batch_size=args.batch_size,
        shuffle=True,
        last_batch="discard",
        num_workers=args.workers,
    )
    val_data = loader(full.sample(val_idx).transform_first(to_input), batch_size=512, num_workers=args.workers)
    test_data = loader(test.transform_first(to_input), batch_size=512, num_workers=args.workers)
    print(f"Fashion-MNIST: {len(train_idx)} training, {len(val_idx)} validation, {len(test)} test images")

    net = build_net()
    net.initialize(mx.init.Xavier(magnitude=2.0))
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": args.lr})
    steps = max(1, len(train_data) * args.epochs)
    trainer.optimizer.lr_scheduler = mx.lr_scheduler.CosineScheduler(
        max_update=steps, base_lr=args.lr, final_lr=args.lr * 0.05, warmup_steps=min(200, steps // 10)
    )
    est = Estimator(
        net,
        loss=gluon.loss.SoftmaxCrossEntropyLoss(),
        train_metrics=mx.metric.Accuracy(),
        val_metrics=mx.metric.Accuracy(),
        trainer=trainer,
    )
    os.makedirs(args.out, exist_ok=True)
    csv_path = os.path.join(args.out, "curves.csv")
    t0 = time.time()
    est.fit(
        train_data,
        val_data=val_data,
        epochs=args.epochs,
        event_handlers=[
            CSVLogger(csv_path),
            TensorBoardLogger(os.path.join(args.out, "tensorboard")),
            CheckpointHandler(os.path.join(args.out, "checkpoint"), "fashion_mnist", monitor="val_accuracy"),
        ],
    )
    minutes = (time.time() - t0) / 60
    result = est.evaluate(test_data)
    print(f"test accuracy {result['accuracy']:.4f} (loss {result['loss']:.4f}) after {minutes:.1f} min of training")
    try:
        png = mx.plot.plot_curves(csv_path, os.path.join(args.out, "curves.png"), title="Fashion-MNIST")
        print(f"curves: {csv_path}, {png}")
    except ImportError as e:
        print(f"curves: {csv_path} ({e})")

    # Export with a softmax output, so every deployment target gets probabilities.
    deploy = nn.HybridSequential()
    deploy.add(net, nn.HybridLambda(lambda F, x: F.softmax(x, axis=-1)))
    deploy.hybridize()
    picks = np.arange(args.samples)
    batch = mx.nd.stack(*[to_input(mx.nd.array(test[int(i)][0], dtype="uint8")) for i in picks])
    probs = deploy(batch)  # traces the deployment graph
    probs = deploy(batch).asnumpy()
    sym_file, params_file = deploy.export(os.path.join(args.out, "fashion_mnist"))
    x = batch.asnumpy().astype("<f4")
    x.tofile(os.path.join(args.out, "samples.f32"))
    info = {
        "shape": list(x.shape),
        "labels": [int(test[int(i)][1]) for i in picks],
        "python_predictions": [int(p) for p in probs.argmax(axis=1)],
        "python_probs": probs.tolist(),
        "classes": CLASSES,
        "mean": MEAN,
        "std": STD,
    }
    with open(os.path.join(args.out, "samples.json"), "w", encoding="utf-8") as f:
        json.dump(info, f)
    # The exported files alone reproduce Python's predictions.
    pred = mx.Predictor(sym_file, params_file, {"data": x.shape}).forward(data=x)[0]
    assert np.allclose(pred, probs, atol=1e-5), "the exported model disagrees with the network"
    shown = ", ".join(
        f"{CLASSES[p]}{'' if p == t else ' (true: ' + CLASSES[t] + ')'}"
        for p, t in zip(info["python_predictions"][:8], info["labels"][:8])
    )
    print(f"model: {sym_file}, {params_file}\nsample predictions: {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
