"""Gluon extras outside MXNet 1.x's core API: :mod:`~braid.gluon.contrib.checkpoint` (resumable training
checkpoints)."""

from __future__ import annotations

from . import checkpoint
from .checkpoint import load_checkpoint, save_checkpoint

__all__ = ["checkpoint", "save_checkpoint", "load_checkpoint"]
