"""Random number generation: ``braid.random.seed`` and the samplers of ``braid.nd.random``.

Each device has its own counter-based stream (Philox), so a seed gives the same numbers whatever the number of
threads, and cpu(0) and cpu(1) draw different numbers.
"""

from __future__ import annotations

from typing import Any

from ._lib import check, lib
from .context import Context


def seed(seed_state: int, ctx: Context | str = "all") -> None:
    """Seeds the random streams of every device (ctx='all') or of one device."""
    s = int(seed_state) & 0xFFFFFFFFFFFFFFFF
    if isinstance(ctx, str):
        if ctx != "all":
            raise ValueError(f"seed: ctx must be a Context or 'all', got {ctx!r}")
        check(lib.braid_random_seed(s, 0, 0))
    else:
        check(lib.braid_random_seed(s, ctx.device_typeid, ctx.device_id))


def get_state(ctx: Context | None = None) -> dict:
    """The exact position of the random streams: of ctx's device, or of every device that exists in this process
    (cpu(0), cpu(1), and each GPU). Pass it to :func:`set_state` to draw the same numbers again (checkpoints)."""
    from ._lib import ffi
    from .context import cpu, gpu, num_gpus

    ctxs = [ctx] if ctx is not None else [cpu(0), cpu(1)] + [gpu(i) for i in range(num_gpus())]
    key, counter = ffi.new("uint64_t*"), ffi.new("uint64_t*")
    state = {}
    for c in ctxs:
        check(lib.braid_random_get_state(c.device_typeid, c.device_id, key, counter))
        state[str(c)] = (int(key[0]), int(counter[0]))
    return state


def set_state(state: dict) -> None:
    """Restores stream positions returned by :func:`get_state`."""
    from .context import Context as _Ctx

    for name, (key, counter) in state.items():
        kind, _, idx = name.partition("(")
        c = _Ctx(kind, int(idx.rstrip(")")))
        check(lib.braid_random_set_state(c.device_typeid, c.device_id, int(key), int(counter)))


def __getattr__(name: str) -> Any:
    # uniform, normal, randint come from braid.nd.random (MXNet's argument conventions); other names fall back
    # to the registry's ops (random_<name>, then <name>). Looked up lazily to avoid an import cycle.
    from .ndarray import op
    from .ndarray import random as nd_random

    fn = getattr(nd_random, name, None) if name in nd_random.__all__ else None
    fn = fn or getattr(op, "random_" + name, None) or getattr(op, name, None)
    if fn is None:
        raise AttributeError(f"braid.random has no attribute {name!r}")
    return fn
