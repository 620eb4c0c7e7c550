"""Autograd: the recording API, gradients of the core ops against finite differences, higher order, errors."""

import numpy as np
import pytest

import braid as mx
from op_check import check_grad

R = np.random.default_rng(7)


def rand(*shape, low=-1.0, high=1.0):
    return R.uniform(low, high, size=shape)


def test_simple_backward_and_grad_buffer():
    x = mx.nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with mx.autograd.record():
        y = (x * x).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [2, 4, 6])


def test_modes():
    assert not mx.autograd.is_recording() and not mx.autograd.is_training()
    with mx.autograd.record():
        assert mx.autograd.is_recording() and mx.autograd.is_training()
        with mx.autograd.pause():
            assert not mx.autograd.is_recording() and not mx.autograd.is_training()
        with mx.autograd.predict_mode():
            assert mx.autograd.is_recording() and not mx.autograd.is_training()
    with mx.autograd.record(train_mode=False):
        assert not mx.autograd.is_training()
    with mx.autograd.train_mode():
        assert mx.autograd.is_training() and not mx.autograd.is_recording()
    assert not mx.autograd.is_recording()


def test_grad_req_add_accumulates_and_write_overwrites():
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad(grad_req="add")
    for _ in range(3):
        with mx.autograd.record():
            y = x * 3
        y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [9, 9])
    z = mx.nd.array([1.0, 2.0])
    z.attach_grad()
    for _ in range(2):
        with mx.autograd.record():
            y = z * 3
        y.backward()
    np.testing.assert_allclose(z.grad.asnumpy(), [3, 3])


def test_non_scalar_head_uses_ones_and_out_grad_scales():
    x = mx.nd.array([[1.0, 2.0], [3.0, 4.0]])
    x.attach_grad()
    with mx.autograd.record():
        y = x * 2
    y.backward()  # MXNet semantics: as if summed
    np.testing.assert_allclose(x.grad.asnumpy(), np.full((2, 2), 2.0))
    with mx.autograd.record():
        y = x * 2
    y.backward(mx.nd.array([[1.0, 0.0], [0.5, 2.0]]))
    np.testing.assert_allclose(x.grad.asnumpy(), [[2, 0], [1, 4]])


def test_autograd_grad_returns_without_touching_buffers():
    x = mx.nd.array([0.5, -1.0])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.exp(x).sum()
    (gx,) = mx.autograd.grad(y, [x])
    np.testing.assert_allclose(gx.asnumpy(), np.exp([0.5, -1.0]), rtol=1e-6)
    np.testing.assert_array_equal(x.grad.asnumpy(), [0, 0])


def test_higher_order():
    x = mx.nd.array([0.3, -1.2, 2.0], dtype="float64")
    x.attach_grad()
    with mx.autograd.record():
        y = x * x * x
        (dy,) = mx.autograd.grad(y, [x], create_graph=True)
    dy.backward()
    np.testing.assert_allclose(dy.asnumpy(), 3 * x.asnumpy() ** 2)
    np.testing.assert_allclose(x.grad.asnumpy(), 6 * x.asnumpy())
    with mx.autograd.record():
        s = mx.nd.sin(x)
        (ds,) = mx.autograd.grad(s, [x], create_graph=True)
    ds.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), -np.sin(x.asnumpy()))


def test_detach_and_pause_stop_gradients():
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    with mx.autograd.record():
        y = x * x.detach()
        with mx.autograd.pause():
            w = x * 5
        z = y + w
    z.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [1, 2])


def test_errors():
    x = mx.nd.array([1.0, 2.0])
    with pytest.raises(mx.BraidValueError, match="not part of a recorded graph"):
        (x * 2).backward()
    x.attach_grad()
    with mx.autograd.record():
        y = (x * x).sum()
    y.backward()
    with pytest.raises(mx.BraidValueError, match="freed by an earlier backward.*retain_graph"):
        y.backward()
    with mx.autograd.record():
        y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [2, 4])
    u = mx.nd.array([1.0])
    with mx.autograd.record():
        v = (x * 2).sum()
    with pytest.raises(mx.BraidValueError, match="variable 0 is not part of the recorded graph"):
        mx.autograd.grad(v, [u])
    with mx.autograd.record():
        with pytest.raises(mx.BraidValueError, match="cannot write in place"):
            x += 1


BINARY = [
    "broadcast_add",
    "broadcast_sub",
    "broadcast_mul",
    "broadcast_div",
    "broadcast_maximum",
    "broadcast_minimum",
    "broadcast_hypot",
]


