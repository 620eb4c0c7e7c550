"""Initializers (braid.init / braid.initializer): registry, name dispatch, statistics, reproducibility."""

import json

import numpy as np
import pytest

import braid as mx
from braid import init


def _filled(initializer, shape, name="fc_weight", dtype="float32"):
    arr = mx.nd.zeros(shape, dtype=dtype)
    initializer(name, arr)
    return arr.asnumpy()


def test_module_aliases():
    assert mx.init is mx.initializer
    assert mx.init.Xavier is init.Xavier


@pytest.mark.parametrize(
    "name, cls",
    [
        ("zeros", init.Zero),
        ("zero", init.Zero),
        ("ones", init.One),
        ("one", init.One),
        ("constant", init.Constant),
        ("uniform", init.Uniform),
        ("normal", init.Normal),
        ("xavier", init.Xavier),
        ("Xavier", init.Xavier),
        ("msraprelu", init.MSRAPrelu),
        ("orthogonal", init.Orthogonal),
        ("bilinear", init.Bilinear),
        ("lstmbias", init.LSTMBias),
    ],
)
def test_create_by_name(name, cls):
    assert type(init.create(name)) is cls


def test_create_instance_class_and_dumps_roundtrip():
    x = init.Xavier(rnd_type="gaussian", factor_type="in", magnitude=2)
    assert init.create(x) is x
    assert isinstance(init.create(init.Normal), init.Normal)
    y = init.create(x.dumps())
    assert type(y) is init.Xavier and (y.rnd_type, y.factor_type, y.magnitude) == ("gaussian", "in", 2.0)
    assert json.loads(init.Uniform(0.5).dumps()) == ["uniform", {"scale": 0.5}]


def test_create_unknown_name_and_bad_type():
    with pytest.raises(ValueError, match="Unknown initializer 'nope'.*xavier"):
        init.create("nope")
    with pytest.raises(TypeError):
        init.create(3.5)


def test_register_custom_initializer():
    @init.register
    class FortyTwo(init.Initializer):
        def _init_weight(self, name, arr):
            arr[:] = 42

    assert (_filled(init.create("fortytwo"), (2, 3)) == 42).all()


def test_zero_one_constant():
    assert (_filled(init.Zero(), (3, 4)) == 0).all()
    assert (_filled(init.One(), (3, 4)) == 1).all()
    assert (_filled(init.Constant(2.5), (3, 4)) == 2.5).all()
    v = np.arange(4, dtype=np.float32)
    np.testing.assert_array_equal(_filled(init.Constant(v), (3, 4)), np.broadcast_to(v, (3, 4)))
    np.testing.assert_array_equal(_filled(init.Constant(mx.nd.array(v)), (4,), name="c_weight"), v)
    with pytest.raises(ValueError, match="cannot fill"):
        _filled(init.Constant(np.ones(3)), (3, 4))


def test_name_dispatch_of_base_class():
    x = init.Xavier()
    assert (_filled(x, (5,), name="fc_bias") == 0).all()
    assert (_filled(x, (5,), name="bn_gamma") == 1).all()
    assert (_filled(x, (5,), name="bn_beta") == 0).all()
    assert (_filled(x, (5,), name="bn_running_mean") == 0).all()
    assert (_filled(x, (5,), name="bn_running_var") == 1).all()
    assert (_filled(x, (5,), name="bn_moving_mean") == 0).all()
    assert (_filled(x, (5,), name="bn_moving_var") == 1).all()
    with pytest.raises(ValueError, match="Unknown initialization pattern for 'foo_alpha'"):
        _filled(x, (5,), name="foo_alpha")


def test_own_initializer_in_desc_wins():
    arr = mx.nd.zeros((3, 3))
    init.Xavier()(init.InitDesc("fc_bias", {"__init__": "ones"}), arr)
    assert (arr.asnumpy() == 1).all()
    init.Uniform()(init.InitDesc("thing", {"__init__": init.Constant(3)}), arr)
    assert (arr.asnumpy() == 3).all()


def test_uniform_and_normal_statistics():
    mx.random.seed(0)
    u = _filled(init.Uniform(0.5), (200, 200))
    assert u.min() >= -0.5 and u.max() <= 0.5
    assert abs(u.mean()) < 0.01 and abs(u.var() - 0.25 / 3) < 0.004
    n = _filled(init.Normal(0.2), (200, 200))
    assert abs(n.mean()) < 0.005 and abs(n.std() - 0.2) < 0.005


