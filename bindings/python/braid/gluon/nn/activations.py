"""Activation layers: Activation, LeakyReLU, PReLU, ELU, SELU, GELU, Swish, SiLU (MXNet 1.x signatures)."""

from __future__ import annotations

from typing import Any

from ... import initializer
from ..block import HybridBlock

__all__ = ["Activation", "LeakyReLU", "PReLU", "ELU", "SELU", "GELU", "Swish", "SiLU"]


class Activation(HybridBlock):
    """Applies an activation function: ``F.Activation(x, act_type=activation)``.

    Parameters
    ----------
    activation : str
        'relu', 'sigmoid', 'tanh', 'softrelu' or 'softsign'.
    """

    def __init__(self, activation: str, **kwargs: Any) -> None:
        if not isinstance(activation, str):
            raise TypeError(f"Activation: activation must be a str such as 'relu', got {activation!r}")
        self._act_type = activation
        super().__init__(**kwargs)

    def _alias(self) -> str:
        return self._act_type

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.Activation(x, act_type=self._act_type, name="fwd")

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self._act_type})"


class LeakyReLU(HybridBlock):
    """Leaky ReLU: ``x`` for x > 0, ``alpha * x`` otherwise.

    Parameters
    ----------
    alpha : float
        Slope of the negative part, >= 0.
    """

    def __init__(self, alpha: float, **kwargs: Any) -> None:
        if alpha < 0:
            raise ValueError(f"LeakyReLU: slope coefficient alpha must be >= 0, got {alpha}")
        super().__init__(**kwargs)
        self._alpha = float(alpha)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.LeakyReLU(x, act_type="leaky", slope=self._alpha, name="fwd")

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self._alpha})"


class PReLU(HybridBlock):
    """Parametric leaky ReLU with a learned slope ``alpha`` (one per channel when in_channels > 1).

    Parameters
    ----------
    alpha_initializer : Initializer
        Initializer of alpha (default Constant(0.25)).
    in_channels : int
        Number of slopes (channels, axis 1), default 1 (shared).
    """

    def __init__(self, alpha_initializer: Any = None, in_channels: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if alpha_initializer is None:
            alpha_initializer = initializer.Constant(0.25)
        with self.name_scope():
            self.alpha = self.params.get("alpha", shape=(in_channels,), init=alpha_initializer)

    def hybrid_forward(self, F: Any, x: Any, alpha: Any) -> Any:
        return F.LeakyReLU(x, gamma=alpha, act_type="prelu", name="fwd")


class ELU(HybridBlock):
    """Exponential linear unit: ``x`` for x > 0, ``alpha * (exp(x) - 1)`` otherwise."""

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._alpha = float(alpha)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.LeakyReLU(x, act_type="elu", slope=self._alpha)


class SELU(HybridBlock):
    """Scaled exponential linear unit (Klambauer et al. 2017)."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.LeakyReLU(x, act_type="selu", name="fwd")


class GELU(HybridBlock):
    """Gaussian error linear unit: ``x * Phi(x)``.

    Parameters
    ----------
    approximation : {'erf', 'tanh'}
        'erf' is exact; 'tanh' is the approximation ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.
    """

    def __init__(self, approximation: str = "erf", **kwargs: Any) -> None:
        if approximation not in ("erf", "tanh"):
            raise ValueError(f"GELU: approximation must be 'erf' or 'tanh', got {approximation!r}")
        super().__init__(**kwargs)
        self._approximation = approximation

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        if self._approximation == "erf":
            return F.LeakyReLU(x, act_type="gelu", name="fwd")
        inner = 0.7978845608028654 * (x + 0.044715 * (x * x * x))
        return 0.5 * x * (1.0 + F.tanh(inner))


class Swish(HybridBlock):
    """Swish: ``x * sigmoid(beta * x)`` (Ramachandran et al. 2017)."""

    def __init__(self, beta: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._beta = float(beta)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return x * F.sigmoid(self._beta * x, name="fwd")


class SiLU(HybridBlock):
    """Sigmoid linear unit: ``x * sigmoid(x)``."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return x * F.sigmoid(x, name="fwd")
