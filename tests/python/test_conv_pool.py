"""Convolution, Deconvolution, Pooling and UpSampling against direct numpy references.

The gradient rules are built from internal ops (_conv_data_grad, _conv_weight_grad, _pooling_grad,
_upsampling_grad): those are checked against numpy adjoints, and the rules end to end with op_check.check_grad.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import braid as mx
from braid.base import BraidError
from op_check import check_grad, random_array

FLOATS = ["float32", "float64"]


def _op(name):
    return getattr(mx.nd._internal, name)


def _tup(v, nd, dflt):
    return tuple(v) if v else (dflt,) * nd


# ---- numpy references ---------------------------------------------------------------------------------------


def _windows(nd, ks, stride, dilate, out_sp):
    """For each kernel offset: (offset, slices of the padded input that it reads for every output)."""
    for kidx in itertools.product(*[range(k) for k in ks]):
        sl = tuple(
            slice(kidx[i] * dilate[i], kidx[i] * dilate[i] + stride[i] * (out_sp[i] - 1) + 1, stride[i])
            for i in range(nd)
        )
        yield kidx, sl


def conv_ref(x, w, b, stride, pad, dilate, groups):
    nd = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    n, c = x.shape[:2]
    k, ks = w.shape[0], w.shape[2:]
    out_sp = [(xp.shape[2 + i] - dilate[i] * (ks[i] - 1) - 1) // stride[i] + 1 for i in range(nd)]
    y = np.zeros((n, k, *out_sp))
    cg, kg = c // groups, k // groups
    for g in range(groups):
        for kidx, sl in _windows(nd, ks, stride, dilate, out_sp):
            patch = xp[(slice(None), slice(g * cg, (g + 1) * cg)) + sl]
            wk = w[(slice(g * kg, (g + 1) * kg), slice(None)) + kidx]
            y[:, g * kg : (g + 1) * kg] += np.einsum("nc...,kc->nk...", patch, wk)
    if b is not None:
        y += b.reshape((1, -1) + (1,) * nd)
    return y


def conv_data_grad_ref(dy, w, x_shape, stride, pad, dilate, groups):
    """The adjoint of conv_ref in x: scatter W^T dy back through every kernel offset, then crop the padding."""
    nd = len(x_shape) - 2
    padded = [x_shape[2 + i] + 2 * pad[i] for i in range(nd)]
    dxp = np.zeros(tuple(x_shape[:2]) + tuple(padded))
    c, k, ks = x_shape[1], w.shape[0], w.shape[2:]
    cg, kg = c // groups, k // groups
    for g in range(groups):
        for kidx, sl in _windows(nd, ks, stride, dilate, dy.shape[2:]):
            wk = w[(slice(g * kg, (g + 1) * kg), slice(None)) + kidx]
            dxp[(slice(None), slice(g * cg, (g + 1) * cg)) + sl] += np.einsum(
                "nk...,kc->nc...", dy[:, g * kg : (g + 1) * kg], wk
            )
    return dxp[(slice(None), slice(None)) + tuple(slice(p, p + s) for p, s in zip(pad, x_shape[2:]))]


def conv_weight_grad_ref(x, dy, ks, stride, pad, dilate, groups):
    nd = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    c, k = x.shape[1], dy.shape[1]
    cg, kg = c // groups, k // groups
    dw = np.zeros((k, cg, *ks))
    for g in range(groups):
        for kidx, sl in _windows(nd, ks, stride, dilate, dy.shape[2:]):
            patch = xp[(slice(None), slice(g * cg, (g + 1) * cg)) + sl]
            axes = [0] + list(range(2, 2 + nd))
            dw[(slice(g * kg, (g + 1) * kg), slice(None)) + kidx] = np.tensordot(
                dy[:, g * kg : (g + 1) * kg], patch, axes=(axes, axes)
            )
    return dw


def _pool_windows(in_sp, ks, stride, pad, full):
    nd = len(in_sp)
    out_sp = []
    for i in range(nd):
        span = in_sp[i] + 2 * pad[i] - ks[i]
        out_sp.append((-(-span // stride[i]) if full else span // stride[i]) + 1)
    for o in itertools.product(*[range(s) for s in out_sp]):
        sl, padded = [], 1
        for i in range(nd):
            start = o[i] * stride[i] - pad[i]
            end = min(start + ks[i], in_sp[i] + pad[i])
            padded *= end - start
            sl.append(slice(max(start, 0), min(end, in_sp[i])))
        yield out_sp, o, tuple(sl), padded


def pool_ref(x, ks, stride, pad, pool_type, full=False, include_pad=True, global_pool=False):
    nd = x.ndim - 2
    if global_pool:
        ks, stride, pad = x.shape[2:], (1,) * nd, (0,) * nd
    y = None
    for out_sp, o, sl, padded in _pool_windows(x.shape[2:], ks, stride, pad, full):
        if y is None:
            y = np.zeros(x.shape[:2] + tuple(out_sp))
        win = x[(Ellipsis,) + sl].reshape(x.shape[:2] + (-1,))
        if pool_type == "max":
            v = win.max(-1)
        elif pool_type == "sum":
            v = win.sum(-1)
        else:
            v = win.sum(-1) / (padded if include_pad else win.shape[-1])
        y[(Ellipsis,) + o] = v
    return y


def pool_grad_ref(x, dy, ks, stride, pad, pool_type, full=False, include_pad=True):
    dx = np.zeros_like(x)
    for _, o, sl, padded in _pool_windows(x.shape[2:], ks, stride, pad, full):
        g = dy[(Ellipsis,) + o]
        win = x[(Ellipsis,) + sl]
        if pool_type == "max":
            flat = win.reshape(x.shape[:2] + (-1,))
            idx = np.unravel_index(flat.argmax(-1), win.shape[2:])
            for n, c in np.ndindex(*x.shape[:2]):
                pos = tuple(s.start + i[n, c] for s, i in zip(sl, idx))
                dx[(n, c) + pos] += g[n, c]
        else:
            div = 1 if pool_type == "sum" else (padded if include_pad else win[0, 0].size)
            dx[(Ellipsis,) + sl] += (g / div).reshape(g.shape + (1,) * len(sl))
    return dx


def _close(got, want, dtype):
    tol = 1e-4 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(got.asnumpy().astype(np.float64), want, rtol=tol, atol=tol)
    assert got.dtype == np.dtype(dtype)


# ---- Convolution ----------------------------------------------------------------------------------------------

CONV_CASES = [
    # data shape, num_filter, kernel, stride, pad, dilate, groups, no_bias
    ((2, 3, 9), 4, (3,), (), (), (), 1, False),
    ((2, 4, 11), 6, (3,), (2,), (1,), (2,), 2, True),
    ((2, 3, 7, 8), 5, (3, 3), (), (), (), 1, False),
    ((3, 2, 8, 7), 4, (3, 2), (2, 1), (1, 0), (1, 2), 1, False),
    ((2, 4, 6, 6), 4, (1, 1), (), (), (), 4, True),
    ((1, 6, 9, 9), 6, (3, 3), (2, 2), (2, 1), (2, 1), 3, False),
    ((2, 2, 4, 5, 5), 3, (2, 3, 2), (1, 2, 1), (1, 1, 0), (), 1, False),
    ((64, 1, 28, 28), 6, (5, 5), (), (), (), 1, False),  # LeNet's first layer: several images per GEMM
]


def _conv_inputs(case, dtype, rng):
    shape, nf, ks, stride, pad, dilate, groups, no_bias = case
    x = random_array(shape, dtype, rng)
    w = random_array((nf, shape[1] // groups, *ks), dtype, rng)
    b = None if no_bias else random_array((nf,), dtype, rng)
    nd = len(ks)
    geo = (_tup(stride, nd, 1), _tup(pad, nd, 0), _tup(dilate, nd, 1))
    attrs = dict(kernel=ks, stride=stride, pad=pad, dilate=dilate, num_filter=nf, num_group=groups, no_bias=no_bias)
    return x, w, b, geo, attrs


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", CONV_CASES)
def test_convolution_forward(case, dtype):
    rng = np.random.default_rng(0)
    x, w, b, (s, p, d), attrs = _conv_inputs(case, dtype, rng)
    args = [mx.nd.array(x, dtype=dtype), mx.nd.array(w, dtype=dtype)]
    if b is not None:
        args.append(mx.nd.array(b, dtype=dtype))
    y = mx.nd.Convolution(*args, **attrs)
    _close(y, conv_ref(x, w, b, s, p, d, case[6]), dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", CONV_CASES)
def test_convolution_gradient_ops(case, dtype):
    rng = np.random.default_rng(1)
    x, w, _, (s, p, d), attrs = _conv_inputs(case, dtype, rng)
    groups, ks = case[6], case[2]
    y_shape = conv_ref(x[:1, :], w, None, s, p, d, groups).shape[1:]
    dy = random_array((x.shape[0], *y_shape), dtype, rng)
    win = dict(kernel=ks, stride=attrs["stride"], pad=attrs["pad"], dilate=attrs["dilate"], num_group=groups)
    dyb, wb, xb = (mx.nd.array(v, dtype=dtype) for v in (dy, w, x))
    dx = _op("_conv_data_grad")(dyb, wb, data_shape=x.shape, **win)
    _close(dx, conv_data_grad_ref(dy, w, x.shape, s, p, d, groups), dtype)
    dw = _op("_conv_weight_grad")(xb, dyb, **win)
    _close(dw, conv_weight_grad_ref(x, dy, ks, s, p, d, groups), dtype)


def test_convolution_float16_and_strided_input():
    rng = np.random.default_rng(2)
    x = random_array((2, 3, 6, 6), "float32", rng)
    w = random_array((4, 3, 3, 3), "float32", rng)
    want = conv_ref(x, w, None, (1, 1), (1, 1), (1, 1), 1)
    y16 = mx.nd.Convolution(
        mx.nd.array(x, dtype="float16"),
        mx.nd.array(w, dtype="float16"),
        kernel=(3, 3),
        pad=(1, 1),
        num_filter=4,
        no_bias=True,
    )
    assert y16.dtype == np.float16
    np.testing.assert_allclose(y16.asnumpy().astype(np.float64), want, rtol=2e-2, atol=5e-2)
    big = np.zeros((2, 3, 6, 12), np.float32)
    big[..., ::2] = x
    xs = mx.nd.array(big)[..., ::2]
    y = mx.nd.Convolution(xs, mx.nd.array(w), kernel=(3, 3), pad=(1, 1), num_filter=4, no_bias=True)
    _close(y, want, "float32")


def test_convolution_errors():
    x = mx.nd.ones((1, 3, 5, 5))
    w = mx.nd.ones((4, 3, 3, 3))
    b = mx.nd.ones((4,))
    with pytest.raises(BraidError, match=r"Convolution: weight has shape \(4, 2, 3, 3\)"):
        mx.nd.Convolution(x, mx.nd.ones((4, 2, 3, 3)), b, kernel=(3, 3), num_filter=4)
    with pytest.raises(BraidError, match=r"Convolution: kernel size 7 exceeds the padded input size 5"):
        mx.nd.Convolution(x, mx.nd.ones((4, 3, 7, 7)), b, kernel=(7, 7), num_filter=4)
    with pytest.raises(BraidError, match=r"Convolution: kernel must have 2 element"):
        mx.nd.Convolution(x, w, b, kernel=(3,), num_filter=4)
    with pytest.raises(BraidError, match=r"Convolution: 'bias' is required unless no_bias=True"):
        mx.nd.Convolution(x, w, kernel=(3, 3), num_filter=4)
    with pytest.raises(BraidError, match=r"Convolution: no_bias=True takes no 'bias' input"):
        mx.nd.Convolution(x, w, b, kernel=(3, 3), num_filter=4, no_bias=True)
    with pytest.raises(BraidError, match=r"Convolution: bias has shape \(3,\)"):
        mx.nd.Convolution(x, w, mx.nd.ones((3,)), kernel=(3, 3), num_filter=4)
    with pytest.raises(BraidError, match=r"Convolution: .*divisible by num_group"):
        mx.nd.Convolution(x, w, b, kernel=(3, 3), num_filter=4, num_group=2)
    with pytest.raises(BraidError, match=r"Convolution: layout 'NCW' does not match 4-D data"):
        mx.nd.Convolution(x, w, b, kernel=(3, 3), num_filter=4, layout="NCW")
    with pytest.raises(BraidError, match=r"Convolution: weight must have the dtype of data"):
        mx.nd.Convolution(x, w.astype("float64"), b, kernel=(3, 3), num_filter=4)


# ---- Deconvolution ------------------------------------------------------------------------------------------

DECONV_CASES = [
    # data shape, num_filter, kernel, stride, pad, dilate, adj, groups, no_bias
    ((2, 3, 4, 5), 4, (3, 3), (), (), (), (), 1, True),
    ((2, 4, 3, 4), 6, (3, 2), (2, 2), (1, 0), (1, 2), (1, 1), 2, False),
    ((1, 2, 5), 3, (4,), (3,), (1,), (), (2,), 1, False),
]


def _deconv_geometry(case):
    shape, nf, ks, stride, pad, dilate, adj, groups, _ = case
    nd = len(ks)
    s, p, d, a = _tup(stride, nd, 1), _tup(pad, nd, 0), _tup(dilate, nd, 1), _tup(adj, nd, 0)
    out = tuple(s[i] * (shape[2 + i] - 1) + d[i] * (ks[i] - 1) + 1 - 2 * p[i] + a[i] for i in range(nd))
    return s, p, d, (shape[0], nf, *out)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", DECONV_CASES)
def test_deconvolution(case, dtype):
    rng = np.random.default_rng(3)
    shape, nf, ks, stride, pad, dilate, adj, groups, no_bias = case
    s, p, d, out_shape = _deconv_geometry(case)
    x = random_array(shape, dtype, rng)
    w = random_array((shape[1], nf // groups, *ks), dtype, rng)
    b = None if no_bias else random_array((nf,), dtype, rng)
    args = [mx.nd.array(v, dtype=dtype) for v in (x, w) + (() if b is None else (b,))]
    attrs = dict(kernel=ks, stride=stride, pad=pad, dilate=dilate, adj=adj, num_filter=nf, num_group=groups)
    y = mx.nd.Deconvolution(*args, no_bias=no_bias, **attrs)
    want = conv_data_grad_ref(x, w, out_shape, s, p, d, groups)
    if b is not None:
        want = want + b.reshape((1, -1) + (1,) * len(ks))
    _close(y, want, dtype)
    # Its data gradient is the forward convolution with the same weight.
    dy = random_array(out_shape, dtype, rng)
    conv = mx.nd.Convolution(
        mx.nd.array(dy, dtype=dtype),
        mx.nd.array(w, dtype=dtype),
        kernel=ks,
        stride=stride,
        pad=pad,
        dilate=dilate,
        num_filter=shape[1],
        num_group=groups,
        no_bias=True,
    )
    _close(conv, conv_ref(dy, w, None, s, p, d, groups), dtype)


def test_deconvolution_target_shape_and_errors():
    x = mx.nd.ones((1, 2, 4, 4))
    w = mx.nd.ones((2, 3, 3, 3))
    y = mx.nd.Deconvolution(x, w, kernel=(3, 3), stride=(2, 2), num_filter=3, target_shape=(8, 8))
    assert y.shape == (1, 3, 8, 8)
    with pytest.raises(BraidError, match=r"Deconvolution: adj must be >= 0 and smaller than stride"):
        mx.nd.Deconvolution(x, w, kernel=(3, 3), stride=(2, 2), adj=(2, 2), num_filter=3)
    with pytest.raises(BraidError, match=r"Deconvolution: weight has shape \(2, 3, 3, 3\), expected \(2, 2, 3, 3\)"):
        mx.nd.Deconvolution(x, w, kernel=(3, 3), num_filter=2)


# ---- Pooling ------------------------------------------------------------------------------------------------

POOL_CASES = [
    # data shape, kernel, stride, pad, convention, count_include_pad
    ((2, 3, 10), (3,), (2,), (1,), "valid", True),
    ((2, 3, 10), (4,), (3,), (1,), "full", False),
    ((2, 2, 7, 8), (2, 2), (), (), "valid", True),
    ((2, 2, 7, 8), (3, 3), (2, 2), (1, 1), "valid", False),
    ((1, 3, 7, 7), (3, 2), (2, 2), (1, 0), "full", True),
    ((1, 3, 8, 6), (2, 3), (2, 2), (0, 1), "full", False),
    ((1, 2, 5, 4, 6), (2, 2, 3), (2, 1, 2), (1, 0, 1), "valid", True),
    # windows wholly inside the input: max pooling's fast paths (2x2 tiles, other tiles, overlapping, 1-D)
    ((2, 3, 9, 7), (2, 2), (2, 2), (), "valid", True),
    ((1, 2, 8, 8), (3, 2), (3, 2), (0, 0), "valid", True),
    ((2, 2, 9, 9), (3, 3), (2, 2), (), "valid", True),
    ((2, 3, 11), (3,), (3,), (), "valid", True),
]


def test_max_pooling_ties_go_to_the_first_maximum():
    rng = np.random.default_rng(9)
    x = rng.integers(0, 3, size=(2, 3, 8, 9)).astype(np.float32)
    for ks, st in [((2, 2), (2, 2)), ((3, 3), (2, 2)), ((2, 3), (2, 3))]:
        xb = mx.nd.array(x)
        y = mx.nd.Pooling(xb, kernel=ks, stride=st)
        np.testing.assert_array_equal(y.asnumpy(), pool_ref(x, ks, st, (0, 0), "max"))
        dy = rng.standard_normal(y.shape).astype(np.float32)
        dx = _op("_pooling_grad")(mx.nd.array(dy), xb, kernel=ks, stride=st)
        np.testing.assert_allclose(dx.asnumpy(), pool_grad_ref(x, dy, ks, st, (0, 0), "max"), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("pool_type", ["max", "avg", "sum"])
@pytest.mark.parametrize("case", POOL_CASES)
def test_pooling(case, pool_type, dtype):
    rng = np.random.default_rng(4)
    shape, ks, stride, pad, conv, incl = case
    nd = len(ks)
    s, p = _tup(stride, nd, 1), _tup(pad, nd, 0)
    x = random_array(shape, dtype, rng)
    attrs = dict(kernel=ks, stride=stride, pad=pad, pool_type=pool_type, pooling_convention=conv)
    attrs["count_include_pad"] = incl
    xb = mx.nd.array(x, dtype=dtype)
    y = mx.nd.Pooling(xb, **attrs)
    full = conv == "full"
    _close(y, pool_ref(x, ks, s, p, pool_type, full, incl), dtype)
    dy = random_array(y.shape, dtype, rng)
    dx = _op("_pooling_grad")(mx.nd.array(dy, dtype=dtype), xb, **attrs)
    _close(dx, pool_grad_ref(x, dy, ks, s, p, pool_type, full, incl), dtype)


@pytest.mark.parametrize("pool_type", ["max", "avg", "sum"])
def test_global_pooling(pool_type):
    rng = np.random.default_rng(5)
    x = random_array((2, 3, 5, 6), "float64", rng)
    y = mx.nd.Pooling(mx.nd.array(x, dtype="float64"), global_pool=True, pool_type=pool_type, kernel=(1, 1))
    _close(y, pool_ref(x, None, None, None, pool_type, global_pool=True), "float64")


def test_pooling_float16_and_errors():
    x = np.arange(32, dtype=np.float32).reshape(1, 2, 4, 4)
    y = mx.nd.Pooling(mx.nd.array(x, dtype="float16"), kernel=(2, 2), stride=(2, 2))
    assert y.dtype == np.float16
    np.testing.assert_array_equal(y.asnumpy(), pool_ref(x, (2, 2), (2, 2), (0, 0), "max"))
    with pytest.raises(BraidError, match=r"Pooling: kernel size 6 exceeds the padded input size 4"):
        mx.nd.Pooling(mx.nd.array(x), kernel=(6, 6))
    with pytest.raises(BraidError, match=r"Pooling: kernel must have 2 element"):
        mx.nd.Pooling(mx.nd.array(x), kernel=(2,))
    with pytest.raises(BraidError, match=r"Pooling: attribute 'pool_type' must be one of"):
        mx.nd.Pooling(mx.nd.array(x), kernel=(2, 2), pool_type="lp2")


# ---- UpSampling ---------------------------------------------------------------------------------------------


def _upsample_ref(x, s):
    return x.repeat(s, axis=2).repeat(s, axis=3)


@pytest.mark.parametrize("dtype", FLOATS)
def test_upsampling(dtype):
    rng = np.random.default_rng(6)
    x = random_array((2, 3, 3, 4), dtype, rng)
    xb = mx.nd.array(x, dtype=dtype)
    y = mx.nd.UpSampling(xb, scale=2, sample_type="nearest")
    _close(y, _upsample_ref(x, 2), dtype)
    dy = random_array(y.shape, dtype, rng)
    dx = _op("_upsampling_grad")(mx.nd.array(dy, dtype=dtype), xb)
    _close(dx, dy.reshape(2, 3, 3, 2, 4, 2).sum(axis=(3, 5)), dtype)
    # Two inputs of different sizes, concatenated, then summed.
    x2 = random_array((2, 2, 6, 8), dtype, rng)
    x2b = mx.nd.array(x2, dtype=dtype)
    y = mx.nd.UpSampling(xb, x2b, scale=4, num_args=2)
    _close(y, np.concatenate([_upsample_ref(x, 4), _upsample_ref(x2, 2)], axis=1), dtype)
    x3 = random_array((2, 3, 6, 8), dtype, rng)
    y = mx.nd.UpSampling(xb, mx.nd.array(x3, dtype=dtype), scale=2, num_args=2, multi_input_mode="sum")
    _close(y, _upsample_ref(x, 2) + x3, dtype)
    dy = random_array((2, 5, 12, 16), dtype, rng)
    dx2 = _op("_upsampling_grad")(mx.nd.array(dy, dtype=dtype), x2b, channel_begin=3)
    _close(dx2, dy[:, 3:].reshape(2, 2, 6, 2, 8, 2).sum(axis=(3, 5)), dtype)


def test_upsampling_errors():
    x = mx.nd.ones((1, 2, 3, 3))
    with pytest.raises(BraidError, match=r"UpSampling: sample_type='bilinear' is not supported"):
        mx.nd.UpSampling(x, scale=2, sample_type="bilinear")
    with pytest.raises(BraidError, match=r"UpSampling: num_args is 1 but 2 input\(s\)"):
        mx.nd.UpSampling(x, x, scale=2)
    with pytest.raises(BraidError, match=r"UpSampling: input 1 has shape \(1, 2, 4, 4\)"):
        mx.nd.UpSampling(x, mx.nd.ones((1, 2, 4, 4)), scale=2, num_args=2)


# ---- gradient rules through autograd, against central differences (float64) -----------------------------------


def _fd_check(fn, inputs, seed=0, samples=12):
    check_grad(fn, inputs, seed=seed, samples=samples, rtol=1e-5, atol=1e-6)


def _rand(rng, *shape):
    return rng.uniform(-1, 1, shape)


def test_convolution_grad_fd():
    rng = np.random.default_rng(7)
    conv2 = dict(kernel=(3, 2), stride=(2, 1), pad=(1, 1), dilate=(1, 2), num_filter=4, num_group=2)
    _fd_check(
        lambda x, w, b: mx.nd.Convolution(x, w, b, **conv2),
        [_rand(rng, 2, 4, 5, 6), _rand(rng, 4, 2, 3, 2), _rand(rng, 4)],
    )
    conv1 = dict(kernel=(3,), stride=(2,), pad=(1,), num_filter=3, no_bias=True)
    _fd_check(lambda x, w: mx.nd.Convolution(x, w, **conv1), [_rand(rng, 2, 2, 7), _rand(rng, 3, 2, 3)])


def test_deconvolution_grad_fd():
    rng = np.random.default_rng(8)
    attrs = dict(kernel=(3, 3), stride=(2, 2), pad=(1, 0), adj=(1, 0), num_filter=4, num_group=2, no_bias=False)
    _fd_check(
        lambda x, w, b: mx.nd.Deconvolution(x, w, b, **attrs),
        [_rand(rng, 2, 2, 3, 4), _rand(rng, 2, 2, 3, 3), _rand(rng, 4)],
    )


@pytest.mark.parametrize("pool_type", ["max", "avg", "sum"])
def test_pooling_grad_fd(pool_type):
    rng = np.random.default_rng(9)
    attrs = dict(kernel=(3, 2), stride=(2, 2), pad=(1, 1), pool_type=pool_type, pooling_convention="full")
    _fd_check(lambda x: mx.nd.Pooling(x, count_include_pad=False, **attrs), [_rand(rng, 2, 2, 6, 6)], samples=30)


def test_upsampling_grad_fd():
    rng = np.random.default_rng(10)
    _fd_check(
        lambda a, b: mx.nd.UpSampling(a, b, scale=2, num_args=2), [_rand(rng, 1, 2, 2, 3), _rand(rng, 1, 1, 4, 6)]
    )
