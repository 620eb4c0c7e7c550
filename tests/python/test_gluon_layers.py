"""gluon.nn layers against numpy references: Dense, convolutions, pooling, normalisation, activations..."""

import math

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

import braid as mx
from braid import autograd
from braid.gluon import nn
from braid.test_utils import assert_almost_equal


@pytest.fixture(autouse=True)
def _seed():
    mx.random.seed(0)
    np.random.seed(0)


def _randn(*shape):
    return np.random.randn(*shape).astype(np.float32)


def _run(layer, x, init=None):
    layer.initialize(init if init is not None else mx.init.Normal(0.5))
    return layer(mx.nd.array(x)).asnumpy()


# ---- numpy references ----------------------------------------------------------------------------------------


def conv_ref(x, w, b, stride, pad, dilate, groups):
    n = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    eff = [(k - 1) * d + 1 for k, d in zip(w.shape[2:], dilate)]
    win = sliding_window_view(xp, eff, axis=tuple(range(2, 2 + n)))
    win = win[(Ellipsis,) + tuple(slice(None, None, d) for d in dilate)]
    win = win[(slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride)]
    out_l, k_l = "xyz"[:n], "abd"[:n]
    cg, fg = x.shape[1] // groups, w.shape[0] // groups
    outs = [
        np.einsum(f"nc{out_l}{k_l},fc{k_l}->nf{out_l}", win[:, g * cg : (g + 1) * cg], w[g * fg : (g + 1) * fg])
        for g in range(groups)
    ]
    out = np.concatenate(outs, axis=1)
    if b is not None:
        out = out + b.reshape((1, -1) + (1,) * n)
    return out


def deconv2d_ref(x, w, b, stride, pad, adj, dilate):
    n_, c, h, wd = x.shape
    f = w.shape[1]
    kh, kw = w.shape[2:]
    full_h = (h - 1) * stride[0] + dilate[0] * (kh - 1) + 1 + adj[0]
    full_w = (wd - 1) * stride[1] + dilate[1] * (kw - 1) + 1 + adj[1]
    full = np.zeros((n_, f, full_h, full_w), dtype=np.float64)
    for a in range(kh):
        for bb in range(kw):
            contrib = np.einsum("nchw,cf->nfhw", x, w[:, :, a, bb])
            r0, c0 = a * dilate[0], bb * dilate[1]
            full[
                :, :, r0 : r0 + (h - 1) * stride[0] + 1 : stride[0], c0 : c0 + (wd - 1) * stride[1] + 1 : stride[1]
            ] += contrib
    out_h, out_w = full_h - 2 * pad[0], full_w - 2 * pad[1]
    out = full[:, :, pad[0] : pad[0] + out_h, pad[1] : pad[1] + out_w]
    if b is not None:
        out = out + b.reshape(1, -1, 1, 1)
    return out


