"""numpy-style indexing of NDArrays: basic views, advanced (integer array, boolean mask) gathers, setitem."""

import numpy as np
import pytest

import braid as mx
from braid._lib import check, ffi, lib
from op_check import check_op, random_array, to_braid

DTYPES = ["float32", "float16", "bfloat16", "int32", "uint8", "bool"]
LAYOUTS = ["contiguous", "strided"]


def shares_memory(a, b) -> bool:
    out = ffi.new("int32_t*")
    check(lib.braid_array_shares_memory(a._h, b._h, out))
    return bool(out[0])


# ---- basic indexing: views ---------------------------------------------------------------------------------


def test_basic_indexing_returns_views_that_share_memory():
    a = mx.nd.array(np.arange(24, dtype=np.float32).reshape(4, 6))
    for key in [
        1,
        (slice(1, 3),),
        (slice(None), 0),
        (Ellipsis, slice(None, None, 2)),
        (None, 2),
        (slice(3, 1, -1),),
    ]:
        v = a[key]
        assert shares_memory(a, v), key
        np.testing.assert_array_equal(v.asnumpy(), np.arange(24, dtype=np.float32).reshape(4, 6)[key])
    v = a[1:3, ::2]
    v[:] = -1  # writing through the view changes the base
    assert (a.asnumpy()[1:3, ::2] == -1).all() and a.asnumpy()[0, 0] == 0
    assert not shares_memory(a, a[[1, 2]])  # advanced indexing copies
    assert not shares_memory(a, mx.nd.ones((2,)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_basic_assignment_forms(dtype, rng):
    x = random_array((4, 5), dtype, rng)
    a = mx.nd.array(x, dtype=dtype)
    want = x.copy()
    a[1:3] = 5
    want[1:3] = 5
    col = random_array((4,), dtype, rng)
    a[:, 0] = mx.nd.array(col, dtype=dtype)
    want[:, 0] = col
    a[-1, ::2] = [1, 0, 1]
    want[-1, ::2] = [1, 0, 1]
    a[0] = a[2]  # overlapping source and destination
    want[0] = want[2]
    np.testing.assert_array_equal(a.asnumpy(), want)


def test_basic_index_errors():
    a = mx.nd.ones((3, 4))
    with pytest.raises(IndexError, match="index 3 is out of bounds for axis 0 with size 3"):
        a[3]
    with pytest.raises(IndexError, match="too many indices for array: array is 2-dimensional, but 3 were indexed"):
        a[0, 0, 0]
    with pytest.raises(IndexError, match="an index can only have a single ellipsis"):
        a[..., 0, ...]


# ---- advanced getitem --------------------------------------------------------------------------------------

M4 = np.array([True, False, True, True])
M45 = np.arange(20).reshape(4, 5) % 3 == 0
GET_KEYS = [
    [0, 2],
    [[0, 2], [-1, 1]],
    ([0, 2], slice(None), [1, 3]),  # separated by a slice: index dimensions go first
    (slice(None), [1, 2]),
    (slice(None), [[0, 1], [2, 3]], slice(1, 4)),
    (1, [0, 2]),
    (slice(None), 1, [0, 2]),  # an int next to an array: both advanced, adjacent
    ([0, 1], 1, [2, 3]),
    (np.array([0, 3]), slice(None), 2),  # int and array apart: index dimensions first
    (Ellipsis, [1, -1]),
    (None, [0, 1]),
    (slice(1, None), [[1], [0]], [2, 3]),  # broadcasting index arrays
    (slice(None, None, -1), [4, 0], slice(None, None, 2)),
    M4,
    M45,
    np.arange(120).reshape(4, 5, 6) % 7 == 1,
    (slice(None), M45[0]),
    (M4, slice(1, 3)),
    (M4, [0, 1, 4]),
    (Ellipsis, np.array([True, False] * 3)),
    [],
    np.zeros(4, bool),
    np.array([3, 1], dtype=np.uint8),
    np.array([[-1]], dtype=np.int32),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_advanced_getitem_matches_numpy(dtype, layout, rng):
    x = random_array((4, 5, 6), dtype, rng)
    for key in GET_KEYS:
        check_op(lambda t, key=key: t[key], lambda t, key=key: t[key], [x], dtype, layout)


def test_advanced_getitem_with_ndarray_indices(rng):
    x = random_array((4, 5, 6), "float32", rng)
    a = mx.nd.array(x)
    idx = np.array([[3, 0], [1, -1]])
    for dt in ["int32", "int64", "uint8"]:
        i = mx.nd.array(np.abs(idx) if dt == "uint8" else idx, dtype=dt)
        ref = np.abs(idx) if dt == "uint8" else idx
        np.testing.assert_array_equal(a[i].asnumpy(), x[ref])
        np.testing.assert_array_equal(a[:, i, 2].asnumpy(), x[:, ref, 2])
        np.testing.assert_array_equal(a[i, :, [0, 1]].asnumpy(), x[ref, :, [0, 1]])
    mask = mx.nd.array(M45, dtype="bool")
    np.testing.assert_array_equal(a[mask].asnumpy(), x[M45])
    np.testing.assert_array_equal(a[:, :, mx.nd.array([1, 0, 0, 1, 1, 0], dtype="bool")].asnumpy(), x[:, :, [0, 3, 4]])


def test_advanced_getitem_errors():
    a = mx.nd.ones((4, 5))
    with pytest.raises(IndexError, match="index 4 is out of bounds for axis 0 with size 4"):
        a[[0, 4]]
    with pytest.raises(IndexError, match="index -6 is out of bounds for axis 1 with size 5"):
        a[1:, [-6]]
    with pytest.raises(IndexError, match="index 9 is out of bounds for axis 1 with size 5"):
        a[[0], 9]
    with pytest.raises(IndexError, match="gather_nd: index 7 is out of bounds"):
        a[mx.nd.array([1, 7], dtype="int32")].asnumpy()  # device indices: raised when the result is read
    with pytest.raises(
        TypeError,
        match=r"index arrays must be integer or bool; for a 0/1 float mask use "
        r"\.astype\('bool'\)",
    ):
        a[np.array([0.0, 1.0])]
    with pytest.raises(TypeError, match="index arrays must be integer or bool"):
        a[a > 0]  # comparisons give 0/1 in the operands' dtype, as in MXNet
    with pytest.raises(
        IndexError,
        match="boolean index did not match indexed array along axis 0; size of axis is 4 "
        "but size of corresponding boolean axis is 3",
    ):
        a[np.array([True, False, True])]
    with pytest.raises(
        IndexError,
        match=r"shape mismatch: indexing arrays could not be broadcast together with "
        r"shapes \(2,\) \(3,\)",
    ):
        a[[0, 1], [0, 1, 2]]
    with pytest.raises(IndexError, match="too many indices for array: array is 2-dimensional, but 3 were indexed"):
        a[M45[:4, :5], 0]
    with pytest.raises(IndexError, match="only integers, slices"):
        a[[0, 1], "x"]


# ---- advanced setitem --------------------------------------------------------------------------------------

SET_CASES = [
    ([0, 2], lambda r: r.random((5, 6))),
    ([0, 2], lambda r: 7),
    (M4, lambda r: 0),
    (M45, lambda r: r.random((6,))),
    (np.arange(120).reshape(4, 5, 6) % 7 == 1, lambda r: -2),
    ((slice(None), [1, 3]), lambda r: r.random((4, 2, 6))),
    ((slice(None), 1, [0, 2]), lambda r: r.random((4, 2))),
    (([0, 1], slice(None), [2, 3]), lambda r: r.random((2, 5))),
    ((slice(1, None), [0, 2], slice(1, 3)), lambda r: r.random((3, 2, 2))),
    ((slice(1, None), [[0], [2]], [1, 4]), lambda r: r.random((2, 1))),
    ((Ellipsis, [0, -1]), lambda r: r.random((1, 2))),
    ([0, 1], lambda r: r.random((1, 2, 5, 6))),  # leading size-1 axes of the value are dropped
    ([], lambda r: 1),
]


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "int32", "bool"])
def test_advanced_setitem_matches_numpy(dtype, rng):
    for key, value in SET_CASES:
        x = random_array((4, 5, 6), dtype, rng)
        v = value(rng)
        v = (np.asarray(v) * 4).astype(np.int64).astype(x.dtype)  # representable in every tested dtype
        a = mx.nd.array(x, dtype=dtype)
        a[key] = v
        want = x.copy()
        want[key] = v
        np.testing.assert_array_equal(a.asnumpy(), want, err_msg=str(key))


def test_advanced_setitem_forms():
    x = np.arange(24, dtype=np.float32).reshape(4, 6)
    a = mx.nd.array(x)
    a[mx.nd.array(x > 10, dtype="bool")] = 0
    a[mx.nd.array([0, 2], dtype="int64")] = mx.nd.array([1, 2, 3, 4, 5, 6])
    a[[1, 1], [0, 0]] = [8, 9]  # a repeated index keeps the last value
    want = x.copy()
    want[x > 10] = 0
    want[[0, 2]] = [1, 2, 3, 4, 5, 6]
    want[1, 0] = 9
    np.testing.assert_array_equal(a.asnumpy(), want)
    a[:, [0]] = a[:, [5]]  # the value is read before the array is written
    want[:, [0]] = want[:, [5]]
    np.testing.assert_array_equal(a.asnumpy(), want)


def test_advanced_setitem_writes_through_views():
    a = mx.nd.zeros((4, 6), dtype="int32")
    b = a[:, ::2]
    b[[0, 3], [2, 1]] = 7
    b[np.array([False, True, False, False])] = 5
    want = np.zeros((4, 6), np.int32)
    want[0, 4] = want[3, 2] = 7
    want[1, ::2] = 5
    np.testing.assert_array_equal(a.asnumpy(), want)
    s = to_braid(np.zeros((3, 4), np.float32), "float32", "strided")
    s[[2, 0], 1:3] = 1.5
    np.testing.assert_array_equal(s.asnumpy()[:, 1:3], [[1.5, 1.5], [0, 0], [1.5, 1.5]])


def test_advanced_setitem_errors():
    a = mx.nd.zeros((4, 5))
    with pytest.raises(ValueError, match=r"could not broadcast input array from shape \(3,\) into shape \(2, 5\)"):
        a[[0, 1]] = np.ones(3)
    with pytest.raises(IndexError, match="index 5 is out of bounds for axis 1 with size 5"):
        a[:, [5]] = 1
    with pytest.raises(TypeError, match="index arrays must be integer or bool"):
        a[mx.nd.array([0.0, 1.0])] = 1
    with pytest.raises(IndexError, match="_scatter_set_nd: index -5 is out of bounds for axis 0 with size 4"):
        a[mx.nd.array([-5], dtype="int32")] = 1
        a.asnumpy()
