"""Index ops (where, one_hot, take, pick, slice, slice_axis, gather_nd, _scatter_set_nd) against numpy."""

import numpy as np
import pytest

import braid as mx
from op_check import ALL_DTYPES, check_op, random_array, to_braid

DTYPES = ["float32", "float64", "float16", "bfloat16", "int8", "int32", "int64", "uint8", "bool"]
INDEX_DTYPES = ["int32", "int64", "uint8", "float32", "float64"]
LAYOUTS = ["contiguous", "strided"]


# ---- where -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_where_same_shape(dtype, layout, rng):
    for shape in [(), (0,), (7,), (3, 4), (2, 3, 5)]:
        c, x, y = (random_array(shape, dtype, rng) for _ in range(3))
        check_op(mx.nd.where, lambda c, x, y: np.where(c != 0, x, y), [c, x, y], dtype, layout)


@pytest.mark.parametrize("dtype", ["float32", "int32", "bfloat16"])
def test_where_row_condition_and_cond_dtype(dtype, rng):
    x, y = random_array((4, 3, 2), dtype, rng), random_array((4, 3, 2), dtype, rng)
    cond = np.array([1, 0, 0, 1], dtype=np.float32)
    check_op(
        lambda a, b: mx.nd.where(mx.nd.array(cond), a, b),
        lambda a, b: np.where(cond[:, None, None] != 0, a, b),
        [x, y],
        dtype,
        "strided",
    )
    cond2 = rng.random((4, 3, 2)) < 0.5
    check_op(
        lambda a, b: mx.nd.where(mx.nd.array(cond2, dtype="bool"), a, b),
        lambda a, b: np.where(cond2, a, b),
        [x, y],
        dtype,
    )


def test_where_promotes_and_errors():
    r = mx.nd.where(mx.nd.array([1, 0]), mx.nd.array([1, 2], dtype="int32"), mx.nd.array([0.5, 0.5], dtype="float64"))
    assert r.dtype == np.float64 and r.asnumpy().tolist() == [1.0, 0.5]
    with pytest.raises(
        mx.BraidValueError,
        match=r"where: condition must have the shape of x \(2, 3\) or be 1-D of "
        r"length 2, got \(3,\)",
    ):
        mx.nd.where(mx.nd.ones((3,)), mx.nd.ones((2, 3)), mx.nd.ones((2, 3)))
    with pytest.raises(ValueError, match=r"where: x and y must have the same shape, got \(2, 3\) and \(3,\)"):
        mx.nd.where(mx.nd.ones((2, 3)), mx.nd.ones((2, 3)), mx.nd.ones((3,)))


# ---- one_hot -----------------------------------------------------------------------------------------------


def np_one_hot(idx, depth, on=1.0, off=0.0, dtype=np.float32):
    out = np.full(idx.shape + (depth,), off, dtype=dtype)
    flat = out.reshape(-1, depth)
    for i, v in enumerate(idx.reshape(-1).astype(np.int64)):
        if 0 <= v < depth:
            flat[i, v] = on
    return out


@pytest.mark.parametrize("idx_dtype", INDEX_DTYPES)
def test_one_hot(idx_dtype, rng):
    idx = np.array([[0, 3, 1], [4, 2, 9]], dtype=np.float64).astype(idx_dtype)
    got = mx.nd.one_hot(mx.nd.array(idx, dtype=idx_dtype), 5)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.asnumpy(), np_one_hot(idx, 5))
    got = mx.nd.one_hot(to_braid(idx, idx_dtype, "strided"), depth=4, on_value=7, off_value=-1, dtype="int32")
    np.testing.assert_array_equal(got.asnumpy(), np_one_hot(idx, 4, 7, -1, np.int32))
    neg = mx.nd.one_hot(mx.nd.array([-1, 1], dtype="int32"), depth=2).asnumpy()
    np.testing.assert_array_equal(neg, [[0, 0], [0, 1]])  # out of range, including negative: an empty row
    assert mx.nd.one_hot(mx.nd.ones((0,)), depth=3).shape == (0, 3)
    assert mx.nd.one_hot(mx.nd.array(2.0).reshape(()), depth=3).asnumpy().tolist() == [0, 0, 1]
    assert mx.nd.array([1, 0]).one_hot(2, dtype="bool").dtype == np.bool_
    with pytest.raises(ValueError, match="one_hot: depth=-2 must not be negative"):
        mx.nd.one_hot(mx.nd.ones((2,)), depth=-2)