def pool_ref(x, kernel, stride, pad, pool_type, ceil_mode=False, count_include_pad=True):
    """MXNet's pooling: windows clipped to the padded input; 'full' convention rounds the output size up."""
    n = len(kernel)
    spatial = x.shape[2:]
    outs = []
    for size, k, s, p in zip(spatial, kernel, stride, pad):
        span = size + 2 * p - k
        outs.append((math.ceil(span / s) if ceil_mode else span // s) + 1)
    out = np.zeros(x.shape[:2] + tuple(outs), dtype=np.float64)
    for idx in np.ndindex(*outs):
        starts = [i * s - p for i, s, p in zip(idx, stride, pad)]
        ends = [min(st + k, size + p) for st, k, size, p in zip(starts, kernel, spatial, pad)]
        pool_size = np.prod([e - st for st, e in zip(starts, ends)])
        cs = [max(st, 0) for st in starts]
        ce = [min(e, size) for e, size in zip(ends, spatial)]
        window = x[(slice(None), slice(None)) + tuple(slice(a, b) for a, b in zip(cs, ce))]
        window = window.reshape(x.shape[:2] + (-1,))
        if pool_type == "max":
            out[(slice(None), slice(None)) + idx] = window.max(axis=-1)
        else:
            div = pool_size if count_include_pad else window.shape[-1]
            out[(slice(None), slice(None)) + idx] = window.sum(axis=-1) / div
    assert out.ndim == n + 2
    return out


# ---- Dense ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("flatten", [True, False])
@pytest.mark.parametrize("use_bias", [True, False])
def test_dense(flatten, use_bias):
    x = _randn(2, 3, 4)
    layer = nn.Dense(5, use_bias=use_bias, flatten=flatten, bias_initializer="ones")
    out = _run(layer, x)
    w = layer.weight.data().asnumpy()
    ref = x.reshape(2, -1) @ w.T if flatten else x @ w.T
    if use_bias:
        ref = ref + 1
    assert layer.weight.shape == ((5, 12) if flatten else (5, 4))
    assert_almost_equal(out, ref, rtol=1e-5, atol=1e-5)
    assert (layer.bias is not None) == use_bias


def test_dense_activation_in_units_and_repr():
    layer = nn.Dense(3, activation="tanh", in_units=4)
    assert layer.weight.shape == (3, 4)
    assert repr(layer) == "Dense(4 -> 3, Activation(tanh))"
    assert repr(nn.Dense(3)) == "Dense(None -> 3, linear)"
    x = _randn(2, 4)
    out = _run(layer, x)
    ref = np.tanh(x @ layer.weight.data().asnumpy().T + layer.bias.data().asnumpy())
    assert_almost_equal(out, ref, rtol=1e-5, atol=1e-5)


def test_dense_wrong_in_units_error():
    layer = nn.Dense(3, in_units=4)
    layer.initialize()
    with pytest.raises(ValueError, match=r"Dense 'dense\d+'.*in_units=5.*'dense\d+_weight' has shape \(3, 4\)"):
        layer(mx.nd.ones((2, 5)))


def test_dense_backward_matches_numpy():
    x = _randn(4, 3)
    layer = nn.Dense(2, in_units=3)
    layer.initialize(mx.init.Normal(1.0))
    xa = mx.nd.array(x)
    with autograd.record():
        y = layer(xa)
        loss = mx.nd.sum(y * y)
    loss.backward()
    w, b = layer.weight.data().asnumpy(), layer.bias.data().asnumpy()
    dy = 2 * (x @ w.T + b)
    assert_almost_equal(layer.weight.grad().asnumpy(), dy.T @ x, rtol=1e-4, atol=1e-4)
    assert_almost_equal(layer.bias.grad().asnumpy(), dy.sum(0), rtol=1e-4, atol=1e-4)


def test_dense_float64():
    layer = nn.Dense(2, in_units=3, dtype="float64")
    layer.initialize()
    out = layer(mx.nd.ones((1, 3), dtype="float64"))
    assert out.dtype == np.float64 and layer.weight.data().dtype == np.float64


# ---- convolutions -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls, xshape, kwargs",
    [
        (nn.Conv1D, (2, 4, 9), dict(kernel_size=3, strides=2, padding=1)),
        (nn.Conv1D, (2, 4, 9), dict(kernel_size=3, dilation=2, groups=2)),
        (nn.Conv2D, (2, 3, 7, 6), dict(kernel_size=(3, 2), strides=(2, 1), padding=(1, 0))),
        (nn.Conv2D, (1, 4, 6, 6), dict(kernel_size=3, dilation=(2, 1), groups=2, use_bias=False)),
        (nn.Conv3D, (1, 2, 5, 4, 4), dict(kernel_size=(2, 3, 3), strides=(1, 2, 1), padding=(0, 1, 1))),
    ],
)
def test_conv_against_numpy(cls, xshape, kwargs):
    x = _randn(*xshape)
    layer = cls(6, **kwargs)
    out = _run(layer, x)
    n = len(xshape) - 2
    k = layer._kwargs
    w = layer.weight.data().asnumpy()
    b = layer.bias.data().asnumpy() if layer.bias is not None else None
    assert w.shape[:2] == (6, xshape[1] // k["num_group"]) and len(w.shape) == n + 2
    ref = conv_ref(x, w, b, k["stride"], k["pad"], k["dilate"], k["num_group"])
    assert_almost_equal(out, ref, rtol=1e-4, atol=1e-4)


def test_conv_with_activation_and_raw_op_equivalence():
    x = _randn(2, 3, 5, 5)
    layer = nn.Conv2D(4, 3, padding=1, activation="relu", in_channels=3)
    out = _run(layer, x)
    raw = mx.nd.Convolution(
        mx.nd.array(x), layer.weight.data(), layer.bias.data(), kernel=(3, 3), pad=(1, 1), num_filter=4
    )
    assert_almost_equal(out, np.maximum(raw.asnumpy(), 0), rtol=1e-5, atol=1e-6)
    assert repr(layer) == "Conv2D(3 -> 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), Activation(relu))"


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(kernel_size=3, strides=2, padding=1, output_padding=1),
        dict(kernel_size=(2, 3), strides=(1, 2)),
        dict(kernel_size=3, dilation=2, use_bias=False),
    ],
)
def test_conv2d_transpose_against_numpy(kwargs):
    x = _randn(2, 3, 4, 5)
    layer = nn.Conv2DTranspose(5, **kwargs)
    out = _run(layer, x)
    w = layer.weight.data().asnumpy()
    assert w.shape[:2] == (3, 5)
    b = layer.bias.data().asnumpy() if layer.bias is not None else None
    k = layer._kwargs
    ref = deconv2d_ref(x, w, b, k["stride"], k["pad"], k["adj"], k["dilate"])
    assert out.shape == ref.shape
    assert_almost_equal(out, ref, rtol=1e-4, atol=1e-4)


