"""Random sampling: exact values against a reference Philox4x32-10, reproducibility, streams and moments."""

import os
import subprocess
import sys

import numpy as np
import pytest

import braid as mx

MASK32 = 0xFFFFFFFF
GOLDEN = 0x9E3779B97F4A7C15  # a global seed s gives device (type t, id i) the key s * GOLDEN + t * 16 + i


def philox4x32_10(counters: np.ndarray, key: int) -> list[np.ndarray]:
    """Reference Philox4x32-10 (Salmon et al., SC'11) over an array of 64-bit counters: the 4 word arrays."""
    c = np.asarray(counters, dtype=np.uint64)
    c0, c1 = c & np.uint64(MASK32), c >> np.uint64(32)
    c2 = np.zeros_like(c)
    c3 = np.zeros_like(c)
    k0, k1 = key & MASK32, (key >> 32) & MASK32
    m32, s32 = np.uint64(MASK32), np.uint64(32)
    for _ in range(10):
        p0 = np.uint64(0xD2511F53) * c0
        p1 = np.uint64(0xCD9E8D57) * c2
        c0, c1, c2, c3 = (
            (p1 >> s32) ^ c1 ^ np.uint64(k0),
            p1 & m32,
            (p0 >> s32) ^ c3 ^ np.uint64(k1),
            p0 & m32,
        )
        k0, k1 = (k0 + 0x9E3779B9) & MASK32, (k1 + 0xBB67AE85) & MASK32
    return [c0, c1, c2, c3]


def cpu_key(seed: int, device_id: int = 0) -> int:
    return (seed * GOLDEN + device_id) & 0xFFFFFFFFFFFFFFFF


def test_reference_philox_known_answers():
    # Known-answer vectors of the Random123 distribution.
    w = philox4x32_10(np.array([0], np.uint64), 0)
    assert [int(x[0]) for x in w] == [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]


def test_uniform_matches_reference_philox():
    mx.random.seed(123)
    got = mx.nd.random.uniform(shape=(1000,)).asnumpy()
    w0 = philox4x32_10(np.arange(1000, dtype=np.uint64), cpu_key(123))[0]
    np.testing.assert_array_equal(got, ((w0 >> np.uint64(8)).astype(np.float64) * 2.0**-24).astype(np.float32))
    # The stream advances by one counter per element: the next call continues at counter 1000.
    nxt = mx.nd.random.uniform(-2, 3, shape=(2, 5)).asnumpy()
    w0 = philox4x32_10(np.arange(1000, 1010, dtype=np.uint64), cpu_key(123))[0]
    u = (w0 >> np.uint64(8)).astype(np.float64) * 2.0**-24
    np.testing.assert_array_equal(nxt, (-2 + 5 * u).astype(np.float32).reshape(2, 5))


def test_normal_and_randint_match_reference_philox():
    mx.random.seed(7)
    n = 500
    got = mx.nd.random.normal(1.5, 2.0, shape=(n,), dtype="float64").asnumpy()
    w = philox4x32_10(np.arange(n, dtype=np.uint64), cpu_key(7))

    def u53(hi, lo):
        return ((hi << np.uint64(32) | lo) >> np.uint64(11)).astype(np.float64) * 2.0**-53

    want = 1.5 + 2.0 * np.sqrt(-2 * np.log(1 - u53(w[0], w[1]))) * np.cos(2 * np.pi * u53(w[2], w[3]))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)

    got = mx.nd.random.randint(-1000, 2**40, shape=(n,), dtype="int64").asnumpy()
    w = philox4x32_10(np.arange(n, n + n, dtype=np.uint64), cpu_key(7))
    span = 2**40 + 1000
    want = [-1000 + (((int(hi) << 32 | int(lo)) * span) >> 64) for lo, hi in zip(w[0], w[1])]
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("sampler", ["uniform", "normal", "randint"])
def test_same_seed_same_numbers_and_different_seeds_differ(sampler):
    args = (0, 1000) if sampler == "randint" else ()
    fn = getattr(mx.random, sampler)
    mx.random.seed(5)
    a = fn(*args, shape=(4, 50)).asnumpy()
    b = fn(*args, shape=(4, 50)).asnumpy()
    mx.random.seed(5)
    c = fn(*args, shape=(4, 50)).asnumpy()
    mx.random.seed(6)
    d = fn(*args, shape=(4, 50)).asnumpy()
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)  # the stream moved on
    assert not np.array_equal(a, d)


