"""braid: a deep-learning framework in the tradition of Apache MXNet.

Imperative NDArrays scheduled by an asynchronous dependency engine, on CPUs (OpenMP, BLAS) and GPUs, through
one stable C ABI shared by the Python, R and JavaScript bindings. Existing MXNet code runs with
``import braid as mx``.
"""

from __future__ import annotations

from . import (
    autograd,
    context,
    gluon,
    initializer,
    io,
    lr_scheduler,
    metric,
    monitor,
    ndarray,
    optimizer,
    plot,
    random,
    recordio,
    symbol,
    test_utils,
)
from . import initializer as init
from . import ndarray as nd
from . import symbol as sym
from .base import (
    BraidDeviceError,
    BraidError,
    BraidIndexError,
    BraidIOError,
    BraidMemoryError,
    BraidNotImplementedError,
    BraidTypeError,
    BraidValueError,
)
from .context import Context, Device, cpu, current_context, gpu, num_gpus
from .dtypes import bfloat16
from .engine import engine_type, get_num_threads, set_num_threads
from .ndarray import NDArray, waitall
from .predictor import Predictor
from .version import __version__, features

MXNetError = BraidError  # MXNet scripts catch mx.base.MXNetError


def _drain_at_exit() -> None:
    # Let scheduled ops finish before the interpreter tears down the process under the engine's workers.
    from ._lib import lib

    lib.braid_waitall()


import atexit as _atexit  # noqa: E402

_atexit.register(_drain_at_exit)

__all__ = [
    "BraidError",
    "BraidValueError",
    "BraidTypeError",
    "BraidIndexError",
    "BraidIOError",
    "BraidDeviceError",
    "BraidMemoryError",
    "BraidNotImplementedError",
    "MXNetError",
    "Context",
    "Device",
    "NDArray",
    "Predictor",
    "bfloat16",
    "cpu",
    "gpu",
    "current_context",
    "num_gpus",
    "nd",
    "ndarray",
    "sym",
    "symbol",
    "random",
    "autograd",
    "context",
    "gluon",
    "init",
    "initializer",
    "io",
    "recordio",
    "test_utils",
    "optimizer",
    "lr_scheduler",
    "metric",
    "monitor",
    "plot",
    "waitall",
    "engine_type",
    "set_num_threads",
    "get_num_threads",
    "features",
    "__version__",
]
