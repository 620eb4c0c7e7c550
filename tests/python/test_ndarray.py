"""The NDArray object: creation, dtypes, devices, conversion, Python protocol, errors."""

import pickle

import numpy as np
import pytest

import braid as mx
from op_check import ALL_DTYPES


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_round_trip_every_dtype(dtype):
    src = np.array([[0, 1, 2], [3, 4, 5]]).astype(np.float32 if dtype == "bfloat16" else dtype)
    a = mx.nd.array(src, dtype=dtype)
    assert a.shape == (2, 3)
    assert mx.dtypes.dtype_name(a._dtype_code()) == dtype
    np.testing.assert_array_equal(a.asnumpy(), src)


def test_default_dtypes_follow_mxnet():
    assert mx.nd.array([1, 2]).dtype == np.float32  # lists become float32
    assert mx.nd.array(np.arange(3)).dtype == np.int64  # numpy arrays keep their dtype
    assert mx.nd.zeros((2,)).dtype == np.float32


def test_float16_and_bfloat16_round_to_nearest():
    x = np.array([1.0009765625, 3.14159, -2.5e-8, 65504, 1e6, np.nan, -np.inf], dtype=np.float32)
    with np.errstate(over="ignore"):  # 1e6 overflows float16 to inf on purpose
        np.testing.assert_array_equal(mx.nd.array(x, dtype="float16").asnumpy(), x.astype(np.float16))
    b = mx.nd.array(x, dtype="bfloat16").asnumpy()
    np.testing.assert_allclose(b[:5], x[:5], rtol=2**-8)
    assert np.isnan(b[5]) and b[6] == -np.inf


def test_scalar_and_empty_arrays():
    s = mx.nd.array(np.float32(2.5))
    assert s.shape == () and s.ndim == 0 and s.size == 1
    assert s.asscalar() == 2.5 and float(s) == 2.5
    e = mx.nd.zeros((0, 3))
    assert e.shape == (0, 3) and e.size == 0
    assert e.asnumpy().shape == (0, 3)
    assert (e + 1).shape == (0, 3)


def test_creation_functions():
    np.testing.assert_array_equal(mx.nd.full((2, 2), 7).asnumpy(), np.full((2, 2), 7, np.float32))
    np.testing.assert_array_equal(mx.nd.ones((3,), dtype="int32").asnumpy(), [1, 1, 1])
    np.testing.assert_allclose(mx.nd.arange(0, 1, 0.25).asnumpy(), [0, 0.25, 0.5, 0.75])
    np.testing.assert_array_equal(mx.nd.arange(3, repeat=2).asnumpy(), [0, 0, 1, 1, 2, 2])
    np.testing.assert_allclose(mx.nd.linspace(0, 1, 5).asnumpy(), np.linspace(0, 1, 5))
    np.testing.assert_allclose(mx.nd.linspace(0, 1, 4, endpoint=False).asnumpy(), [0, 0.25, 0.5, 0.75])
    np.testing.assert_array_equal(mx.nd.eye(3, 4, k=-1).asnumpy(), np.eye(3, 4, k=-1))
    assert mx.nd.empty((2, 5)).shape == (2, 5)
    np.testing.assert_array_equal(mx.nd.zeros_like(mx.nd.ones((2, 2))).asnumpy(), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="arange: step must not be 0"):
        mx.nd.arange(0, 5, 0)
    with pytest.raises(ValueError, match="negative dimension"):
        mx.nd.zeros((2, -1))


def test_contexts_and_copies():
    a = mx.nd.ones((2, 3), ctx=mx.cpu(1))
    assert a.context == mx.cpu(1) and a.ctx == mx.cpu(1)
    b = a.copyto(mx.cpu(0))
    assert b.context == mx.cpu(0)
    np.testing.assert_array_equal(b.asnumpy(), a.asnumpy())
    assert a.as_in_context(mx.cpu(1)) is a
    c = mx.nd.zeros((2, 3))
    a.copyto(c)
    np.testing.assert_array_equal(c.asnumpy(), np.ones((2, 3)))
    with mx.cpu(1):
        assert mx.nd.zeros((1,)).context == mx.cpu(1)
    assert mx.current_context() == mx.cpu(0)
    assert str(mx.gpu(2)) == "gpu(2)"


