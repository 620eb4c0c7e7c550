"""Shape ops (reshape, transpose, concat, stack, split, tile, repeat, flip, broadcast_to...) against numpy."""

import numpy as np
import pytest

import braid as mx
from op_check import ALL_DTYPES, SHAPES, check_op, random_array, to_braid

DTYPES = ["float32", "float16", "bfloat16", "int32", "uint8", "bool"]
LAYOUTS = ["contiguous", "strided"]


def np_reshape_mx(shape, spec, reverse=False):
    """MXNet's reshape special values, resolved independently of the core for the reference."""
    ins, sp = list(shape), list(spec)
    if reverse:
        ins, sp = ins[::-1], sp[::-1]
        # keep each (-4, a, b) group in order after the reversal
        i = 0
        while i < len(sp):
            if i + 2 < len(sp) and sp[i + 2] == -4:
                sp[i : i + 3] = [-4, sp[i], sp[i + 1]]
                i += 3
            else:
                i += 1
    out, src, i = [], 0, 0
    while i < len(sp):
        v = sp[i]
        if v > 0 or v == -1:
            out.append(v)
            src += 1
        elif v == 0:
            out.append(ins[src])
            src += 1
        elif v == -2:
            out += ins[src:]
            src = len(ins)
        elif v == -3:
            out.append(ins[src] * ins[src + 1])
            src += 2
        elif v == -4:
            a, b = sp[i + 1], sp[i + 2]
            d = ins[src]
            a, b = (d // b, b) if a == -1 else (a, d // a if b == -1 else b)
            out += [a, b]
            src += 1
            i += 2
        i += 1
    if -1 in out:
        known = int(np.prod([d for d in out if d != -1]))
        out[out.index(-1)] = int(np.prod(shape)) // known
    return tuple(out[::-1] if reverse else out)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_reshape_special_values(dtype, layout, rng):
    x = random_array((2, 3, 4), dtype, rng)
    for spec in [
        (4, 6),
        (-1,),
        (0, -1),
        (-2,),
        (0, 0, -1),
        (-3, 4),
        (2, -3),
        (-4, 1, 2, -2),
        (0, -4, -1, 1, 0),
        (6, -1),
        (1, 24, 1),
    ]:
        check_op(
            lambda t, spec=spec: mx.nd.reshape(t, shape=spec),
            lambda t, spec=spec: t.reshape(np_reshape_mx(x.shape, spec)),
            [x],
            dtype,
            layout,
        )


def test_reshape_reverse_and_alias(rng):
    x = random_array((10, 5, 4), "float32", rng)
    check_op(lambda t: mx.nd.reshape(t, shape=(-1, 0), reverse=True), lambda t: t.reshape(50, 4), [x], "float32")
    check_op(lambda t: mx.nd.Reshape(t, shape=(0, -1)), lambda t: t.reshape(10, 20), [x], "float32")
    assert mx.nd.reshape(mx.nd.ones(()), shape=(1, 1)).shape == (1, 1)
    assert mx.nd.reshape(mx.nd.ones((0, 3)), shape=(-1, 0)).shape == (0, 3)


def test_reshape_errors():
    a = mx.nd.ones((2, 3))
    with pytest.raises(mx.BraidValueError, match=r"reshape: cannot reshape an array of shape \(2, 3\) .*sizes differ"):
        mx.nd.reshape(a, shape=(4, 2))
    with pytest.raises(ValueError, match="reshape: .*more than one -1"):
        mx.nd.reshape(a, shape=(-1, -1))
    with pytest.raises(ValueError, match="reshape: .*unknown special value -7"):
        mx.nd.reshape(a, shape=(-7,))
    with pytest.raises(ValueError, match="reshape: missing required attribute 'shape'"):
        mx.nd.reshape(a)


def test_reshape_method_keeps_view_semantics():
    a = mx.nd.array(np.arange(6, dtype=np.float32))
    v = a.reshape(2, 3)
    v[0, 0] = 100
    assert a.asnumpy()[0] == 100
    s = a[::2].reshape(3, 1)  # strided: a copy through the op
    np.testing.assert_array_equal(s.asnumpy().ravel(), [100, 2, 4])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_transpose(dtype, layout, rng):
    for shape in SHAPES + [(2, 3, 4, 5)]:
        x = random_array(shape, dtype, rng)
        check_op(mx.nd.transpose, np.transpose, [x], dtype, layout)
    x = random_array((2, 3, 4), dtype, rng)
    check_op(lambda t: mx.nd.transpose(t, axes=(1, -1, 0)), lambda t: t.transpose(1, 2, 0), [x], dtype, layout)
    check_op(lambda t: mx.nd.transpose(t, axes=()), lambda t: t.transpose(), [x], dtype, layout)
    check_op(lambda t: t.T, lambda t: t.T, [x], dtype, layout)


def test_transpose_errors():
    a = mx.nd.ones((2, 3))
    with pytest.raises(mx.BraidValueError, match=r"transpose: axes=\(0,\) has 1 entries, expected one per dimension"):
        mx.nd.transpose(a, axes=(0,))
    with pytest.raises(ValueError, match="transpose: axes contains axis 0 more than once"):
        mx.nd.transpose(a, axes=(0, -2))
    with pytest.raises(ValueError, match=r"transpose: axes=2 is out of range"):
        mx.nd.transpose(a, axes=(0, 2))


@pytest.mark.parametrize("dtype", DTYPES)
def test_swapaxes(dtype, rng):
    x = random_array((2, 3, 4), dtype, rng)
    for d1, d2 in [(0, 2), (1, -1), (2, 2), (-3, 1)]:
        check_op(
            lambda t, d1=d1, d2=d2: mx.nd.swapaxes(t, dim1=d1, dim2=d2),
            lambda t, d1=d1, d2=d2: np.swapaxes(t, d1, d2),
            [x],
            dtype,
            "strided",
        )
    check_op(lambda t: mx.nd.SwapAxis(t, dim1=0, dim2=1), lambda t: np.swapaxes(t, 0, 1), [x], dtype)
    with pytest.raises(ValueError, match="swapaxes: dim2=3 is out of range"):
        mx.nd.swapaxes(mx.nd.ones((2, 3, 4)), dim1=0, dim2=3)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_expand_dims_squeeze_flatten(dtype, layout, rng):
    for shape in SHAPES:
        x = random_array(shape, dtype, rng)
        for ax in range(-x.ndim - 1, x.ndim + 1):
            check_op(
                lambda t, ax=ax: mx.nd.expand_dims(t, axis=ax),
                lambda t, ax=ax: np.expand_dims(t, ax),
                [x],
                dtype,
                layout,
            )
        if x.ndim:
            check_op(mx.nd.flatten, lambda t: t.reshape(t.shape[0], int(np.prod(t.shape[1:]))), [x], dtype, layout)
    x = random_array((1, 3, 1, 2), dtype, rng)
    check_op(mx.nd.squeeze, np.squeeze, [x], dtype, layout)
    check_op(lambda t: mx.nd.squeeze(t, axis=(0, -2)), lambda t: np.squeeze(t, (0, 2)), [x], dtype, layout)
    check_op(lambda t: mx.nd.squeeze(t, axis=2), lambda t: np.squeeze(t, 2), [x], dtype, layout)
    check_op(mx.nd.Flatten, lambda t: t.reshape(1, 6), [x], dtype, layout)
    check_op(mx.nd.squeeze, np.squeeze, [random_array((), dtype, rng)], dtype)


def test_expand_dims_squeeze_flatten_errors():
    with pytest.raises(ValueError, match=r"expand_dims: axis=3 is out of range for an array of ndim 3"):
        mx.nd.expand_dims(mx.nd.ones((2, 3)), axis=3)
    with pytest.raises(mx.BraidValueError, match=r"squeeze: axis 1 has size 3; only axes of size 1"):
        mx.nd.squeeze(mx.nd.ones((1, 3)), axis=1)
    with pytest.raises(ValueError, match="flatten: expects an array with at least one dimension"):
        mx.nd.flatten(mx.nd.ones(()))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_concat(dtype, layout, rng):
    a = random_array((2, 3, 4), dtype, rng)
    b = random_array((2, 1, 4), dtype, rng)
    c = random_array((2, 0, 4), dtype, rng)
    check_op(
        lambda x, y, z: mx.nd.concat(x, y, z),
        lambda x, y, z: np.concatenate([x, y, z], 1),
        [a, b, c],
        dtype,
        layout,
    )
    check_op(
        lambda x, y: mx.nd.concat(x, y, dim=-1),
        lambda x, y: np.concatenate([x, y], -1),
        [a, a],
        dtype,
        layout,
    )
    check_op(
        lambda x, y: mx.nd.Concat(x, y, dim=0, num_args=2),
        lambda x, y: np.concatenate([x, y], 0),
        [a, a],
        dtype,
        layout,
    )
    check_op(lambda x: mx.nd.concat(x, dim=0), lambda x: x, [a], dtype, layout)


def test_concat_promotes_and_errors():
    r = mx.nd.concat(mx.nd.ones((1, 2), dtype="int32"), mx.nd.ones((1, 2), dtype="float64") * 0.5, dim=0)
    assert r.dtype == np.float64
    np.testing.assert_array_equal(r.asnumpy(), [[1, 1], [0.5, 0.5]])
    with pytest.raises(mx.BraidValueError, match=r"concat: input 1 has shape \(2, 4\), which does not match input 0"):
        mx.nd.concat(mx.nd.ones((2, 3)), mx.nd.ones((2, 4)), dim=0)
    with pytest.raises(ValueError, match="concat: num_args=3 but 2 input array"):
        mx.nd.concat(mx.nd.ones((2, 3)), mx.nd.ones((2, 3)), num_args=3)
    with pytest.raises(ValueError, match="concat: dim=2 is out of range"):
        mx.nd.concat(mx.nd.ones((2, 3)), mx.nd.ones((2, 3)), dim=2)
    with pytest.raises(ValueError, match="concat: zero-dimensional arrays cannot be concatenated"):
        mx.nd.concat(mx.nd.ones(()), mx.nd.ones(()))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_stack(dtype, layout, rng):
    for shape in [(), (3,), (2, 3), (0, 2)]:
        xs = [random_array(shape, dtype, rng) for _ in range(3)]
        for axis in range(-len(shape) - 1, len(shape) + 1):
            check_op(
                lambda *t, axis=axis: mx.nd.stack(*t, axis=axis),
                lambda *t, axis=axis: np.stack(t, axis),
                xs,
                dtype,
                layout,
            )
    with pytest.raises(ValueError, match=r"stack: all inputs must have the same shape; input 1 has \(3,\)"):
        mx.nd.stack(mx.nd.ones((2,)), mx.nd.ones((3,)))
    with pytest.raises(ValueError, match="stack: axis=2 is out of range"):
        mx.nd.stack(mx.nd.ones((2,)), mx.nd.ones((2,)), axis=2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_split(dtype, layout, rng):
    x = random_array((4, 6, 2), dtype, rng)
    check_op(lambda t: mx.nd.split(t, num_outputs=3), lambda t: np.split(t, 3, axis=1), [x], dtype, layout)
    check_op(lambda t: mx.nd.split(t, num_outputs=2, axis=0), lambda t: np.split(t, 2, 0), [x], dtype, layout)
    check_op(
        lambda t: mx.nd.SliceChannel(t, num_outputs=2, axis=-1, squeeze_axis=True),
        lambda t: [p.squeeze(-1) for p in np.split(t, 2, -1)],
        [x],
        dtype,
        layout,
    )
    one = mx.nd.split(to_braid(x, dtype), num_outputs=1, axis=0)
    assert isinstance(one, mx.nd.NDArray) and one.shape == (4, 6, 2)


def test_split_many_outputs_and_errors():
    x = mx.nd.array(np.arange(40, dtype=np.float32))
    parts = mx.nd.split(x, num_outputs=40, axis=0, squeeze_axis=True)
    assert len(parts) == 40 and parts[7].shape == () and parts[7].asscalar() == 7
    with pytest.raises(mx.BraidValueError, match=r"split: axis 1 of size 6 cannot be split evenly into num_outputs=4"):
        mx.nd.split(mx.nd.ones((2, 6)), num_outputs=4)
    with pytest.raises(ValueError, match="split: num_outputs=0 must be at least 1"):
        mx.nd.split(mx.nd.ones((2, 6)), num_outputs=0)
    with pytest.raises(ValueError, match="split: squeeze_axis=True needs parts of size 1"):
        mx.nd.split(mx.nd.ones((2, 6)), num_outputs=2, squeeze_axis=True)
    with pytest.raises(ValueError, match="split: missing required attribute 'num_outputs'"):
        mx.nd.split(mx.nd.ones((2, 6)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_tile(dtype, layout, rng):
    for shape, reps in [
        ((), (3,)),
        ((3,), (2,)),
        ((2, 3), (2, 1)),
        ((2, 3), (3,)),
        ((2, 3), (2, 1, 2)),
        ((0, 3), (2, 2)),
        ((2, 3), (0, 1)),
        ((2, 1, 3), (1, 3, 1)),
    ]:
        x = random_array(shape, dtype, rng)
        check_op(
            lambda t, reps=reps: mx.nd.tile(t, reps=reps),
            lambda t, reps=reps: np.tile(t, reps),
            [x],
            dtype,
            layout,
        )
    with pytest.raises(ValueError, match=r"tile: reps=\(-1,\) must not be negative"):
        mx.nd.tile(mx.nd.ones((2,)), reps=(-1,))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_repeat(dtype, layout, rng):
    x = random_array((2, 3, 2), dtype, rng)
    for reps, axis in [(2, 0), (3, 1), (2, -1), (1, 2), (0, 1), (2, None), (3, None)]:
        check_op(
            lambda t, axis=axis, reps=reps: mx.nd.repeat(t, repeats=reps, axis=axis),
            lambda t, axis=axis, reps=reps: np.repeat(t, reps, axis),
            [x],
            dtype,
            layout,
        )
    check_op(lambda t: mx.nd.repeat(t, repeats=2), lambda t: np.repeat(t, 2), [random_array((), dtype, rng)], dtype)
    with pytest.raises(ValueError, match="repeat: repeats=-1 must not be negative"):
        mx.nd.repeat(mx.nd.ones((2,)), repeats=-1)
    with pytest.raises(ValueError, match="repeat: axis=1 is out of range"):
        mx.nd.repeat(mx.nd.ones((2,)), repeats=2, axis=1)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_flip(dtype, layout, rng):
    for shape in SHAPES:
        x = random_array(shape, dtype, rng)
        check_op(mx.nd.flip, np.flip, [x], dtype, layout)
        for ax in range(-x.ndim, x.ndim):
            check_op(lambda t, ax=ax: mx.nd.flip(t, axis=ax), lambda t, ax=ax: np.flip(t, ax), [x], dtype, layout)
    x = random_array((2, 3, 4), dtype, rng)
    check_op(lambda t: mx.nd.reverse(t, axis=(0, 2)), lambda t: np.flip(t, (0, 2)), [x], dtype, layout)
    with pytest.raises(ValueError, match="flip: axis=3 is out of range"):
        mx.nd.flip(mx.nd.ones((2, 3, 4)), axis=3)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_broadcast_to_and_like(dtype, layout, rng):
    for shape, target, want in [
        ((3,), (2, 3), (2, 3)),
        ((2, 1), (2, 4), (2, 4)),
        ((1, 3), (0, 5, 3), (0, 5, 3)),
        ((2, 1), (0, 3), (2, 3)),
        ((), (2, 2), (2, 2)),
        ((1,), (0,), (1,)),
        ((1, 1), (3, 0, 0), (3, 1, 1)),
    ]:
        x = random_array(shape, dtype, rng)
        check_op(
            lambda t, target=target: mx.nd.broadcast_to(t, shape=target),
            lambda t, want=want: np.broadcast_to(t, want),
            [x],
            dtype,
            layout,
        )
    x, y = random_array((2, 1), dtype, rng), random_array((3, 2, 4), dtype, rng)
    check_op(mx.nd.broadcast_like, lambda a, b: np.broadcast_to(a, b.shape), [x, y], dtype, layout)
    x, y = random_array((1, 3), dtype, rng), random_array((5, 4), dtype, rng)
    check_op(
        lambda a, b: mx.nd.broadcast_like(a, b, lhs_axes=(0,), rhs_axes=(-1,)),
        lambda a, b: np.broadcast_to(a, (4, 3)),
        [x, y],
        dtype,
        layout,
    )


def test_broadcast_errors():
    with pytest.raises(
        mx.BraidValueError,
        match=r"broadcast_to: an array of shape \(2, 3\) cannot be broadcast to "
        r"shape \(2, 4\)",
    ):
        mx.nd.broadcast_to(mx.nd.ones((2, 3)), shape=(2, 4))
    with pytest.raises(ValueError, match=r"broadcast_to: shape=\(3,\) has fewer dimensions"):
        mx.nd.broadcast_to(mx.nd.ones((2, 3)), shape=(3,))
    with pytest.raises(ValueError, match="broadcast_like: lhs axis 0 of size 2 cannot be broadcast"):
        mx.nd.broadcast_like(mx.nd.ones((2, 3)), mx.nd.ones((4,)), lhs_axes=(0,), rhs_axes=(0,))


@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_reshape_like(dtype, rng):
    x, y = random_array((2, 6), dtype, rng), random_array((3, 4), dtype, rng)
    check_op(mx.nd.reshape_like, lambda a, b: a.reshape(b.shape), [x, y], dtype, "strided")
    with pytest.raises(ValueError, match=r"reshape_like: lhs of shape \(2, 6\) and rhs of shape \(5,\)"):
        mx.nd.reshape_like(mx.nd.ones((2, 6)), mx.nd.ones((5,)))


def test_out_into_strided_view(rng):
    x = random_array((2, 3), "float32", rng)
    dst = mx.nd.zeros((3, 4))
    mx.nd.transpose(mx.nd.array(x), out=dst[:, 1:3])
    want = np.zeros((3, 4), np.float32)
    want[:, 1:3] = x.T
    np.testing.assert_array_equal(dst.asnumpy(), want)
    dst = mx.nd.zeros((2, 8))
    mx.nd.reshape(mx.nd.array(x.T.copy()), shape=(2, 3), out=dst[:, ::3])
    np.testing.assert_array_equal(dst.asnumpy()[:, ::3], x.T.reshape(2, 3))


def test_methods(rng):
    x = random_array((2, 3, 4), "float32", rng)
    a = mx.nd.array(x)
    np.testing.assert_array_equal(a.transpose((2, 0, 1)).asnumpy(), x.transpose(2, 0, 1))
    np.testing.assert_array_equal(a.swapaxes(0, 1).asnumpy(), x.swapaxes(0, 1))
    np.testing.assert_array_equal(a.expand_dims(1).asnumpy(), x[:, None])
    np.testing.assert_array_equal(a[:, :1].squeeze().asnumpy(), x[:, 0])
    np.testing.assert_array_equal(a.flatten().asnumpy(), x.reshape(2, 12))
    np.testing.assert_array_equal(a.tile((2, 1, 1)).asnumpy(), np.tile(x, (2, 1, 1)))
    np.testing.assert_array_equal(a.repeat(2, axis=0).asnumpy(), np.repeat(x, 2, 0))
    np.testing.assert_array_equal(a.flip(1).asnumpy(), x[:, ::-1])
    np.testing.assert_array_equal(a.broadcast_to((2, 2, 3, 4)).asnumpy(), np.broadcast_to(x, (2, 2, 3, 4)))
    np.testing.assert_array_equal(a.reshape_like(mx.nd.ones((4, 6))).asnumpy(), x.reshape(4, 6))
    assert [p.shape for p in a.split(num_outputs=3)] == [(2, 1, 4)] * 3
    np.testing.assert_array_equal(a.slice_axis(axis=2, begin=1, end=None).asnumpy(), x[:, :, 1:])
    np.testing.assert_allclose(a.abs().sqrt().asnumpy(), np.sqrt(np.abs(x)), rtol=1e-6)
    np.testing.assert_array_equal(a.clip(-1, 1).asnumpy(), np.clip(x, -1, 1))
    assert mx.nd.NDArray.reshape.__qualname__ == "NDArray.reshape"  # the hand-written method stays


@pytest.mark.parametrize("reps", [(2, 3), (2, 1, 2), (3,)])
def test_tile_gradient(reps):
    from op_check import check_grad

    check_grad(lambda a: mx.nd.tile(a, reps=reps), [np.random.default_rng(2).standard_normal((2, 3))])


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_repeat_gradient(axis):
    from op_check import check_grad

    check_grad(lambda a: mx.nd.repeat(a, repeats=3, axis=axis), [np.random.default_rng(3).standard_normal((2, 3))])