# ---- take --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_take_clip_wrap(dtype, layout, rng):
    a = random_array((4, 3, 5), dtype, rng)
    idx = np.array([[0, 3], [-1, 7], [2, -6]])
    for axis in [0, 1, 2, -1]:
        for mode in ["clip", "wrap"]:
            check_op(
                lambda t, axis=axis, mode=mode: mx.nd.take(t, mx.nd.array(idx, dtype="int64"), axis=axis, mode=mode),
                lambda t, axis=axis, mode=mode: np.take(t, idx, axis=axis, mode=mode),
                [a],
                dtype,
                layout,
            )
    check_op(
        lambda t: mx.nd.take(t, mx.nd.array([1, 2], dtype="int32")),
        lambda t: np.take(t, [1, 2], 0),
        [a],
        dtype,
        layout,
    )


@pytest.mark.parametrize("idx_dtype", INDEX_DTYPES)
def test_take_index_dtypes_and_shapes(idx_dtype, rng):
    a = random_array((5, 4), "float32", rng)
    idx = np.array([3, 0, 4, 4], dtype=idx_dtype)
    check_op(
        lambda t: mx.nd.take(t, mx.nd.array(idx, dtype=idx_dtype), axis=0),
        lambda t: t[idx.astype(int)],
        [a],
        "float32",
    )
    # floats truncate toward zero, as MXNet casts them
    check_op(lambda t: mx.nd.take(t, mx.nd.array([1.7, 2.2]), axis=1), lambda t: t[:, [1, 2]], [a], "float32")
    check_op(
        lambda t: mx.nd.take(t, mx.nd.array(np.array(2, dtype=idx_dtype)), axis=1),
        lambda t: t[:, 2],
        [a],
        "float32",
    )
    check_op(
        lambda t: mx.nd.take(t, mx.nd.zeros((0, 2)), axis=0),
        lambda t: t[np.zeros((0, 2), int)],
        [a],
        "float32",
    )
    check_op(lambda t: t.take(mx.nd.array([1]), axis=-1), lambda t: t[:, [1]], [a], "float32")


def test_take_raise_is_an_asynchronous_index_error():
    a = mx.nd.array(np.arange(10, dtype=np.float32).reshape(5, 2))
    ok = mx.nd.take(a, mx.nd.array([-5, 4], dtype="int64"), mode="raise")
    np.testing.assert_array_equal(ok.asnumpy(), [[0, 1], [8, 9]])
    with pytest.raises(IndexError, match="take: index 5 is out of bounds for axis 0 with size 5"):
        out = mx.nd.take(a, mx.nd.array([1, 5], dtype="int64"), mode="raise")  # NaiveEngine raises here
        out.asnumpy()  # the threaded engine raises at this sync point
    with pytest.raises(mx.BraidIndexError, match="take: index -3 is out of bounds for axis 1 with size 2"):
        mx.nd.take(a, mx.nd.array([-3.0]), axis=1, mode="raise").wait_to_read()
    # the error stays on the failed result; other arrays are unaffected
    np.testing.assert_array_equal((a + 1).asnumpy()[0], [1, 2])


def test_take_errors():
    with pytest.raises(ValueError, match="take: axis=2 is out of range"):
        mx.nd.take(mx.nd.ones((2, 3)), mx.nd.array([0]), axis=2)
    with pytest.raises(IndexError, match="take: cannot take from axis 0 of size 0"):
        mx.nd.take(mx.nd.ones((0, 3)), mx.nd.array([0]))
    with pytest.raises(ValueError, match="take: attribute 'mode' must be one of 'clip', 'wrap', 'raise', got 'x'"):
        mx.nd.take(mx.nd.ones((2, 3)), mx.nd.array([0]), mode="x")


# ---- pick --------------------------------------------------------------------------------------------------