def test_gpu_without_cuda_is_a_clear_error():
    if mx.num_gpus() > 0:
        pytest.skip("this build has GPUs")
    with pytest.raises(mx.BraidDeviceError, match=r"gpu\(0\) is not available.*CUDA"):
        mx.nd.zeros((2,), ctx=mx.gpu(0))


def test_astype_and_copy_are_independent():
    a = mx.nd.array([1.7, -2.2, 0.0])
    i = a.astype("int32")
    assert i.dtype == np.int32 and i.asnumpy().tolist() == [1, -2, 0]
    assert a.astype("bool").asnumpy().tolist() == [True, True, False]
    assert a.astype(np.float32, copy=False) is a
    c = a.copy()
    c[:] = 5
    assert a.asnumpy()[0] == pytest.approx(1.7)


def test_reshape_special_values_and_views():
    a = mx.nd.arange(24).reshape((2, 3, 4))
    assert a.reshape(0, -1).shape == (2, 12)
    assert a.reshape(-2).shape == (2, 3, 4)
    assert a.reshape(-3, 4).shape == (6, 4)
    assert a.reshape(-4, 1, 2, 3, 4).shape == (1, 2, 3, 4)
    assert a.reshape((4, -1), reverse=True).shape == (4, 6)
    v = a.reshape(6, 4)
    v[0, 0] = 100  # a contiguous reshape is a view
    assert a.asnumpy()[0, 0, 0] == 100
    with pytest.raises(ValueError, match="reshape"):
        a.reshape(5, -1)


def test_python_protocol():
    a = mx.nd.array([[1, 2], [3, 4]])
    assert len(a) == 2
    assert [r.asnumpy().tolist() for r in a] == [[1, 2], [3, 4]]
    assert "NDArray 2x2 @cpu(0)" in repr(a)
    assert np.asarray(a).tolist() == [[1, 2], [3, 4]]
    with pytest.raises(ValueError, match="ambiguous"):
        bool(a)
    assert bool(mx.nd.array([1]))
    b = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(b.asnumpy(), a.asnumpy())
    assert (a == None) is False  # noqa: E711 - MXNet's behaviour
    assert hash(a) != hash(b)


def test_memory_stats_track_the_pool():
    ctx = mx.cpu(3)  # a context no other test uses
    before = ctx.memory_stats()["bytes_in_use"]
    a = mx.nd.zeros((1024, 1024), ctx=ctx)
    a.wait_to_read()
    stats = ctx.memory_stats()
    assert stats["bytes_in_use"] - before >= 4 * 1024 * 1024
    assert stats["peak_bytes_in_use"] >= stats["bytes_in_use"]
    del a
    mx.nd.waitall()
    after = ctx.memory_stats()
    assert after["bytes_in_use"] == before
    assert after["bytes_cached"] >= 4 * 1024 * 1024
    b = mx.nd.zeros((1024, 1024), ctx=ctx)  # served from the pool
    b.wait_to_read()
    assert ctx.memory_stats()["num_pool_hits"] > stats["num_pool_hits"]
    del b
    mx.nd.waitall()
    ctx.empty_cache()
    assert ctx.memory_stats()["bytes_cached"] == 0


def test_errors_are_braid_errors_and_python_errors():
    with pytest.raises(mx.BraidError):
        mx.nd.ones((2,)) + mx.nd.ones((3,))
    with pytest.raises(TypeError, match="unknown dtype"):
        mx.nd.zeros((2,), dtype="complex64")
    with pytest.raises(TypeError, match="unexpected keyword"):
        mx.nd.exp(mx.nd.ones((1,)), bogus=1)
    with pytest.raises(mx.BraidValueError, match="missing required attribute 'a_min'"):
        mx.nd.clip(mx.nd.ones((1,)), a_max=1)


def test_help_shows_the_registry_doc():
    doc = mx.nd.clip.__doc__
    assert "Clips values" in doc and "a_min : float, required" in doc
    assert "Elementwise sum" in mx.nd.broadcast_add.__doc__


def test_version_and_features():
    from braid.version import core_version

    major, minor, patch, abi = core_version()
    assert (major, minor) == (0, 1) and abi >= 1
    assert "OPENMP" in mx.features()
