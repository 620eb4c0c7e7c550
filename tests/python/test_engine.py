"""The dependency engine seen from Python: asynchrony, sync points, memory reuse, lifetimes, threads and
back-pressure. Runs under both engines (BRAID_ENGINE_TYPE); tests that need asynchrony skip under NaiveEngine.
Memory checks use contexts no other test allocates on, so the pool statistics move only because of the test.
"""

import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import braid as mx

THREADED = mx.engine_type() == "ThreadedEngine"
needs_threaded = pytest.mark.skipif(not THREADED, reason="NaiveEngine runs every op synchronously")


def chain_of_matmuls(n: int = 768, steps: int = 8) -> mx.NDArray:
    """steps dependent products of n x n matrices: tens of milliseconds each, so some are still queued when
    the loop returns. x stays (1/n)-filled: ones(n,n)/n @ ones(n,n)/n == ones(n,n)/n."""
    x = mx.nd.ones((n, n)) / n
    y = x
    for _ in range(steps):
        y = mx.nd.dot(y, x)
    return y


@needs_threaded
def test_ops_return_before_they_finish():
    mx.waitall()
    y = chain_of_matmuls()
    # Right after pushing, the chain cannot be done: every product waits for the one before it.
    assert mx.engine.num_pending() > 0
    mx.waitall()
    assert mx.engine.num_pending() == 0
    np.testing.assert_allclose(y.asnumpy(), np.full((768, 768), 1 / 768, np.float32), rtol=1e-4)


def test_waitall_waits_for_everything():
    ys = [chain_of_matmuls(256, 4) for _ in range(3)]
    mx.waitall()
    assert mx.engine.num_pending() == 0
    for y in ys:
        np.testing.assert_allclose(y.asnumpy(), np.full((256, 256), 1 / 256, np.float32), rtol=1e-4)


def test_wait_to_read_gives_the_final_value():
    x = mx.nd.zeros((1000,))
    for _ in range(50):
        x += 1
    x.wait_to_read()
    np.testing.assert_array_equal(x.asnumpy(), np.full(1000, 50, np.float32))
    x.wait_to_write()
    x[:] = 3
    np.testing.assert_array_equal(x.asnumpy(), np.full(1000, 3, np.float32))


def test_memory_returns_to_the_pool_after_arrays_die():
    ctx = mx.cpu(11)
    mx.waitall()
    before = ctx.memory_stats()
    nbytes = 1024 * 1024 * 4  # 4 MiB of float32: a whole number of pool blocks
    a = mx.nd.ones((1024, 1024), ctx=ctx)
    b = a * 2 + 1
    mid = ctx.memory_stats()
    assert mid["bytes_in_use"] >= before["bytes_in_use"] + 2 * nbytes  # a, b (and a temporary, maybe)
    assert mid["peak_bytes_in_use"] >= mid["bytes_in_use"]
    np.testing.assert_array_equal(b.asnumpy()[0, :3], [3, 3, 3])
    del a, b
    mx.waitall()  # pending ops release their references to the arrays when they finish
    after = ctx.memory_stats()
    assert after["bytes_in_use"] == before["bytes_in_use"]
    assert after["bytes_cached"] >= before["bytes_cached"] + 2 * nbytes
    # The next array of that size is served from the pool, not by the system allocator.
    c = mx.nd.empty((1024, 1024), ctx=ctx)
    assert ctx.memory_stats()["num_pool_hits"] > after["num_pool_hits"]
    del c


def test_array_dropped_while_ops_are_pending_stays_valid():
    ctx = mx.cpu(12)
    mx.waitall()
    before = ctx.memory_stats()["bytes_in_use"]
    a = mx.nd.ones((512, 512), ctx=ctx)
    y = a
    for _ in range(6):
        y = mx.nd.dot(y, a) / 512  # reads a long after the Python object is gone
    del a
    np.testing.assert_allclose(y.asnumpy(), np.ones((512, 512), np.float32), rtol=1e-5)
    del y
    mx.waitall()
    assert ctx.memory_stats()["bytes_in_use"] == before


def test_views_keep_storage_alive_after_the_base_is_deleted():
    ctx = mx.cpu(13)
    mx.waitall()
    before = ctx.memory_stats()["bytes_in_use"]
    base = mx.nd.array(np.arange(4096, dtype=np.float32).reshape(64, 64), ctx=ctx)
    row = base[3]
    flat = base.reshape((4096,))
    assert row.context == ctx and row.shape == (64,)
    base += 1  # through the base, ordered before reads through the views
    del base
    mx.waitall()
    in_use = ctx.memory_stats()["bytes_in_use"]
    assert in_use > before
    np.testing.assert_array_equal(row.asnumpy(), np.arange(192, 256, dtype=np.float32) + 1)
    flat[:] = 0  # a write through one view is seen through the other
    np.testing.assert_array_equal(row.asnumpy(), np.zeros(64, np.float32))
    del row
    mx.waitall()
    assert ctx.memory_stats()["bytes_in_use"] == in_use  # flat still holds the storage
    del flat
    mx.waitall()
    assert ctx.memory_stats()["bytes_in_use"] == before


def test_many_threads_pushing_concurrently():
    n_threads, steps = 8, 40
    shared = mx.nd.array(np.arange(1000, dtype=np.float32))  # read by every thread
    total = mx.nd.zeros((1000,))  # updated in place by every thread
    results, errors = {}, []

    def work(t):
        try:
            x = shared * t
            own = mx.nd.zeros((1000,))
            for _ in range(steps):
                x = x + 1
                own += shared
                total.__iadd__(1)  # in place: each of these must apply exactly once
            results[t] = (x.asnumpy(), own.asnumpy())
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(n_threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
        assert not th.is_alive(), "a pushing thread hung"
    assert not errors, errors
    base = np.arange(1000, dtype=np.float32)
    for t in range(n_threads):
        np.testing.assert_array_equal(results[t][0], base * t + steps)
        np.testing.assert_array_equal(results[t][1], base * steps)
    np.testing.assert_array_equal(total.asnumpy(), np.full(1000, n_threads * steps, np.float32))


_BACK_PRESSURE = textwrap.dedent(
    """
    import braid as mx
    bound = {bound}
    a = mx.nd.ones((512, 512))
    y = a
    for _ in range(6):
        y = mx.nd.dot(y, a) / 512  # slow products (far slower than pushing `bound` updates) ...
    x = y[0]  # ... that a view of their result, and so every update of it, must wait for
    highest = 0
    for _ in range(100_000):
        x += 1
        highest = max(highest, mx.engine.num_pending())
    mx.waitall()
    assert highest <= bound, (highest, bound)
    assert x.asnumpy()[[0, -1]].tolist() == [100_001.0, 100_001.0]
    print(highest)
    """
)


def test_back_pressure_bounds_pending_ops():
    # The bound is read once per process: the 100k tiny ops run in a fresh interpreter with a small bound.
    bound = 64
    env = dict(os.environ, BRAID_ENGINE_MAX_PENDING=str(bound))
    proc = subprocess.run(
        [sys.executable, "-c", _BACK_PRESSURE.format(bound=bound)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    highest = int(proc.stdout.split()[-1])
    if THREADED:
        assert highest == bound  # the updates queued behind the products until the bound stopped the producer
    else:
        assert highest == 0
