"""dot, batch_dot and matmul against numpy, across dtypes, shapes, transposes and memory layouts."""

import os
import subprocess
import sys

import numpy as np
import pytest

import braid as mx
from op_check import FLOAT_DTYPES, INT_DTYPES, check_op, random_array

DTYPES = FLOAT_DTYPES + INT_DTYPES + ["bool"]


def tol(dtype, k):
    """Tolerances for a product contracting k terms (16-bit outputs round once at the end)."""
    return {
        "float32": (1e-5, 1e-5 * k),
        "float64": (1e-12, 1e-12 * k),
        "float16": (2e-3, 2e-3 * k),
        "bfloat16": (1.6e-2, 1.6e-2 * k),
    }.get(dtype, (0, 0))


def np_mx_dot(a, b, ta=False, tb=False):
    """MXNet's dot: lhs as (m, k) (or (k, m) transposed), rhs as (k, n) (or (n, k) transposed)."""
    if a.ndim == 1 and b.ndim == 1:
        return np.dot(a, b)
    size = lambda dims: int(np.prod(dims))  # noqa: E731
    la = a.reshape(a.shape[0], size(a.shape[1:])).T if ta else a.reshape(size(a.shape[:-1]), a.shape[-1])
    rb = b.reshape(size(b.shape[:-1]), b.shape[-1]).T if tb else b.reshape(b.shape[0], size(b.shape[1:]))
    out = la @ rb
    lhs_dims = (a.shape[1:] if ta else a.shape[:-1]) if a.ndim > 1 else ()
    rhs_dims = (b.shape[:-1] if tb else b.shape[1:]) if b.ndim > 1 else ()
    return out.reshape(lhs_dims + rhs_dims)


def int_ref(fn):
    """numpy's integer products in int64 (wrapping), bool as logical or-of-ands."""

    def run(*xs):
        if xs[0].dtype == bool:
            return fn(*[x.astype(np.int64) for x in xs]) != 0
        return fn(*[x.astype(np.int64) for x in xs])

    return run


DOT_CASES = [  # (lhs shape, rhs shape, transpose_a, transpose_b)
    ((5,), (5,), False, False),
    ((3, 4), (4, 6), False, False),
    ((4, 3), (4, 6), True, False),
    ((3, 4), (6, 4), False, True),
    ((4, 3), (6, 4), True, True),
    ((4,), (4, 3), False, False),
    ((3, 4), (4,), False, False),
    ((4,), (3, 4), False, True),
    ((4,), (4, 3), True, False),
    ((2, 3, 4), (4, 5), False, False),
    ((2, 3, 4), (4, 2, 5), False, False),
    ((4, 2, 3), (4, 5), True, False),
    ((2, 3, 4), (5, 2, 4), False, True),
    ((0, 4), (4, 3), False, False),
    ((3, 0), (0, 5), False, False),  # empty contraction: zeros
    ((1, 1), (1, 1), False, False),
    ((70, 33), (33, 65), False, False),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["contiguous", "strided"])
def test_dot(dtype, layout, rng):
    for ls, rs, ta, tb in DOT_CASES:
        a = random_array(ls, dtype, rng, -3, 3)
        b = random_array(rs, dtype, rng, -3, 3)
        k = ls[0] if ta else ls[-1]
        r, t = tol(dtype, k)

        def ref(x, y, ta=ta, tb=tb):
            return np_mx_dot(x, y, ta, tb)

        check_op(
            lambda x, y, ta=ta, tb=tb: mx.nd.dot(x, y, transpose_a=ta, transpose_b=tb),
            ref if dtype in FLOAT_DTYPES else int_ref(ref),
            [a, b],
            dtype,
            layout,
            rtol=r,
            atol=t,
        )


