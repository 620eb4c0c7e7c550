"""DataLoader throughput: braid vs PyTorch, side by side, on Fashion-MNIST (Debian's dataset-fashion-mnist).

    python bench/dataloader_bench.py [--passes 2] [--repeats 3] [--workers 2] [--batch-size 256] [--only L,T]

Each implementation runs in its own process (``--impl braid`` / ``--impl torch`` print one JSON line), and the
driver interleaves them and prints images/s with braid/torch ratios (> 1: braid delivers faster).

Workloads, 60000 training images per epoch in batches of 256, reshuffled each epoch, each image turned into a
normalised float32 (1, 28, 28) tensor (ToTensor + Normalize(0.2860, 0.3530)); workers persist across epochs
and one warm-up epoch runs first, so start-up is not timed:

- ``L.w{n}.per_sample``: one ``__getitem__`` per image and the default collate/batchify. braid: the dataset's
  ``transform_first`` with a plain function; torch: a Dataset whose ``__getitem__`` does the ToTensor +
  Normalize math with torch ops (what torchvision's transforms compute), ``persistent_workers=True``.
- ``L.w{n}.batched``: whole batches at once. braid: ``transform_first(Compose([ToTensor(), Normalize()]))``,
  which the DataLoader applies to index-sliced batches; torch: its idiom for in-memory data, a
  ``BatchSampler`` as sampler with ``batch_size=None`` and a Dataset indexing whole batches.
- ``T.*`` (braid only): LeNet-5 training steps/s on batches of 256 from a fixed batch, from the loader with
  the workers and from the loader in-process, timed in interleaved blocks, and (``wait_pct``) the share of the
  training loop's time spent waiting in ``next(loader)``: equal rates and a small share mean the loader is not
  the bottleneck.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any, Callable

import numpy as np

import harness  # pins thread counts; braid and torch are imported later, inside the runners

MEAN, STD = 0.2860, 0.3530
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _timed(run: Callable[[], int], repeats: int, max_wait: float) -> dict[str, Any]:
    """Items/s of `run` (which returns the items it processed) over `repeats` blocks after one warm-up."""
    run()
    vals, foreign = [], []
    for _ in range(repeats):
        foreign.append(harness.wait_for_idle(max_wait=max_wait))
        t = time.perf_counter()
        n = run()
        vals.append(n / (time.perf_counter() - t))
    med = statistics.median(vals)
    return {
        "value": med,
        "unit": "per_s",
        "runs": vals,
        "spread_pct": (max(vals) - min(vals)) / med * 100,
        "foreign_cores": foreign,
    }


# ---- braid ------------------------------------------------------------------------------------------------


def braid_to_tensor_normalize(img: np.ndarray) -> np.ndarray:
    """Per-image ToTensor + Normalize in numpy (module level, so worker processes can unpickle it)."""
    return (img.transpose(2, 0, 1).astype(np.float32) / 255.0 - MEAN) / STD


def run_braid(args: argparse.Namespace) -> dict[str, Any]:
    import braid as mx
    from braid.gluon.data import DataLoader
    from braid.gluon.data.vision import FashionMNIST, transforms

    train = FashionMNIST(train=True)
    batched = train.transform_first(transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)]))
    per_sample = train.transform_first(braid_to_tensor_normalize)
    results: dict[str, Any] = {}
    for workers in sorted({args.workers, 0}, reverse=True) if "L" in args.only else ():
        for name, ds in (("batched", batched), ("per_sample", per_sample)):
            loader = DataLoader(ds, batch_size=args.batch_size, shuffle=True, num_workers=workers)

            def epoch(loader: Any = loader) -> int:
                n = 0
                for x, _ in loader:
                    n += x.shape[0]
                mx.nd.waitall()
                return n

            results[f"L.w{workers}.{name}"] = _timed(epoch, args.repeats, args.max_wait)
            loader.close()
    if "T" in args.only:
        results.update(_braid_training(mx, batched, args))
    return results


def _lenet_step(mx: Any, batch: int) -> Callable[[Any, Any], None]:
    rng = np.random.RandomState(1)
    shapes = [(6, 1, 5, 5), (6,), (16, 6, 5, 5), (16,), (120, 400), (120,), (84, 120), (84,), (10, 84), (10,)]
    params = [mx.nd.array((rng.standard_normal(s) * 0.05).astype(np.float32)) for s in shapes]
    moms = [mx.nd.zeros(s) for s in shapes]
    for p in params:
        p.attach_grad()

    def lenet(x: Any, p: list) -> Any:
        h = mx.nd.Convolution(x, p[0], p[1], kernel=(5, 5), pad=(2, 2), num_filter=6)
        h = mx.nd.Pooling(mx.nd.relu(h), kernel=(2, 2), stride=(2, 2), pool_type="max")
        h = mx.nd.Convolution(h, p[2], p[3], kernel=(5, 5), num_filter=16)
        h = mx.nd.Pooling(mx.nd.relu(h), kernel=(2, 2), stride=(2, 2), pool_type="max")
        h = mx.nd.relu(mx.nd.FullyConnected(h, p[4], p[5], num_hidden=120))
        h = mx.nd.relu(mx.nd.FullyConnected(h, p[6], p[7], num_hidden=84))
        return mx.nd.FullyConnected(h, p[8], p[9], num_hidden=10)

    def step(x: Any, y: Any) -> None:
        with mx.autograd.record():
            loss = mx.nd.softmax_cross_entropy(lenet(x, params), y.astype("float32"))
        loss.backward()
        for p, m in zip(params, moms):
            mx.nd.sgd_mom_update(p, p.grad, m, out=p, lr=0.1 / batch, momentum=0.9)

    return step


def _braid_training(mx: Any, dataset: Any, args: argparse.Namespace) -> dict[str, Any]:
    from braid.gluon.data import DataLoader

    steps = args.train_steps
    bs = args.batch_size
    step = _lenet_step(mx, bs)
    x0, y0 = next(iter(DataLoader(dataset, batch_size=bs)))

    def fixed() -> int:
        for _ in range(steps):
            step(x0, y0)
        mx.nd.waitall()
        return steps

    class Feed:
        """Endless batches from a loader (a new epoch when one ends)."""

        def __init__(self, workers: int) -> None:
            self.loader = DataLoader(dataset, batch_size=bs, shuffle=True, num_workers=workers, last_batch="discard")
            self.it = iter(self.loader)
            self.waited = self.total = 0.0  # seconds spent in next(loader), and in the whole block

        def __call__(self) -> int:
            start = time.perf_counter()
            for _ in range(steps):
                t = time.perf_counter()
                try:
                    x, y = next(self.it)
                except StopIteration:
                    self.it = iter(self.loader)
                    x, y = next(self.it)
                self.waited += time.perf_counter() - t
                step(x, y)
            mx.nd.waitall()
            self.total += time.perf_counter() - start
            return steps

    variants = {"fixed_batch": fixed}
    for workers in sorted({args.workers, 0}, reverse=True):
        variants[f"loader_w{workers}"] = Feed(workers)
    # Interleaved blocks (fixed, loader, loader, fixed, ...) so that load from other processes hits all alike.
    timed = _timed_interleaved(variants, args.train_rounds, args.max_wait)
    out = {f"T.lenet_b256.{k}": v for k, v in timed.items()}
    for name, feed in variants.items():
        if isinstance(feed, Feed):  # the share of the training loop's time spent waiting for the loader
            out[f"T.lenet_b256.{name}.wait_pct"] = {"value": 100 * feed.waited / feed.total, "unit": "pct"}
            feed.loader.close()
    return out


def _timed_interleaved(runs: dict[str, Callable[[], int]], repeats: int, max_wait: float) -> dict[str, Any]:
    for run in runs.values():
        run()  # warm-up (starts the workers)
    vals: dict[str, list[float]] = {k: [] for k in runs}
    foreign: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            foreign[name].append(harness.wait_for_idle(max_wait=max_wait))
            t = time.perf_counter()
            n = run()
            vals[name].append(n / (time.perf_counter() - t))
    out = {}
    for name, v in vals.items():
        med = statistics.median(v)
        out[name] = {
            "value": med,
            "unit": "per_s",
            "runs": v,
            "spread_pct": (max(v) - min(v)) / med * 100,
            "foreign_cores": foreign[name],
        }
    return out


# ---- torch ------------------------------------------------------------------------------------------------


def _fashion_mnist_numpy() -> tuple[np.ndarray, np.ndarray]:
    import gzip

    root = "/usr/share/datasets/fashion-mnist"

    def idx(name: str) -> np.ndarray:
        with gzip.open(os.path.join(root, name), "rb") as f:
            data = f.read()
        ndim = data[3]
        shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
        return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)

    images = idx("train-images-idx3-ubyte.gz")[:, :, :, None].copy()
    labels = idx("train-labels-idx1-ubyte.gz").astype(np.int64)
    return images, labels


def run_torch(args: argparse.Namespace) -> dict[str, Any]:
    import torch
    from torch.utils.data import BatchSampler, DataLoader, Dataset, RandomSampler

    torch.set_num_threads(harness.THREADS)
    images, labels = _fashion_mnist_numpy()

    class PerSample(Dataset):
        """Per image: HWC uint8 -> CHW float in [0, 1] -> normalised (torchvision's ToTensor + Normalize)."""

        def __init__(self) -> None:
            self.x = torch.from_numpy(images)
            self.y = torch.from_numpy(labels)

        def __len__(self) -> int:
            return len(self.y)

        def __getitem__(self, i: int) -> Any:
            img = self.x[i].permute(2, 0, 1).float().div(255)
            return img.sub_(MEAN).div_(STD), self.y[i]

    class Batched(PerSample):
        def __getitem__(self, idx: list[int]) -> Any:
            i = torch.as_tensor(idx)
            img = self.x[i].permute(0, 3, 1, 2).float().div(255)
            return img.sub_(MEAN).div_(STD), self.y[i]

    results: dict[str, Any] = {}
    bs = args.batch_size
    for workers in sorted({args.workers, 0}, reverse=True) if "L" in args.only else ():
        extra = {"num_workers": workers, "persistent_workers": workers > 0}
        loaders = {
            "per_sample": DataLoader(PerSample(), batch_size=bs, shuffle=True, **extra),
            "batched": DataLoader(
                Batched(), sampler=BatchSampler(RandomSampler(range(len(labels))), bs, False), batch_size=None, **extra
            ),
        }
        for name, loader in loaders.items():

            def epoch(loader: Any = loader) -> int:
                n = 0
                for x, _ in loader:
                    n += x.shape[0]
                return n

            results[f"L.w{workers}.{name}"] = _timed(epoch, args.repeats, args.max_wait)
            del loader
        loaders.clear()
    return results


# ---- driver -----------------------------------------------------------------------------------------------


def _child(impl: str, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--impl",
        impl,
        "--workers",
        str(args.workers),
        "--batch-size",
        str(args.batch_size),
        "--repeats",
        str(args.repeats),
        "--max-wait",
        str(args.max_wait),
        "--train-steps",
        str(args.train_steps),
        "--train-rounds",
        str(args.train_rounds),
        "--only",
        ",".join(sorted(args.only)),
    ]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (HERE, os.environ.get("PYTHONPATH")) if p))
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        print(f"[{impl}] failed:\n{out.stderr[-3000:]}", file=sys.stderr)
        return {}
    return json.loads(out.stdout.strip().splitlines()[-1])["results"]


