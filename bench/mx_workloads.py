"""W1/W2/EW written once against the MXNet NDArray API: braid runs them as `import braid as mx` and MXNet 1.9.1
runs the very same code, which is itself a compatibility check."""

from __future__ import annotations

from typing import Any

import harness


def run(mx: Any) -> dict[str, Any]:
    results: dict[str, Any] = {}
    if harness.selected("W1"):
        a = mx.nd.array(harness.fixed_data((16,)))
        b = mx.nd.array(harness.fixed_data((16,), 1))
        c = mx.nd.array(harness.fixed_data((16,), 2))

        def add(n: int) -> None:
            for _ in range(n):
                a + b
            mx.nd.waitall()

        def chain(n: int) -> None:
            for _ in range(n):
                a * b + c
            mx.nd.waitall()

        results["W1.add.eager"] = harness.measure(add, 20000, 1000)
        results["W1.chain.eager"] = harness.measure(chain, 20000, 1000)

    if harness.selected("W2"):
        for n, iters, warm in ((1024, 10, 2), (2048, 3, 1)):
            x = mx.nd.array(harness.fixed_data((n, n)))
            y = mx.nd.array(harness.fixed_data((n, n), 1))

            def dot(k: int, x: Any = x, y: Any = y) -> None:
                for _ in range(k):
                    mx.nd.dot(x, y)
                mx.nd.waitall()

            results[f"W2.gemm{n}.dot"] = harness.measure(dot, iters, warm, unit="per_s", work=2 * n**3 / 1e9)

    if harness.selected("EW"):
        x = mx.nd.array(harness.fixed_data((10**7,)))
        y = mx.nd.array(harness.fixed_data((10**7,), 1))

        def ew_add(k: int) -> None:
            for _ in range(k):
                x + y
            mx.nd.waitall()

        def ew_exp(k: int) -> None:
            for _ in range(k):
                mx.nd.exp(x)
            mx.nd.waitall()

        results["EW.add1e7"] = harness.measure(ew_add, 20, 3)
        results["EW.exp1e7"] = harness.measure(ew_exp, 20, 3)
    return results


def _train_steps(mx: Any, x_shape: tuple, shapes: list, forward: Any) -> Any:
    """A function running n SGD-momentum training steps of `forward(x, params) -> logits` on a fixed batch,
    with raw NDArray ops + autograd (no Gluon), so braid and MXNet run the same code."""
    import numpy as np

    batch = x_shape[0]
    x = mx.nd.array(harness.fixed_data(x_shape))
    y = mx.nd.array(np.random.RandomState(0).randint(0, 10, size=batch).astype(np.float32))
    rng = np.random.RandomState(1)
    params = [mx.nd.array((rng.standard_normal(s) * 0.05).astype(np.float32)) for s in shapes]
    moms = [mx.nd.zeros(s) for s in shapes]
    for p in params:
        p.attach_grad()

    def steps(n: int) -> None:
        for _ in range(n):
            with mx.autograd.record():
                loss = mx.nd.softmax_cross_entropy(forward(x, params), y)
            loss.backward()
            for p, m in zip(params, moms):
                mx.nd.sgd_mom_update(p, p.grad, m, out=p, lr=0.1 / batch, momentum=0.9)
        mx.nd.waitall()

    return steps


def run_training(mx: Any) -> dict[str, Any]:
    """W3 with raw NDArray ops and autograd (no Gluon): MLP 784-512-512-10, batch 128, SGD momentum."""
    if not harness.selected("W3"):
        return {}

    def mlp(x: Any, p: list) -> Any:
        h = mx.nd.relu(mx.nd.FullyConnected(x, p[0], p[1], num_hidden=512))
        h = mx.nd.relu(mx.nd.FullyConnected(h, p[2], p[3], num_hidden=512))
        return mx.nd.FullyConnected(h, p[4], p[5], num_hidden=10)

    shapes = [(512, 784), (512,), (512, 512), (512,), (10, 512), (10,)]
    step = _train_steps(mx, (128, 784), shapes, mlp)
    return {"W3.mlp_train.ops": harness.measure(step, 50, 10, unit="per_s", work=1.0)}


def run_lenet(mx: Any) -> dict[str, Any]:
    """W4 with raw NDArray ops and autograd (no Gluon): LeNet-5 on 1x28x28, batch 64, SGD momentum."""
    if not harness.selected("W4"):
        return {}

    def lenet(x: Any, p: list) -> Any:
        h = mx.nd.Convolution(x, p[0], p[1], kernel=(5, 5), pad=(2, 2), num_filter=6)
        h = mx.nd.Pooling(mx.nd.relu(h), kernel=(2, 2), stride=(2, 2), pool_type="max")
        h = mx.nd.Convolution(h, p[2], p[3], kernel=(5, 5), num_filter=16)
        h = mx.nd.Pooling(mx.nd.relu(h), kernel=(2, 2), stride=(2, 2), pool_type="max")
        h = mx.nd.relu(mx.nd.FullyConnected(h, p[4], p[5], num_hidden=120))
        h = mx.nd.relu(mx.nd.FullyConnected(h, p[6], p[7], num_hidden=84))
        return mx.nd.FullyConnected(h, p[8], p[9], num_hidden=10)

    shapes = [(6, 1, 5, 5), (6,), (16, 6, 5, 5), (16,), (120, 400), (120,), (84, 120), (84,), (10, 84), (10,)]
    step = _train_steps(mx, (64, 1, 28, 28), shapes, lenet)
    return {"W4.lenet_train.ops": harness.measure(step, 100, 10, unit="per_s", work=1.0)}
