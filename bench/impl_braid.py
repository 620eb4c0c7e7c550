"""braid's side of the core workloads: W1 (eager dispatch), W2 (GEMM), EW (elementwise on 10^7 elements)."""

import harness  # noqa: I001 - pins thread counts before the framework loads

import braid as mx
import mx_gluon_workloads
import mx_workloads

harness.emit(
    "braid",
    {
        **mx_workloads.run(mx),
        **mx_workloads.run_training(mx),
        **mx_workloads.run_lenet(mx),
        **mx_gluon_workloads.run(mx),
    },
    {"braid": mx.__version__, "engine": mx.engine_type()},
)
