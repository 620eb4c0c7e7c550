"""braid.metric: the evaluation metrics of :mod:`braid.gluon.metric` (MXNet 1.x's ``mx.metric``)."""

from __future__ import annotations

from .gluon import metric as _impl
from .gluon.metric import *  # noqa: F403 - the same names, listed once in gluon.metric.__all__

__all__ = list(_impl.__all__)