def test_conv1d_3d_transpose_shapes():
    l1 = nn.Conv1DTranspose(4, 3, strides=2, output_padding=1, in_channels=2)
    assert _run(l1, _randn(1, 2, 5)).shape == (1, 4, 12)
    l3 = nn.Conv3DTranspose(2, 2, strides=2)
    assert _run(l3, _randn(1, 3, 2, 2, 2)).shape == (1, 2, 4, 4, 4)


def test_conv_errors():
    with pytest.raises(ValueError, match="layout 'NHWC' is not supported"):
        nn.Conv2D(4, 3, layout="NHWC")
    with pytest.raises(ValueError, match="kernel_size must be"):
        nn.Conv2D(4, (3, 3, 3))
    layer = nn.Conv2D(4, 3, in_channels=3)
    layer.initialize()
    with pytest.raises(ValueError, match=r"has 2 channels.*in_channels=3"):
        layer(mx.nd.ones((1, 2, 5, 5)))
    with pytest.raises(ValueError, match="expected a 4-D input"):
        layer(mx.nd.ones((1, 3, 5)))


# ---- pooling -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls, xshape, kwargs, pool_type",
    [
        (nn.MaxPool1D, (2, 3, 9), dict(pool_size=3, strides=2, padding=1), "max"),
        (nn.MaxPool2D, (2, 3, 6, 7), dict(), "max"),
        (nn.MaxPool2D, (2, 3, 7, 7), dict(pool_size=3, strides=2, ceil_mode=True), "max"),
        (nn.MaxPool3D, (1, 2, 4, 5, 4), dict(pool_size=2, strides=(2, 1, 2)), "max"),
        (nn.AvgPool1D, (2, 3, 8), dict(pool_size=2), "avg"),
        (nn.AvgPool2D, (2, 3, 6, 6), dict(pool_size=3, strides=2, padding=1), "avg"),
        (nn.AvgPool2D, (2, 3, 6, 6), dict(pool_size=3, strides=2, padding=1, count_include_pad=False), "avg"),
        (nn.AvgPool2D, (1, 2, 7, 7), dict(pool_size=3, strides=2, ceil_mode=True), "avg"),
        (nn.AvgPool3D, (1, 2, 4, 4, 4), dict(pool_size=2), "avg"),
    ],
)
def test_pooling_against_numpy(cls, xshape, kwargs, pool_type):
    x = _randn(*xshape)
    layer = cls(**kwargs)
    out = _run(layer, x)
    k = layer._kwargs
    ref = pool_ref(
        x, k["kernel"], k["stride"], k["pad"], pool_type, k["pooling_convention"] == "full",
        k.get("count_include_pad", True),
    )  # fmt: skip
    assert out.shape == ref.shape
    assert_almost_equal(out, ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "cls, xshape, fn",
    [
        (nn.GlobalMaxPool1D, (2, 3, 5), np.max),
        (nn.GlobalAvgPool1D, (2, 3, 5), np.mean),
        (nn.GlobalMaxPool2D, (2, 3, 4, 5), np.max),
        (nn.GlobalAvgPool2D, (2, 3, 4, 5), np.mean),
        (nn.GlobalAvgPool3D, (1, 2, 3, 4, 2), np.mean),
        (nn.GlobalMaxPool3D, (1, 2, 3, 4, 2), np.max),
    ],
)
def test_global_pooling(cls, xshape, fn):
    x = _randn(*xshape)
    out = _run(cls(), x)
    axes = tuple(range(2, len(xshape)))
    assert_almost_equal(out, fn(x, axis=axes, keepdims=True), rtol=1e-5, atol=1e-6)


