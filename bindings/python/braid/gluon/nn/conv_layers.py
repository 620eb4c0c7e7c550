"""Convolution and pooling layers (MXNet 1.x signatures; channel-first layouts NCW, NCHW, NCDHW)."""

from __future__ import annotations

from typing import Any, Sequence, Union

from ... import ndarray as _nd
from ..block import HybridBlock
from .activations import Activation

__all__ = [
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    "ReflectionPad2D",
]

IntOrTuple = Union[int, Sequence[int]]
_LAYOUTS = {1: "NCW", 2: "NCHW", 3: "NCDHW"}


def _tuple(v: IntOrTuple, n: int, what: str, layer: str) -> tuple[int, ...]:
    if isinstance(v, int):
        return (v,) * n
    t = tuple(int(i) for i in v)
    if len(t) != n:
        raise ValueError(f"{layer}: {what} must be a number or a list of {n} ints, got {v!r}")
    return t


def _check_layout(layout: str, n: int, layer: str) -> None:
    if layout != _LAYOUTS[n]:
        raise ValueError(
            f"{layer}: layout {layout!r} is not supported by braid; {n}-D layers use the channel-first layout "
            f"{_LAYOUTS[n]!r}"
        )


class _Conv(HybridBlock):
    """Shared implementation of Convolution / Deconvolution layers."""

    def __init__(
        self,
        channels: int,
        kernel_size: tuple,
        strides: IntOrTuple,
        padding: IntOrTuple,
        dilation: IntOrTuple,
        groups: int,
        layout: str,
        in_channels: int = 0,
        activation: str | None = None,
        use_bias: bool = True,
        weight_initializer: Any = None,
        bias_initializer: Any = "zeros",
        op_name: str = "Convolution",
        adj: tuple | None = None,
        prefix: str | None = None,
        params: Any = None,
    ) -> None:
        super().__init__(prefix=prefix, params=params)
        n = len(kernel_size)
        cls = type(self).__name__
        _check_layout(layout, n, cls)
        with self.name_scope():
            self._channels = int(channels)
            self._in_channels = int(in_channels)
            self._groups = int(groups)
            strides = _tuple(strides, n, "strides", cls)
            padding = _tuple(padding, n, "padding", cls)
            dilation = _tuple(dilation, n, "dilation", cls)
            self._op_name = op_name
            self._kwargs: dict[str, Any] = {
                "kernel": tuple(kernel_size),
                "stride": strides,
                "dilate": dilation,
                "pad": padding,
                "num_filter": self._channels,
                "num_group": self._groups,
                "no_bias": not use_bias,
                "layout": layout,
            }
            if adj is not None:
                self._kwargs["adj"] = tuple(adj)
            self.weight = self.params.get(
                "weight",
                shape=self._weight_shape(self._in_channels),
                init=weight_initializer,
                allow_deferred_init=True,
            )
            if use_bias:
                self.bias = self.params.get(
                    "bias", shape=(self._channels,), init=bias_initializer, allow_deferred_init=True
                )
            else:
                self.bias = None
            if activation is not None:
                self.act = Activation(activation, prefix=activation + "_")
            else:
                self.act = None

    def _alias(self) -> str:
        return "conv"

    def _weight_shape(self, in_channels: int) -> tuple[int, ...]:
        k = self._kwargs["kernel"]
        if self._op_name == "Convolution":
            return (self._channels, in_channels // self._groups if in_channels else 0) + k
        return (in_channels, self._channels // self._groups) + k

    def _weight_in_channels(self, wshape: tuple) -> int:
        return wshape[1] * self._groups if self._op_name == "Convolution" else wshape[0]

    def infer_shape(self, x: Any, *args: Any) -> None:
        """Sets in_channels from x.shape[1]."""
        c = int(x.shape[1])
        if self._op_name == "Convolution" and c % self._groups:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': groups={self._groups} does not divide the {c} input channels"
            )
        self.weight.shape = self._weight_shape(c)

    def hybrid_forward(self, F: Any, x: Any, weight: Any, bias: Any = None) -> Any:
        if F is _nd:
            n = len(self._kwargs["kernel"])
            if x.ndim != n + 2:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': expected a {n + 2}-D input ({self._kwargs['layout']}), "
                    f"got shape {x.shape}"
                )
            want = self._weight_in_channels(weight.shape)
            if x.shape[1] != want:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': input of shape {x.shape} has {x.shape[1]} channels, but "
                    f"parameter '{self.weight.name}' has shape {weight.shape}, i.e. in_channels={want}"
                )
        op = getattr(F, self._op_name)
        if bias is None:
            act = op(x, weight, name="fwd", **self._kwargs)
        else:
            act = op(x, weight, bias, name="fwd", **self._kwargs)
        if self.act is not None:
            act = self.act(act)
        return act

    def __repr__(self) -> str:
        k = self._kwargs
        n = len(k["kernel"])
        s = f"{self.__class__.__name__}({{mapping}}, kernel_size={k['kernel']}, stride={k['stride']}"
        if k["pad"] != (0,) * n:
            s += f", padding={k['pad']}"
        if k["dilate"] != (1,) * n:
            s += f", dilation={k['dilate']}"
        if "adj" in k and k["adj"] != (0,) * n:
            s += f", output_padding={k['adj']}"
        if k["num_group"] != 1:
            s += f", groups={k['num_group']}"
        if self.bias is None:
            s += ", bias=False"
        if self.act:
            s += f", {self.act}"
        s += ")"
        cin = self._weight_in_channels(self.weight.shape)
        return s.format(mapping=f"{cin if cin else None} -> {self._channels}")


