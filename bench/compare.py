"""Runs braid and its peers side by side (interleaved passes) and prints each workload with ratios.

    python bench/compare.py [--passes 3] [--only W1,W2,EW] [--impls braid,torch,mxnet,numpy]

Each implementation runs in its own process (its own venv for MXNet). Lower is better for us_per_iter, higher
for per_s. Ratios are braid relative to each peer, in the direction where > 1 means braid is better.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PYTHONS = {
    "braid": os.path.join(ROOT, ".venv", "bin", "python"),
    "numpy": os.path.join(ROOT, ".venv", "bin", "python"),
    "torch": os.path.join(HERE, ".venv-torch", "bin", "python"),
    "mxnet": os.path.join(HERE, ".venv-mxnet", "bin", "python"),
}


def run_impl(impl: str, only: str) -> dict:
    env = dict(os.environ, PYTHONPATH=HERE, BENCH_ONLY=only)
    out = subprocess.run(
        [PYTHONS[impl], os.path.join(HERE, f"impl_{impl}.py")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        print(f"[{impl}] failed:\n{out.stderr[-2000:]}", file=sys.stderr)
        return {}
    return json.loads(out.stdout.strip().splitlines()[-1])["results"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--only", default="W1,W2,EW")
    ap.add_argument("--impls", default="braid,torch,mxnet,numpy")
    args = ap.parse_args()
    impls = [i for i in args.impls.split(",") if os.path.exists(PYTHONS[i])]
    runs: dict[str, dict[str, list[float]]] = {i: {} for i in impls}
    units: dict[str, str] = {}
    for p in range(args.passes):
        for impl in impls:
            for name, r in run_impl(impl, args.only).items():
                key = name.replace(".numpy", ".dot") if impl == "numpy" else name
                runs[impl].setdefault(key, []).append(r["value"])
                units[key] = r["unit"]
        print(f"pass {p + 1}/{args.passes} done", file=sys.stderr)
    names = sorted({n for i in impls for n in runs[i]})
    header = f"{'workload':<22}{'unit':<13}" + "".join(f"{i:>11}" for i in impls)
    peers = [i for i in impls if i != "braid"]
    header += "".join(f"{'braid/' + i:>13}" for i in peers)
    print(header)
    for n in names:
        med = {i: statistics.median(runs[i][n]) for i in impls if n in runs[i]}
        unit = "us/iter" if units[n] == "us_per_iter" else "GFLOP/s" if n.startswith("W2") else "steps/s"
        row = f"{n:<22}{unit:<13}" + "".join(f"{med[i]:>11.3g}" if i in med else f"{'-':>11}" for i in impls)
        for i in peers:
            if "braid" in med and i in med:
                # > 1 means braid is better: faster time or higher throughput.
                ratio = med[i] / med["braid"] if units[n] == "us_per_iter" else med["braid"] / med[i]
                row += f"{ratio:>13.2f}"
            else:
                row += f"{'-':>13}"
        print(row)
    print("\n(ratios: > 1 means braid is better; medians over passes; per-pass values in the JSON of each impl)")


if __name__ == "__main__":
    main()
