"""Normalisation ops (BatchNorm, LayerNorm, GroupNorm, InstanceNorm, LRN) against numpy references.

Gradients are checked three ways in float64: the fused backward ops (_batch_norm_backward, ...) called directly
and the gradient rules through autograd, both against central finite differences of the numpy references, and
op_check.check_grad against finite differences of braid's own forward.
"""

import numpy as np
import pytest

import braid as mx
from braid.base import BraidTypeError, BraidValueError
from op_check import check_grad, check_op, random_array

DTYPES = ["float32", "float64"]
# Normalisation divides by a computed standard deviation, so float32 results carry a little more error.
TOL = {"float32": (2e-5, 2e-5), "float64": (1e-10, 1e-10)}


def _autograd_train_mode():
    ag = getattr(mx, "autograd", None)
    return getattr(ag, "train_mode", None)


# ---- numpy references -----------------------------------------------------------------------------------


def _bcast(v, ndim, axis):
    shape = [1] * ndim
    shape[axis] = -1
    return v.reshape(shape)


def bn_ref(x, gamma, beta, mean, var, eps, axis, fix_gamma):
    g = np.ones_like(gamma) if fix_gamma else gamma
    b = lambda v: _bcast(v, x.ndim, axis)  # noqa: E731
    return (x - b(mean)) / np.sqrt(b(var) + eps) * b(g) + b(beta)


def batch_stats(x, axis):
    red = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
    return x.mean(axis=red), x.var(axis=red)


def ln_ref(x, gamma, beta, axis, eps):
    m = x.mean(axis=axis, keepdims=True)
    v = x.var(axis=axis, keepdims=True)
    y = (x - m) / np.sqrt(v + eps) * _bcast(gamma, x.ndim, axis) + _bcast(beta, x.ndim, axis)
    return y, m, np.sqrt(v + eps)


def gn_ref(x, gamma, beta, groups, eps):
    n, c = x.shape[:2]
    xg = x.reshape(n, groups, -1)
    y = ((xg - xg.mean(axis=2, keepdims=True)) / np.sqrt(xg.var(axis=2, keepdims=True) + eps)).reshape(x.shape)
    if gamma.shape[0] != c:  # per-group parameters
        gamma, beta = np.repeat(gamma, c // groups), np.repeat(beta, c // groups)
    return y * _bcast(gamma, x.ndim, 1) + _bcast(beta, x.ndim, 1)


def lrn_ref(x, alpha, beta, knorm, nsize):
    sq = x * x
    acc = np.zeros_like(x)
    c = x.shape[1]
    for i in range(c):
        lo, hi = max(0, i - nsize // 2), min(c, i + nsize // 2 + 1)
        acc[:, i] = sq[:, lo:hi].sum(axis=1)
    return x * (knorm + alpha / nsize * acc) ** -beta


def numeric_grads(f, args, dy, h=1e-6):
    """Central differences of sum(dy * f(*args)) with respect to each of args (float64)."""
    grads = []
    for k, a in enumerate(args):
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            hi = [x.copy() for x in args]
            lo = [x.copy() for x in args]
            hi[k][idx] += h
            lo[k][idx] -= h
            g[idx] = ((f(*hi) - f(*lo)) * dy).sum() / (2 * h)
        grads.append(g)
    return grads


def assert_close(got, want, dtype):
    r, a = TOL[dtype]
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), want, rtol=r, atol=a)


# ---- BatchNorm --------------------------------------------------------------------------------------------

BN_CASES = [((4, 3), 1), ((2, 3, 5), 1), ((2, 3, 4, 5), 1), ((2, 3, 4, 5), -1), ((6, 2, 3), 0), ((2, 3, 5), -2)]