def test_dot_of_vectors_is_0d():
    out = mx.nd.dot(mx.nd.array([1.0, 2, 3]), mx.nd.array([4.0, 5, 6]))
    assert out.shape == ()
    assert out.asscalar() == 32


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int32", "bool"])
@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
def test_batch_dot(dtype, ta, tb, rng):
    for bs, m, k, n in [(3, 4, 5, 2), (1, 1, 1, 1), (0, 2, 3, 4), (2, 3, 0, 4), (5, 70, 40, 33)]:
        a = random_array((bs, k, m) if ta else (bs, m, k), dtype, rng, -3, 3)
        b = random_array((bs, n, k) if tb else (bs, k, n), dtype, rng, -3, 3)

        def ref(x, y, ta=ta, tb=tb):
            return np.matmul(np.swapaxes(x, 1, 2) if ta else x, np.swapaxes(y, 1, 2) if tb else y)

        r, t = tol(dtype, k)
        for layout in ("contiguous", "strided"):
            check_op(
                lambda x, y, ta=ta, tb=tb: mx.nd.batch_dot(x, y, transpose_a=ta, transpose_b=tb),
                ref if dtype in FLOAT_DTYPES else int_ref(ref),
                [a, b],
                dtype,
                layout,
                rtol=r,
                atol=t,
            )


