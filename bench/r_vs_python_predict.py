"""R vs Python: predicting a batch of Fashion-MNIST images with the demo model (issue: R package).

Times ``braid.Predictor.forward`` in Python and ``predict()`` from the braid R package (bench/r_predict.R) on
the same model, batch (256 images by default) and thread settings, in interleaved rounds, and prints the
median time per batch of each and the ratio R / Python (the target is at most 1.1). Both timings include the
conversion of the input and output (numpy float32 needs none; R converts doubles in Python's axis order).

The model is demo_out/fashion_mnist (written by `make demo`); without it, an untrained LeNet stand-in is
exported to a temporary folder by bindings/r/tools/demo_standin.py. The R package must be installed
(`make r-install`, into build/r-lib). Run from the repository root::

    .venv/bin/python bench/r_vs_python_predict.py [--demo-out demo_out] [--batch 256] [--rounds 5]

The Python package sets GOMP_SPINCOUNT=1000 before libgomp starts; R starts libgomp itself, before any
package loads, so R runs with the spin it was started with. --r-env NAME=VALUE adds settings to R's
environment to compare (e.g. GOMP_SPINCOUNT=1000).
"""

import harness  # noqa: I001 - pins thread counts before the framework loads

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import braid as mx

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def model_dir(demo_out: str, tmp: str) -> str:
    if os.path.exists(os.path.join(demo_out, "fashion_mnist-symbol.json")):
        return demo_out
    print(f"{demo_out}/ has no model: exporting an untrained LeNet stand-in", file=sys.stderr)
    subprocess.run(
        [sys.executable, os.path.join(ROOT, "bindings", "r", "tools", "demo_standin.py"), "--out", tmp],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return tmp


def batch(directory: str, n: int) -> np.ndarray:
    """n images: the saved samples, repeated."""
    with open(os.path.join(directory, "samples.json"), encoding="utf-8") as f:
        shape = json.load(f)["shape"]
    samples = np.fromfile(os.path.join(directory, "samples.f32"), dtype="<f4").reshape(shape)
    reps = -(-n // shape[0])
    return np.ascontiguousarray(np.concatenate([samples] * reps)[:n])


def python_blocks(pred: mx.Predictor, x: np.ndarray, iters: int, blocks: int) -> list[float]:
    out = []
    for _ in range(blocks):
        t = time.perf_counter()
        for _ in range(iters):
            pred.forward(data=x)
        out.append((time.perf_counter() - t) / iters * 1000)
    return out


def r_blocks(prefix: str, xfile: str, n: int, iters: int, blocks: int, yfile: str, env: dict) -> list[float]:
    cmd = ["Rscript", os.path.join(HERE, "r_predict.R"), prefix, xfile, str(n), str(iters), str(blocks), yfile]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"R benchmark failed:\n{res.stdout}\n{res.stderr}")
    return [float(line.split()[2]) for line in res.stdout.splitlines() if line.startswith("block ")]


def main() -> None:
    ap = argparse.ArgumentParser(description="R vs Python prediction time with the demo model")
    ap.add_argument("--demo-out", default=os.path.join(ROOT, "demo_out"))
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--iters", type=int, default=20, help="predictions per timed block")
    ap.add_argument("--blocks", type=int, default=3, help="timed blocks per round and language")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved Python/R rounds")
    ap.add_argument("--r-lib", default=os.path.join(ROOT, "build", "r-lib"))
    ap.add_argument("--r-env", action="append", default=[], metavar="NAME=VALUE", help="extra environment for R")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        directory = model_dir(args.demo_out, os.path.join(tmp, "standin"))
        prefix = os.path.join(directory, "fashion_mnist")
        x = batch(directory, args.batch)
        xfile, yfile = os.path.join(tmp, "x.f32"), os.path.join(tmp, "y.f32")
        x.astype("<f4").tofile(xfile)
        pred = mx.Predictor(prefix + "-symbol.json", prefix + "-0000.params", {"data": x.shape})
        for _ in range(5):
            ref = pred.forward(data=x)[0]
        env = dict(os.environ)
        env["R_LIBS"] = args.r_lib + (os.pathsep + env["R_LIBS"] if env.get("R_LIBS") else "")
        for kv in args.r_env:
            k, _, v = kv.partition("=")
            env[k] = v
        py, r = [], []
        for _ in range(args.rounds):
            harness.wait_for_idle()
            py += python_blocks(pred, x, args.iters, args.blocks)
            harness.wait_for_idle()
            r += r_blocks(prefix, xfile, args.batch, args.iters, args.blocks, yfile, env)
        diff = float(np.abs(np.fromfile(yfile, dtype="<f4").reshape(ref.shape) - ref).max())

    py_med, r_med = statistics.median(py), statistics.median(r)
    print(f"model: {prefix} (batch {args.batch}, {harness.THREADS} threads)")
    print(f"python braid.Predictor.forward: median {py_med:.3f} ms per batch (min {min(py):.3f}, max {max(py):.3f})")
    print(f"R predict():                   median {r_med:.3f} ms per batch (min {min(r):.3f}, max {max(r):.3f})")
    print(f"ratio R / Python: {r_med / py_med:.3f} (target <= 1.1); max |R - Python| output difference {diff:.2g}")
    if diff > 1e-5:
        raise SystemExit("R's output differs from Python's")


if __name__ == "__main__":
    main()
