"""MXNet 1.9.1's side of the core workloads (runs in bench/.venv-mxnet); same code as braid's."""

import harness  # noqa: I001 - pins thread counts before the framework loads

import mx_gluon_workloads
import mx_workloads
import mxnet as mx

harness.emit(
    "mxnet",
    {
        **mx_workloads.run(mx),
        **mx_workloads.run_training(mx),
        **mx_workloads.run_lenet(mx),
        **mx_gluon_workloads.run(mx),
    },
    {"mxnet": mx.__version__},
)
