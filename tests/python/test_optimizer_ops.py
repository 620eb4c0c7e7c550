"""Fused optimizer update ops against numpy references of MXNet 1.x's formulas.

Each update op is called as MXNet's Python optimizers call it (out=weight) for several steps; after every step
the returned weight, the weight array itself and every in-place state are compared with the reference.
"""

import numpy as np
import pytest

import braid as mx
from op_check import random_array, to_braid, tolerance


def _clip(g, c):
    return np.clip(g, -c, c) if c > 0 else g


def _prep(g, a):
    return _clip(a.get("rescale_grad", 1.0) * g, a.get("clip_gradient", -1.0))


# Each reference takes float64 (weight, grad, [states]) and the attributes; returns (new weight, new states).
def ref_sgd(w, g, s, a):
    return (1 - a["lr"] * a.get("wd", 0.0)) * w - a["lr"] * _prep(g, a), []


def ref_sgd_mom(w, g, s, a):
    mom = a.get("momentum", 0.0) * s[0] - a["lr"] * a.get("wd", 0.0) * w - a["lr"] * _prep(g, a)
    return w + mom, [mom]


def ref_nag(w, g, s, a):
    gw = _prep(g, a) + a.get("wd", 0.0) * w
    mom = a.get("momentum", 0.0) * s[0] + gw
    return w - a["lr"] * (a.get("momentum", 0.0) * mom + gw), [mom]


def ref_adam(w, g, s, a):
    gw = _clip(a.get("rescale_grad", 1.0) * g + a.get("wd", 0.0) * w, a.get("clip_gradient", -1.0))
    b1, b2 = a.get("beta1", 0.9), a.get("beta2", 0.999)
    mean = b1 * s[0] + (1 - b1) * gw
    var = b2 * s[1] + (1 - b2) * gw * gw
    return w - a["lr"] * mean / (np.sqrt(var) + a.get("epsilon", 1e-8)), [mean, var]


def ref_adamw(w, g, s, a):
    gc = _prep(g, a)
    b1, b2 = a.get("beta1", 0.9), a.get("beta2", 0.999)
    mean = b1 * s[0] + (1 - b1) * gc
    var = b2 * s[1] + (1 - b2) * gc * gc
    step = a["lr"] * mean / (np.sqrt(var) + a.get("epsilon", 1e-8)) + a.get("wd", 0.0) * w
    return w - a["eta"] * step, [mean, var]


def ref_rmsprop(w, g, s, a):
    gw = _clip(a.get("rescale_grad", 1.0) * g + a.get("wd", 0.0) * w, a.get("clip_gradient", -1.0))
    rho = a.get("rho", 0.95)
    n = (1 - rho) * gw * gw + rho * s[0]
    nw = w - a["lr"] * gw / np.sqrt(n + a.get("epsilon", 1e-8))
    return _clip(nw, a.get("clip_weights", -1.0)), [n]


def ref_adagrad(w, g, s, a):
    gc = _prep(g, a)
    h = s[0] + gc * gc
    return w - a["lr"] * (gc / (np.sqrt(h) + a.get("epsilon", 1e-7)) + a.get("wd", 0.0) * w), [h]


# name: (reference, number of states, attribute sets to try, whether states must start non-negative)
COMMON = [{}, {"wd": 0.1}, {"rescale_grad": 0.5}, {"clip_gradient": 0.4}, {"rescale_grad": 2.0, "clip_gradient": 1.0}]
OPS = {
    "sgd_update": (ref_sgd, 0, COMMON),
    "sgd_mom_update": (ref_sgd_mom, 1, COMMON + [{"momentum": 0.9}, {"momentum": 0.5, "wd": 0.01}]),
    "nag_mom_update": (ref_nag, 1, COMMON + [{"momentum": 0.9}, {"momentum": 0.5, "wd": 0.01, "clip_gradient": 0.3}]),
    "adam_update": (
        ref_adam,
        2,
        COMMON + [{"beta1": 0.5, "beta2": 0.9, "epsilon": 1e-3}, {"wd": 0.1, "clip_gradient": 0.5}],
    ),
    "adamw_update": (
        ref_adamw,
        2,
        [dict(c, eta=1.0) for c in COMMON] + [{"eta": 0.5, "wd": 0.1, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-4}],
    ),
    "rmsprop_update": (
        ref_rmsprop,
        1,
        COMMON + [{"rho": 0.5, "epsilon": 1e-3}, {"clip_weights": 0.9}, {"wd": 0.1, "clip_gradient": 0.5}],
    ),
    "adagrad_update": (ref_adagrad, 1, COMMON + [{"epsilon": 1e-3, "wd": 0.05}]),
}
MP_OPS = {
    "mp_sgd_update": "sgd_update",
    "mp_sgd_mom_update": "sgd_mom_update",
    "mp_nag_mom_update": "nag_mom_update",
    "mp_adam_update": "adam_update",
    "mp_adamw_update": "adamw_update",
    "mp_rmsprop_update": "rmsprop_update",
    "mp_adagrad_update": "adagrad_update",
}
LR = 0.05


