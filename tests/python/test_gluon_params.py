"""gluon.Parameter, Constant and ParameterDict: initialization (incl. deferred), contexts, gradients, I/O."""

import warnings

import numpy as np
import pytest

import braid as mx
from braid import autograd, gluon
from braid.gluon import nn
from braid.gluon.parameter import DeferredInitializationError


def test_initialize_data_grad_and_repr():
    p = gluon.Parameter("fc_weight", shape=(3, 4), init="ones")
    assert repr(p) == "Parameter fc_weight (shape=(3, 4), dtype=<class 'numpy.float32'>)"
    p.initialize()
    assert p.data().shape == (3, 4) and (p.data().asnumpy() == 1).all()
    assert p.list_ctx() == [mx.cpu(0)]
    assert p.grad().shape == (3, 4) and (p.grad().asnumpy() == 0).all()
    assert p.list_data()[0] is p.data()
    assert p.dtype == np.float32 and p.grad_req == "write"


def test_default_init_and_init_priority():
    mx.random.seed(0)
    p = gluon.Parameter("w_weight", shape=(50, 50))
    p.initialize()  # default Uniform(0.07)
    v = p.data().asnumpy()
    assert np.abs(v).max() <= 0.07 and v.std() > 0.01
    q = gluon.Parameter("q_weight", shape=(2, 2), init=mx.init.Constant(5))
    q.initialize(default_init=mx.init.Zero())  # the parameter's own init wins over the default
    assert (q.data().asnumpy() == 5).all()
    r = gluon.Parameter("r_weight", shape=(2, 2), init=mx.init.Constant(5))
    r.initialize(init=mx.init.One())  # an explicit init wins over both
    assert (r.data().asnumpy() == 1).all()


def test_uninitialized_errors_say_what_to_do():
    p = gluon.Parameter("w", shape=(2,))
    with pytest.raises(RuntimeError, match="has not been initialized.*initialize"):
        p.data()
    with pytest.raises(RuntimeError, match="initialize"):
        p.list_ctx()


def test_unknown_shape_needs_deferred_init():
    p = gluon.Parameter("w", shape=(0, 3))
    with pytest.raises(ValueError, match="invalid shape"):
        p.initialize()


def test_deferred_initialization():
    p = gluon.Parameter("w_weight", shape=(0, 3), allow_deferred_init=True, init="ones")
    p.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    assert p.list_ctx() == [mx.cpu(0), mx.cpu(1)]
    with pytest.raises(DeferredInitializationError, match="deferred"):
        p.data()
    p.shape = (5, 3)
    p._finish_deferred_init()
    assert p.data(mx.cpu(1)).shape == (5, 3) and p.data(mx.cpu(1)).context == mx.cpu(1)


def test_set_data_during_deferred_init():
    p = gluon.Parameter("w", shape=(0,), allow_deferred_init=True)
    p.initialize()
    p.set_data(mx.nd.array([1.0, 2.0]))
    assert p.shape == (2,)
    p._finish_deferred_init()
    np.testing.assert_array_equal(p.data().asnumpy(), [1, 2])


def test_shape_setter_only_fills_unknown_dims():
    p = gluon.Parameter("w", shape=(0, 3))
    p.shape = (4, 3)
    assert p.shape == (4, 3)
    with pytest.raises(ValueError, match="incompatible"):
        p.shape = (4, 5)
    with pytest.raises(ValueError, match="incompatible"):
        p.shape = (4, 3, 1)
    assert gluon.Parameter("b", shape=7).shape == (7,)


def test_already_initialized_warns_and_force_reinit():
    p = gluon.Parameter("w", shape=(2,), init="zeros")
    p.initialize()
    with pytest.warns(UserWarning, match="already initialized"):
        p.initialize(init="ones")
    assert (p.data().asnumpy() == 0).all()
    p.initialize(init="ones", force_reinit=True)
    assert (p.data().asnumpy() == 1).all()


def test_multi_context_parameter():
    mx.random.seed(3)
    ctxs = [mx.cpu(0), mx.cpu(1)]
    p = gluon.Parameter("fc_weight", shape=(3, 2))
    p.initialize(init=mx.init.Xavier(), ctx=ctxs)
    d0, d1 = p.data(mx.cpu(0)), p.data(mx.cpu(1))
    assert d0.context == mx.cpu(0) and d1.context == mx.cpu(1)
    np.testing.assert_array_equal(d0.asnumpy(), d1.asnumpy())
    assert [d.context for d in p.list_data()] == ctxs
    with pytest.raises(RuntimeError, match=r"not initialized on context cpu\(2\).*only initialized on"):
        p.data(mx.cpu(2))
    with mx.cpu(1):
        assert p.data().context == mx.cpu(1)  # no ctx: the current context
    # each copy gets its own gradient
    for ctx, k in zip(ctxs, (1.0, 2.0)):
        x = mx.nd.ones((2,), ctx=ctx) * k
        with autograd.record():
            y = mx.nd.sum(mx.nd.dot(p.data(ctx), x))
        y.backward()
    g0, g1 = (g.asnumpy() for g in p.list_grad())
    np.testing.assert_allclose(g0, np.ones((3, 2)))
    np.testing.assert_allclose(g1, 2 * np.ones((3, 2)))
    # set_data writes every copy; _reduce averages them
    p.set_data(mx.nd.ones((3, 2)) * 4)
    assert all((d.asnumpy() == 4).all() for d in p.list_data())
    p.data(mx.cpu(1))[:] = 6
    np.testing.assert_allclose(p._reduce().asnumpy(), 5 * np.ones((3, 2)))
    assert p._reduce().context == mx.cpu(0)