def bn_inputs(shape, axis, rng):
    c = shape[axis]
    x = random_array(shape, "float64", rng)
    gamma, beta = rng.uniform(0.5, 2, c), rng.uniform(-1, 1, c)
    mean, var = rng.uniform(-1, 1, c), rng.uniform(0.5, 2, c)
    return x, gamma, beta, mean, var


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,axis", BN_CASES)
@pytest.mark.parametrize("fix_gamma", [True, False])
@pytest.mark.parametrize("use_global_stats", [False, True])
def test_batch_norm_inference(dtype, shape, axis, fix_gamma, use_global_stats, rng):
    ins = bn_inputs(shape, axis, rng)
    kw = dict(eps=1e-3, axis=axis, fix_gamma=fix_gamma, use_global_stats=use_global_stats)
    r, a = TOL[dtype]
    check_op(
        lambda *t: mx.nd.BatchNorm(*t, **kw),
        lambda x, g, b, m, v: bn_ref(x, g, b, m, v, 1e-3, axis, fix_gamma),
        ins,
        dtype,
        rtol=r,
        atol=a,
    )


def test_batch_norm_inference_keeps_moving_stats_and_outputs_them(rng):
    x, g, b, m, v = bn_inputs((2, 3, 4), 1, rng)
    mm, mv = mx.nd.array(m, dtype="float32"), mx.nd.array(v, dtype="float32")
    out = mx.nd.BatchNorm(mx.nd.array(x, dtype="float32"), mx.nd.array(g), mx.nd.array(b), mm, mv, output_mean_var=True)
    assert len(out) == 3
    np.testing.assert_allclose(out[1].asnumpy(), m.astype(np.float32))
    np.testing.assert_allclose(out[2].asnumpy(), v.astype(np.float32))
    np.testing.assert_array_equal(mm.asnumpy(), m.astype(np.float32))
    np.testing.assert_array_equal(mv.asnumpy(), v.astype(np.float32))


def test_batch_norm_strided_data(rng):
    x, g, b, m, v = bn_inputs((2, 3, 4, 6), 1, rng)
    check_op(
        lambda *t: mx.nd.BatchNorm(*t, fix_gamma=False),
        lambda *t: bn_ref(*t, 1e-3, 1, False),
        [x, g, b, m, v],
        "float32",
        layout="strided",
        rtol=2e-5,
        atol=2e-5,
    )


@pytest.mark.skipif(_autograd_train_mode() is None, reason="needs braid.autograd.train_mode")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,axis", [((4, 3), 1), ((2, 3, 4, 5), 1), ((2, 3, 4, 5), -1)])
def test_batch_norm_training_uses_batch_stats_and_updates_moving(dtype, shape, axis, rng):
    x, g, b, m, v = bn_inputs(shape, axis, rng)
    mm, mv = mx.nd.array(m, dtype=dtype), mx.nd.array(v, dtype=dtype)
    args = [mx.nd.array(t, dtype=dtype) for t in (x, g, b)]
    with mx.autograd.train_mode():
        out = mx.nd.BatchNorm(*args, mm, mv, axis=axis, fix_gamma=False, momentum=0.8, output_mean_var=True)
    bm, bv = batch_stats(x, axis)
    assert_close(out[0].asnumpy(), bn_ref(x, g, b, bm, bv, 1e-3, axis, False), dtype)
    assert_close(out[1].asnumpy(), bm, dtype)
    assert_close(out[2].asnumpy(), bv, dtype)
    assert_close(mm.asnumpy(), 0.8 * m + 0.2 * bm, dtype)
    assert_close(mv.asnumpy(), 0.8 * v + 0.2 * bv, dtype)  # biased variance, as MXNet


@pytest.mark.skipif(_autograd_train_mode() is None, reason="needs braid.autograd.train_mode")
def test_batch_norm_training_with_global_stats_keeps_moving(rng):
    x, g, b, m, v = bn_inputs((2, 3, 4), 1, rng)
    mm, mv = mx.nd.array(m, dtype="float64"), mx.nd.array(v, dtype="float64")
    args = [mx.nd.array(t, dtype="float64") for t in (x, g, b)]
    with mx.autograd.train_mode():
        out = mx.nd.BatchNorm(*args, mm, mv, use_global_stats=True)
    assert_close(out.asnumpy(), bn_ref(x, g, b, m, v, 1e-3, 1, True), "float64")
    np.testing.assert_array_equal(mm.asnumpy(), m)
    np.testing.assert_array_equal(mv.asnumpy(), v)