def test_pool_repr():
    assert repr(nn.MaxPool2D()) == (
        "MaxPool2D(size=(2, 2), stride=(2, 2), padding=(0, 0), ceil_mode=False, global_pool=False, "
        "pool_type=max, layout=NCHW)"
    )


# ---- normalisation ---------------------------------------------------------------------------------------------


def test_batchnorm_training_and_inference():
    x = _randn(4, 3, 2, 2) * 2 + 1
    layer = nn.BatchNorm(momentum=0.8, epsilon=1e-3)
    layer.initialize()
    layer.gamma.set_data(mx.nd.array([1.0, 2.0, 0.5]))
    layer.beta.set_data(mx.nd.array([0.0, 1.0, -1.0]))
    g, b = np.array([1.0, 2.0, 0.5]), np.array([0.0, 1.0, -1.0])
    with autograd.record():
        out = layer(mx.nd.array(x))
    mean = x.mean(axis=(0, 2, 3))
    var = x.var(axis=(0, 2, 3))
    ref = (x - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-3) * g[None, :, None, None]
    ref += b[None, :, None, None]
    assert_almost_equal(out.asnumpy(), ref, rtol=1e-4, atol=1e-4)
    assert_almost_equal(layer.running_mean.data().asnumpy(), 0.2 * mean, rtol=1e-4, atol=1e-5)
    # the running variance is updated with the batch variance, as the raw BatchNorm op does
    raw_mean, raw_var = mx.nd.zeros(3), mx.nd.ones(3)
    with autograd.record():
        mx.nd.BatchNorm(
            mx.nd.array(x), mx.nd.array(g), mx.nd.array(b), raw_mean, raw_var, eps=1e-3, momentum=0.8,
            fix_gamma=False,
        )  # fmt: skip
    assert_almost_equal(layer.running_var.data().asnumpy(), raw_var.asnumpy(), rtol=1e-6, atol=1e-7)
    # inference uses the running statistics and leaves them alone
    rm, rv = layer.running_mean.data().asnumpy(), layer.running_var.data().asnumpy()
    out2 = layer(mx.nd.array(x)).asnumpy()
    ref2 = (x - rm[None, :, None, None]) / np.sqrt(rv[None, :, None, None] + 1e-3) * g[None, :, None, None]
    ref2 += b[None, :, None, None]
    assert_almost_equal(out2, ref2, rtol=1e-4, atol=1e-4)
    assert_almost_equal(layer.running_mean.data().asnumpy(), rm)
    assert layer.running_mean.grad_req == "null" and layer.gamma.grad_req == "write"
    assert repr(layer).startswith("BatchNorm(axis=1, eps=0.001, momentum=0.8, fix_gamma=False")