def test_reset_ctx():
    p = gluon.Parameter("w", shape=(2, 2), init="ones")
    p.initialize(ctx=mx.cpu(0))
    p.reset_ctx([mx.cpu(1)])
    assert p.list_ctx() == [mx.cpu(1)] and p.data().context == mx.cpu(1)
    assert (p.data().asnumpy() == 1).all() and p.grad().context == mx.cpu(1)
    q = gluon.Parameter("q", shape=(0,), allow_deferred_init=True)
    q.initialize(ctx=mx.cpu(0))
    q.reset_ctx(mx.cpu(1))
    assert q.list_ctx() == [mx.cpu(1)]
    with pytest.raises(ValueError, match="not been initialized"):
        gluon.Parameter("z", shape=(1,)).reset_ctx(mx.cpu(1))


def test_grad_req_add_zero_grad_and_null():
    p = gluon.Parameter("w", shape=(3,), init="ones", grad_req="add")
    p.initialize()
    for _ in range(3):
        with autograd.record():
            y = mx.nd.sum(p.data() * 2)
        y.backward()
    np.testing.assert_allclose(p.grad().asnumpy(), [6, 6, 6])
    p.zero_grad()
    np.testing.assert_allclose(p.grad().asnumpy(), [0, 0, 0])
    p.grad_req = "null"
    with pytest.raises(RuntimeError, match="grad_req='null'"):
        p.grad()
    p.grad_req = "write"
    with autograd.record():
        y = mx.nd.sum(p.data() * 3)
    y.backward()
    np.testing.assert_allclose(p.grad().asnumpy(), [3, 3, 3])
    with pytest.raises(ValueError, match="grad_req"):
        p.grad_req = "sometimes"


def test_not_differentiable_forces_null():
    p = gluon.Parameter("running_mean", shape=(2,), differentiable=False)
    assert p.grad_req == "null"
    p.initialize()
    with pytest.raises(RuntimeError, match="grad_req='null'"):
        p.list_grad()


def test_cast_and_dtype():
    p = gluon.Parameter("w", shape=(2, 2), init="ones", dtype="float64")
    p.initialize()
    assert p.data().dtype == np.float64
    p.cast("float16")
    assert p.dtype == np.float16 and p.data().dtype == np.float16 and p.grad().dtype == np.float16
    np.testing.assert_array_equal(p.data().asnumpy(), np.ones((2, 2)))


def test_lr_wd_mult_attributes():
    p = gluon.Parameter("w", shape=(1,), lr_mult=0.5, wd_mult=0.0)
    assert (p.lr_mult, p.wd_mult) == (0.5, 0.0)


def test_constant():
    c = gluon.Constant("const", [[1, 2], [3, 4]])
    assert c.grad_req == "null" and c.shape == (2, 2)
    c.initialize()
    np.testing.assert_array_equal(c.data().asnumpy(), [[1, 2], [3, 4]])
    with pytest.warns(UserWarning, match="grad_req"):
        c.grad_req = "write"
    assert c.grad_req == "null"
    c2 = gluon.Constant(mx.nd.array([5.0, 6.0]))  # MXNet 2 form: value only
    c2.initialize()
    np.testing.assert_array_equal(c2.data().asnumpy(), [5, 6])


def test_constant_in_block_is_not_trained():
    class Scale(gluon.HybridBlock):
        def __init__(self):
            super().__init__()
            self.s = gluon.Constant("s", np.array([2.0, 3.0], dtype=np.float32))

        def hybrid_forward(self, F, x, s):
            return F.broadcast_mul(x, s)

    net = Scale()
    net.initialize(mx.init.Xavier())  # the constant keeps its value whatever the global initializer
    np.testing.assert_allclose(net(mx.nd.ones((2, 2))).asnumpy(), [[2, 3], [2, 3]])
    assert net.collect_params()["s"].grad_req == "null"


