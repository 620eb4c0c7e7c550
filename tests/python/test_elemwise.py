"""Unary and binary elementwise ops against numpy, across dtypes, shapes and layouts."""

import numpy as np
import pytest

import braid as mx
from op_check import ALL_DTYPES, FLOAT_DTYPES, INT_DTYPES, SHAPES, check_op, random_array

UNARY_FLOAT = {
    "exp": np.exp,
    "log": np.log,
    "log1p": np.log1p,
    "expm1": np.expm1,
    "sqrt": np.sqrt,
    "rsqrt": lambda x: 1 / np.sqrt(x),
    "sin": np.sin,
    "cos": np.cos,
    "tanh": np.tanh,
    "tan": np.tan,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "arctan": np.arctan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "log2": np.log2,
    "log10": np.log10,
    "cbrt": np.cbrt,
    "reciprocal": lambda x: 1 / x,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "degrees": np.degrees,
    "radians": np.radians,
}
UNARY_ANY = {
    "abs": np.abs,
    "negative": np.negative,
    "square": np.square,
    "sign": np.sign,
    "relu": lambda x: np.maximum(x, 0),
}
ROUNDING = {
    "floor": np.floor,
    "ceil": np.ceil,
    "trunc": np.trunc,
    "rint": np.rint,
    "round": lambda x: np.sign(x) * np.floor(np.abs(x) + 0.5),
}
POSITIVE = {"log", "log1p", "sqrt", "rsqrt", "log2", "log10", "reciprocal"}


@pytest.mark.parametrize("name", sorted(UNARY_FLOAT))
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("layout", ["contiguous", "strided"])
def test_unary_float(name, dtype, layout, rng):
    low, high = (0.5, 3.0) if name in POSITIVE else (-2.0, 2.0)
    for shape in SHAPES:
        x = random_array(shape, dtype, rng, low, high)
        check_op(getattr(mx.nd, name), UNARY_FLOAT[name], [x], dtype, layout)


@pytest.mark.parametrize("name", sorted(UNARY_ANY))
@pytest.mark.parametrize("dtype", FLOAT_DTYPES + ["int8", "int32", "int64"])
def test_unary_any(name, dtype, rng):
    for shape in SHAPES:
        x = random_array(shape, dtype, rng, -5, 5)
        check_op(getattr(mx.nd, name), UNARY_ANY[name], [x], dtype)


@pytest.mark.parametrize("name", sorted(ROUNDING))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rounding(name, dtype, rng):
    x = random_array((50,), dtype, rng, -5, 5)
    x[:4] = [0.5, -0.5, 1.5, -2.5]
    check_op(getattr(mx.nd, name), ROUNDING[name], [x], dtype)


def test_float_only_ops_on_ints_give_float32(rng):
    x = random_array((6,), "int32", rng, 1, 9)
    check_op(mx.nd.sqrt, np.sqrt, [x], "int32", out_dtype="float32", rtol=1e-6)


