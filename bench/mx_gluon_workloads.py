"""Gluon workloads written once against MXNet 1.x's API (W1 hybrid, W3/W4 eager and hybridized training, W5
ResNet-18, W6 batch-1 latency): braid runs them as `import braid as mx`, MXNet 1.9.1 runs the same code.

Training steps use the per-parameter fused `sgd_mom_update` op (what Gluon's Trainer calls) on the per-sample
softmax cross-entropy of Gluon's loss, `L.backward()`, lr 0.1 / batch, momentum 0.9.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

import harness

MODES = ("eager", "hybrid")


def _modes() -> list[str]:
    import os

    return os.environ.get("BENCH_MODES", ",".join(MODES)).split(",")


def mlp(mx: Any) -> Any:
    nn = mx.gluon.nn
    net = nn.HybridSequential()
    net.add(nn.Dense(512, activation="relu"), nn.Dense(512, activation="relu"), nn.Dense(10))
    return net


def lenet(mx: Any) -> Any:
    nn = mx.gluon.nn
    net = nn.HybridSequential()
    net.add(
        nn.Conv2D(6, 5, padding=2, activation="relu"),
        nn.MaxPool2D(2, 2),
        nn.Conv2D(16, 5, activation="relu"),
        nn.MaxPool2D(2, 2),
        nn.Dense(120, activation="relu"),
        nn.Dense(84, activation="relu"),
        nn.Dense(10),
    )
    return net


def resnet18(mx: Any) -> Any:
    nn = mx.gluon.nn

    class Basic(mx.gluon.HybridBlock):
        def __init__(self, channels: int, stride: int, proj: bool) -> None:
            super().__init__()
            self.c1 = nn.Conv2D(channels, 3, strides=stride, padding=1, use_bias=False)
            self.b1 = nn.BatchNorm()
            self.c2 = nn.Conv2D(channels, 3, padding=1, use_bias=False)
            self.b2 = nn.BatchNorm()
            self.proj = None
            if proj:
                self.proj = nn.HybridSequential()
                self.proj.add(nn.Conv2D(channels, 1, strides=stride, use_bias=False), nn.BatchNorm())

        def hybrid_forward(self, F: Any, x: Any) -> Any:
            y = F.Activation(self.b1(self.c1(x)), act_type="relu")
            y = self.b2(self.c2(y))
            short = self.proj(x) if self.proj is not None else x
            return F.Activation(y + short, act_type="relu")

    net = nn.HybridSequential()
    net.add(nn.Conv2D(64, 3, padding=1, use_bias=False), nn.BatchNorm(), nn.Activation("relu"))
    cin = 64
    for width, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        net.add(Basic(width, stride, stride != 1 or cin != width), Basic(width, 1, False))
        cin = width
    net.add(nn.GlobalAvgPool2D(), nn.Dense(10))
    return net


def _prepare(mx: Any, make: Any, x_shape: tuple, mode: str) -> tuple:
    mx.random.seed(0)
    net = make(mx)
    net.initialize(mx.init.Xavier())
    x = mx.nd.array(harness.fixed_data(x_shape))
    net(x)  # finishes deferred initialization
    if mode != "eager":
        net.hybridize(static_alloc=mode == "hybrid_static", static_shape=mode == "hybrid_static")
    return net, x


def _train_fn(mx: Any, make: Any, x_shape: tuple, mode: str) -> Any:
    net, x = _prepare(mx, make, x_shape, mode)
    batch = x_shape[0]
    y = mx.nd.array(np.random.RandomState(0).randint(0, 10, size=batch).astype(np.float32))
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss() if hasattr(mx.gluon, "loss") else None
    params = [p for p in net.collect_params().values() if p.grad_req != "null"]
    moms = [mx.nd.zeros(p.shape) for p in params]

    def steps(n: int) -> None:
        for _ in range(n):
            with mx.autograd.record():
                out = net(x)
                loss = loss_fn(out, y) if loss_fn is not None else mx.nd.softmax_cross_entropy(out, y)
            loss.backward()
            for p, m in zip(params, moms):
                w = p.data()
                mx.nd.sgd_mom_update(w, p.grad(), m, out=w, lr=0.1 / batch, momentum=0.9)
        mx.nd.waitall()

    return steps


def _infer_fn(mx: Any, make: Any, x_shape: tuple, mode: str) -> Any:
    net, x = _prepare(mx, make, x_shape, mode)

    def run(n: int) -> None:
        for _ in range(n):
            net(x)
        mx.nd.waitall()

    return run


def _latency(mx: Any, make: Any, x_shape: tuple, mode: str) -> dict:
    net, x = _prepare(mx, make, x_shape, mode)
    for _ in range(200):
        net(x).wait_to_read()
    blocks = []
    for _ in range(3):
        harness.wait_for_idle()
        times = []
        for _ in range(2000):
            t = time.perf_counter()
            net(x).wait_to_read()
            times.append(time.perf_counter() - t)
        blocks.append(float(np.median(times)) * 1e6)
    blocks.sort()
    return {"value": blocks[1], "unit": "us_per_iter", "runs": blocks}


def run(mx: Any) -> dict[str, Any]:
    results: dict[str, Any] = {}
    modes = _modes()
    if harness.selected("W1") and "hybrid" in modes:

        class Chain(mx.gluon.HybridBlock):
            def hybrid_forward(self, F: Any, a: Any, b: Any, c: Any) -> Any:
                return a * b + c

        chain = Chain()
        chain.hybridize()
        a, b, c = (mx.nd.array(harness.fixed_data((16,), s)) for s in range(3))

        def hyb(n: int) -> None:
            for _ in range(n):
                chain(a, b, c)
            mx.nd.waitall()

        results["W1.chain.hybrid"] = harness.measure(hyb, 20000, 1000)
    for mode in modes:
        if harness.selected("W3"):
            f = _train_fn(mx, mlp, (128, 784), mode)
            results[f"W3.mlp_train.{mode}"] = harness.measure(f, 50, 10, unit="per_s", work=1.0)
        if harness.selected("W4"):
            f = _train_fn(mx, lenet, (64, 1, 28, 28), mode)
            results[f"W4.lenet_train.{mode}"] = harness.measure(f, 100, 10, unit="per_s", work=1.0)
        if harness.selected("W5"):
            f = _infer_fn(mx, resnet18, (32, 3, 32, 32), mode)
            results[f"W5.resnet18_infer.{mode}"] = harness.measure(f, 6, 2, unit="per_s", work=32.0)
            f = _train_fn(mx, resnet18, (32, 3, 32, 32), mode)
            results[f"W5.resnet18_train.{mode}"] = harness.measure(f, 4, 2, unit="per_s", work=32.0)
        if harness.selected("W6"):
            results[f"W6.mlp_latency.{mode}"] = _latency(mx, mlp, (1, 784), mode)
            results[f"W6.lenet_latency.{mode}"] = _latency(mx, lenet, (1, 1, 28, 28), mode)
    return results