def np_pick(data, index, axis, keepdims=False, mode="clip"):
    n = data.shape[axis]
    idx = index.astype(np.int64)
    idx = np.clip(idx, 0, n - 1) if mode == "clip" else np.mod(idx, n)
    if idx.ndim < data.ndim:
        idx = np.expand_dims(idx, axis)
    out = np.take_along_axis(data, idx, axis)
    return out if keepdims else np.squeeze(out, axis)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_pick(dtype, layout, rng):
    data = random_array((3, 4, 5), dtype, rng)
    for axis in [0, 1, -1]:
        shape = list(data.shape)
        n = shape.pop(axis)
        index = rng.integers(-n - 2, n + 3, size=shape)
        for mode in ["clip", "wrap"]:
            for keepdims in [False, True]:
                check_op(
                    lambda t, axis=axis, index=index, keepdims=keepdims, mode=mode: mx.nd.pick(
                        t, mx.nd.array(index), axis=axis, keepdims=keepdims, mode=mode
                    ),
                    lambda t, axis=axis, index=index, keepdims=keepdims, mode=mode: np_pick(
                        t, index, axis % 3, keepdims, mode
                    ),
                    [data],
                    dtype,
                    layout,
                )
    index = np.expand_dims(rng.integers(0, 5, size=(3, 4)), -1)  # the keepdims form of the index
    check_op(
        lambda t: t.pick(mx.nd.array(index, dtype="int32")),
        lambda t: np_pick(t, index[..., 0], 2),
        [data],
        dtype,
    )


def test_pick_errors():
    with pytest.raises(ValueError, match=r"pick: index must have shape \(2,\) .*got \(3,\)"):
        mx.nd.pick(mx.nd.ones((2, 3)), mx.nd.ones((3,)))
    with pytest.raises(ValueError, match="pick: axis=2 is out of range"):
        mx.nd.pick(mx.nd.ones((2, 3)), mx.nd.ones((2,)), axis=2)


# ---- slice and slice_axis ----------------------------------------------------------------------------------

