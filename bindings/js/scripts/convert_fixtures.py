"""Converts the MXNet 1.9.1 model fixtures' inputs and outputs (tests/fixtures/mxnet_models/*-io.npz) into JSON
that the node tests read (bindings/js/test/fixtures/*-io.json): {"x": {"shape", "data"}, "y": {"shape", "data"}}.

Run from the repository root: python bindings/js/scripts/convert_fixtures.py (numpy only; the output is committed).
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SRC = os.path.join(ROOT, "tests", "fixtures", "mxnet_models")
DST = os.path.join(ROOT, "bindings", "js", "test", "fixtures")


def tensor(a: np.ndarray) -> dict:
    a = np.ascontiguousarray(a, dtype=np.float32)
    # float32 -> Python float is exact, and json writes the shortest text that reads back to the same double.
    return {"shape": list(a.shape), "data": [float(v) for v in a.ravel()]}


def main() -> int:
    os.makedirs(DST, exist_ok=True)
    names = sorted(f[: -len("-io.npz")] for f in os.listdir(SRC) if f.endswith("-io.npz"))
    if not names:
        print(f"no *-io.npz in {SRC}", file=sys.stderr)
        return 1
    for name in names:
        io = np.load(os.path.join(SRC, f"{name}-io.npz"))
        out = {"model": name, "x": tensor(io["x"]), "y": tensor(io["y"])}
        with open(os.path.join(DST, f"{name}-io.json"), "w") as f:
            json.dump(out, f, separators=(",", ":"))
            f.write("\n")
        print(f"{name}: x {out['x']['shape']} y {out['y']['shape']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
