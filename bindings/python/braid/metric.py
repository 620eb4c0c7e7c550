"""braid.metric: the evaluation metrics of :mod:`braid.gluon.metric` (MXNet 1.x's ``mx.metric``)."""

from __future__ import annotations

from .gluon.metric import (
    F1,
    MAE,
    MCC,
    MSE,
    RMSE,
    Accuracy,
    CompositeEvalMetric,
    CrossEntropy,
    CustomMetric,
    EvalMetric,
    Loss,
    NegativeLogLikelihood,
    PearsonCorrelation,
    Perplexity,
    TopKAccuracy,
    check_label_shapes,
    create,
    np,
    register,
)

__all__ = [
    "EvalMetric",
    "CompositeEvalMetric",
    "Accuracy",
    "TopKAccuracy",
    "F1",
    "MCC",
    "MAE",
    "MSE",
    "RMSE",
    "CrossEntropy",
    "NegativeLogLikelihood",
    "Perplexity",
    "PearsonCorrelation",
    "Loss",
    "CustomMetric",
    "np",
    "create",
    "register",
    "check_label_shapes",
]
