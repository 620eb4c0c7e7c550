"""Hybridized vs eager Gluon training, interleaved in one process (the fairest comparison on a noisy machine).

    python bench/hybrid_vs_eager.py [--rounds 5] [--steps 60]

Builds W3's MLP and W4's LeNet once per mode, then alternates timed blocks of training steps between the modes
and prints the median steps/s of each and their ratio (> 1: hybridized is faster).
"""

from __future__ import annotations

import argparse
import statistics
import time

import mx_gluon_workloads as g

import harness  # pins thread counts before braid loads (braid is imported in main)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=60)
    args = ap.parse_args()
    print(f"threads: {harness.THREADS}")
    import braid as mx

    for name, make, shape in (("W3 MLP b128", g.mlp, (128, 784)), ("W4 LeNet b64", g.lenet, (64, 1, 28, 28))):
        fns = {m: g._train_fn(mx, make, shape, m) for m in ("eager", "hybrid")}
        for f in fns.values():
            f(10)
        rates: dict[str, list[float]] = {m: [] for m in fns}
        for _ in range(args.rounds):
            for m, f in fns.items():
                t = time.perf_counter()
                f(args.steps)
                rates[m].append(args.steps / (time.perf_counter() - t))
        e, h = statistics.median(rates["eager"]), statistics.median(rates["hybrid"])
        print(f"{name}: eager {e:.1f} steps/s, hybrid {h:.1f} steps/s, hybrid/eager {h / e:.2f}")


if __name__ == "__main__":
    main()