@pytest.mark.parametrize("shape,axis", [((4, 3), 1), ((2, 3, 2, 2), 1), ((3, 2, 4), -1)])
@pytest.mark.parametrize("use_batch", [True, False])
@pytest.mark.parametrize("fix_gamma", [True, False])
def test_batch_norm_backward(shape, axis, use_batch, fix_gamma, rng):
    x, g, b, m, v = bn_inputs(shape, axis, rng)
    dy = rng.standard_normal(shape)

    def f(x, g, b):
        bm, bv = batch_stats(x, axis) if use_batch else (m, v)
        return bn_ref(x, g, b, bm, bv, 1e-3, axis, fix_gamma)

    want = numeric_grads(f, [x, g, b], dy)
    nd = lambda t: mx.nd.array(t, dtype="float64")  # noqa: E731
    got = mx.nd._internal._batch_norm_backward(
        nd(dy), nd(x), nd(g), nd(m), nd(v), eps=1e-3, fix_gamma=fix_gamma, axis=axis, use_batch_stats=use_batch
    )
    for gv, w in zip(got, want):
        np.testing.assert_allclose(gv.asnumpy(), w, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision(dtype, rng):
    x, g, b, m, v = bn_inputs((2, 3, 4), 1, rng)
    tol = dict(rtol=3e-2, atol=3e-2)
    check_op(
        lambda *t: mx.nd.BatchNorm(*t, fix_gamma=False),
        lambda *t: bn_ref(*t, 1e-3, 1, False),
        [x, g, b, m, v],
        dtype,
        **tol,
    )
    check_op(
        lambda *t: mx.nd.LayerNorm(*t),
        lambda *t: ln_ref(*t, -1, 1e-5)[0],
        [x, g[:1].repeat(4), b[:1].repeat(4)],
        dtype,
        **tol,
    )
    check_op(lambda *t: mx.nd.GroupNorm(*t, num_groups=3), lambda *t: gn_ref(*t, 3, 1e-5), [x, g, b], dtype, **tol)


def test_empty_batch(rng):
    p = mx.nd.ones((3,))
    mm, mv = mx.nd.zeros((3,)), mx.nd.ones((3,))
    x = mx.nd.zeros((0, 3, 2))
    if _autograd_train_mode() is not None:
        with mx.autograd.train_mode():
            assert mx.nd.BatchNorm(x, p, p, mm, mv).shape == (0, 3, 2)
        np.testing.assert_array_equal(mm.asnumpy(), np.zeros(3))  # nothing to average: untouched
    assert mx.nd.LayerNorm(x, mx.nd.ones((2,)), mx.nd.ones((2,))).shape == (0, 3, 2)
    assert mx.nd.GroupNorm(x, p, p, num_groups=3).shape == (0, 3, 2)
    assert mx.nd.InstanceNorm(mx.nd.zeros((2, 0, 3)), mx.nd.ones((0,)), mx.nd.ones((0,))).shape == (2, 0, 3)


def test_batch_norm_errors():
    x = mx.nd.ones((2, 3, 4))
    p = mx.nd.ones((3,))
    with pytest.raises(BraidValueError, match=r"BatchNorm: argument 'gamma' must have shape \(3,\)"):
        mx.nd.BatchNorm(x, mx.nd.ones((4,)), p, p, p)
    with pytest.raises(BraidValueError, match=r"BatchNorm: argument 'moving_var' must have shape \(4,\)"):
        mx.nd.BatchNorm(x, mx.nd.ones((4,)), mx.nd.ones((4,)), mx.nd.ones((4,)), p, axis=2)
    with pytest.raises(BraidValueError, match="BatchNorm"):
        mx.nd.BatchNorm(x, p, p, p, p, axis=3)
    with pytest.raises(BraidTypeError, match="BatchNorm: argument 'data' must be floating-point"):
        mx.nd.BatchNorm(mx.nd.ones((2, 3), dtype="int32"), p, p, p, p)


# ---- LayerNorm ----------------------------------------------------------------------------------------------

LN_CASES = [((5,), -1), ((4, 7), -1), ((2, 3, 5), -1), ((2, 3, 5), 1), ((2, 3, 5), 0), ((3, 4, 2, 2), -2)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,axis", LN_CASES)
def test_layer_norm(dtype, shape, axis, rng):
    x = random_array(shape, "float64", rng)
    c = shape[axis]
    g, b = rng.uniform(0.5, 2, c), rng.uniform(-1, 1, c)
    r, a = TOL[dtype]
    check_op(
        lambda *t: mx.nd.LayerNorm(*t, axis=axis),
        lambda x, g, b: ln_ref(x, g, b, axis, 1e-5)[0],
        [x, g, b],
        dtype,
        rtol=r,
        atol=a,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,axis", [((4, 7), -1), ((2, 3, 5), 1)])
def test_layer_norm_output_mean_var(dtype, shape, axis, rng):
    x = random_array(shape, "float64", rng)
    g, b = rng.uniform(0.5, 2, shape[axis]), rng.uniform(-1, 1, shape[axis])
    got = mx.nd.LayerNorm(*[mx.nd.array(t, dtype=dtype) for t in (x, g, b)], axis=axis, output_mean_var=True)
    assert len(got) == 3
    for gv, w in zip(got, ln_ref(x, g, b, axis, 1e-5)):
        assert gv.dtype == np.dtype(dtype) and gv.shape == w.shape
        assert_close(gv.asnumpy(), w, dtype)


@pytest.mark.parametrize("shape,axis", [((3, 4), -1), ((2, 3, 4), 1), ((2, 3, 2), 0)])
def test_layer_norm_backward(shape, axis, rng):
    x = random_array(shape, "float64", rng)
    c = shape[axis]
    g, b = rng.uniform(0.5, 2, c), rng.uniform(-1, 1, c)
    dy = rng.standard_normal(shape)
    want = numeric_grads(lambda x, g, b: ln_ref(x, g, b, axis, 1e-5)[0], [x, g, b], dy)
    nd = lambda t: mx.nd.array(t, dtype="float64")  # noqa: E731
    got = mx.nd._internal._layer_norm_backward(nd(dy), nd(x), nd(g), axis=axis, eps=1e-5)
    for gv, w in zip(got, want):
        np.testing.assert_allclose(gv.asnumpy(), w, rtol=1e-6, atol=1e-7)


def test_layer_norm_errors():
    with pytest.raises(BraidValueError, match=r"LayerNorm: argument 'beta' must have shape \(4,\)"):
        mx.nd.LayerNorm(mx.nd.ones((2, 4)), mx.nd.ones((4,)), mx.nd.ones((2,)))


# ---- GroupNorm and InstanceNorm -----------------------------------------------------------------------------

GN_CASES = [((2, 4, 3), 2, "channel"), ((2, 6, 2, 3), 3, "channel"), ((3, 4), 1, "channel"), ((2, 6, 5), 3, "group")]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,groups,params", GN_CASES)
def test_group_norm(dtype, shape, groups, params, rng):
    x = random_array(shape, "float64", rng)
    n = shape[1] if params == "channel" else groups
    g, b = rng.uniform(0.5, 2, n), rng.uniform(-1, 1, n)
    r, a = TOL[dtype]
    check_op(
        lambda *t: mx.nd.GroupNorm(*t, num_groups=groups),
        lambda x, g, b: gn_ref(x, g, b, groups, 1e-5),
        [x, g, b],
        dtype,
        rtol=r,
        atol=a,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 4, 4), (1, 2, 3, 2, 2)])
def test_instance_norm(dtype, shape, rng):
    x = random_array(shape, "float64", rng)
    g, b = rng.uniform(0.5, 2, shape[1]), rng.uniform(-1, 1, shape[1])
    r, a = TOL[dtype]
    check_op(
        lambda *t: mx.nd.InstanceNorm(*t),
        lambda x, g, b: gn_ref(x, g, b, shape[1], 1e-3),
        [x, g, b],
        dtype,
        rtol=r,
        atol=a,
    )


@pytest.mark.parametrize(
    "shape,groups,params", [((2, 4, 3), 2, "channel"), ((2, 6, 2), 3, "group"), ((2, 3, 4), 3, "channel")]
)
def test_group_norm_backward(shape, groups, params, rng):
    x = random_array(shape, "float64", rng)
    n = shape[1] if params == "channel" else groups
    g, b = rng.uniform(0.5, 2, n), rng.uniform(-1, 1, n)
    dy = rng.standard_normal(shape)
    want = numeric_grads(lambda x, g, b: gn_ref(x, g, b, groups, 1e-5), [x, g, b], dy)
    nd = lambda t: mx.nd.array(t, dtype="float64")  # noqa: E731
    got = mx.nd._internal._group_norm_backward(nd(dy), nd(x), nd(g), num_groups=groups, eps=1e-5)
    for gv, w in zip(got, want):
        np.testing.assert_allclose(gv.asnumpy(), w, rtol=1e-6, atol=1e-7)


def test_group_norm_errors():
    x = mx.nd.ones((2, 6, 3))
    with pytest.raises(BraidValueError, match="GroupNorm: num_groups=4 must be positive and divide"):
        mx.nd.GroupNorm(x, mx.nd.ones((6,)), mx.nd.ones((6,)), num_groups=4)
    with pytest.raises(BraidValueError, match=r"GroupNorm: argument 'gamma' must have shape \(6,\)"):
        mx.nd.GroupNorm(x, mx.nd.ones((5,)), mx.nd.ones((6,)), num_groups=3)
    with pytest.raises(BraidValueError, match=r"InstanceNorm: argument 'beta' must have shape \(6,\)"):
        mx.nd.InstanceNorm(x, mx.nd.ones((6,)), mx.nd.ones((3,)))
    with pytest.raises(BraidValueError, match="InstanceNorm: argument 'data' must have at least 3"):
        mx.nd.InstanceNorm(mx.nd.ones((2, 6)), mx.nd.ones((6,)), mx.nd.ones((6,)))


# ---- LRN ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,nsize", [((2, 5, 3, 3), 3), ((1, 7, 4, 2), 5), ((2, 3, 2, 2), 5), ((2, 4), 1)])
def test_lrn(dtype, shape, nsize, rng):
    x = random_array(shape, "float64", rng)
    r, a = TOL[dtype]
    check_op(
        lambda t: mx.nd.LRN(t, alpha=0.1, beta=0.75, knorm=2.0, nsize=nsize),
        lambda x: lrn_ref(x, 0.1, 0.75, 2.0, nsize),
        [x],
        dtype,
        rtol=r,
        atol=a,
    )


@pytest.mark.parametrize("shape,nsize", [((2, 5, 2, 2), 3), ((1, 4, 3), 5)])
def test_lrn_backward(shape, nsize, rng):
    x = random_array(shape, "float64", rng)
    dy = rng.standard_normal(shape)
    (want,) = numeric_grads(lambda x: lrn_ref(x, 0.1, 0.75, 2.0, nsize), [x], dy)
    got = mx.nd._internal._lrn_backward(
        mx.nd.array(dy, dtype="float64"), mx.nd.array(x, dtype="float64"), alpha=0.1, nsize=nsize
    )
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6, atol=1e-7)


