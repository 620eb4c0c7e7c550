"""numpy's side of W2 and EW (the reference for GEMM and elementwise throughput)."""

import harness  # noqa: I001

import numpy as np

R = {}
if harness.selected("W2"):
    for n, iters, warm in ((1024, 10, 2), (2048, 3, 1)):
        x, y = harness.fixed_data((n, n)), harness.fixed_data((n, n), 1)
        out = np.empty((n, n), np.float32)

        def mm(k: int, x=x, y=y, out=out) -> None:
            for _ in range(k):
                np.matmul(x, y, out=out)

        R[f"W2.gemm{n}.numpy"] = harness.measure(mm, iters, warm, unit="per_s", work=2 * n**3 / 1e9)

if harness.selected("EW"):
    x, y = harness.fixed_data((10**7,)), harness.fixed_data((10**7,), 1)

    def ew_add(k: int) -> None:
        for _ in range(k):
            x + y

    def ew_exp(k: int) -> None:
        for _ in range(k):
            np.exp(x)

    R["EW.add1e7"] = harness.measure(ew_add, 20, 3)
    R["EW.exp1e7"] = harness.measure(ew_exp, 20, 3)

harness.emit("numpy", R, {"numpy": np.__version__})
