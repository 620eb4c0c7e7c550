"""Basic NN ops (FullyConnected, activations, softmax family, Dropout, Embedding, Pad, SequenceMask) against
numpy references, their errors, and their gradient rules checked by finite differences in float64."""

from __future__ import annotations

from functools import partial
from math import erf, sqrt

import numpy as np
import pytest

import braid as mx
from op_check import check_grad, check_op, random_array

FLOATS = ["float32", "float64"]
LAYOUTS = ["contiguous", "strided"]


# ---- helpers ------------------------------------------------------------------------------------------


def training(on: bool = True):
    """Training mode for the calling thread."""
    return mx.autograd.train_mode() if on else mx.autograd.predict_mode()


def autograd_grads(fn, inputs: list[np.ndarray], head_grad: np.ndarray, wrt: list[int]) -> list[np.ndarray]:
    """Gradients of sum(fn(*inputs) * head_grad) with respect to inputs[wrt], through braid's autograd."""
    arrays = [mx.nd.array(x, dtype=x.dtype) for x in inputs]
    for i in wrt:
        arrays[i].attach_grad()
    mode = mx.autograd.is_training()  # keep the caller's mode (Dropout tests record in training mode)
    with mx.autograd.record(train_mode=mode):
        y = fn(*arrays)
    y = y[0] if isinstance(y, list) else y
    y.backward(mx.nd.array(head_grad, dtype=y.dtype), train_mode=mode)
    return [arrays[i].grad.asnumpy() for i in wrt]


def np_softmax(x, axis=-1, t=1.0):
    z = x / t
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ---- FullyConnected -----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("flatten", [True, False])
@pytest.mark.parametrize("no_bias", [True, False])
def test_fully_connected(dtype, layout, flatten, no_bias, rng):
    for shape in [(4, 6), (2, 3, 5), (1, 7)]:
        k = int(np.prod(shape[1:])) if flatten else shape[-1]
        x = random_array(shape, dtype, rng)
        w = random_array((3, k), dtype, rng)
        b = random_array((3,), dtype, rng)

        def ref(x, w, b=None, n=shape[0]):
            x2 = x.reshape(n, -1) if flatten else x
            y = x2 @ w.T
            return y if b is None else y + b

        def fn(x, w, b=None):
            return mx.nd.FullyConnected(x, w, b, num_hidden=3, flatten=flatten, no_bias=no_bias)

        ins = [x, w] if no_bias else [x, w, b]
        check_op(fn, ref, ins, dtype, layout, rtol=1e-4 if dtype == "float32" else None)


def test_fully_connected_half(rng):
    x = random_array((3, 4), "float16", rng)
    w = random_array((2, 4), "float16", rng)
    check_op(
        lambda x, w: mx.nd.FullyConnected(x, w, num_hidden=2, no_bias=True), lambda x, w: x @ w.T, [x, w], "float16"
    )


def test_fully_connected_errors():
    x, w, b = mx.nd.ones((2, 4)), mx.nd.ones((3, 5)), mx.nd.ones((3,))
    with pytest.raises(Exception, match=r"FullyConnected: input 'weight' has shape \(3, 5\)"):
        mx.nd.FullyConnected(x, w, b, num_hidden=3)
    with pytest.raises(Exception, match=r"FullyConnected: input 'bias' has shape"):
        mx.nd.FullyConnected(x, mx.nd.ones((3, 4)), mx.nd.ones((4,)), num_hidden=3)
    with pytest.raises(Exception, match=r"FullyConnected: missing input 'bias'"):
        mx.nd.FullyConnected(x, mx.nd.ones((3, 4)), num_hidden=3)
    with pytest.raises(Exception, match=r"FullyConnected: no_bias=True takes no 'bias'"):
        mx.nd.FullyConnected(x, mx.nd.ones((3, 4)), b, num_hidden=3, no_bias=True)
    with pytest.raises(Exception, match="num_hidden"):
        mx.nd.FullyConnected(x, mx.nd.ones((3, 4)), b)


# ---- activations ---------------------------------------------------------------------------------------

_erf = np.vectorize(erf)
ACT = {
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "softrelu": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
}
SELU_A, SELU_L = 1.6732632423543772, 1.0507009873554805
LEAKY = {
    "leaky": lambda x, s: np.where(x > 0, x, s * x),
    "elu": lambda x, s: np.where(x > 0, x, s * np.expm1(x)),
    "selu": lambda x, s: SELU_L * np.where(x > 0, x, SELU_A * np.expm1(x)),
    "gelu": lambda x, s: 0.5 * x * (1 + _erf(x / sqrt(2))),
}