def test_batchnorm_options():
    x = _randn(3, 4, 5)
    layer = nn.BatchNorm(axis=2, center=False, scale=False, use_global_stats=True, in_channels=5)
    assert layer.gamma.shape == (5,) and layer.gamma.grad_req == "null" and layer.beta.grad_req == "null"
    layer.initialize()
    with autograd.record():
        out = layer(mx.nd.array(x)).asnumpy()
    assert_almost_equal(out, x / np.sqrt(1 + 1e-5), rtol=1e-5, atol=1e-5)  # global stats: mean 0, var 1
    with pytest.raises(ValueError, match="has 4 channels on axis 2"):
        layer(mx.nd.ones((3, 5, 4)))


def test_layernorm():
    x = _randn(2, 3, 6)
    layer = nn.LayerNorm(epsilon=1e-5)
    out = _run(layer, x, init=mx.init.Xavier())
    assert layer.gamma.shape == (6,) and (layer.gamma.data().asnumpy() == 1).all()
    ref = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    assert_almost_equal(out, ref, rtol=1e-4, atol=1e-4)
    layer2 = nn.LayerNorm(axis=1, gamma_initializer=mx.init.Constant(2.0))
    out2 = _run(layer2, x)
    ref2 = 2 * (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5)
    assert_almost_equal(out2, ref2, rtol=1e-4, atol=1e-4)


def test_groupnorm():
    x = _randn(2, 6, 3, 2)
    layer = nn.GroupNorm(num_groups=3, epsilon=1e-5, gamma_initializer=mx.init.Constant([1.0, 2.0, 3.0]))
    assert layer.gamma.shape == (3,)  # MXNet 1.x: one gamma/beta per group
    out = _run(layer, x)
    xg = x.reshape(2, 3, -1)
    norm = ((xg - xg.mean(-1, keepdims=True)) / np.sqrt(xg.var(-1, keepdims=True) + 1e-5)).reshape(x.shape)
    ref = norm * np.repeat([1.0, 2.0, 3.0], 2)[None, :, None, None]
    assert_almost_equal(out, ref, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="does not divide"):
        layer(mx.nd.ones((1, 4, 2, 2)))


@pytest.mark.parametrize("axis", [1, 2])
def test_instancenorm(axis):
    x = _randn(2, 3, 4, 5)
    layer = nn.InstanceNorm(axis=axis, epsilon=1e-5, beta_initializer=mx.init.Constant(0.5))
    assert layer.gamma.grad_req == "null"  # scale=False by default, as in MXNet
    out = _run(layer, x)
    c = x.shape[axis]
    assert layer.gamma.shape == (c,)
    xm = np.moveaxis(x, axis, 1)
    red = tuple(range(2, x.ndim))
    norm = (xm - xm.mean(red, keepdims=True)) / np.sqrt(xm.var(red, keepdims=True) + 1e-5) + 0.5
    assert_almost_equal(out, np.moveaxis(norm, 1, axis), rtol=1e-4, atol=1e-4)


# ---- other layers --------------------------------------------------------------------------------------------


def test_embedding():
    layer = nn.Embedding(10, 4, sparse_grad=True)
    layer.initialize(mx.init.Uniform(1.0))
    idx = np.array([[1, 3], [9, 1]], dtype=np.float32)
    xa = mx.nd.array(idx)
    with autograd.record():
        out = layer(xa)
    out.backward()
    w = layer.weight.data().asnumpy()
    assert_almost_equal(out.asnumpy(), w[idx.astype(int)])
    g = layer.weight.grad().asnumpy()
    assert g[1].tolist() == [2, 2, 2, 2] and g[3].tolist() == [1, 1, 1, 1] and g[0].tolist() == [0, 0, 0, 0]
    assert repr(layer) == "Embedding(10 -> 4, float32)"