BINARY = {
    "broadcast_add": np.add,
    "broadcast_sub": np.subtract,
    "broadcast_mul": np.multiply,
    "broadcast_maximum": np.maximum,
    "broadcast_minimum": np.minimum,
    "broadcast_equal": lambda a, b: a == b,
    "broadcast_not_equal": lambda a, b: a != b,
    "broadcast_greater": lambda a, b: a > b,
    "broadcast_greater_equal": lambda a, b: a >= b,
    "broadcast_lesser": lambda a, b: a < b,
    "broadcast_lesser_equal": lambda a, b: a <= b,
    "broadcast_logical_and": np.logical_and,
    "broadcast_logical_or": np.logical_or,
    "broadcast_logical_xor": np.logical_xor,
}
BROADCAST_PAIRS = [
    ((), ()),
    ((5,), ()),
    ((3, 4), (4,)),
    ((3, 1), (1, 4)),
    ((2, 3, 4), (3, 1)),
    ((0, 3), (1, 3)),
    ((2, 1, 4), (2, 3, 4)),
]


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16", "int32", "int64", "uint8"])
def test_binary_broadcast(name, dtype, rng):
    for sa, sb in BROADCAST_PAIRS:
        a = random_array(sa, dtype, rng, 0, 5)
        b = random_array(sb, dtype, rng, 0, 5)
        check_op(getattr(mx.nd, name), BINARY[name], [a, b], dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_binary_strided(dtype, rng):
    a = random_array((3, 4), dtype, rng)
    b = random_array((3, 4), dtype, rng)
    check_op(mx.nd.broadcast_mul, np.multiply, [a, b], dtype, layout="strided")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_div_mod_power_float(dtype, rng):
    a = random_array((4, 5), dtype, rng, 0.5, 4)
    b = random_array((5,), dtype, rng, 0.5, 4)
    check_op(mx.nd.broadcast_div, np.divide, [a, b], dtype)
    check_op(mx.nd.broadcast_mod, np.mod, [a - 2, b], dtype)
    check_op(mx.nd.broadcast_power, np.power, [a, b], dtype)


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_int_division_by_zero_is_zero(dtype):
    a = mx.nd.array([7, 6, 5], dtype=dtype)
    b = mx.nd.array([0, 4, 0], dtype=dtype)
    np.testing.assert_array_equal((a / b).asnumpy(), np.array([0, 1, 0], dtype=dtype))
    np.testing.assert_array_equal((a % b).asnumpy(), np.array([0, 2, 0], dtype=dtype))


def test_int_min_divided_by_minus_one_does_not_trap():
    a = mx.nd.array([np.iinfo(np.int32).min, 9], dtype="int32")
    b = mx.nd.array([-1, -1], dtype="int32")
    assert (a / b).asnumpy()[1] == -9
    assert (a % b).asnumpy().tolist() == [0, 0]


def test_mixed_dtypes_promote(rng):
    a = mx.nd.array([1, 2, 3], dtype="int32")
    b = mx.nd.array([0.5, 0.5, 0.5], dtype="float32")
    c = a + b
    assert c.dtype == np.float32
    np.testing.assert_allclose(c.asnumpy(), [1.5, 2.5, 3.5])
    assert (a + mx.nd.array([1, 1, 1], dtype="int64")).dtype == np.int64


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_python_operators(dtype, rng):
    x = random_array((3, 4), dtype, rng, 1, 4)
    a = mx.nd.array(x, dtype=dtype)
    ref = x.astype(np.float64) if dtype != "bool" else x
    if dtype == "bool":
        return
    from op_check import tolerance

    r, t = tolerance(dtype)
    for got, want in [
        (a + 2, ref + 2),
        (2 + a, 2 + ref),
        (a * 3, ref * 3),
        (a - 1, ref - 1),
        (a**2, ref**2),
        (a + a, ref + ref),
        (-a if dtype != "uint8" else a, -ref if dtype != "uint8" else ref),
    ]:
        np.testing.assert_allclose(
            got.asnumpy().astype(np.float64),
            np.asarray(want).astype(np.float32 if dtype == "bfloat16" else dtype).astype(np.float64),
            rtol=r,
            atol=t,
        )


def test_scalar_ops_keep_array_dtype():
    a = mx.nd.array([1, 2, 3], dtype="int32")
    assert (a * 2).dtype == np.int32
    assert (10 - a).asnumpy().tolist() == [9, 8, 7]
    assert (a > 1).asnumpy().tolist() == [0, 1, 1]


def test_inplace_operators_write_into_the_array():
    a = mx.nd.ones((2, 2))
    before = a
    a += 1
    a *= mx.nd.array([[2, 3], [4, 5]])
    assert a is before
    np.testing.assert_array_equal(a.asnumpy(), [[4, 6], [8, 10]])


def test_clip(rng):
    x = random_array((4, 5), "float32", rng)
    check_op(lambda t: mx.nd.clip(t, -1, 1.5), lambda t: np.clip(t, -1, 1.5), [x], "float32")
    with pytest.raises(mx.BraidError, match="clip: a_min"):
        mx.nd.clip(mx.nd.ones((2,)), 2, 1)


def test_shape_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"broadcast_add: operands could not be broadcast.*\(2, 3\).*\(4, 3\)"):
        mx.nd.ones((2, 3)) + mx.nd.ones((4, 3))
    with pytest.raises(mx.BraidValueError, match="elemwise_add: lhs and rhs must have the same shape"):
        mx.nd.elemwise_add(mx.nd.ones((2, 3)), mx.nd.ones((1, 3)))


def test_mixed_devices_is_an_error():
    a = mx.nd.ones((2,), ctx=mx.cpu(0))
    b = mx.nd.ones((2,), ctx=mx.cpu(1))
    with pytest.raises(mx.BraidDeviceError, match=r"on cpu\(1\) but input 'lhs' is on cpu\(0\)"):
        a + b
    np.testing.assert_array_equal((a + b.as_in_context(mx.cpu(0))).asnumpy(), [2, 2])


@pytest.mark.parametrize("n", [1, 7, 33, 1000])
def test_in_place_maps_match_out_of_place(n):
    # Kernels take a separate loop when the output is the input itself (graph steps over a dying input, out=x).
    x = np.random.RandomState(n).randn(n).astype(np.float32)
    y = np.random.RandomState(n + 1).randn(n).astype(np.float32)
    a = mx.nd.array(x)
    mx.nd.relu(a, out=a)
    np.testing.assert_array_equal(a.asnumpy(), np.maximum(x, 0))
    b = mx.nd.array(x)
    mx.nd.elemwise_add(b, mx.nd.array(y), out=b)
    np.testing.assert_array_equal(b.asnumpy(), x + y)
    c = mx.nd.array(x)
    mx.nd.elemwise_mul(c, c, out=c)  # both inputs are the output
    np.testing.assert_array_equal(c.asnumpy(), x * x)
