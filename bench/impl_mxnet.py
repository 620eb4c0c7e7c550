"""MXNet 1.9.1's side of W1 and W2 (runs in bench/.venv-mxnet)."""

import harness  # noqa: I001

import mxnet as mx

R = {}
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

    R["W1.add.eager"] = harness.measure(add, 20000, 1000)
    R["W1.chain.eager"] = harness.measure(chain, 20000, 1000)

if harness.selected("W2"):
    for n, iters, warm in ((1024, 10, 2), (2048, 3, 1)):
        x = mx.nd.array(harness.fixed_data((n, n)))
        y = mx.nd.array(harness.fixed_data((n, n), 1))

        def dot(k: int, x=x, y=y) -> None:
            for _ in range(k):
                mx.nd.dot(x, y)
            mx.nd.waitall()

        R[f"W2.gemm{n}.dot"] = harness.measure(dot, iters, warm, unit="per_s", work=2 * n**3 / 1e9)

harness.emit("mxnet", R, {"mxnet": mx.__version__})