def test_devices_have_distinct_streams():
    mx.random.seed(11)
    a = mx.nd.random.uniform(shape=(100,), ctx=mx.cpu(0)).asnumpy()
    b = mx.nd.random.uniform(shape=(100,), ctx=mx.cpu(1)).asnumpy()
    assert not np.array_equal(a, b)
    # Seeding one device restarts that device's stream only.
    mx.random.seed(3, ctx=mx.cpu(1))
    c = mx.nd.random.uniform(shape=(100,), ctx=mx.cpu(1)).asnumpy()
    mx.random.seed(3, ctx=mx.cpu(1))
    np.testing.assert_array_equal(c, mx.nd.random.uniform(shape=(100,), ctx=mx.cpu(1)).asnumpy())


def test_unseeded_streams_are_well_defined():
    code = (
        "import braid as mx, numpy as np\n"
        "a = mx.nd.random.uniform(shape=(50,), ctx=mx.cpu(0)).asnumpy()\n"
        "b = mx.nd.random.uniform(shape=(50,), ctx=mx.cpu(1)).asnumpy()\n"
        "assert not np.array_equal(a, b), 'cpu(0) and cpu(1) drew the same numbers'\n"
        "mx.random.seed(0)\n"
        "assert np.array_equal(a, mx.nd.random.uniform(shape=(50,), ctx=mx.cpu(0)).asnumpy())\n"
        "assert np.array_equal(b, mx.nd.random.uniform(shape=(50,), ctx=mx.cpu(1)).asnumpy())\n"
        "print('ok')\n"
    )
    res = subprocess.run([sys.executable, "-c", code], env=dict(os.environ), capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr


@pytest.mark.parametrize("sampler", ["uniform", "normal", "randint"])
def test_reproducible_across_thread_counts(sampler):
    args = (-50, 50) if sampler == "randint" else ()
    fn = getattr(mx.nd.random, sampler)
    old = mx.get_num_threads()
    runs = []
    try:
        for n in (1, 2):
            mx.set_num_threads(n)
            mx.random.seed(99)
            runs.append(fn(*args, shape=(100_000,)).asnumpy())
    finally:
        mx.set_num_threads(old)
    np.testing.assert_array_equal(runs[0], runs[1])


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_uniform_moments_and_range(dtype):
    mx.random.seed(1)
    x = mx.nd.random.uniform(-1, 3, shape=(100_000,), dtype=dtype)
    assert mx.dtypes.dtype_name(x._dtype_code()) == dtype
    v = x.asnumpy().astype(np.float64)
    assert v.min() >= -1 and v.max() < 3
    assert abs(v.mean() - 1) < 0.02
    assert abs(v.std() - 4 / np.sqrt(12)) < 0.02


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_uniform_never_rounds_up_to_high(dtype):
    mx.random.seed(2)
    v = mx.nd.random.uniform(0, 1, shape=(200_000,), dtype=dtype).asnumpy().astype(np.float64)
    assert v.max() < 1


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_normal_moments(dtype):
    mx.random.seed(3)
    v = mx.nd.random.normal(2, 0.5, shape=(100_000,), dtype=dtype).asnumpy().astype(np.float64)
    assert abs(v.mean() - 2) < 0.01
    assert abs(v.std() - 0.5) < 0.01
    assert abs(np.mean(np.abs(v - 2) < 0.5) - 0.6827) < 0.01  # one-sigma mass


@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_randint_range_and_counts(dtype):
    mx.random.seed(4)
    x = mx.nd.random.randint(-3, 7, shape=(100_000,), dtype=dtype)
    assert x.dtype == np.dtype(dtype)
    v = x.asnumpy()
    assert v.min() == -3 and v.max() == 6
    counts = np.bincount(v + 3, minlength=10)
    assert np.all(np.abs(counts / len(v) - 0.1) < 0.01)
    assert mx.nd.random.randint(5, 6, shape=(10,)).asnumpy().tolist() == [5] * 10


def test_int32_randint_extreme_bounds():
    v = mx.nd.random.randint(-(2**31), 2**31, shape=(10_000,)).asnumpy()
    assert v.dtype == np.int32 and v.min() < -(2**30) and v.max() > 2**30


def test_shapes_defaults_and_out():
    assert mx.nd.random.uniform().shape == (1,)
    assert mx.nd.random.normal(shape=7).shape == (7,)
    assert mx.nd.random.uniform(shape=()).shape == ()
    assert mx.nd.random.uniform(shape=(0, 3)).shape == (0, 3)
    assert mx.random.randint(0, 3, shape=(2, 2)).dtype == np.int32
    out = mx.nd.zeros((3, 4), dtype="float64")
    res = mx.nd.random.uniform(5, 6, out=out)
    assert res is out
    v = out.asnumpy()
    assert v.min() >= 5 and v.max() < 6
    big = mx.nd.zeros((3, 8))
    mx.nd.random.normal(out=big[:, ::2])
    b = big.asnumpy()
    assert np.all(b[:, ::2] != 0) and not b[:, 1::2].any()
    # The generated op functions and MXNet's aliases are the same ops.
    assert mx.nd.random_uniform(shape=(2, 3)).shape == (2, 3)
    assert mx.nd.uniform(shape=(2,)).shape == (2,)
    assert mx.nd._internal._random_normal(shape=(2,)).shape == (2,)
    assert mx.nd.randint(low=0, high=2, shape=(3,)).dtype == np.int32


def test_errors_name_op_and_argument():
    with pytest.raises(mx.BraidValueError, match=r"random_uniform: low must be <= high, got low=2, high=1"):
        mx.nd.random.uniform(2, 1)
    with pytest.raises(mx.BraidValueError, match=r"random_normal: scale must be >= 0, got -1"):
        mx.nd.random.normal(0, -1)
    with pytest.raises(mx.BraidValueError, match=r"random_randint: low must be < high, got low=3, high=3"):
        mx.nd.random.randint(3, 3)
    with pytest.raises(mx.BraidValueError, match=r"random_randint: low=0 and high=4294967296 do not fit dtype int32"):
        mx.nd.random.randint(0, 2**32)
    with pytest.raises(mx.BraidTypeError, match=r"random_randint: dtype must be int32 or int64, got float32"):
        mx.nd.random.randint(0, 5, dtype="float32")
    with pytest.raises(mx.BraidTypeError, match=r"random_uniform: dtype must be a floating-point type, got int32"):
        mx.nd.random.uniform(dtype="int32")
    with pytest.raises(mx.BraidValueError, match=r"random_normal: shape \(2, -1\) has a negative dimension"):
        mx.nd.random.normal(shape=(2, -1))
    with pytest.raises(TypeError, match=r"uniform: low must be a number"):
        mx.nd.random.uniform(mx.nd.zeros((2,)), 1)
    with pytest.raises(ValueError, match=r"random_randint: missing required attribute 'low'"):
        mx.nd.random_randint(high=3)


def test_get_and_set_state_resume_the_stream():
    mx.random.seed(5)
    mx.nd.random.normal(shape=(7,)).asnumpy()
    state = mx.random.get_state()
    assert set(state) >= {"cpu(0)", "cpu(1)"}
    a = mx.nd.random.uniform(shape=(4, 3)).asnumpy()
    b = mx.nd.random.normal(shape=(5,), ctx=mx.cpu(1)).asnumpy()
    mx.random.seed(99)  # move away
    mx.random.set_state(state)
    np.testing.assert_array_equal(mx.nd.random.uniform(shape=(4, 3)).asnumpy(), a)
    np.testing.assert_array_equal(mx.nd.random.normal(shape=(5,), ctx=mx.cpu(1)).asnumpy(), b)
    assert mx.random.get_state(mx.cpu(0))["cpu(0)"] != state["cpu(0)"]