def test_lrn_errors():
    with pytest.raises(BraidValueError, match="LRN: nsize must be a positive odd number, got 4"):
        mx.nd.LRN(mx.nd.ones((1, 3, 2, 2)), nsize=4)
    with pytest.raises(BraidValueError, match="LRN: missing required attribute 'nsize'"):
        mx.nd.LRN(mx.nd.ones((1, 3, 2, 2)))


# ---- gradient rules through autograd ------------------------------------------------------------------------

needs_autograd = pytest.mark.skipif(_autograd_train_mode() is None, reason="needs braid.autograd")


def autograd_grads(fn, leaves, extra, dy, train):
    """Gradients of sum(dy * fn(*leaves, *extra)) for each leaf, from braid's recorded backward (float64)."""
    arrs = [mx.nd.array(t, dtype="float64") for t in leaves]
    for a in arrs:
        a.attach_grad()
    ex = [mx.nd.array(t, dtype="float64") for t in extra]
    with mx.autograd.record(train_mode=train):
        y = fn(*arrs, *ex)
    y.backward(mx.nd.array(dy, dtype="float64"), train_mode=train)
    return [a.grad.asnumpy() for a in arrs]


@needs_autograd
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("fix_gamma", [True, False])
def test_batch_norm_grad_rule(train, fix_gamma, rng):
    x, g, b, m, v = bn_inputs((3, 2, 2), 1, rng)
    dy = rng.standard_normal(x.shape)
    got = autograd_grads(lambda *t: mx.nd.BatchNorm(*t, fix_gamma=fix_gamma), [x, g, b], [m, v], dy, train)

    def f(x, g, b):
        bm, bv = batch_stats(x, 1) if train else (m, v)
        return bn_ref(x, g, b, bm, bv, 1e-3, 1, fix_gamma)

    for gv, w in zip(got, numeric_grads(f, [x, g, b], dy)):
        np.testing.assert_allclose(gv, w, rtol=1e-6, atol=1e-7)