def test_dropout():
    x = np.ones((200, 50), dtype=np.float32)
    layer = nn.Dropout(0.3)
    assert_almost_equal(layer(mx.nd.array(x)).asnumpy(), x)  # prediction mode: identity
    with autograd.record():
        out = layer(mx.nd.array(x)).asnumpy()
    kept = out != 0
    assert abs(kept.mean() - 0.7) < 0.02
    assert_almost_equal(out[kept], np.full(kept.sum(), 1 / 0.7, dtype=np.float32), rtol=1e-5)
    with autograd.record():
        shared = nn.Dropout(0.5, axes=(1,))(mx.nd.array(x)).asnumpy()
    assert ((shared == 0).all(axis=1) | (shared != 0).all(axis=1)).all()  # one mask value per row
    with autograd.record():
        assert_almost_equal(nn.Dropout(0.0)(mx.nd.array(x)).asnumpy(), x)
    assert repr(layer) == "Dropout(p = 0.3, axes=())"


def test_flatten_identity_lambda():
    x = _randn(2, 3, 4)
    assert _run(nn.Flatten(), x).shape == (2, 12)
    assert_almost_equal(_run(nn.Identity(), x), x)
    assert_almost_equal(nn.Lambda("tanh")(mx.nd.array(x)).asnumpy(), np.tanh(x), rtol=1e-5)
    assert_almost_equal(nn.Lambda(lambda a: a * 2)(mx.nd.array(x)).asnumpy(), 2 * x)
    assert_almost_equal(nn.HybridLambda("relu")(mx.nd.array(x)).asnumpy(), np.maximum(x, 0))
    hl = nn.HybridLambda(lambda F, a: F.LeakyReLU(a, slope=0.1))
    assert_almost_equal(hl(mx.nd.array(x)).asnumpy(), np.where(x > 0, x, 0.1 * x), rtol=1e-5)
    with pytest.raises(ValueError, match="not found in braid.nd"):
        nn.Lambda("no_such_function")


def test_reflection_pad():
    x = _randn(1, 2, 4, 5)
    assert_almost_equal(_run(nn.ReflectionPad2D(2), x), np.pad(x, [(0, 0), (0, 0), (2, 2), (2, 2)], mode="reflect"))


def test_concatenate():
    x = _randn(2, 3)
    net = nn.HybridConcatenate(axis=1)
    net.add(nn.Dense(2, in_units=3), nn.Identity())
    out = _run(net, x)
    assert out.shape == (2, 5)
    assert_almost_equal(out[:, 2:], x)
    seq = nn.Concatenate(axis=0)
    seq.add(nn.Identity(), nn.Identity())
    assert seq(mx.nd.array(x)).shape == (4, 3)


# ---- activations ---------------------------------------------------------------------------------------------


def _erf(v):
    return np.vectorize(math.erf)(v)


@pytest.mark.parametrize(
    "layer, ref",
    [
        (lambda: nn.Activation("relu"), lambda x: np.maximum(x, 0)),
        (lambda: nn.Activation("sigmoid"), lambda x: 1 / (1 + np.exp(-x))),
        (lambda: nn.Activation("tanh"), np.tanh),
        (lambda: nn.Activation("softrelu"), lambda x: np.log1p(np.exp(x))),
        (lambda: nn.Activation("softsign"), lambda x: x / (1 + np.abs(x))),
        (lambda: nn.LeakyReLU(0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
        (lambda: nn.ELU(0.7), lambda x: np.where(x > 0, x, 0.7 * (np.exp(x) - 1))),
        (
            lambda: nn.SELU(),
            lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(x) - 1)),
        ),
        (lambda: nn.GELU(), lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2)))),
        (
            lambda: nn.GELU(approximation="tanh"),
            lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
        ),
        (lambda: nn.Swish(1.5), lambda x: x / (1 + np.exp(-1.5 * x))),
        (lambda: nn.SiLU(), lambda x: x / (1 + np.exp(-x))),
    ],
)
def test_activations(layer, ref):
    x = _randn(3, 7)
    out = _run(layer(), x)
    assert_almost_equal(out, ref(x.astype(np.float64)), rtol=1e-4, atol=1e-5)


