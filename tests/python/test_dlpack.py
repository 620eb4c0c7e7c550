"""DLPack exchange with numpy (and PyTorch when installed): memory is shared both ways, dtypes and strided
views survive, and the memory outlives the Python object it came from."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import braid as mx
from braid.ndarray.dlpack import from_dlpack, from_numpy, to_dlpack
from op_check import ALL_DTYPES, random_array

NUMPY_DTYPES = [d for d in ALL_DTYPES if d != "bfloat16"]  # numpy has no bfloat16


def capsule_name(c: object) -> str:
    return repr(c).split('"')[1]


# ---- braid -> numpy ----------------------------------------------------------------------------------------


def test_numpy_view_shares_memory() -> None:
    a = mx.nd.array(np.arange(6, dtype=np.float32).reshape(2, 3))
    y = np.from_dlpack(a)
    assert y.shape == (2, 3) and y.flags.writeable
    y[0, 1] = 42.0
    assert a.asnumpy()[0, 1] == 42.0
    a += 1  # braid writes are seen by numpy once they have run
    a.wait_to_read()
    assert y[0, 1] == 43.0


@pytest.mark.parametrize("dtype", NUMPY_DTYPES)
def test_numpy_view_dtypes(dtype: str, rng) -> None:
    x = random_array((3, 4), dtype, rng)
    y = np.from_dlpack(mx.nd.array(x, dtype=dtype))
    assert y.dtype == x.dtype
    np.testing.assert_array_equal(y, x)


def test_numpy_view_of_strided_and_empty_arrays() -> None:
    base = mx.nd.array(np.arange(24, dtype=np.float64).reshape(4, 6))
    v = base[1:, ::2]
    y = np.from_dlpack(v)
    np.testing.assert_array_equal(y, base.asnumpy()[1:, ::2])
    y[0, 0] = -1.0
    assert base.asnumpy()[1, 0] == -1.0
    assert np.from_dlpack(mx.nd.zeros((0, 3))).shape == (0, 3)
    assert np.from_dlpack(mx.nd.array(np.float32(2.5))).shape == ()


def test_numpy_view_outlives_the_array() -> None:
    a = mx.nd.array([1.0, 2.0, 3.0])
    y = np.from_dlpack(a)
    del a
    gc.collect()
    mx.nd.ones((1000,)).wait_to_read()  # reuse pool memory: the view must not see it
    np.testing.assert_array_equal(y, [1.0, 2.0, 3.0])


def test_export_waits_for_pending_writes() -> None:
    a = mx.nd.ones((256, 256))
    for _ in range(20):
        a += 1
    assert (np.from_dlpack(a) == 21).all()


def test_capsule_protocol() -> None:
    ctx = mx.cpu(7)  # a pool of its own, to see the release
    a = mx.nd.ones((1024,), ctx=ctx)
    held = ctx.memory_stats()["bytes_in_use"]
    c = to_dlpack(a)
    assert capsule_name(c) == "dltensor"
    del a
    gc.collect()
    assert ctx.memory_stats()["bytes_in_use"] == held  # the capsule keeps the memory
    del c  # never consumed: the capsule destructor calls the deleter
    gc.collect()
    assert ctx.memory_stats()["bytes_in_use"] == held - 4096
    c = mx.nd.array([1.0]).__dlpack__(max_version=(1, 0))
    assert capsule_name(c) == "dltensor_versioned"
    del c


def test_dlpack_keywords() -> None:
    a = mx.nd.array([1.0, 2.0])
    assert a.__dlpack_device__() == (1, 0)
    y = np.from_dlpack(a, copy=True)
    y[0] = 9.0
    assert a.asnumpy()[0] == 1.0
    with pytest.raises(BufferError):
        a.__dlpack__(dl_device=(2, 0))


# ---- numpy -> braid ----------------------------------------------------------------------------------------


def test_braid_view_of_numpy_shares_memory() -> None:
    x = np.arange(5, dtype=np.float32)
    a = mx.nd.from_dlpack(x)
    x[1] = 9.0
    assert a.asnumpy()[1] == 9.0
    a[2] = 7.0
    a.wait_to_read()
    assert x[2] == 7.0
    (a * 2).wait_to_read()


@pytest.mark.parametrize("dtype", NUMPY_DTYPES)
def test_braid_view_of_numpy_dtypes(dtype: str, rng) -> None:
    x = random_array((2, 3), dtype, rng)
    a = from_dlpack(x)
    assert mx.dtypes.dtype_name(a._dtype_code()) == dtype
    np.testing.assert_array_equal(a.asnumpy(), x)


def test_braid_view_of_strided_numpy() -> None:
    x = np.arange(30, dtype=np.int32).reshape(5, 6)
    for view in (x[::2, 1:], x.T, x[::-1, ::-3]):
        a = from_dlpack(view)
        np.testing.assert_array_equal(a.asnumpy(), view)
        np.testing.assert_array_equal((a + 1).asnumpy(), view + 1)
    assert from_dlpack(np.zeros((0, 4))).shape == (0, 4)
    assert from_dlpack(np.array(3.0)).asscalar() == 3.0


def test_braid_view_outlives_numpy_array() -> None:
    x = np.arange(4, dtype=np.int64)
    a = from_dlpack(x)
    del x
    gc.collect()
    np.testing.assert_array_equal(a.asnumpy(), [0, 1, 2, 3])
    b = a[1:]
    del a
    gc.collect()
    np.testing.assert_array_equal(b.asnumpy(), [1, 2, 3])


def test_capsule_is_consumed_once() -> None:
    x = np.ones(3)
    c = x.__dlpack__()
    a = from_dlpack(c)
    assert capsule_name(c) == "used_dltensor"
    with pytest.raises(mx.BraidValueError, match="consumed"):
        from_dlpack(c)
    np.testing.assert_array_equal(a.asnumpy(), [1, 1, 1])


def test_braid_round_trip_shares_the_engine_variable() -> None:
    a = mx.nd.zeros((64, 64))
    b = from_dlpack(a)
    for _ in range(10):
        b += 1  # ordered with reads of a: same storage, same variable
    assert (a.asnumpy() == 10).all()
    bf = mx.nd.array([1.5, -2.0], dtype="bfloat16")
    np.testing.assert_array_equal(from_dlpack(bf).asnumpy(), [1.5, -2.0])


def test_from_dlpack_errors() -> None:
    with pytest.raises(TypeError):
        from_dlpack([1, 2])
    with pytest.raises(mx.BraidTypeError, match="not supported"):
        from_dlpack(np.ones(2, dtype=np.int16))


# ---- from_numpy --------------------------------------------------------------------------------------------


def test_from_numpy_zero_copy() -> None:
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    a = from_numpy(x)
    assert not x.flags.writeable  # braid's asynchronous ops would race with numpy writes
    np.testing.assert_array_equal(a.asnumpy(), x)
    a += 1
    a.wait_to_read()
    assert x[0, 0] == 1.0
    ro = np.arange(3, dtype=np.int8)
    ro.flags.writeable = False
    b = from_numpy(ro)
    del ro
    gc.collect()
    np.testing.assert_array_equal(b.asnumpy(), [0, 1, 2])
    bits = np.array([0x3FC0, 0xC000], dtype=np.uint16).view(mx.bfloat16)  # 1.5, -2.0
    np.testing.assert_array_equal(from_numpy(bits).asnumpy(), [1.5, -2.0])
    np.testing.assert_array_equal(from_numpy(np.array([True, False])).asnumpy(), [True, False])


def test_from_numpy_copy_and_errors() -> None:
    x = np.ones(3, dtype=np.float64)
    a = from_numpy(x, zero_copy=False)
    x[0] = 5.0
    assert x.flags.writeable and a.asnumpy()[0] == 1.0
    with pytest.raises(TypeError, match="complex64"):
        from_numpy(np.ones(2, dtype=np.complex64))
    with pytest.raises(TypeError):
        from_numpy([1.0])
    assert mx.nd.from_numpy is from_numpy


# ---- PyTorch -----------------------------------------------------------------------------------------------


def test_torch_round_trips() -> None:
    torch = pytest.importorskip("torch")
    a = mx.nd.array(np.arange(6, dtype=np.float32).reshape(2, 3))
    t = torch.from_dlpack(a)
    t[1, 2] = 100.0
    assert a.asnumpy()[1, 2] == 100.0
    u = torch.arange(12, dtype=torch.int64).reshape(3, 4)
    b = from_dlpack(u)
    u[0, 0] = -5
    assert b.asnumpy()[0, 0] == -5
    c = from_dlpack(u.t())  # non-contiguous
    np.testing.assert_array_equal(c.asnumpy(), u.t().numpy())
    del u
    gc.collect()
    assert b.asnumpy()[2, 3] == 11


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_torch_dtypes(dtype: str, rng) -> None:
    torch = pytest.importorskip("torch")
    x = random_array((2, 3), dtype, rng)
    a = mx.nd.array(x, dtype=dtype)
    t = torch.from_dlpack(a)
    assert str(t.dtype) == "torch." + dtype
    back = from_dlpack(t)
    assert mx.dtypes.dtype_name(back._dtype_code()) == dtype
    np.testing.assert_array_equal(back.asnumpy(), a.asnumpy())
    np.testing.assert_array_equal(t.float().numpy() if dtype == "bfloat16" else t.numpy(), a.asnumpy())