class Conv1D(_Conv):
    """1-D convolution over (batch, channels, width) inputs.

    Parameters
    ----------
    channels : int
        Number of output channels.
    kernel_size : int or tuple of 1 int
        Window size.
    strides, padding, dilation : int or tuple of 1 int
        Stride, zero padding on both sides, dilation.
    groups : int
        Number of channel groups.
    layout : str
        'NCW' only.
    activation : str, optional
        Activation applied to the output.
    use_bias : bool
        Whether to add a bias.
    weight_initializer, bias_initializer
        Initializers (bias default 'zeros').
    in_channels : int
        Input channels; 0 infers it from the first input.

    The weight has shape (channels, in_channels // groups, kernel).
    """

    def __init__(
        self,
        channels: int,
        kernel_size: IntOrTuple,
        strides: IntOrTuple = 1,
        padding: IntOrTuple = 0,
        dilation: IntOrTuple = 1,
        groups: int = 1,
        layout: str = "NCW",
        activation: str | None = None,
        use_bias: bool = True,
        weight_initializer: Any = None,
        bias_initializer: Any = "zeros",
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        kernel_size = _tuple(kernel_size, 1, "kernel_size", "Conv1D")
        super().__init__(
            channels, kernel_size, strides, padding, dilation, groups, layout, in_channels, activation, use_bias,
            weight_initializer, bias_initializer, **kwargs,
        )  # fmt: skip


class Conv2D(_Conv):
    """2-D convolution over (batch, channels, height, width) inputs.

    Parameters
    ----------
    channels : int
        Number of output channels.
    kernel_size : int or tuple of 2 ints
        Window size.
    strides, padding, dilation : int or tuple of 2 ints
        Stride, zero padding on both sides, dilation.
    groups : int
        Number of channel groups.
    layout : str
        'NCHW' only.
    activation : str, optional
        Activation applied to the output.
    use_bias : bool
        Whether to add a bias.
    weight_initializer, bias_initializer
        Initializers (bias default 'zeros').
    in_channels : int
        Input channels; 0 infers it from the first input.

    The weight has shape (channels, in_channels // groups, kh, kw).
    """

    def __init__(
        self,
        channels: int,
        kernel_size: IntOrTuple,
        strides: IntOrTuple = (1, 1),
        padding: IntOrTuple = (0, 0),
        dilation: IntOrTuple = (1, 1),
        groups: int = 1,
        layout: str = "NCHW",
        activation: str | None = None,
        use_bias: bool = True,
        weight_initializer: Any = None,
        bias_initializer: Any = "zeros",
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        kernel_size = _tuple(kernel_size, 2, "kernel_size", "Conv2D")
        super().__init__(
            channels, kernel_size, strides, padding, dilation, groups, layout, in_channels, activation, use_bias,
            weight_initializer, bias_initializer, **kwargs,
        )  # fmt: skip


class Conv3D(_Conv):
    """3-D convolution over (batch, channels, depth, height, width) inputs; see :class:`Conv2D`.

    The weight has shape (channels, in_channels // groups, kd, kh, kw).
    """

    def __init__(
        self,
        channels: int,
        kernel_size: IntOrTuple,
        strides: IntOrTuple = (1, 1, 1),
        padding: IntOrTuple = (0, 0, 0),
        dilation: IntOrTuple = (1, 1, 1),
        groups: int = 1,
        layout: str = "NCDHW",
        activation: str | None = None,
        use_bias: bool = True,
        weight_initializer: Any = None,
        bias_initializer: Any = "zeros",
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        kernel_size = _tuple(kernel_size, 3, "kernel_size", "Conv3D")
        super().__init__(
            channels, kernel_size, strides, padding, dilation, groups, layout, in_channels, activation, use_bias,
            weight_initializer, bias_initializer, **kwargs,
        )  # fmt: skip


class _ConvTranspose(_Conv):
    def __init__(self, n: int, name: str, channels: int, kernel_size: IntOrTuple, output_padding: IntOrTuple,
                 *args: Any, **kwargs: Any) -> None:  # fmt: skip
        kernel_size = _tuple(kernel_size, n, "kernel_size", name)
        output_padding = _tuple(output_padding, n, "output_padding", name)
        super().__init__(channels, kernel_size, *args, op_name="Deconvolution", adj=output_padding, **kwargs)
        self.outpad = output_padding


class Conv1DTranspose(_ConvTranspose):
    """1-D transposed convolution (deconvolution); the weight has shape (in_channels, channels // groups, k).

    Arguments as :class:`Conv1D`, plus output_padding (added to one side of the output).
    """

    def __init__(
        self,
        channels: int,
        kernel_size: IntOrTuple,
        strides: IntOrTuple = 1,
        padding: IntOrTuple = 0,
        output_padding: IntOrTuple = 0,
        dilation: IntOrTuple = 1,
        groups: int = 1,
        layout: str = "NCW",
        activation: str | None = None,
        use_bias: bool = True,
        weight_initializer: Any = None,
        bias_initializer: Any = "zeros",
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            1, "Conv1DTranspose", channels, kernel_size, output_padding, strides, padding, dilation, groups,
            layout, in_channels, activation, use_bias, weight_initializer, bias_initializer, **kwargs,
        )  # fmt: skip


class Conv2DTranspose(_ConvTranspose):
    """2-D transposed convolution (deconvolution); the weight has shape (in_channels, channels // groups, kh,
    kw). Output size: (in - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1 + output_padding.

    Arguments as :class:`Conv2D`, plus output_padding.
    """

    def __init__(
        self,
        channels: int,
        kernel_size: IntOrTuple,
        strides: IntOrTuple = (1, 1),
        padding: IntOrTuple = (0, 0),
        output_padding: IntOrTuple = (0, 0),
        dilation: IntOrTuple = (1, 1),
        groups: int = 1,
        layout: str = "NCHW",
        activation: str | None = None,
        use_bias: bool = True,
        weight_initializer: Any = None,
        bias_initializer: Any = "zeros",
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            2, "Conv2DTranspose", channels, kernel_size, output_padding, strides, padding, dilation, groups,
            layout, in_channels, activation, use_bias, weight_initializer, bias_initializer, **kwargs,
        )  # fmt: skip


class Conv3DTranspose(_ConvTranspose):
    """3-D transposed convolution; arguments as :class:`Conv3D`, plus output_padding."""

    def __init__(
        self,
        channels: int,
        kernel_size: IntOrTuple,
        strides: IntOrTuple = (1, 1, 1),
        padding: IntOrTuple = (0, 0, 0),
        output_padding: IntOrTuple = (0, 0, 0),
        dilation: IntOrTuple = (1, 1, 1),
        groups: int = 1,
        layout: str = "NCDHW",
        activation: str | None = None,
        use_bias: bool = True,
        weight_initializer: Any = None,
        bias_initializer: Any = "zeros",
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            3, "Conv3DTranspose", channels, kernel_size, output_padding, strides, padding, dilation, groups,
            layout, in_channels, activation, use_bias, weight_initializer, bias_initializer, **kwargs,
        )  # fmt: skip


# ---- pooling -----------------------------------------------------------------------------------------------


class _Pooling(HybridBlock):
    """Shared implementation of the pooling layers (``F.Pooling``)."""

    def __init__(
        self,
        pool_size: tuple,
        strides: IntOrTuple | None,
        padding: IntOrTuple,
        ceil_mode: bool,
        global_pool: bool,
        pool_type: str,
        layout: str,
        count_include_pad: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        n = len(pool_size)
        cls = type(self).__name__
        _check_layout(layout, n, cls)
        if strides is None:
            strides = pool_size
        self._kwargs: dict[str, Any] = {
            "kernel": tuple(pool_size),
            "stride": _tuple(strides, n, "strides", cls),
            "pad": _tuple(padding, n, "padding", cls),
            "global_pool": bool(global_pool),
            "pool_type": pool_type,
            "layout": layout,
            "pooling_convention": "full" if ceil_mode else "valid",
        }
        if count_include_pad is not None:
            self._kwargs["count_include_pad"] = bool(count_include_pad)

    def _alias(self) -> str:
        return "pool"

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.Pooling(x, name="fwd", **self._kwargs)

    def __repr__(self) -> str:
        k = self._kwargs
        return (
            f"{self.__class__.__name__}(size={k['kernel']}, stride={k['stride']}, padding={k['pad']}, "
            f"ceil_mode={k['pooling_convention'] == 'full'}, global_pool={k['global_pool']}, "
            f"pool_type={k['pool_type']}, layout={k['layout']})"
        )


class MaxPool1D(_Pooling):
    """Max pooling over (batch, channels, width): windows of pool_size, moved by strides (default
    pool_size), with zero padding; ceil_mode rounds the output size up."""

    def __init__(
        self,
        pool_size: IntOrTuple = 2,
        strides: IntOrTuple | None = None,
        padding: IntOrTuple = 0,
        layout: str = "NCW",
        ceil_mode: bool = False,
        **kwargs: Any,
    ) -> None:
        pool_size = _tuple(pool_size, 1, "pool_size", "MaxPool1D")
        super().__init__(pool_size, strides, padding, ceil_mode, False, "max", layout, **kwargs)


class MaxPool2D(_Pooling):
    """Max pooling over (batch, channels, height, width); see :class:`MaxPool1D`."""

    def __init__(
        self,
        pool_size: IntOrTuple = (2, 2),
        strides: IntOrTuple | None = None,
        padding: IntOrTuple = 0,
        layout: str = "NCHW",
        ceil_mode: bool = False,
        **kwargs: Any,
    ) -> None:
        pool_size = _tuple(pool_size, 2, "pool_size", "MaxPool2D")
        super().__init__(pool_size, strides, padding, ceil_mode, False, "max", layout, **kwargs)


class MaxPool3D(_Pooling):
    """Max pooling over (batch, channels, depth, height, width); see :class:`MaxPool1D`."""

    def __init__(
        self,
        pool_size: IntOrTuple = (2, 2, 2),
        strides: IntOrTuple | None = None,
        padding: IntOrTuple = 0,
        ceil_mode: bool = False,
        layout: str = "NCDHW",
        **kwargs: Any,
    ) -> None:
        pool_size = _tuple(pool_size, 3, "pool_size", "MaxPool3D")
        super().__init__(pool_size, strides, padding, ceil_mode, False, "max", layout, **kwargs)


class AvgPool1D(_Pooling):
    """Average pooling over (batch, channels, width); count_include_pad=False excludes the padding from the
    averages."""

    def __init__(
        self,
        pool_size: IntOrTuple = 2,
        strides: IntOrTuple | None = None,
        padding: IntOrTuple = 0,
        layout: str = "NCW",
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        **kwargs: Any,
    ) -> None:
        pool_size = _tuple(pool_size, 1, "pool_size", "AvgPool1D")
        super().__init__(pool_size, strides, padding, ceil_mode, False, "avg", layout, count_include_pad, **kwargs)


class AvgPool2D(_Pooling):
    """Average pooling over (batch, channels, height, width); see :class:`AvgPool1D`."""

    def __init__(
        self,
        pool_size: IntOrTuple = (2, 2),
        strides: IntOrTuple | None = None,
        padding: IntOrTuple = 0,
        ceil_mode: bool = False,
        layout: str = "NCHW",
        count_include_pad: bool = True,
        **kwargs: Any,
    ) -> None:
        pool_size = _tuple(pool_size, 2, "pool_size", "AvgPool2D")
        super().__init__(pool_size, strides, padding, ceil_mode, False, "avg", layout, count_include_pad, **kwargs)


class AvgPool3D(_Pooling):
    """Average pooling over (batch, channels, depth, height, width); see :class:`AvgPool1D`."""

    def __init__(
        self,
        pool_size: IntOrTuple = (2, 2, 2),
        strides: IntOrTuple | None = None,
        padding: IntOrTuple = 0,
        ceil_mode: bool = False,
        layout: str = "NCDHW",
        count_include_pad: bool = True,
        **kwargs: Any,
    ) -> None:
        pool_size = _tuple(pool_size, 3, "pool_size", "AvgPool3D")
        super().__init__(pool_size, strides, padding, ceil_mode, False, "avg", layout, count_include_pad, **kwargs)


class GlobalMaxPool1D(_Pooling):
    """Max over the whole width: (N, C, W) -> (N, C, 1)."""

    def __init__(self, layout: str = "NCW", **kwargs: Any) -> None:
        super().__init__((1,), None, 0, True, True, "max", layout, **kwargs)


class GlobalMaxPool2D(_Pooling):
    """Max over the spatial axes: (N, C, H, W) -> (N, C, 1, 1)."""

    def __init__(self, layout: str = "NCHW", **kwargs: Any) -> None:
        super().__init__((1, 1), None, 0, True, True, "max", layout, **kwargs)


class GlobalMaxPool3D(_Pooling):
    """Max over the spatial axes: (N, C, D, H, W) -> (N, C, 1, 1, 1)."""

    def __init__(self, layout: str = "NCDHW", **kwargs: Any) -> None:
        super().__init__((1, 1, 1), None, 0, True, True, "max", layout, **kwargs)


class GlobalAvgPool1D(_Pooling):
    """Mean over the whole width: (N, C, W) -> (N, C, 1)."""

    def __init__(self, layout: str = "NCW", **kwargs: Any) -> None:
        super().__init__((1,), None, 0, True, True, "avg", layout, **kwargs)


class GlobalAvgPool2D(_Pooling):
    """Mean over the spatial axes: (N, C, H, W) -> (N, C, 1, 1)."""

    def __init__(self, layout: str = "NCHW", **kwargs: Any) -> None:
        super().__init__((1, 1), None, 0, True, True, "avg", layout, **kwargs)


class GlobalAvgPool3D(_Pooling):
    """Mean over the spatial axes: (N, C, D, H, W) -> (N, C, 1, 1, 1)."""

    def __init__(self, layout: str = "NCDHW", **kwargs: Any) -> None:
        super().__init__((1, 1, 1), None, 0, True, True, "avg", layout, **kwargs)


class ReflectionPad2D(HybridBlock):
    """Pads the spatial axes of (N, C, H, W) input by reflecting the border (padding on every side)."""

    def __init__(self, padding: IntOrTuple = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(padding, int):
            padding = (0, 0, 0, 0, padding, padding, padding, padding)
        padding = tuple(int(p) for p in padding)
        if len(padding) != 8:
            raise ValueError(f"ReflectionPad2D: padding must be an int or 8 ints (pad_width), got {padding!r}")
        self._padding = padding

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.pad(x, mode="reflect", pad_width=self._padding)