def _fmt(v: float | None) -> str:
    if v is None:
        return f"{'-':>12}"
    return f"{v:12.0f}" if v >= 100 else f"{v:12.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--impl", choices=("braid", "torch"), help="run one implementation and print JSON")
    ap.add_argument("--passes", type=int, default=2, help="interleaved passes of both implementations")
    ap.add_argument("--repeats", type=int, default=3, help="timed blocks per workload (median reported)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--train-steps", type=int, default=20, help="LeNet steps per timed block")
    ap.add_argument("--train-rounds", type=int, default=6, help="interleaved rounds of the training variants")
    ap.add_argument("--max-wait", type=float, default=30.0, help="seconds to wait for an idle machine per block")
    ap.add_argument("--only", default="L,T", help="workload groups: L (loader throughput), T (training)")
    args = ap.parse_args()
    args.only = set(args.only.split(","))
    if args.impl == "braid":
        import braid

        harness.emit("braid", run_braid(args), {"braid": braid.__version__})
        return
    if args.impl == "torch":
        import torch

        harness.emit("torch", run_torch(args), {"torch": torch.__version__})
        return
    impls = ("braid", "torch") if "L" in args.only else ("braid",)
    runs: dict[str, dict[str, list[float]]] = {i: {} for i in impls}
    for p in range(args.passes):
        for impl in impls:
            for name, r in _child(impl, args).items():
                runs[impl].setdefault(name, []).append(r["value"])
        print(f"pass {p + 1}/{args.passes} done", file=sys.stderr)
    names = sorted({n for r in runs.values() for n in r})
    print(f"{'workload':<34}{'unit':<10}{'braid':>12}{'torch':>12}{'braid/torch':>13}")
    for n in names:
        b = statistics.median(runs["braid"][n]) if n in runs["braid"] else None
        t = statistics.median(runs["torch"][n]) if n in runs.get("torch", {}) else None
        unit = "% of time" if n.endswith("wait_pct") else "steps/s" if n.startswith("T.") else "images/s"
        ratio = f"{b / t:13.2f}" if b and t else f"{'-':>13}"
        print(f"{n:<34}{unit:<10}{_fmt(b)}{_fmt(t)}{ratio}")
    print(json.dumps({"passes": args.passes, "runs": runs}))


if __name__ == "__main__":
    main()