def test_prelu():
    x = _randn(2, 3, 4)
    layer = nn.PReLU(in_channels=3, alpha_initializer=mx.init.Constant([0.1, 0.2, 0.3]))
    out = _run(layer, x)
    a = np.array([0.1, 0.2, 0.3])[None, :, None]
    assert_almost_equal(out, np.where(x > 0, x, a * x), rtol=1e-5, atol=1e-6)
    default = nn.PReLU()
    assert_almost_equal(_run(default, x), np.where(x > 0, x, 0.25 * x), rtol=1e-5, atol=1e-6)
    assert default.alpha.shape == (1,)


def test_activation_repr_and_errors():
    assert repr(nn.Activation("relu")) == "Activation(relu)"
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(0.2)"
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        nn.LeakyReLU(-1)
    with pytest.raises(ValueError, match="approximation"):
        nn.GELU("cubic")


# ---- test_utils and context helpers used by Gluon scripts ------------------------------------------------------


def test_test_utils_comparisons():
    from braid import test_utils as tu

    a = mx.nd.array([1.0, 2.0, 3.0])
    tu.assert_almost_equal(a, np.array([1.0, 2.0, 3.00001]))
    assert tu.almost_equal(a, [1, 2, 3]) and not tu.almost_equal(a, [1, 2, 4])
    assert tu.same(a, np.array([1, 2, 3], dtype=np.float32)) and not tu.same(a, [1, 2])
    with pytest.raises(AssertionError, match=r"(?s)1 of 3 elements differ.*Worst at \(2,\): x=3.0, y=4.0"):
        tu.assert_almost_equal(a, [1, 2, 4], names=("x", "y"))
    tu.assert_almost_equal(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), equal_nan=True)
    with pytest.raises(AssertionError):
        tu.assert_almost_equal(np.array([np.nan]), np.array([np.nan]))
    with pytest.raises(AssertionError, match="shape mismatch"):
        tu.assert_almost_equal(np.ones((2, 1)), np.ones((2, 3)), use_broadcast=False)
    tu.assert_almost_equal(np.float16(1.0), 1.05)  # float16's default tolerance
    tu.assert_exception(lambda: 1 / 0, ZeroDivisionError)
    assert tu.get_rtol() == 1e-4 and tu.get_atol(0.5) == 0.5


def test_test_utils_random_and_context():
    from braid import test_utils as tu

    r = tu.rand_ndarray((3, 4), ctx=mx.cpu(1))
    assert r.shape == (3, 4) and r.dtype == np.float32 and r.context == mx.cpu(1)
    assert tu.rand_ndarray((2, 2), dtype="float64").dtype == np.float64
    with pytest.raises(NotImplementedError, match="csr"):
        tu.rand_ndarray((2, 2), stype="csr")
    assert len(tu.rand_shape_nd(3)) == 3 and all(1 <= d <= 10 for d in tu.rand_shape_2d())
    assert tu.default_context() == mx.cpu(0)
    try:
        tu.set_default_context(mx.cpu(1))
        assert tu.default_context() == mx.cpu(1) and mx.nd.zeros(2).context == mx.cpu(1)
    finally:
        tu.set_default_context(mx.cpu(0))
    assert mx.context.cpu() == mx.cpu(0) and mx.context.num_gpus() == mx.num_gpus()