@pytest.mark.parametrize("factor_type", ["avg", "in", "out"])
@pytest.mark.parametrize("rnd_type", ["uniform", "gaussian"])
def test_xavier_variance(rnd_type, factor_type):
    mx.random.seed(1)
    shape = (128, 64, 3, 3)
    w = _filled(init.Xavier(rnd_type, factor_type, magnitude=2.0), shape).astype(np.float64)
    fan_in, fan_out = 64 * 9, 128 * 9
    factor = {"avg": (fan_in + fan_out) / 2, "in": fan_in, "out": fan_out}[factor_type]
    scale = np.sqrt(2.0 / factor)
    expected_var = scale**2 / 3 if rnd_type == "uniform" else scale**2
    assert abs(w.var() / expected_var - 1) < 0.03
    assert abs(w.mean()) < 0.05 * np.sqrt(expected_var)
    if rnd_type == "uniform":
        assert np.abs(w).max() <= scale + 1e-7


def test_xavier_rejects_vectors_and_bad_args():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        _filled(init.Xavier(), (10,))
    with pytest.raises(ValueError, match="rnd_type"):
        init.Xavier(rnd_type="cauchy")
    with pytest.raises(ValueError, match="factor_type"):
        init.Xavier(factor_type="sum")


def test_msraprelu_std():
    mx.random.seed(2)
    w = _filled(init.MSRAPrelu(factor_type="in", slope=0.0), (256, 512)).astype(np.float64)
    assert abs(w.std() / np.sqrt(2.0 / 512) - 1) < 0.03


@pytest.mark.parametrize("shape", [(32, 64), (64, 32), (16, 4, 2, 2)])
@pytest.mark.parametrize("rand_type", ["uniform", "normal"])
def test_orthogonal(shape, rand_type):
    w = _filled(init.Orthogonal(scale=1.5, rand_type=rand_type), shape).reshape(shape[0], -1).astype(np.float64)
    gram = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
    np.testing.assert_allclose(gram, 1.5**2 * np.eye(gram.shape[0]), atol=1e-4)


def test_bilinear_kernel():
    w = _filled(init.Bilinear(), (2, 1, 4, 4))
    k = np.array([0.25, 0.75, 0.75, 0.25])
    np.testing.assert_allclose(w[0, 0], np.outer(k, k), rtol=1e-6)
    np.testing.assert_allclose(w[1, 0], np.outer(k, k), rtol=1e-6)


def test_lstmbias():
    b = _filled(init.LSTMBias(forget_bias=2.0), (16,), name="lstm_i2h_weight")
    np.testing.assert_array_equal(b, np.r_[np.zeros(4), 2 * np.ones(4), np.zeros(8)])


def test_mixed():
    m = init.Mixed(["conv.*", ".*"], [init.Constant(7), init.One()])
    assert (_filled(m, (3, 2), name="conv0_weight") == 7).all()
    assert (_filled(m, (3, 2), name="fc_weight") == 1).all()
    assert (_filled(m, (3,), name="conv0_bias") == 0).all()  # the chosen initializer still dispatches on the name
    with pytest.raises(ValueError, match="did not match any pattern"):
        _filled(init.Mixed(["a.*"], [init.One()]), (2,), name="zzz")


def test_load_initializer():
    saved = {"arg:fc_weight": mx.nd.ones((2, 2)) * 3}
    ld = init.Load(saved, default_init=init.Zero())
    assert (_filled(ld, (2, 2), name="fc_weight") == 3).all()
    assert (_filled(ld, (2, 2), name="other_weight") == 0).all()
    with pytest.raises(ValueError, match="shape"):
        _filled(ld, (3, 2), name="fc_weight")


def test_seed_makes_initialization_reproducible():
    def draw(seed):
        mx.random.seed(seed)
        return _filled(init.Xavier(), (8, 8)), _filled(init.Normal(), (8, 8))

    a, b, c = draw(7), draw(7), draw(8)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_float64_and_float16_targets():
    w64 = _filled(init.Xavier(), (16, 16), dtype="float64")
    assert w64.dtype == np.float64 and w64.std() > 0
    w16 = _filled(init.Uniform(1.0), (16, 16), dtype="float16")
    assert w16.dtype == np.float16 and np.abs(w16).max() <= 1.0 and w16.std() > 0


def test_verbose_prints(capsys):
    x = init.One().set_verbosity(True)
    x(init.InitDesc("fc_weight"), mx.nd.zeros((2, 2)))
    assert "Initialized fc_weight" in capsys.readouterr().out