SLICES = [
    ((0,), (2,), ()),
    ((1, None), (None, 3), ()),
    ((None, None, 1), (None, None, None), (None, -1, 2)),
    ((-1, 0), (None, 5), (-1, 2)),
    ((10, -10), (-10, 10), (-1, 1)),
    ((2,), (1,), ()),
    ((None,), (None,), (-2,)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_slice(dtype, layout, rng):
    x = random_array((4, 5, 6), dtype, rng)
    for begin, end, step in SLICES:
        key = tuple(slice(b, e, step[i] if step else None) for i, (b, e) in enumerate(zip(begin, end)))
        check_op(
            lambda t, begin=begin, end=end, step=step: mx.nd.slice(t, begin=begin, end=end, step=step),
            lambda t, key=key: t[key],
            [x],
            dtype,
            layout,
        )
    check_op(lambda t: mx.nd.crop(t, begin=(1,), end=(3,)), lambda t: t[1:3], [x], dtype)
    check_op(lambda t: t.slice((0, 0, 0), (0, 5, 6)), lambda t: t[0:0], [x], dtype)


def test_slice_errors():
    a = mx.nd.ones((2, 3))
    with pytest.raises(ValueError, match="slice: step must not be 0"):
        mx.nd.slice(a, begin=(0,), end=(1,), step=(0,))
    with pytest.raises(ValueError, match="slice: begin has 1 entries but end has 2"):
        mx.nd.slice(a, begin=(0,), end=(1, 2))
    with pytest.raises(ValueError, match="slice: begin has 3 entries but the input has only 2 dimensions"):
        mx.nd.slice(a, begin=(0, 0, 0), end=(1, 1, 1))
    with pytest.raises(ValueError, match="slice: step has 1 entries, expected 0 or 2"):
        mx.nd.slice(a, begin=(0, 0), end=(1, 1), step=(1,))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_slice_axis(dtype, layout, rng):
    x = random_array((4, 5, 6), dtype, rng)
    for axis, begin, end in [(0, 1, 3), (1, -2, None), (-1, 0, -1), (2, 4, 100), (0, 3, 1), (1, -100, 2)]:
        key = (slice(None),) * (axis % 3) + (slice(begin, end),)
        check_op(
            lambda t, axis=axis, begin=begin, end=end: mx.nd.slice_axis(t, axis=axis, begin=begin, end=end),
            lambda t, key=key: t[key],
            [x],
            dtype,
            layout,
        )
    with pytest.raises(ValueError, match="slice_axis: axis=3 is out of range"):
        mx.nd.slice_axis(mx.nd.ones((2, 3)), axis=3, begin=0, end=1)


# ---- gather_nd and _scatter_set_nd -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_gather_nd(dtype, layout, rng):
    data = random_array((3, 4, 2), dtype, rng)
    for idx in [
        np.array([[0, 2, -1]]),
        np.array([[0, 2], [3, -4]]),
        np.array([[[1, 0]], [[2, 3]], [[0, 1]]]),
        np.array([1, 2]),
        np.zeros((2, 0), int),
    ]:
        check_op(
            lambda t, idx=idx: mx.nd.gather_nd(t, mx.nd.array(idx, dtype="int64")),
            lambda t, idx=idx: t[tuple(idx)],
            [data],
            dtype,
            layout,
        )


def test_gather_nd_errors():
    with pytest.raises(IndexError, match="gather_nd: index 3 is out of bounds for axis 1 with size 3"):
        mx.nd.gather_nd(mx.nd.ones((2, 3)), mx.nd.array([[0], [3]], dtype="int32")).asnumpy()
    with pytest.raises(ValueError, match=r"gather_nd: indices.shape\[0\]=3 must be between 1 and data's number"):
        mx.nd.gather_nd(mx.nd.ones((2, 3)), mx.nd.zeros((3, 1)))


@pytest.mark.parametrize("dtype", ["float32", "float16", "int64", "uint8", "bool"])
def test_scatter_set_nd_in_place(dtype, rng):
    base = random_array((4, 3), dtype, rng)
    a = mx.nd.array(base, dtype=dtype)
    val = random_array((2, 3), dtype, rng)
    mx.nd._internal._scatter_set_nd(a, mx.nd.array(val, dtype=dtype), mx.nd.array([[3, -4]]), out=a)
    want = base.copy()
    want[[3, 0]] = val
    np.testing.assert_array_equal(a.asnumpy(), want)
    # into a strided view, with a repeated index (the last value wins)
    big = mx.nd.zeros((4, 6), dtype=dtype)
    view = big[:, ::2]
    vals = np.array([5, 6, 7]) if dtype != "bool" else np.array([0, 1, 1])
    mx.nd._internal._scatter_set_nd(view, mx.nd.array(vals, dtype=dtype), mx.nd.array([[1, 2, 1], [0, 2, 0]]), out=view)
    want = np.zeros((4, 6))
    want[1, 0], want[2, 4] = vals[2], vals[1]
    np.testing.assert_array_equal(big.asnumpy().astype(np.float64), want)
    # a broadcast value
    mx.nd._internal._scatter_set_nd(view, mx.nd.array([1], dtype=dtype), mx.nd.array([[3], [1]]), out=view)
    assert big.asnumpy()[3, 2] == 1


def test_scatter_set_nd_errors():
    a = mx.nd.zeros((3, 2))
    with pytest.raises(ValueError, match=r"_scatter_set_nd: rhs of shape \(3,\) cannot be broadcast to the indexed"):
        mx.nd._internal._scatter_set_nd(a, mx.nd.ones((3,)), mx.nd.array([[0, 1]]), out=a)
    with pytest.raises(IndexError, match="_scatter_set_nd: index 3 is out of bounds for axis 0 with size 3"):
        mx.nd._internal._scatter_set_nd(a, mx.nd.ones((1,)), mx.nd.array([[3]]), out=a)
        a.asnumpy()


@pytest.mark.parametrize("axis,mode", [(0, "clip"), (1, "wrap"), (-1, "clip")])
def test_take_gradient(axis, mode):
    from op_check import check_grad

    x = np.random.default_rng(1).standard_normal((4, 5))
    idx = mx.nd.array([[0, 3], [3, 7]] if mode == "wrap" else [[0, 3], [3, 2]])
    check_grad(lambda a: mx.nd.take(a, idx, axis=axis, mode=mode), [x])


@pytest.mark.parametrize("idx", [[[0, 2, 2], [1, 0, 0]], [[1, 1]], [[0, 1], [2, 2], [3, 0]]])
def test_gather_nd_gradient(idx):
    from op_check import check_grad

    x = np.random.default_rng(5).standard_normal((3, 4, 2))
    if len(idx) == 3:
        x = np.random.default_rng(5).standard_normal((2, 3, 4))
    indices = mx.nd.array(idx)
    check_grad(lambda a: mx.nd.gather_nd(a, indices), [x])