@needs_autograd
@pytest.mark.parametrize(
    "name,fn,ref",
    [
        ("LayerNorm", lambda *t: mx.nd.LayerNorm(*t, axis=1), lambda x, g, b: ln_ref(x, g, b, 1, 1e-5)[0]),
        ("GroupNorm", lambda *t: mx.nd.GroupNorm(*t, num_groups=2), lambda x, g, b: gn_ref(x, g, b, 2, 1e-5)),
        ("InstanceNorm", lambda *t: mx.nd.InstanceNorm(*t), lambda x, g, b: gn_ref(x, g, b, 4, 1e-3)),
    ],
)
def test_affine_norm_grad_rules(name, fn, ref, rng):
    x = random_array((2, 4, 3), "float64", rng)
    g, b = rng.uniform(0.5, 2, 4), rng.uniform(-1, 1, 4)
    dy = rng.standard_normal(x.shape)
    got = autograd_grads(fn, [x, g, b], [], dy, True)
    for gv, w in zip(got, numeric_grads(ref, [x, g, b], dy)):
        np.testing.assert_allclose(gv, w, rtol=1e-6, atol=1e-7, err_msg=name)


@needs_autograd
def test_lrn_grad_rule(rng):
    x = random_array((2, 5, 2), "float64", rng)
    dy = rng.standard_normal(x.shape)
    (got,) = autograd_grads(lambda t: mx.nd.LRN(t, alpha=0.1, nsize=3), [x], [], dy, True)
    (want,) = numeric_grads(lambda x: lrn_ref(x, 0.1, 0.75, 2.0, 3), [x], dy)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