MATMUL_CASES = [
    ((4,), (4,)),
    ((3, 4), (4,)),
    ((4,), (4, 5)),
    ((3, 4), (4, 5)),
    ((2, 3, 4), (4, 5)),
    ((4,), (2, 4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((3, 4), (2, 4, 5)),
    ((0, 3, 4), (4, 2)),
    ((2, 3, 0), (2, 0, 5)),
    ((7, 8, 9), (9,)),
    ((6, 50, 40), (40, 30)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["contiguous", "strided"])
def test_matmul(dtype, layout, rng):
    for ls, rs in MATMUL_CASES:
        a = random_array(ls, dtype, rng, -3, 3)
        b = random_array(rs, dtype, rng, -3, 3)
        r, t = tol(dtype, ls[-1])
        check_op(
            mx.nd.matmul,
            np.matmul if dtype in FLOAT_DTYPES else int_ref(np.matmul),
            [a, b],
            dtype,
            layout,
            rtol=r,
            atol=t,
        )


def test_matmul_operator_and_transposed_views(rng):
    x = random_array((5, 7), "float32", rng)
    y = random_array((6, 7), "float32", rng)
    a, b = mx.nd.array(x), mx.nd.array(y)
    np.testing.assert_allclose((a @ mx.nd.transpose(b)).asnumpy(), x @ y.T, rtol=1e-5, atol=1e-5)
    # Views with a unit stride along either axis go to gemm without a copy; others are copied first.
    big = mx.nd.array(random_array((10, 14), "float64", rng))
    bv = big.asnumpy()
    for va, na in [
        (big[::2, :7], bv[::2, :7]),
        (big[1:6, 3:10], bv[1:6, 3:10]),
        (big[::2, ::2], bv[::2, ::2]),
    ]:
        rhs = mx.nd.array(random_array((na.shape[1], 3), "float64", rng))
        np.testing.assert_allclose(mx.nd.dot(va, rhs).asnumpy(), na @ rhs.asnumpy(), rtol=1e-12)
        lhs = mx.nd.array(random_array((na.shape[0], 2), "float64", rng))
        np.testing.assert_allclose(mx.nd.dot(va, lhs, transpose_a=True).asnumpy(), na.T @ lhs.asnumpy(), rtol=1e-12)
        np.testing.assert_allclose(mx.nd.dot(lhs, va, transpose_a=True).asnumpy(), lhs.asnumpy().T @ na, rtol=1e-12)
        np.testing.assert_allclose(
            mx.nd.dot(rhs, va, transpose_a=True, transpose_b=True).asnumpy(),
            rhs.asnumpy().T @ na.T,
            rtol=1e-12,
        )


def transposed_view(x):
    """A non-contiguous braid view with x's values whose last two axes are stored swapped (no copy)."""
    base = mx.nd.array(np.ascontiguousarray(np.swapaxes(x, -1, -2)))
    strides = [int(np.prod(base.shape[i + 1 :])) for i in range(base.ndim)]
    strides[-1], strides[-2] = strides[-2], strides[-1]
    view = base._view(x.shape, strides, 0)
    assert not view.is_contiguous()
    return view


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_column_major_views(dtype, rng):
    x = random_array((5, 7), dtype, rng)
    y = random_array((7, 4), dtype, rng)
    r, t = tol(dtype, 7)
    for a in (mx.nd.array(x), transposed_view(x)):
        for b in (mx.nd.array(y), transposed_view(y)):
            np.testing.assert_allclose(mx.nd.dot(a, b).asnumpy(), x @ y, rtol=r, atol=t)
            np.testing.assert_allclose(mx.nd.matmul(a, b).asnumpy(), x @ y, rtol=r, atol=t)
            np.testing.assert_allclose(
                mx.nd.dot(b, a, transpose_a=True, transpose_b=True).asnumpy(), y.T @ x.T, rtol=r, atol=t
            )
    xb = random_array((3, 5, 7), dtype, rng)
    yb = random_array((3, 7, 4), dtype, rng)
    for a in (mx.nd.array(xb), transposed_view(xb)):
        for b in (mx.nd.array(yb), transposed_view(yb)):
            np.testing.assert_allclose(mx.nd.batch_dot(a, b).asnumpy(), xb @ yb, rtol=r, atol=t)
            np.testing.assert_allclose(mx.nd.matmul(a, b[0]).asnumpy(), xb @ yb[0], rtol=r, atol=t)


def test_large_float32_dot_matches_numpy(rng):
    x = random_array((300, 257), "float32", rng)
    y = random_array((257, 190), "float32", rng)
    np.testing.assert_allclose(
        mx.nd.dot(mx.nd.array(x), mx.nd.array(y)).asnumpy(),
        x.astype(np.float64) @ y.astype(np.float64),
        rtol=1e-4,
        atol=1e-3,
    )


def test_out_argument_and_16_bit_out(rng):
    x = random_array((3, 4), "float16", rng)
    y = random_array((4, 5), "float16", rng)
    out = mx.nd.zeros((3, 5), dtype="float16")
    mx.nd.dot(mx.nd.array(x, dtype="float16"), mx.nd.array(y, dtype="float16"), out=out)
    np.testing.assert_allclose(
        out.asnumpy().astype(np.float64), x.astype(np.float64) @ y.astype(np.float64), rtol=2e-3, atol=1e-2
    )
    big = mx.nd.zeros((3, 10))
    mx.nd.dot(mx.nd.array(x.astype(np.float32)), mx.nd.array(y.astype(np.float32)), out=big[:, ::2])
    np.testing.assert_allclose(big.asnumpy()[:, ::2], x.astype(np.float32) @ y.astype(np.float32), rtol=1e-5)
    assert not big.asnumpy()[:, 1::2].any()


def test_builtin_gemm_matches_numpy():
    """The portable GEMM (the WebAssembly build's) checked in a BLAS build by forcing it."""
    code = (
        "import numpy as np, braid as mx\n"
        "rng = np.random.default_rng(1)\n"
        "for dt in ('float32', 'float64'):\n"
        "    for (m, k, n) in [(1, 1, 1), (7, 300, 33), (130, 65, 97), (5, 0, 3), (2, 513, 4100)]:\n"
        "        for ta in (False, True):\n"
        "            for tb in (False, True):\n"
        "                x = rng.uniform(-1, 1, (k, m) if ta else (m, k)).astype(dt)\n"
        "                y = rng.uniform(-1, 1, (n, k) if tb else (k, n)).astype(dt)\n"
        "                a, b = mx.nd.array(x), mx.nd.array(y)\n"
        "                got = mx.nd.dot(a, b, transpose_a=ta, transpose_b=tb).asnumpy()\n"
        "                want = (x.T if ta else x).astype('f8') @ (y.T if tb else y).astype('f8')\n"
        "                np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * max(k, 1))\n"
        "    b = rng.uniform(-1, 1, (40, 8, 9)).astype(dt)\n"
        "    c = rng.uniform(-1, 1, (40, 9, 7)).astype(dt)\n"
        "    np.testing.assert_allclose(mx.nd.batch_dot(mx.nd.array(b), mx.nd.array(c)).asnumpy(), b @ c,\n"
        "                               rtol=1e-4, atol=1e-4)\n"
        "print('ok')\n"
    )
    env = dict(os.environ, BRAID_GEMM="builtin")
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr


def test_errors_name_op_and_shapes():
    with pytest.raises(mx.BraidValueError, match=r"dot: shapes \(2, 3\) and \(4, 5\) are not aligned"):
        mx.nd.dot(mx.nd.ones((2, 3)), mx.nd.ones((4, 5)))
    with pytest.raises(
        mx.BraidValueError,
        match=r"dot: shapes \(2, 3\) and \(2, 5\) are not aligned.*"
        r"transpose_a=False",
    ):
        mx.nd.dot(mx.nd.ones((2, 3)), mx.nd.ones((2, 5)))
    with pytest.raises(mx.BraidValueError, match=r"dot: inputs must have at least one dimension.*\(\)"):
        mx.nd.dot(mx.nd.array(2.0), mx.nd.ones((2,)))
    with pytest.raises(mx.BraidValueError, match=r"dot: transpose_a and transpose_b cannot be used with two 1-D"):
        mx.nd.dot(mx.nd.ones((2,)), mx.nd.ones((2,)), transpose_a=True)
    with pytest.raises(
        mx.BraidTypeError,
        match=r"dot: lhs and rhs must have the same dtype, got float32 and "
        r"float64 \(shapes \(2, 2\) and \(2, 2\)\)",
    ):
        mx.nd.dot(mx.nd.ones((2, 2)), mx.nd.ones((2, 2), dtype="float64"))
    with pytest.raises(mx.BraidValueError, match=r"batch_dot: lhs and rhs must be 3-D, got shapes \(2, 3\)"):
        mx.nd.batch_dot(mx.nd.ones((2, 3)), mx.nd.ones((2, 3, 4)))
    with pytest.raises(
        mx.BraidValueError,
        match=r"batch_dot: batch sizes differ: shapes \(2, 3, 4\) and "
        r"\(3, 4, 5\)",
    ):
        mx.nd.batch_dot(mx.nd.ones((2, 3, 4)), mx.nd.ones((3, 4, 5)))
    with pytest.raises(mx.BraidValueError, match=r"batch_dot: shapes \(2, 3, 4\) and \(2, 5, 6\) are not aligned"):
        mx.nd.batch_dot(mx.nd.ones((2, 3, 4)), mx.nd.ones((2, 5, 6)))
    with pytest.raises(mx.BraidValueError, match=r"matmul: shapes \(3, 4\) and \(5,\) are not aligned"):
        mx.nd.matmul(mx.nd.ones((3, 4)), mx.nd.ones((5,)))
    with pytest.raises(
        mx.BraidValueError,
        match=r"matmul: batch dimensions of shapes \(2, 3, 4\) and "
        r"\(3, 4, 5\) do not broadcast",
    ):
        mx.nd.matmul(mx.nd.ones((2, 3, 4)), mx.nd.ones((3, 4, 5)))
    with pytest.raises(ValueError, match=r"matmul: inputs must have at least one dimension"):
        mx.nd.ones((3,)) @ mx.nd.array(1.0)
    with pytest.raises(TypeError, match=r"matmul: a and b must have the same dtype"):
        mx.nd.matmul(mx.nd.ones((2, 2), dtype="int32"), mx.nd.ones((2, 2)))