def test_parameterdict_get_prefix_and_sharing():
    pd = gluon.ParameterDict("net_")
    w = pd.get("weight", shape=(3, 0), allow_deferred_init=True)
    assert w.name == "net_weight" and "net_weight" in pd
    assert pd.get("weight", shape=(0, 4)) is w and w.shape == (3, 4)  # unknown dims filled in
    with pytest.raises(ValueError, match="does not match"):
        pd.get("weight", shape=(5, 4))
    with pytest.raises(ValueError, match="does not match"):
        pd.get("weight", lr_mult=2.0)
    shared = gluon.ParameterDict("net_", shared=pd)
    assert shared.get("weight") is w
    c = pd.get_constant("c", [1.0, 2.0])
    assert pd.get_constant("c") is c
    with pytest.raises(KeyError, match="specify value"):
        pd.get_constant("missing")


def test_parameterdict_bulk_ops_select_and_update(tmp_path):
    pd = gluon.ParameterDict("m_")
    a = pd.get("a_weight", shape=(2, 3))
    b = pd.get("a_bias", shape=(2,))
    pd.initialize(mx.init.One())
    # as in MXNet, the global initializer fills every parameter without its own init, whatever its name
    assert (a.data().asnumpy() == 1).all() and (b.data().asnumpy() == 1).all()
    assert list(pd.select(".*bias").keys()) == ["m_a_bias"]
    pd.setattr("grad_req", "null")
    assert a.grad_req == b.grad_req == "null"
    pd.setattr("lr_mult", 0.1)
    assert a.lr_mult == 0.1
    assert pd.list_ctx() == [mx.cpu(0)]
    other = gluon.ParameterDict()
    other.update(pd)
    assert other["m_a_weight"] is a
    with pytest.raises(ValueError, match="different Parameters with the same name"):
        other.update({"m_a_weight": gluon.Parameter("x", shape=(1,))})
    # save / load, with and without prefixes
    f = str(tmp_path / "pd.params")
    pd.save(f, strip_prefix="m_")
    assert sorted(mx.nd.load(f)) == ["a_bias", "a_weight"]
    a.set_data(mx.nd.zeros((2, 3)))
    pd.load(f, restore_prefix="m_")
    assert (a.data().asnumpy() == 1).all()
    with pytest.raises(ValueError, match="Prefix 'zz_'"):
        pd.save(f, strip_prefix="zz_")
    with pytest.raises(ValueError, match="is not present"):
        pd.load(f)  # names without the prefix match nothing
    pd.load(f, restore_prefix="m_", ignore_extra=True)
    mx.nd.save(f, {"m_a_weight": mx.nd.ones((2, 3))})
    with pytest.raises(ValueError, match="'m_a_bias' is missing"):
        pd.load(f)
    pd.load(f, allow_missing=True)


def test_parameterdict_lookup_by_parameter_name():
    net = nn.Dense(2, in_units=3, prefix="fc_")
    params = net.collect_params()
    assert list(params.keys()) == ["weight", "bias"]  # structured names
    assert params["fc_weight"] is params["weight"]  # MXNet 1.x full names still work
    with pytest.raises(KeyError, match="weight"):
        params["nope"]


def test_zero_grad_on_dict_and_load_init_shape_check(tmp_path):
    net = nn.Dense(2, in_units=3)
    net.initialize()
    with autograd.record():
        y = net(mx.nd.ones((1, 3)))
    y.backward()
    assert np.abs(net.weight.grad().asnumpy()).sum() > 0
    net.collect_params().zero_grad()
    assert np.abs(net.weight.grad().asnumpy()).sum() == 0
    with pytest.raises(ValueError, match="shape incompatible"):
        net.weight._load_init(mx.nd.ones((3, 3)), None)
    with pytest.raises(ValueError, match="dtype incompatible.*cast_dtype"):
        net.weight._load_init(mx.nd.ones((2, 3), dtype="float64"), None)
    net.weight._load_init(mx.nd.ones((2, 3), dtype="float64"), None, cast_dtype=True)
    assert net.weight.data().dtype == np.float32 and (net.weight.data().asnumpy() == 1).all()


def test_var_uses_symbol_module():
    sym = pytest.importorskip("braid.symbol")
    p = gluon.Parameter("fc_weight", shape=(3, 4))
    v = p.var()
    assert v.name == "fc_weight" and p.var() is v
    assert sym is not None


def test_row_sparse_data_is_dense():
    p = gluon.Parameter("w", shape=(2,), init="ones", grad_stype="row_sparse", stype="default")
    p.initialize()
    assert (p.row_sparse_data(mx.nd.array([0])).asnumpy() == 1).all()


def test_no_warning_for_normal_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net = nn.Dense(3)
        net.initialize()
        net(mx.nd.ones((2, 4)))


def test_get_on_collected_params_is_dict_get():
    net = nn.Dense(2, in_units=3)
    params = net.collect_params()
    assert params.get("weight") is net.weight
    assert params.get("missing") is None and "missing" not in params
    assert params.get("missing", 5) == 5
    pd = gluon.ParameterDict("p_")
    assert pd.get("w", None) is None and len(pd) == 0  # positional default: dict semantics
    assert pd.get("w").name == "p_w"  # MXNet 1.x: creates the parameter
