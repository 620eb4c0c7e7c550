"""Exports the W6 LeNet (the network of W4/W6 in the shared workload notes, with a softmax output) for the
JavaScript latency bench: OUT-symbol.json, OUT-0000.params, and beside them samples.f32 + samples.json (one
input image and braid's probabilities for it, which every implementation must reproduce before it is timed).
Weights are Xavier-initialised from a fixed seed: latency does not depend on training, and the bench needs no
dataset. Run with braid's venv: python bench/js/make_lenet.py OUT_PREFIX
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

import braid as mx

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mx_gluon_workloads  # noqa: E402  (bench/ is not a package)


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    prefix = sys.argv[1]
    mx.random.seed(0)
    nn = mx.gluon.nn
    net = nn.HybridSequential()
    net.add(mx_gluon_workloads.lenet(mx), nn.HybridLambda(lambda F, x: F.softmax(x, axis=-1)))
    net.initialize(mx.init.Xavier())
    net.hybridize()
    x = np.random.RandomState(0).standard_normal((1, 1, 28, 28)).astype("<f4")
    net(mx.nd.array(x))  # traces the graph
    probs = net(mx.nd.array(x)).asnumpy()
    net.export(prefix)
    out_dir = os.path.dirname(prefix) or "."
    x.tofile(os.path.join(out_dir, "samples.f32"))
    with open(os.path.join(out_dir, "samples.json"), "w", encoding="utf-8") as f:
        json.dump({"shape": list(x.shape), "python_probs": probs.tolist()}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
