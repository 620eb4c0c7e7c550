"""Train on your own images: a folder per class (``root/<class>/*.jpg|png``), the layout of ImageFolderDataset.

    python examples/train_image_folder.py --root path/to/images [--epochs 5] [--size 32]

Without --root it first writes a small folder of PNG files from the Fashion-MNIST test set (Debian's
dataset-fashion-mnist), so the script runs anywhere. Images are resized, augmented with random flips, normalized,
fed by a DataLoader with worker processes, and a hybridized CNN is trained with the Estimator.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np

import braid as mx
from braid import gluon
from braid.gluon import nn
from braid.gluon.contrib.estimator import Estimator
from braid.gluon.data.vision import transforms


def write_sample_folder(root: str, per_class: int = 200) -> str:
    """Fashion-MNIST test images as PNG files in class-named folders (the format a user's own data has)."""
    from PIL import Image

    names = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"]
    test = gluon.data.vision.FashionMNIST(train=False)
    counts = dict.fromkeys(range(10), 0)
    for i in range(len(test)):
        img, label = test[i]
        label = int(label)
        if counts[label] >= per_class:
            continue
        d = os.path.join(root, names[label])
        os.makedirs(d, exist_ok=True)
        Image.fromarray(img[:, :, 0]).save(os.path.join(d, f"{i}.png"))
        counts[label] += 1
        if all(c >= per_class for c in counts.values()):
            break
    return root


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default=None)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--size", type=int, default=32, help="images are resized to size x size")
    ap.add_argument("--workers", type=int, default=0, help="DataLoader worker processes (see docs/data.md)")
    args = ap.parse_args()
    root = args.root or write_sample_folder(tempfile.mkdtemp(prefix="braid_images_"))

    dataset = gluon.data.vision.ImageFolderDataset(root, flag=1)
    print(f"{len(dataset)} images in {len(dataset.synsets)} classes: {dataset.synsets}")
    order = np.random.RandomState(0).permutation(len(dataset))
    n_val = len(dataset) // 5
    train_tf = transforms.Compose(
        [
            transforms.Resize(args.size),
            transforms.RandomFlipLeftRight(),
            transforms.ToTensor(),
            transforms.Normalize(0.5, 0.25),
        ]
    )
    val_tf = transforms.Compose([transforms.Resize(args.size), transforms.ToTensor(), transforms.Normalize(0.5, 0.25)])
    train = gluon.data.DataLoader(
        dataset.sample(order[n_val:]).transform_first(train_tf), batch_size=64, shuffle=True, num_workers=args.workers
    )
    val = gluon.data.DataLoader(dataset.sample(order[:n_val]).transform_first(val_tf), batch_size=128)

    net = nn.HybridSequential()
    net.add(
        nn.Conv2D(16, 3, padding=1, activation="relu"),
        nn.MaxPool2D(2),
        nn.Conv2D(32, 3, padding=1, activation="relu"),
        nn.MaxPool2D(2),
        nn.GlobalAvgPool2D(),
        nn.Dense(len(dataset.synsets)),
    )
    net.initialize(mx.init.Xavier())
    net.hybridize()
    est = Estimator(
        net,
        gluon.loss.SoftmaxCrossEntropyLoss(),
        mx.metric.Accuracy(),
        trainer=gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 3e-3}),
    )
    est.fit(train, val_data=val, epochs=args.epochs)
    print(f"validation accuracy: {est.evaluate(val)['accuracy']:.3f}")


if __name__ == "__main__":
    main()
