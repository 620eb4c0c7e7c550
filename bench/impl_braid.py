"""braid's side of the core workloads: W1 (eager dispatch), W2 (GEMM), EW (elementwise on 10^7 elements)."""

import harness  # noqa: I001 - pins thread counts before the framework loads

import braid as mx

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

    R["EW.add1e7"] = harness.measure(ew_add, 20, 3)
    R["EW.exp1e7"] = harness.measure(ew_exp, 20, 3)

harness.emit("braid", R, {"braid": mx.__version__, "engine": mx.engine_type()})