def _initial_states(n, shape, rng, dtype):
    # Second moments and Adagrad histories stay non-negative, as an optimizer's would.
    return [random_array(shape, dtype, rng, 0.0, 1.0) for _ in range(n)]


def _cases(table):
    return [(name, i) for name in sorted(table) for i in range(len(table[name][2]))]


@pytest.mark.parametrize("name,case", _cases(OPS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_update_steps(name, case, dtype, rng):
    ref, nstates, cases = OPS[name]
    attrs = dict(cases[case], lr=LR)
    shape = (5, 7)
    w = random_array(shape, dtype, rng, -1, 1)
    states = _initial_states(nstates, shape, rng, dtype)
    bw = mx.nd.array(w, dtype=dtype)
    bs = [mx.nd.array(s, dtype=dtype) for s in states]
    fn = getattr(mx.nd, name)
    want_w, want_s = w.astype(np.float64), [s.astype(np.float64) for s in states]
    rtol, atol = tolerance(dtype)
    for _ in range(3):
        g = random_array(shape, dtype, rng, -2, 2)
        got = fn(bw, mx.nd.array(g, dtype=dtype), *bs, out=bw, **attrs)
        want_w, want_s = ref(want_w, g.astype(np.float64), want_s, attrs)
        np.testing.assert_allclose(got.asnumpy(), want_w, rtol=rtol * 10, atol=atol * 10)
        np.testing.assert_allclose(bw.asnumpy(), want_w, rtol=rtol * 10, atol=atol * 10)
        for b, s in zip(bs, want_s):
            np.testing.assert_allclose(b.asnumpy(), s, rtol=rtol * 10, atol=atol * 10)
        assert got.dtype == np.dtype(dtype)


@pytest.mark.parametrize("name", sorted(OPS))
def test_update_without_out_leaves_weight(name, rng):
    # Without out= the op returns a new array; the weight is untouched but the states still update.
    ref, nstates, cases = OPS[name]
    attrs = dict(cases[0], lr=LR)
    w = random_array((6,), "float32", rng)
    g = random_array((6,), "float32", rng)
    states = _initial_states(nstates, (6,), rng, "float32")
    bw = mx.nd.array(w)
    bs = [mx.nd.array(s) for s in states]
    got = getattr(mx.nd, name)(bw, mx.nd.array(g), *bs, **attrs)
    want_w, want_s = ref(w.astype(np.float64), g.astype(np.float64), [s.astype(np.float64) for s in states], attrs)
    np.testing.assert_allclose(got.asnumpy(), want_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(bw.asnumpy(), w)
    for b, s in zip(bs, want_s):
        np.testing.assert_allclose(b.asnumpy(), s, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(OPS))
def test_update_strided_and_large(name, rng):
    # Strided views take the general loop; a large weight is split across threads.
    ref, nstates, cases = OPS[name]
    attrs = dict(cases[-1], lr=LR)
    for shape, layout in [((4, 6), "strided"), ((300, 257), "contiguous"), ((), "contiguous"), ((0, 3), "contiguous")]:
        w = random_array(shape, "float32", rng, -1, 1)
        g = random_array(shape, "float32", rng)
        states = _initial_states(nstates, shape, rng, "float32")
        bw = to_braid(w, "float32", layout)
        bs = [to_braid(s, "float32", layout) for s in states]
        got = getattr(mx.nd, name)(bw, to_braid(g, "float32", layout), *bs, out=bw, **attrs)
        want_w, want_s = ref(w.astype(np.float64), g.astype(np.float64), [s.astype(np.float64) for s in states], attrs)
        np.testing.assert_allclose(got.asnumpy(), want_w, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(bw.asnumpy(), want_w, rtol=1e-5, atol=1e-5)
        for b, s in zip(bs, want_s):
            np.testing.assert_allclose(b.asnumpy(), s, rtol=1e-5, atol=1e-5)


def test_clip_gradient_off_when_not_positive():
    w, g = mx.nd.array([1.0, 1.0]), mx.nd.array([10.0, -10.0])
    for clip in (0.0, -1.0):
        out = mx.nd.sgd_update(w, g, lr=0.1, clip_gradient=clip)
        np.testing.assert_allclose(out.asnumpy(), [0.0, 2.0], atol=1e-6)


def test_update_propagates_nan():
    w = mx.nd.array([1.0, 2.0])
    mom = mx.nd.zeros((2,))
    mx.nd.sgd_mom_update(w, mx.nd.array([np.nan, 1.0]), mom, lr=0.1, momentum=0.9, clip_gradient=1.0, out=w)
    got = w.asnumpy()
    assert np.isnan(got[0]) and np.isnan(mom.asnumpy()[0])
    np.testing.assert_allclose(got[1], 1.9, rtol=1e-6)


@pytest.mark.parametrize("name", sorted(MP_OPS))
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_mp_update_steps(name, dtype, rng):
    ref, nstates, cases = OPS[MP_OPS[name]]
    for case in (cases[0], cases[-1]):
        attrs = dict(case, lr=LR)
        shape = (4, 9)
        w32 = random_array(shape, "float32", rng, -1, 1)
        states = _initial_states(nstates, shape, rng, "float32")
        bw = mx.nd.array(w32, dtype=dtype)
        b32 = mx.nd.array(w32)
        bs = [mx.nd.array(s) for s in states]
        want_w, want_s = w32.astype(np.float64), [s.astype(np.float64) for s in states]
        for _ in range(3):
            g = random_array(shape, dtype, rng, -2, 2)  # exactly representable in dtype
            got = getattr(mx.nd, name)(bw, mx.nd.array(g, dtype=dtype), *bs, b32, out=bw, **attrs)
            want_w, want_s = ref(want_w, g.astype(np.float64), want_s, attrs)
            # The float32 master and states carry the update; the weight is the master rounded to dtype.
            np.testing.assert_allclose(b32.asnumpy(), want_w, rtol=1e-5, atol=1e-6)
            for b, s in zip(bs, want_s):
                np.testing.assert_allclose(b.asnumpy(), s, rtol=1e-5, atol=1e-6)
            rounded = mx.nd.array(b32.asnumpy(), dtype=dtype).asnumpy()
            np.testing.assert_array_equal(got.asnumpy(), rounded)
            np.testing.assert_array_equal(bw.asnumpy(), rounded)
            assert mx.dtypes.dtype_name(got._dtype_code()) == dtype


def test_aliases():
    w, g = mx.nd.array([1.0, -1.0]), mx.nd.array([0.5, 0.25])
    for name, alias in [("adamw_update", "_adamw_update"), ("adagrad_update", "_sparse_adagrad_update")]:
        states = [mx.nd.zeros((2,)) for _ in range(OPS[name][1])]
        states2 = [mx.nd.zeros((2,)) for _ in range(OPS[name][1])]
        attrs = {"lr": 0.1, "eta": 1.0} if name == "adamw_update" else {"lr": 0.1}
        a = getattr(mx.nd, name)(w, g, *states, **attrs).asnumpy()
        b = getattr(mx.nd._internal, alias)(w, g, *states2, **attrs).asnumpy()
        np.testing.assert_array_equal(a, b)
    assert hasattr(mx.nd._internal, "_mp_adamw_update")


def test_update_errors():
    w = mx.nd.zeros((3, 4))
    with pytest.raises(mx.BraidValueError, match=r"sgd_update: input 'grad' has shape \(4, 3\), expected .*\(3, 4\)"):
        mx.nd.sgd_update(w, mx.nd.zeros((4, 3)), lr=0.1, out=w)
    with pytest.raises(mx.BraidValueError, match=r"sgd_mom_update: input 'mom' has shape \(12,\)"):
        mx.nd.sgd_mom_update(w, mx.nd.zeros((3, 4)), mx.nd.zeros((12,)), lr=0.1)
    with pytest.raises(mx.BraidTypeError, match=r"adam_update: input 'var' has dtype float64, expected float32"):
        mx.nd.adam_update(w, w, mx.nd.zeros((3, 4)), mx.nd.zeros((3, 4), dtype="float64"), lr=0.1)
    with pytest.raises(mx.BraidTypeError, match=r"rmsprop_update: input 'weight' must be a floating-point array"):
        wi = mx.nd.zeros((2,), dtype="int32")
        mx.nd.rmsprop_update(wi, wi, wi, lr=0.1)
    w16 = mx.nd.zeros((3, 4), dtype="float16")
    with pytest.raises(mx.BraidTypeError, match=r"mp_sgd_mom_update: input 'mom' has dtype float16, expected float32"):
        mx.nd.mp_sgd_mom_update(w16, w16, w16, mx.nd.zeros((3, 4)), lr=0.1)
    with pytest.raises(mx.BraidTypeError, match=r"mp_sgd_update: input 'grad' has dtype float32, expected float16"):
        mx.nd.mp_sgd_update(w16, mx.nd.zeros((3, 4)), mx.nd.zeros((3, 4)), lr=0.1)
    with pytest.raises(mx.BraidTypeError, match=r"mp_adam_update: input 'weight32' has dtype float16"):
        mx.nd.mp_adam_update(w16, w16, mx.nd.zeros((3, 4)), mx.nd.zeros((3, 4)), w16, lr=0.1)
    with pytest.raises(mx.BraidValueError, match=r"missing required attribute 'lr'"):
        mx.nd.sgd_update(w, w)
    with pytest.raises(mx.BraidValueError, match=r"adamw_update: missing required attribute 'eta'"):
        mx.nd.adamw_update(w, w, w, w, lr=0.1)


def test_multi_sum_sq(rng):
    arrays = [
        random_array((3, 4), "float32", rng),
        random_array((0,), "float32", rng),
        random_array((70001,), "float32", rng),  # several blocks of the parallel sum
        random_array((5,), "float64", rng),
        random_array((2, 3), "float16", rng),
        random_array((7,), "bfloat16", rng),
    ]
    dtypes = ["float32", "float32", "float32", "float64", "float16", "bfloat16"]
    got = mx.nd.multi_sum_sq(*[mx.nd.array(a, dtype=d) for a, d in zip(arrays, dtypes)], num_arrays=len(arrays))
    want = [np.sum(a.astype(np.float64) ** 2) for a in arrays]
    assert got.shape == (len(arrays),) and got.dtype == np.float32
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6)
    # A strided view and the num_arrays default.
    x = random_array((4, 6), "float32", rng)
    got = mx.nd.multi_sum_sq(to_braid(x, "float32", "strided"))
    np.testing.assert_allclose(got.asnumpy(), [np.sum(x.astype(np.float64) ** 2)], rtol=1e-6)
    with pytest.raises(mx.BraidValueError, match=r"multi_sum_sq: num_arrays is 3 but 2 array\(s\) were given"):
        mx.nd.multi_sum_sq(mx.nd.zeros((2,)), mx.nd.zeros((2,)), num_arrays=3)
    with pytest.raises(mx.BraidTypeError, match=r"multi_sum_sq: input 1 must be a floating-point array"):
        mx.nd.multi_sum_sq(mx.nd.zeros((2,)), mx.nd.zeros((2,), dtype="int32"))


def test_multi_all_finite():
    a, b = mx.nd.array([1.0, 2.0]), mx.nd.array([3.0], dtype="float16")
    assert mx.nd.multi_all_finite(a, b, num_arrays=2).asnumpy().tolist() == [1.0]
    for bad in (np.inf, -np.inf, np.nan):
        c = mx.nd.array(np.r_[np.zeros(40000), bad])
        assert mx.nd.multi_all_finite(a, c, b).asnumpy().tolist() == [0.0]
    # init_output=False only ever clears the flag, so it accumulates across calls.
    flag = mx.nd.array([1.0])
    mx.nd.multi_all_finite(a, init_output=False, out=flag)
    assert flag.asnumpy().tolist() == [1.0]
    mx.nd.multi_all_finite(mx.nd.array([np.nan]), init_output=False, out=flag)
    mx.nd.multi_all_finite(a, init_output=False, out=flag)
    assert flag.asnumpy().tolist() == [0.0]


def ref_lamb1(w, g, mean, var, a):
    gc = _prep(g, a)
    b1, b2, t = a.get("beta1", 0.9), a.get("beta2", 0.999), a["t"]
    mean = b1 * mean + (1 - b1) * gc
    var = b2 * var + (1 - b2) * gc * gc
    m, v = mean, var
    if a.get("bias_correction", True):
        m, v = mean / (1 - b1**t), var / (1 - b2**t)
    return m / (np.sqrt(v) + a.get("epsilon", 1e-6)) + a["wd"] * w, mean, var


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "attrs",
    [
        {"wd": 0.0},
        {"wd": 0.1, "clip_gradient": 0.5, "rescale_grad": 2.0},
        {"wd": 0.01, "bias_correction": False, "beta1": 0.5, "epsilon": 1e-3},
    ],
)
def test_lamb_steps(dtype, attrs, rng):
    shape = (6, 5)
    w = random_array(shape, dtype, rng, -1, 1)
    mean, var = _initial_states(2, shape, rng, dtype)
    bw, bm, bv = (mx.nd.array(x, dtype=dtype) for x in (w, mean, var))
    ww, wm, wv = (x.astype(np.float64) for x in (w, mean, var))
    rtol, atol = tolerance(dtype)
    for t in range(1, 4):
        g = random_array(shape, dtype, rng)
        a = dict(attrs, t=t)
        bg = mx.nd.lamb_update_phase1(bw, mx.nd.array(g, dtype=dtype), bm, bv, **a)
        wg, wm, wv = ref_lamb1(ww, g.astype(np.float64), wm, wv, a)
        np.testing.assert_allclose(bg.asnumpy(), wg, rtol=rtol * 10, atol=atol * 10)
        np.testing.assert_allclose(bm.asnumpy(), wm, rtol=rtol * 10, atol=atol * 10)
        np.testing.assert_allclose(bv.asnumpy(), wv, rtol=rtol * 10, atol=atol * 10)
        r1, r2 = mx.nd.norm(bw).reshape((1,)), mx.nd.norm(bg).reshape((1,))
        mx.nd.lamb_update_phase2(bw, bg, r1, r2, lr=LR, out=bw)
        wg = bg.asnumpy().astype(np.float64)
        ww = ww - LR * (np.linalg.norm(ww) / np.linalg.norm(wg)) * wg
        np.testing.assert_allclose(bw.asnumpy(), ww, rtol=rtol * 10, atol=atol * 10)


def test_lamb_phase2_bounds_and_zero_norms():
    w, g = mx.nd.array([1.0, 2.0]), mx.nd.array([0.5, -0.5])
    r = lambda v: mx.nd.array([v])  # noqa: E731
    # r1 clipped to the bounds; a zero norm falls back to the plain step.
    np.testing.assert_allclose(
        mx.nd.lamb_update_phase2(w, g, r(10.0), r(2.0), lr=0.1, upper_bound=4.0).asnumpy(), [0.9, 2.1], rtol=1e-6
    )
    np.testing.assert_allclose(
        mx.nd.lamb_update_phase2(w, g, r(0.5), r(2.0), lr=0.1, lower_bound=2.0).asnumpy(), [0.95, 2.05], rtol=1e-6
    )
    np.testing.assert_allclose(mx.nd.lamb_update_phase2(w, g, r(0.0), r(2.0), lr=0.1).asnumpy(), [0.95, 2.05])
    np.testing.assert_allclose(mx.nd.lamb_update_phase2(w, g, r(3.0), r(0.0), lr=0.1).asnumpy(), [0.95, 2.05])
    with pytest.raises(mx.BraidValueError, match=r"lamb_update_phase2: input 'r1' must hold one element"):
        mx.nd.lamb_update_phase2(w, g, mx.nd.zeros((2,)), r(1.0), lr=0.1)
    with pytest.raises(mx.BraidValueError, match=r"lamb_update_phase1: t \(the step count\) must be >= 1"):
        mx.nd.lamb_update_phase1(w, g, mx.nd.zeros((2,)), mx.nd.zeros((2,)), t=0, wd=0.0).asnumpy()


@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_update_half_weights(name, dtype, rng):
    # Without a master copy, 16-bit weights and states compute in float32 and round once per step.
    ref, nstates, cases = OPS[name]
    attrs = dict(cases[-1], lr=LR)
    w = random_array((3, 5), dtype, rng, -1, 1)
    g = random_array((3, 5), dtype, rng)
    states = _initial_states(nstates, (3, 5), rng, dtype)
    bw = mx.nd.array(w, dtype=dtype)
    bs = [mx.nd.array(s, dtype=dtype) for s in states]
    getattr(mx.nd, name)(bw, mx.nd.array(g, dtype=dtype), *bs, out=bw, **attrs)
    want_w, want_s = ref(w.astype(np.float64), g.astype(np.float64), [s.astype(np.float64) for s in states], attrs)
    rtol, atol = tolerance(dtype)
    np.testing.assert_allclose(bw.asnumpy().astype(np.float64), want_w, rtol=rtol, atol=atol)
    for b, s in zip(bs, want_s):
        np.testing.assert_allclose(b.asnumpy().astype(np.float64), s, rtol=rtol, atol=atol)
