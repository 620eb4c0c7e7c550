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