@pytest.mark.parametrize("name", BINARY)
def test_binary_grads_with_broadcasting(name):
    check_grad(getattr(mx.nd, name), [rand(2, 3), rand(3, low=0.5, high=1.5)])
    check_grad(getattr(mx.nd, name), [rand(2, 1, 3), rand(4, 1)])


def test_power_grad():
    check_grad(mx.nd.broadcast_power, [rand(2, 3, low=0.5, high=2), rand(3, low=-1, high=2)])


SCALAR = [
    lambda x: x + 2,
    lambda x: 3 - x,
    lambda x: x * 1.5,
    lambda x: x / 4,
    lambda x: 2 / x,
    lambda x: x**3,
    lambda x: 2**x,
    lambda x: mx.nd._internal._maximum_scalar(x, scalar=1.2),
]


@pytest.mark.parametrize("k", range(len(SCALAR)))
def test_scalar_op_grads(k):
    check_grad(SCALAR[k], [rand(3, 2, low=0.5, high=2)])


UNARY = [
    "negative",
    "abs",
    "square",
    "sqrt",
    "rsqrt",
    "cbrt",
    "exp",
    "expm1",
    "log",
    "log1p",
    "log2",
    "log10",
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
    "arcsinh",
    "arctanh",
    "sigmoid",
    "relu",
    "softsign",
    "erf",
    "reciprocal",
    "degrees",
]


@pytest.mark.parametrize("name", UNARY)
def test_unary_grads(name):
    low, high = (0.2, 0.9) if name in ("sqrt", "rsqrt", "cbrt", "log", "log2", "log10", "reciprocal") else (-0.9, 0.9)
    check_grad(getattr(mx.nd, name), [rand(2, 3, low=low, high=high)])


def test_clip_grad():
    check_grad(lambda x: mx.nd.clip(x, -0.5, 0.5), [np.array([-0.9, -0.2, 0.3, 0.8])])


@pytest.mark.parametrize("axis,keepdims", [(None, False), (1, False), ((0, 2), True), (-1, True)])
def test_reduction_grads(axis, keepdims):
    for fn in (mx.nd.sum, mx.nd.mean, mx.nd.max, mx.nd.min, mx.nd.prod):
        check_grad(lambda x, fn=fn: fn(x, axis=axis, keepdims=keepdims), [rand(2, 3, 4, low=0.5, high=1.5)])


def test_linalg_grads():
    check_grad(mx.nd.dot, [rand(3, 4), rand(4, 2)])
    check_grad(lambda a, b: mx.nd.dot(a, b, transpose_a=True), [rand(4, 3), rand(4, 2)])
    check_grad(lambda a, b: mx.nd.dot(a, b, transpose_b=True), [rand(3, 4), rand(2, 4)])
    check_grad(lambda a, b: mx.nd.dot(a, b, transpose_a=True, transpose_b=True), [rand(4, 3), rand(2, 4)])
    check_grad(mx.nd.dot, [rand(4), rand(4)])
    check_grad(mx.nd.dot, [rand(2, 3, 4), rand(4, 2)])
    check_grad(mx.nd.batch_dot, [rand(2, 3, 4), rand(2, 4, 2)])
    check_grad(lambda a, b: mx.nd.batch_dot(a, b, transpose_b=True), [rand(2, 3, 4), rand(2, 2, 4)])
    check_grad(mx.nd.matmul, [rand(2, 3, 4), rand(4, 2)])
    check_grad(mx.nd.matmul, [rand(4), rand(2, 4, 3)])
    check_grad(mx.nd.matmul, [rand(3, 4), rand(4)])


def test_shape_op_grads():
    x = rand(2, 3, 4)
    check_grad(lambda t: mx.nd.reshape(t, shape=(4, -1)), [x])
    check_grad(lambda t: mx.nd.transpose(t, axes=(1, 2, 0)), [x])
    check_grad(lambda t: mx.nd.transpose(t), [x])
    check_grad(lambda t: mx.nd.swapaxes(t, dim1=0, dim2=2), [x])
    check_grad(lambda t: mx.nd.expand_dims(t, axis=1), [x])
    check_grad(lambda t: mx.nd.flatten(t), [x])
    check_grad(lambda t: mx.nd.flip(t, axis=(1,)), [x])
    check_grad(lambda t: mx.nd.broadcast_to(t, shape=(2, 2, 3)), [rand(2, 1, 3)])
    check_grad(lambda a, b: mx.nd.concat(a, b, dim=1), [rand(2, 3), rand(2, 2)])
    check_grad(lambda a, b: mx.nd.stack(a, b, axis=1), [rand(2, 3), rand(2, 3)])
    check_grad(lambda t: mx.nd.split(t, num_outputs=3, axis=1), [rand(2, 3, 2)])
    check_grad(lambda t: mx.nd.squeeze(t), [rand(2, 1, 3)])
    # float32 rounding needs a wide finite-difference step
    check_grad(lambda t: mx.nd.cast(t, dtype="float32").astype("float64"), [rand(3)], eps=1e-2, rtol=1e-3, atol=1e-4)


