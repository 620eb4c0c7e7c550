"""Neural-network layers of Gluon (``braid.gluon.nn``), MXNet 1.x compatible."""

from __future__ import annotations

from ..block import Block, HybridBlock  # MXNet exposes them here too
from .activations import *  # noqa: F403
from .activations import __all__ as _act_all
from .basic_layers import *  # noqa: F403
from .basic_layers import __all__ as _basic_all
from .conv_layers import *  # noqa: F403
from .conv_layers import __all__ as _conv_all

__all__ = ["Block", "HybridBlock"] + _basic_all + _conv_all + _act_all
