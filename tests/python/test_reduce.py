"""Reductions (sum, mean, prod, max, min, nansum, nanprod, norm, argmax, argmin) against numpy."""

import warnings

import numpy as np
import pytest

import braid as mx
from op_check import ALL_DTYPES, FLOAT_DTYPES, INT_DTYPES, SHAPES, check_op, random_array

REDUCERS = {
    "sum": np.sum,
    "mean": np.mean,
    "prod": np.prod,
    "max": np.max,
    "min": np.min,
    "nansum": np.nansum,
    "nanprod": np.nanprod,
}
NO_IDENTITY = {"max", "min"}

# Axis arguments valid for each shape of SHAPES (braid's None and () both mean every axis).
AXES = {
    (): [None, ()],
    (0,): [None, 0],
    (7,): [None, 0, -1, (0,)],
    (3, 4): [None, 0, 1, -1, (0, 1)],
    (2, 3, 5): [None, 0, 1, 2, (0, 2), (1, 2), (0, 1), (-1, -3), (2, 0, 1)],
}


def out_dtype(name, dtype):
    if name in ("sum", "prod", "nansum", "nanprod"):
        return "int64" if dtype == "bool" else dtype
    if name in ("mean", "norm"):
        return dtype if dtype in FLOAT_DTYPES else "float32"
    return dtype


def np_axis(axis, ndim, exclude=False):
    """braid's axis attribute as numpy's (a tuple of the reduced axes, or None)."""
    if axis is None or axis == ():
        return None
    axes = {a % ndim for a in ((axis,) if isinstance(axis, int) else axis)}
    if exclude:
        axes = set(range(ndim)) - axes
    return tuple(sorted(axes))


def empty_reduction(shape, axis):
    """Whether numpy would reduce over a zero-size axis into a non-empty result."""
    ax = range(len(shape)) if axis is None else axis
    red = int(np.prod([shape[a] for a in ax]))
    kept = int(np.prod([shape[a] for a in range(len(shape)) if a not in ax]))
    return red == 0 and kept > 0


def reduce_inputs(name, dtype, shape, rng):
    if name in ("prod", "nanprod"):
        return (
            random_array(shape, dtype, rng, 0.5, 1.5)
            if dtype in FLOAT_DTYPES
            else random_array(shape, dtype, rng, -2, 2)
        )
    return random_array(shape, dtype, rng, -3, 3)


# The strided layout goes through the same dtype-independent copy, so it is checked on fewer dtypes.
DTYPE_LAYOUTS = [(d, "contiguous") for d in ALL_DTYPES] + [
    (d, "strided") for d in ALL_DTYPES if d not in ("int8", "uint8", "bool")
]


@pytest.mark.parametrize("name", sorted(REDUCERS))
@pytest.mark.parametrize("dtype,layout", DTYPE_LAYOUTS)
def test_reduce_against_numpy(name, dtype, layout, rng):
    ref = REDUCERS[name]
    for shape in SHAPES:
        x = reduce_inputs(name, dtype, shape, rng)
        for axis in AXES[shape]:
            nax = np_axis(axis, len(shape))
            for keepdims in (False, True):

                def fn(a, axis=axis, keepdims=keepdims):
                    return getattr(mx.nd, name)(a, axis=axis, keepdims=keepdims)

                if name in NO_IDENTITY and empty_reduction(shape, nax):
                    with pytest.raises(mx.BraidValueError, match=f"{name}: cannot reduce over an empty axis"):
                        fn(mx.nd.array(x, dtype=dtype))
                    continue

                def want(v, nax=nax, keepdims=keepdims):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", RuntimeWarning)  # mean of an empty slice is NaN
                        return ref(v, axis=nax, keepdims=keepdims)

                check_op(fn, want, [x], dtype, layout, out_dtype=out_dtype(name, dtype))


@pytest.mark.parametrize("name", ["sum", "mean", "max", "prod"])
@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_exclude(name, dtype, rng):
    x = reduce_inputs(name, dtype, (2, 3, 4, 5), rng)
    for axis in [0, (1,), (0, 3), (-1, 1, 2), (0, 1, 2, 3)]:
        nax = np_axis(axis, 4, exclude=True)
        for keepdims in (False, True):
            check_op(
                lambda a, axis=axis, k=keepdims: getattr(mx.nd, name)(a, axis=axis, keepdims=k, exclude=True),
                lambda v, nax=nax, k=keepdims: REDUCERS[name](v, axis=nax, keepdims=k),
                [x],
                dtype,
                out_dtype=out_dtype(name, dtype),
            )