@pytest.mark.parametrize("act", sorted(ACT))
@pytest.mark.parametrize("dtype", FLOATS + ["float16"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_activation(act, dtype, layout, rng):
    for shape in [(7,), (3, 4), (2, 3, 5)]:
        x = random_array(shape, dtype, rng)
        check_op(lambda a: mx.nd.Activation(a, act_type=act), ACT[act], [x], dtype, layout)


@pytest.mark.parametrize("act", sorted(LEAKY))
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_leaky_relu(act, dtype, layout, rng):
    x = random_array((3, 4, 5), dtype, rng)
    for slope in [0.25, 0.1]:
        check_op(
            lambda a, s=slope: mx.nd.LeakyReLU(a, act_type=act, slope=s),
            lambda a, s=slope: LEAKY[act](a, s),
            [x],
            dtype,
            layout,
        )


@pytest.mark.parametrize("dtype", FLOATS)
def test_prelu(dtype, rng):
    x = random_array((2, 3, 4), dtype, rng)
    for gshape in [(3,), (1,)]:
        g = random_array(gshape, dtype, rng, 0, 1)
        ref = lambda a, g: np.where(a > 0, a, (g.reshape(1, -1, 1) if g.size > 1 else g) * a)  # noqa: E731
        check_op(lambda a, g: mx.nd.LeakyReLU(a, g, act_type="prelu"), ref, [x, g], dtype)


def test_activation_errors():
    with pytest.raises(Exception, match="Activation: attribute 'act_type' must be one of"):
        mx.nd.Activation(mx.nd.ones((2,)), act_type="swish")
    with pytest.raises(Exception, match="LeakyReLU: act_type='prelu' needs the input 'gamma'"):
        mx.nd.LeakyReLU(mx.nd.ones((2, 3)), act_type="prelu")
    with pytest.raises(Exception, match=r"LeakyReLU: input 'gamma' has shape \(4,\)"):
        mx.nd.LeakyReLU(mx.nd.ones((2, 3)), mx.nd.ones((4,)), act_type="prelu")
    with pytest.raises(Exception, match="Activation: input 'data' must have a floating-point dtype"):
        mx.nd.Activation(mx.nd.ones((2,), dtype="int32"))


# ---- softmax family ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_softmax(dtype, layout, rng):
    x = random_array((2, 3, 4), dtype, rng)
    for axis in [-1, 0, 1]:
        for t in [None, 2.0]:
            tt = 1.0 if t is None else t
            check_op(
                lambda a, ax=axis, t=t: mx.nd.softmax(a, axis=ax, temperature=t),
                lambda a, ax=axis, tt=tt: np_softmax(a, ax, tt),
                [x],
                dtype,
                layout,
            )
            check_op(
                lambda a, ax=axis, t=t: mx.nd.log_softmax(a, axis=ax, temperature=t),
                lambda a, ax=axis, tt=tt: np.log(np_softmax(a, ax, tt)),
                [x],
                dtype,
                layout,
            )


def test_softmax_length_and_dtype(rng):
    x = random_array((3, 5), "float32", rng)
    length = np.array([2, 5, 1])
    got = mx.nd.softmax(mx.nd.array(x), mx.nd.array(length, dtype="int32"), use_length=True).asnumpy()
    for i, n in enumerate(length):
        np.testing.assert_allclose(got[i, :n], np_softmax(x[i, :n]), rtol=1e-5)
        assert (got[i, n:] == 0).all()
    y = mx.nd.softmax(mx.nd.array(x, dtype="float16"), dtype="float32")
    assert y.dtype == np.float32
    with pytest.raises(Exception, match="softmax: use_length=True needs the input 'length'"):
        mx.nd.softmax(mx.nd.array(x), use_length=True)
    with pytest.raises(Exception, match="softmax: axis 2 is out of range"):
        mx.nd.softmax(mx.nd.array(x), axis=2)


@pytest.mark.parametrize("axis", [1, 0])
def test_softmax_family_length_gradients(axis, rng):
    x = random_array((3, 5), "float64", rng)
    w = random_array((3, 5), "float64", rng)
    length = np.array([2, 5, 1]) if axis == 1 else np.array([1, 3, 2, 3, 2])
    xl, wl = (x, w) if axis == 1 else (x.T, w.T)  # lines along the last axis for the reference
    for op in ("softmax", "log_softmax"):
        xb = mx.nd.array(x, dtype="float64")
        xb.attach_grad()
        with mx.autograd.record():
            y = getattr(mx.nd, op)(xb, mx.nd.array(length, dtype="int32"), axis=axis, use_length=True)
            loss = (y * mx.nd.array(w, dtype="float64")).sum()
        loss.backward()
        want = np.zeros_like(xl)
        for i, n in enumerate(length):
            p = np_softmax(xl[i, :n])
            if op == "softmax":
                want[i, :n] = p * (wl[i, :n] - (wl[i, :n] * p).sum())
            else:
                want[i, :n] = wl[i, :n] - p * wl[i, :n].sum()
        got = xb.grad.asnumpy() if axis == 1 else xb.grad.asnumpy().T
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=op)


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_output_forward(dtype, rng):
    x = random_array((4, 3, 2), dtype, rng)
    lab = np.array([0, 1, 2, 1], dtype=np.float32)
    check_op(
        lambda a: mx.nd.SoftmaxOutput(a, mx.nd.array(lab)),
        lambda a: np_softmax(a.reshape(4, -1)).reshape(a.shape),
        [x],
        dtype,
    )
    lab2 = np.zeros((4, 2), dtype=np.float32)
    check_op(
        lambda a: mx.nd.SoftmaxOutput(a, mx.nd.array(lab2), multi_output=True), lambda a: np_softmax(a, 1), [x], dtype
    )
    with pytest.raises(Exception, match="SoftmaxOutput: input 'label' has shape"):
        mx.nd.SoftmaxOutput(mx.nd.array(x), mx.nd.array(np.zeros(3)))


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_cross_entropy(dtype, rng):
    x = random_array((4, 5), dtype, rng)
    lab = np.array([0, 4, 2, 1])
    ref = lambda a: np.array([-np.log(np_softmax(a))[np.arange(4), lab].sum()])  # noqa: E731
    check_op(
        lambda a: mx.nd.softmax_cross_entropy(a, mx.nd.array(lab)),
        ref,
        [x],
        dtype,
        rtol=1e-5 if dtype == "float32" else None,
    )
    with pytest.raises(Exception, match=r"softmax_cross_entropy: input 'label' has shape \(3,\), expected \(4,\)"):
        mx.nd.softmax_cross_entropy(mx.nd.array(x), mx.nd.array([1, 2, 3]))


# ---- Dropout -------------------------------------------------------------------------------------------


def dropout_with_mask(x, **attrs):
    """Dropout returning its hidden mask output too (callers of mx.nd.Dropout get only the result)."""
    import copy

    from braid.ndarray import _gen
    from braid.ndarray.ndarray import _coerce_inputs

    info = copy.copy(next(i for i in _gen.list_ops() if i.name == "Dropout"))
    info.num_visible = -1
    return _gen.make_function(info, _coerce_inputs)(x, **attrs)


@pytest.mark.parametrize("dtype", FLOATS + ["float16"])
def test_dropout_identity_outside_training(dtype, rng):
    x = random_array((3, 4), dtype, rng)
    out, mask = dropout_with_mask(mx.nd.array(x, dtype=dtype), p=0.5)
    np.testing.assert_array_equal(out.asnumpy(), x)
    np.testing.assert_array_equal(mask.asnumpy(), np.ones_like(x))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("how", ["train", "always"])
def test_dropout_training(dtype, how, rng):
    x = random_array((50, 40), dtype, rng, 0.5, 2.0)
    p = 0.3
    with training(how == "train"):
        out, mask = dropout_with_mask(mx.nd.array(x, dtype=dtype), p=p, mode="training" if how == "train" else "always")
        o, m = out.asnumpy(), mask.asnumpy()
    assert set(np.unique(m)) <= {0.0, np.dtype(dtype).type(1 / (1 - p))}
    np.testing.assert_allclose(o, x * m, rtol=1e-6)
    assert abs((m == 0).mean() - p) < 0.05


def test_dropout_axes_and_seed(rng):
    x = mx.nd.ones((4, 6, 5))
    mx.random.seed(11)
    out1, mask = dropout_with_mask(x, p=0.5, mode="always", axes=(1,))
    assert mask.shape == (4, 1, 5)
    o = out1.asnumpy()
    assert (o == o[:, :1, :]).all()  # shared along axis 1
    mx.random.seed(11)
    out2 = mx.nd.Dropout(x, p=0.5, mode="always", axes=(1,))
    np.testing.assert_array_equal(out2.asnumpy(), o)
    out3 = mx.nd.Dropout(x, p=0.5, mode="always", axes=(1,))
    assert not np.array_equal(out3.asnumpy(), o)
    with pytest.raises(Exception, match=r"Dropout: p must be in \[0, 1\]"):
        mx.nd.Dropout(x, p=1.5)


# ---- Embedding -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS + ["float16"])
def test_embedding(dtype, rng):
    w = random_array((10, 4), dtype, rng)
    for idx in [np.array([1, 3, 9]), np.array([[0, 2], [5, 5]]), np.array([[-3.0, 12.0]])]:
        got = mx.nd.Embedding(mx.nd.array(idx), mx.nd.array(w, dtype=dtype), input_dim=10, output_dim=4)
        want = w[np.clip(idx.astype(np.int64), 0, 9)]
        np.testing.assert_array_equal(got.asnumpy(), want)
    with pytest.raises(Exception, match=r"Embedding: input 'weight' has shape \(10, 4\), expected"):
        mx.nd.Embedding(mx.nd.array([1]), mx.nd.array(w), input_dim=10, output_dim=5)


# ---- Pad, SequenceMask ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect"])
@pytest.mark.parametrize("dtype", FLOATS + ["int32"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_pad(mode, dtype, layout, rng):
    for shape, pw in [((2, 3, 4, 5), (0, 0, 0, 0, 1, 2, 3, 1)), ((1, 2, 3, 4, 3), (0, 0, 0, 0, 1, 1, 0, 2, 2, 1))]:
        x = random_array(shape, dtype, rng)
        kw = {"constant_values": 1.5 if dtype != "int32" else 2} if mode == "constant" else {}
        ref = lambda a, pw=pw, kw=kw: np.pad(a, np.array(pw).reshape(-1, 2), mode=mode, **kw)  # noqa: E731
        cv = kw.get("constant_values", 0)
        check_op(
            lambda a, pw=pw, cv=cv: mx.nd.Pad(a, mode=mode, pad_width=pw, constant_value=cv), ref, [x], dtype, layout
        )


def test_pad_errors():
    x = mx.nd.ones((1, 1, 2, 2))
    with pytest.raises(Exception, match="Pad: input 'data' must be 4-D or 5-D"):
        mx.nd.Pad(mx.nd.ones((2, 2)), pad_width=(0, 0, 1, 1))
    with pytest.raises(Exception, match="Pad: pad_width must be 0 for the first two axes"):
        mx.nd.Pad(x, pad_width=(1, 0, 0, 0, 1, 1, 1, 1))
    with pytest.raises(Exception, match="Pad: reflect padding of axis 2 must be smaller than its size 2"):
        mx.nd.Pad(x, mode="reflect", pad_width=(0, 0, 0, 0, 2, 0, 0, 0))


@pytest.mark.parametrize("dtype", FLOATS + ["int32"])
@pytest.mark.parametrize("axis", [0, 1])
def test_sequence_mask(dtype, axis, rng):
    x = random_array((4, 3, 2), dtype, rng)
    lens = np.array([1, 4, 2] if axis == 0 else [1, 3, 0, 2])

    def ref(a):
        out = a.copy()
        for b, n in enumerate(lens):
            if axis == 0:
                out[n:, b] = -1
            else:
                out[b, n:] = -1
        return out

    fn = lambda a: mx.nd.SequenceMask(a, mx.nd.array(lens), use_sequence_length=True, value=-1.0, axis=axis)  # noqa: E731
    check_op(fn, ref, [x], dtype, "strided")
    check_op(lambda a: mx.nd.sequence_mask(a), lambda a: a, [x], dtype)
    with pytest.raises(Exception, match="SequenceMask: input 'sequence_length' has shape"):
        mx.nd.SequenceMask(mx.nd.array(x), mx.nd.array([1]), use_sequence_length=True, axis=axis)


# ---- gradients (finite differences, float64) ------------------------------------------------------------


def f64(shape, rng, low=-2.0, high=2.0):
    return rng.uniform(low, high, size=shape)


def _act(x, act_type):
    return mx.nd.Activation(x, act_type=act_type)


def _leaky(x, act_type):
    return mx.nd.LeakyReLU(x, act_type=act_type, slope=0.3)


def _dropout_eval(x):
    with mx.autograd.predict_mode():  # check_grad records in training mode; this case is the identity
        return mx.nd.Dropout(x, p=0.5)


GRAD_CASES = {
    "fc": (lambda x, w, b: mx.nd.FullyConnected(x, w, b, num_hidden=3), [(2, 2, 2), (3, 4), (3,)], [0, 1, 2]),
    "fc_nobias_noflatten": (
        lambda x, w: mx.nd.FullyConnected(x, w, num_hidden=3, no_bias=True, flatten=False),
        [(2, 2, 4), (3, 4)],
        [0, 1],
    ),
    **{f"act_{a}": (partial(_act, act_type=a), [(3, 4)], [0]) for a in ACT},
    **{f"leaky_{a}": (partial(_leaky, act_type=a), [(3, 4)], [0]) for a in LEAKY},
    "prelu": (lambda x, g: mx.nd.LeakyReLU(x, g, act_type="prelu"), [(2, 3, 2), (3,)], [0, 1]),
    "softmax": (lambda x: mx.nd.softmax(x, axis=1, temperature=2.0), [(2, 3, 2)], [0]),
    "log_softmax": (lambda x: mx.nd.log_softmax(x, axis=0), [(3, 4)], [0]),
    "softmax_ce": (lambda x: mx.nd.softmax_cross_entropy(x, mx.nd.array([0, 2, 1])), [(3, 4)], [0]),
    "pad_constant": (lambda x: mx.nd.Pad(x, mode="constant", pad_width=(0, 0, 0, 0, 1, 0, 0, 2)), [(1, 2, 2, 3)], [0]),
    "pad_edge": (lambda x: mx.nd.Pad(x, mode="edge", pad_width=(0, 0, 0, 0, 1, 2, 2, 1)), [(1, 2, 2, 3)], [0]),
    "pad_reflect": (lambda x: mx.nd.Pad(x, mode="reflect", pad_width=(0, 0, 0, 0, 1, 1, 2, 2)), [(1, 1, 3, 3)], [0]),
    "sequence_mask": (
        lambda x: mx.nd.SequenceMask(x, mx.nd.array([2, 0, 3]), use_sequence_length=True, value=5.0, axis=1),
        [(3, 4, 2)],
        [0],
    ),
    "dropout_eval": (_dropout_eval, [(3, 4)], [0]),
}


@pytest.mark.parametrize("case", sorted(GRAD_CASES))
def test_gradients(case, rng):
    fn, shapes, wrt = GRAD_CASES[case]
    inputs = [f64(s, rng) for s in shapes]
    if case == "prelu":
        inputs[1] = f64(shapes[1], rng, 0.1, 0.9)
    if case.startswith("act_relu") or case.startswith("leaky"):
        inputs[0] = np.where(np.abs(inputs[0]) < 0.05, 0.5, inputs[0])  # keep away from the kink
    check_grad(fn, inputs, grad_inputs=wrt)


def test_embedding_gradient(rng):
    w = f64((5, 3), rng)
    idx = np.array([[1, 4], [1, 0]], dtype=np.float64)
    head = rng.uniform(-1, 1, size=(2, 2, 3))
    (gw,) = autograd_grads(lambda i, w: mx.nd.Embedding(i, w, input_dim=5, output_dim=3), [idx, w], head, [1])
    want = np.zeros_like(w)
    np.add.at(want, idx.astype(int).ravel(), head.reshape(-1, 3))
    np.testing.assert_allclose(gw, want, rtol=1e-12)


def _softmax_output(x, lab, normalization, use_ignore):
    return mx.nd.SoftmaxOutput(
        x, lab, grad_scale=2.0, normalization=normalization, use_ignore=use_ignore, ignore_label=2
    )


def test_softmax_output_gradient(rng):
    x = f64((4, 3), rng)
    lab = np.array([0, 2, 1, 2], dtype=np.float64)
    for norm, ignore in [("null", False), ("batch", False), ("valid", True)]:
        fn = partial(_softmax_output, normalization=norm, use_ignore=ignore)
        (g,) = autograd_grads(fn, [x, lab], np.ones((4, 3)), [0])
        want = np_softmax(x) - np.eye(3)[lab.astype(int)]
        if ignore:
            want[lab == 2] = 0
        scale = 2.0 / {"null": 1, "batch": 4, "valid": int((lab != 2).sum())}[norm]
        np.testing.assert_allclose(g, want * scale, rtol=1e-10)


def test_dropout_gradient_uses_mask(rng):
    x = f64((20, 10), rng)
    with training():
        mx.random.seed(3)
        (g,) = autograd_grads(lambda a: mx.nd.Dropout(a, p=0.4), [x], np.ones((20, 10)), [0])
        mx.random.seed(3)
        _, mask = dropout_with_mask(mx.nd.array(x), p=0.4)
    np.testing.assert_array_equal(g, mask.asnumpy())