def test_chain_of_ops_matches_closed_form():
    w = mx.nd.array(rand(3, 2))
    x = mx.nd.array(rand(4, 3))
    w.attach_grad()
    with mx.autograd.record():
        y = mx.nd.sigmoid(mx.nd.dot(x, w))
        loss = mx.nd.mean((y - 1) ** 2)
    loss.backward()
    xv, wv = x.asnumpy().astype(np.float64), w.asnumpy().astype(np.float64)
    s = 1 / (1 + np.exp(-(xv @ wv)))
    dy = 2 * (s - 1) / s.size
    np.testing.assert_allclose(w.grad.asnumpy(), xv.T @ (dy * s * (1 - s)), rtol=1e-4, atol=1e-6)


def test_index_op_grads():
    x = rand(3, 4)
    check_grad(lambda t: mx.nd.slice(t, begin=(1, 0), end=(3, None), step=(1, 2)), [x])
    check_grad(lambda t: mx.nd.slice_axis(t, axis=1, begin=1, end=3), [x])
    cond = mx.nd.array([[1, 0, 1, 0]] * 3, dtype="float64")
    check_grad(lambda a, b: mx.nd.where(cond, a, b), [x, rand(3, 4)])
    idx = mx.nd.array([0, 3, 1], dtype="float64")
    check_grad(lambda t: mx.nd.pick(t, idx, axis=1), [x])
    check_grad(lambda t: mx.nd.pick(t, mx.nd.array([2, 0, 1, 1], dtype="float64"), axis=0), [x])


def test_basic_indexing_is_recorded():
    check_grad(lambda t: t[1:, ::2], [rand(3, 4)])
    check_grad(lambda t: t[1], [rand(3, 4)])
    check_grad(lambda t: t[:, None, -1], [rand(3, 4)])
    check_grad(lambda t: t.reshape(2, 6) * 2, [rand(3, 4)])


class _Sigmoid(mx.autograd.Function):
    def forward(self, x):
        y = 1 / (1 + mx.nd.exp(-x))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved_tensors
        return dy * y * (1 - y)


class _MulAdd(mx.autograd.Function):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b, a + b

    def backward(self, d_mul, d_add):
        a, b = self.saved_tensors
        return d_mul * b + d_add, d_mul * a + d_add


def test_custom_function_gradients():
    check_grad(lambda t: _Sigmoid()(t) * 2, [rand(3, 2)])
    check_grad(lambda a, b: _MulAdd()(a, b), [rand(2, 3), rand(2, 3)])
    x = mx.nd.array([0.0, 1.0])
    x.attach_grad()
    with mx.autograd.record():
        y = _Sigmoid()(x)
    y.backward()
    s = 1 / (1 + np.exp(-np.array([0.0, 1.0])))
    np.testing.assert_allclose(x.grad.asnumpy(), s * (1 - s), rtol=1e-6)
    assert not mx.autograd.is_recording()


def test_custom_function_errors_propagate():
    class Broken(mx.autograd.Function):
        def forward(self, x):
            return x * 2

        def backward(self, dy):
            raise RuntimeError("boom in backward")

    x = mx.nd.array([1.0])
    x.attach_grad()
    with mx.autograd.record():
        y = Broken()(x)
    with pytest.raises(RuntimeError, match="boom in backward"):
        y.backward()


def test_backward_frees_a_graph_of_temporaries_safely():
    # Freeing the saved inputs of `where` drops the last reference to the comparison's node while the walk
    # still had to visit it (a use-after-free before the walk owned its nodes).
    for _ in range(200):
        x = mx.nd.array([[0.5, 1.0], [-2.0, 0.1]])
        x.attach_grad()
        with mx.autograd.record():
            y = x * 1.0
            out = mx.nd.sum(mx.nd.where(y > 0.7, y, y * 2))
        out.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [[2.0, 1.0], [2.0, 2.0]])


def test_fresh_grad_flag_marks_gradients_written_by_backward():
    x, y = mx.nd.ones(3), mx.nd.ones(3)
    x.attach_grad()
    y.attach_grad()
    assert not x._fresh_grad
    with mx.autograd.record():
        loss = (x * 2).sum()
    loss.backward()
    assert x._fresh_grad and not y._fresh_grad  # y took no part
    x._fresh_grad = False
    assert not x._fresh_grad