@pytest.mark.parametrize(
    "shape,axis",
    [
        ((3, 40000), 1),  # long rows: split in blocks, merged in order
        ((40000, 3), 0),  # few columns, many rows: row blocks per column task
        ((2, 30000, 3), 1),  # reduce the middle axis
        ((300, 2500), 0),  # wider than one column buffer
        ((4, 6, 5, 7), (0, 2)),  # non-adjacent axes: transposed first
        ((60, 50, 40), (0, 2)),
        ((3, 4, 5, 6, 7), (0, 2, 4)),  # three separate blocks: two merge stages
        ((3, 4, 5, 6, 7), (1, 3)),
    ],
)
@pytest.mark.parametrize("name", ["sum", "max", "min", "mean"])
def test_large_layouts(shape, axis, name, rng):
    x = random_array(shape, "float32", rng)
    check_op(
        lambda a: getattr(mx.nd, name)(a, axis=axis),
        lambda v: REDUCERS[name](v, axis=axis),
        [x],
        "float32",
        rtol=1e-5,
        atol=1e-4,
    )
    check_op(
        lambda a: getattr(mx.nd, name)(a, axis=axis),
        lambda v: REDUCERS[name](v, axis=axis),
        [x],
        "float32",
        layout="strided",
        rtol=1e-5,
        atol=1e-4,
    )


def test_results_do_not_depend_on_thread_count(rng):
    x = mx.nd.array(random_array((300, 20000), "float32", rng))
    results = []
    old = mx.get_num_threads()
    try:
        for n in (1, 2):
            mx.set_num_threads(n)
            results.append(
                [
                    mx.nd.sum(x).asnumpy(),
                    mx.nd.sum(x, axis=0).asnumpy(),
                    mx.nd.sum(x, axis=1).asnumpy(),
                    mx.nd.norm(x).asnumpy(),
                ]
            )
    finally:
        mx.set_num_threads(old)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_sum_is_accurate_for_long_float32_rows():
    x = np.full(1_000_003, 0.1, dtype=np.float32)
    got = mx.nd.sum(mx.nd.array(x)).asscalar()
    assert abs(got - x.astype(np.float64).sum()) < 1e-2


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_nan_handling(dtype, rng):
    x = random_array((4, 6), dtype, rng)
    x[1, 2] = np.nan
    x[3, 0] = np.nan
    y = random_array((3, 4, 5), dtype, rng)
    y[1, 2, 3] = np.nan
    for name in ("max", "min", "sum", "nansum", "nanprod", "mean"):
        for v, axis in [(x, None), (x, 0), (x, 1), (y, (0, 2)), (y, 1)]:
            check_op(
                lambda a, n=name, ax=axis: getattr(mx.nd, n)(a, axis=ax),
                lambda a, n=name, ax=axis: REDUCERS[n](a, axis=ax),
                [v],
                dtype,
            )


def test_integer_sums_wrap_and_keep_dtype():
    a = mx.nd.array([100, 100, 100], dtype="int8")
    s = mx.nd.sum(a)
    assert s.dtype == np.int8
    assert s.asscalar() == np.int8(np.int64(300).astype(np.int8))
    assert mx.nd.sum(mx.nd.array([True, True, False], dtype="bool")).asscalar() == 2
    assert mx.nd.mean(mx.nd.array([1, 2], dtype="int64")).dtype == np.float32


def test_sum_of_empty_is_zero_and_prod_is_one():
    z = mx.nd.zeros((0, 4))
    np.testing.assert_array_equal(mx.nd.sum(z, axis=0).asnumpy(), np.zeros(4))
    np.testing.assert_array_equal(mx.nd.prod(z, axis=0).asnumpy(), np.ones(4))
    assert mx.nd.sum(z).asscalar() == 0
    assert mx.nd.sum(z, axis=1).shape == (0,)
    assert mx.nd.max(z, axis=1).shape == (0,)  # nothing to produce, so no error


def test_int_axis_and_aliases(rng):
    x = random_array((3, 4, 5), "float32", rng)
    a = mx.nd.array(x)
    np.testing.assert_allclose(mx.nd.sum_axis(a, axis=1).asnumpy(), x.sum(axis=1), rtol=1e-6)
    np.testing.assert_allclose(mx.nd.max_axis(a, axis=-1).asnumpy(), x.max(axis=-1))
    np.testing.assert_allclose(mx.nd.min_axis(a, axis=0, keepdims=True).asnumpy(), x.min(axis=0, keepdims=True))
    assert mx.nd.sum(a).shape == ()
    assert mx.nd.sum(a, keepdims=True).shape == (1, 1, 1)


