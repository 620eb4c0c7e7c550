"""Shared timing harness for bench/ scripts (see ../shared/notes/workloads.md for the workload definitions).

Every implementation script (impl_*.py) imports this module *before* its framework so thread counts are pinned,
runs its workloads through `measure`, and prints one JSON object. `compare.py` runs the implementations side by
side and prints ratios.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from typing import Any, Callable


def pin_threads() -> int:
    n = int(os.environ.get("BENCH_THREADS", "2"))
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(n)
    return n


THREADS = pin_threads()


def _cpu_busy() -> tuple[float, float]:
    with open("/proc/stat") as f:
        parts = f.readline().split()[1:]
    vals = [float(x) for x in parts]
    idle = vals[3] + vals[4]
    return sum(vals) - idle, vals[7] if len(vals) > 7 else 0.0


def wait_for_idle(max_wait: float = 120.0, window: float = 1.0, limit: float = 0.3) -> float:
    """Waits until other processes use less than `limit` cores; returns the foreign load seen last."""
    hz = os.sysconf("SC_CLK_TCK")
    deadline = time.time() + max_wait
    foreign = 0.0
    while True:
        b0, _ = _cpu_busy()
        t0 = os.times()
        time.sleep(window)
        b1, _ = _cpu_busy()
        t1 = os.times()
        own = (t1.user + t1.system - t0.user - t0.system) * hz
        foreign = max(0.0, (b1 - b0 - own) / hz / window)
        if foreign < limit or time.time() > deadline:
            return foreign


def fixed_data(shape: tuple[int, ...], seed: int = 0) -> Any:
    import numpy as np

    return np.random.RandomState(seed).standard_normal(shape).astype(np.float32)


def measure(
    run: Callable[[int], None],
    iters: int,
    warmup: int,
    repeats: int = 3,
    unit: str = "us_per_iter",
    work: float = 1.0,
) -> dict[str, Any]:
    """Times `run(iters)` `repeats` times after one `run(warmup)`.

    unit 'us_per_iter' reports microseconds per iteration; 'per_s' reports work*iters/second (e.g. GFLOP/s
    when work is GFLOP per iteration).
    """
    run(warmup)
    vals = []
    foreign = []
    for _ in range(repeats):
        foreign.append(wait_for_idle())
        t = time.perf_counter()
        run(iters)
        dt = time.perf_counter() - t
        vals.append(dt / iters * 1e6 if unit == "us_per_iter" else work * iters / dt)
    med = statistics.median(vals)
    return {
        "value": med,
        "unit": unit,
        "runs": vals,
        "min": min(vals),
        "max": max(vals),
        "spread_pct": (max(vals) - min(vals)) / med * 100 if med else 0.0,
        "foreign_cores": foreign,
    }


def emit(impl: str, results: dict[str, Any], versions: dict[str, str]) -> None:
    print(
        json.dumps(
            {
                "impl": impl,
                "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "threads": THREADS,
                "versions": {"python": sys.version.split()[0], **versions},
                "machine": platform.machine(),
                "results": results,
            }
        )
    )


def selected(name: str) -> bool:
    """BENCH_ONLY=W1,W2 restricts the run to workloads whose name starts with one of the prefixes."""
    only = os.environ.get("BENCH_ONLY")
    return not only or any(name.startswith(p) for p in only.split(","))