@needs_autograd
@pytest.mark.parametrize("use_global_stats", [False, True])
def test_check_grad_batch_norm(use_global_stats, rng):
    # check_grad differentiates with backward(train_mode=True), which (as in MXNet) selects the batch-statistics
    # formula unless use_global_stats; the finite differences run outside record(), so fn fixes training mode.
    # Prediction-mode gradients are covered by test_batch_norm_grad_rule.
    x, g, b, m, v = bn_inputs((3, 2, 2), 1, rng)

    def fn(x, g, b):
        with mx.autograd.train_mode():
            mm, mv = mx.nd.array(m, dtype="float64"), mx.nd.array(v, dtype="float64")
            return mx.nd.BatchNorm(x, g, b, mm, mv, fix_gamma=False, axis=-1, use_global_stats=use_global_stats)

    check_grad(fn, [x, g, b])


@needs_autograd
def test_check_grad_other_norms(rng):
    x = random_array((2, 4, 3), "float64", rng)
    g, b = rng.uniform(0.5, 2, 4), rng.uniform(-1, 1, 4)
    check_grad(lambda *t: mx.nd.LayerNorm(*t, axis=1), [x, g, b])
    check_grad(lambda *t: mx.nd.GroupNorm(*t, num_groups=2), [x, g, b])
    check_grad(lambda *t: mx.nd.GroupNorm(*t, num_groups=2), [x, g[:2], b[:2]])  # per-group parameters
    check_grad(lambda *t: mx.nd.InstanceNorm(*t), [x, g, b])
    check_grad(lambda t: mx.nd.LRN(t, alpha=0.1, nsize=3), [x])