def test_out_may_be_a_strided_view(rng):
    x = random_array((3, 4, 5), "float32", rng)
    big = mx.nd.zeros((3, 8))
    view = big[:, ::2]
    mx.nd.sum(mx.nd.array(x), axis=2, out=view)
    want = np.zeros((3, 8), np.float32)
    want[:, ::2] = x.sum(axis=2)
    np.testing.assert_allclose(big.asnumpy(), want, rtol=1e-6)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES + ["int32", "uint8"])
@pytest.mark.parametrize("ord_", [1, 2])
def test_norm(dtype, ord_, rng):
    def ref(v, axis, keepdims):
        return (
            np.sum(np.abs(v.astype(np.float64)), axis=axis, keepdims=keepdims)
            if ord_ == 1
            else np.sqrt(np.sum(v.astype(np.float64) ** 2, axis=axis, keepdims=keepdims))
        )

    for shape in SHAPES:
        x = random_array(shape, dtype, rng, -3, 3)
        for axis in AXES[shape]:
            nax = np_axis(axis, len(shape))
            for keepdims in (False, True):
                for layout in ("contiguous", "strided"):
                    check_op(
                        lambda a, ax=axis, k=keepdims: mx.nd.norm(a, ord=ord_, axis=ax, keepdims=k),
                        lambda v, ax=nax, k=keepdims: ref(v, ax, k),
                        [x],
                        dtype,
                        layout,
                        out_dtype=out_dtype("norm", dtype),
                    )


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES + INT_DTYPES + ["bool"])
def test_argmax_argmin(name, dtype, rng):
    ref = getattr(np, name)
    for shape in [(7,), (3, 4), (2, 3, 5), (3, 5000)]:
        x = random_array(shape, dtype, rng, -4, 4)  # small integer ranges have ties: the first one wins
        for axis in [None] + list(range(-len(shape), len(shape))):
            for keepdims in (False, True):
                for layout in ("contiguous", "strided"):
                    check_op(
                        lambda a, ax=axis, k=keepdims: getattr(mx.nd, name)(a, axis=ax, keepdims=k),
                        lambda v, ax=axis, k=keepdims: ref(v, axis=ax, keepdims=k),
                        [x],
                        dtype,
                        layout,
                        out_dtype="float32",
                    )


def test_argmax_finds_the_first_nan():
    x = np.array([[1, np.nan, 5, np.nan], [3, 2, 9, 0]], dtype=np.float32)
    a = mx.nd.array(x)
    np.testing.assert_array_equal(mx.nd.argmax(a, axis=1).asnumpy(), [1, 2])
    np.testing.assert_array_equal(mx.nd.argmin(a, axis=1).asnumpy(), [1, 3])
    np.testing.assert_array_equal(mx.nd.argmax(a, axis=0).asnumpy(), np.argmax(x, axis=0))
    assert mx.nd.argmax(a).asscalar() == 1


def test_errors_name_op_and_argument():
    a = mx.nd.ones((2, 3))
    with pytest.raises(mx.BraidValueError, match=r"sum: axis=2 is out of range for an array of ndim 2"):
        mx.nd.sum(a, axis=2)
    with pytest.raises(ValueError, match=r"mean: axis=-3 is out of range"):
        mx.nd.mean(a, axis=(0, -3))
    with pytest.raises(mx.BraidValueError, match=r"prod: axis=\(1, -1\) names axis 1 more than once"):
        mx.nd.prod(a, axis=(1, -1))
    with pytest.raises(mx.BraidValueError, match=r"min: cannot reduce over an empty axis.*\(0, 3\)"):
        mx.nd.min(mx.nd.zeros((0, 3)))
    with pytest.raises(mx.BraidValueError, match=r"argmax: cannot reduce over an empty axis"):
        mx.nd.argmax(mx.nd.zeros((3, 0)), axis=1)
    with pytest.raises(mx.BraidValueError, match=r"argmin: axis=5 is out of range"):
        mx.nd.argmin(a, axis=5)
    with pytest.raises(mx.BraidValueError, match=r"norm: ord must be 1 or 2, got 3"):
        mx.nd.norm(a, ord=3)
    with pytest.raises(mx.BraidValueError, match=r"sum: axis=0 is out of range for an array of ndim 0"):
        mx.nd.sum(mx.nd.array(1.0), axis=0)


@pytest.mark.parametrize("ord_,axis,keepdims", [(2, None, False), (2, 1, True), (1, (0,), False), (2, 0, False)])
def test_norm_gradient(ord_, axis, keepdims):
    from op_check import check_grad

    x = np.random.default_rng(4).standard_normal((3, 4))
    check_grad(lambda a: mx.nd.norm(a, ord=ord_, axis=axis, keepdims=keepdims), [x])
