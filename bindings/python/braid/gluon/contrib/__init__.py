"""Gluon extras: :mod:`~braid.gluon.contrib.checkpoint` (resumable training checkpoints) and
:mod:`~braid.gluon.contrib.estimator` (a training loop with progress, logging and checkpoints)."""

from __future__ import annotations

from . import checkpoint, estimator
from .checkpoint import load_checkpoint, save_checkpoint

__all__ = ["checkpoint", "estimator", "save_checkpoint", "load_checkpoint"]
