"""A short tour of braid's NDArray API (what `make demo` runs until the training issues land)."""

import os
import tempfile
import time

import numpy as np

import braid as mx


def main() -> None:
    print(f"braid {mx.__version__}, engine {mx.engine_type()}, features {mx.features()}")

    a = mx.nd.array([[1, 2, 3], [4, 5, 6]])
    b = mx.nd.ones((2, 3)) * 2
    print("a + b =", (a + b).asnumpy().tolist())
    print("broadcast: a * [10, 20, 30] =", (a * mx.nd.array([10, 20, 30])).asnumpy().tolist())
    print("sum over axis 1:", mx.nd.sum(a, axis=1).asnumpy().tolist())
    print("a[:, 1:] (a view) =", a[:, 1:].asnumpy().tolist())
    c = a.reshape(3, 2)
    print("reshape(3, 2) =", c.asnumpy().tolist())
    print("dot(a, c) =", mx.nd.dot(a, c).asnumpy().tolist())

    mx.random.seed(42)
    r = mx.nd.random.uniform(shape=(2, 2))
    print("uniform(2, 2) with seed 42:", np.round(r.asnumpy(), 4).tolist())

    # Asynchrony: ops return at once; asnumpy()/waitall() wait for the result.
    x = mx.nd.ones((2000, 2000))
    t = time.perf_counter()
    for _ in range(5):
        x = mx.nd.dot(x, x) / 2000
    scheduled = time.perf_counter() - t
    mx.nd.waitall()
    print(
        f"5 matmuls of 2000x2000 scheduled in {scheduled * 1e3:.2f} ms, finished in "
        f"{(time.perf_counter() - t) * 1e3:.1f} ms"
    )

    # Errors name the op and the shapes.
    try:
        mx.nd.ones((2, 3)) + mx.nd.ones((4, 3))
    except mx.BraidError as e:
        print("error as expected:", e)

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "arrays.params")
        mx.nd.save(path, {"a": a, "r": r})
        back = mx.nd.load(path)
        print("saved and loaded (MXNet .params format):", sorted(back), back["a"].asnumpy().tolist())

    print("memory on cpu(0):", mx.cpu(0).memory_stats())


if __name__ == "__main__":
    main()
