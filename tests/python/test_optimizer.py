"""braid.optimizer and braid.lr_scheduler: every optimizer against a numpy implementation of MXNet's update formula
(several steps, with wd, rescale_grad, clip_gradient, and float16 multi-precision), the registry, multipliers,
state save/restore, and the schedules against their formulas."""

import math
import warnings

import numpy as np
import pytest

import braid as mx
from braid import gluon
from braid import lr_scheduler as lrs
from braid import optimizer as opt


def _clip(g, c):
    return np.clip(g, -c, c) if c else g


# Each reference: (w, g, state dict, hyper-parameters, t) -> new w, updating the state dict (float64).
def ref_sgd(w, g, s, h, t):
    gc = _clip(h["rescale_grad"] * g, h["clip_gradient"])
    if h.get("momentum", 0):
        s["mom"] = h["momentum"] * s.get("mom", 0) - h["lr"] * (gc + h["wd"] * w)
        return w + s["mom"]
    return w - h["lr"] * (gc + h["wd"] * w)


def ref_nag(w, g, s, h, t):
    gc = _clip(h["rescale_grad"] * g, h["clip_gradient"]) + h["wd"] * w
    s["mom"] = h["momentum"] * s.get("mom", 0) + gc
    return w - h["lr"] * (h["momentum"] * s["mom"] + gc)


def ref_adam(w, g, s, h, t):
    gc = _clip(h["rescale_grad"] * g + h["wd"] * w, h["clip_gradient"])
    s["m"] = h["beta1"] * s.get("m", 0) + (1 - h["beta1"]) * gc
    s["v"] = h["beta2"] * s.get("v", 0) + (1 - h["beta2"]) * gc * gc
    lr = h["lr"] * math.sqrt(1 - h["beta2"] ** t) / (1 - h["beta1"] ** t)
    return w - lr * s["m"] / (np.sqrt(s["v"]) + h["epsilon"])


def ref_adamw(w, g, s, h, t):
    gc = _clip(h["rescale_grad"] * g, h["clip_gradient"])
    s["m"] = h["beta1"] * s.get("m", 0) + (1 - h["beta1"]) * gc
    s["v"] = h["beta2"] * s.get("v", 0) + (1 - h["beta2"]) * gc * gc
    corr = math.sqrt(1 - h["beta2"] ** t) / (1 - h["beta1"] ** t)
    return w - h["lr"] * (corr * s["m"] / (np.sqrt(s["v"]) + h["epsilon"]) + h["wd"] * w)


def ref_rmsprop(w, g, s, h, t):
    gc = _clip(h["rescale_grad"] * g + h["wd"] * w, h["clip_gradient"])
    g1 = h["gamma1"]
    s["n"] = (1 - g1) * gc * gc + g1 * s.get("n", 0)
    if h.get("centered"):
        s["m"] = (1 - g1) * gc + g1 * s.get("m", 0)
        s["d"] = h["gamma2"] * s.get("d", 0) - h["lr"] * gc / np.sqrt(s["n"] - s["m"] ** 2 + h["epsilon"])
        new = w + s["d"]
    else:
        new = w - h["lr"] * gc / np.sqrt(s["n"] + h["epsilon"])
    return _clip(new, h.get("clip_weights"))


def ref_adagrad(w, g, s, h, t):
    gc = _clip(h["rescale_grad"] * g, h["clip_gradient"])
    s["h"] = s.get("h", 0) + gc * gc
    return w - h["lr"] * (gc / (np.sqrt(s["h"]) + h["epsilon"]) + h["wd"] * w)


COMMON = {"wd": 0.05, "rescale_grad": 0.5, "clip_gradient": 0.8}
CASES = {
    "sgd": (ref_sgd, {"learning_rate": 0.1}),
    "sgd_momentum": (ref_sgd, {"learning_rate": 0.1, "momentum": 0.9}),
    "nag": (ref_nag, {"learning_rate": 0.1, "momentum": 0.8}),
    "adam": (ref_adam, {"learning_rate": 0.01, "beta1": 0.8, "beta2": 0.95, "epsilon": 1e-6}),
    "adamw": (ref_adamw, {"learning_rate": 0.01, "beta1": 0.85, "beta2": 0.99, "epsilon": 1e-7}),
    "rmsprop": (ref_rmsprop, {"learning_rate": 0.01, "gamma1": 0.8, "epsilon": 1e-6, "clip_weights": 0.9}),
    "rmsprop_centered": (ref_rmsprop, {"learning_rate": 0.01, "gamma1": 0.8, "gamma2": 0.7, "centered": True}),
    "adagrad": (ref_adagrad, {"learning_rate": 0.1, "epsilon": 1e-6}),
}
OPT_NAME = {"sgd_momentum": "sgd", "rmsprop_centered": "rmsprop"}


def _hyper(o, kwargs):
    h = {"lr": kwargs["learning_rate"], "wd": o.wd, "rescale_grad": o.rescale_grad, "clip_gradient": o.clip_gradient}
    h.update({k: v for k, v in kwargs.items() if k != "learning_rate"})
    h.setdefault("epsilon", getattr(o, "epsilon", getattr(o, "float_stable_eps", None)))
    for k in ("beta1", "beta2", "gamma1", "gamma2", "momentum"):
        if hasattr(o, k):
            h.setdefault(k, getattr(o, k))
    return h


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("extra", [{}, COMMON], ids=["plain", "wd_rescale_clip"])
def test_optimizer_matches_mxnet_formula(case, extra):
    ref, kwargs = CASES[case]
    o = opt.create(OPT_NAME.get(case, case), **kwargs, **extra)
    h = _hyper(o, kwargs)
    rng = np.random.default_rng(0)
    w = rng.standard_normal((3, 4))
    weight = mx.nd.array(w, dtype="float32")
    updater = opt.get_updater(o)
    state: dict = {}
    for t in range(1, 4):
        g = rng.standard_normal((3, 4)) * 2
        updater(0, mx.nd.array(g, dtype="float32"), weight)
        w = ref(w, g, state, h, t)
        np.testing.assert_allclose(weight.asnumpy(), w, rtol=2e-5, atol=2e-6, err_msg=f"{case} step {t}")
    assert o.num_update == 3 and o._index_update_count[0] == 3


@pytest.mark.parametrize("case", sorted(CASES))
def test_multi_precision_float16(case):
    ref, kwargs = CASES[case]
    o = opt.create(OPT_NAME.get(case, case), multi_precision=True, **kwargs, **COMMON)
    h = _hyper(o, kwargs)
    rng = np.random.default_rng(1)
    weight = mx.nd.array(rng.standard_normal((2, 5)), dtype="float16")
    w = weight.asnumpy().astype(np.float64)  # the master copy starts from the float16 values
    updater = opt.get_updater(o)
    state: dict = {}
    for t in range(1, 3):
        g16 = mx.nd.array(rng.standard_normal((2, 5)) * 2, dtype="float16")
        updater(0, g16, weight)
        w = ref(w, g16.asnumpy().astype(np.float64), state, h, t)
    master = updater.states[0][0]
    assert master.dtype == np.float32 and weight.dtype == np.float16
    np.testing.assert_allclose(master.asnumpy(), w, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(weight.asnumpy(), master.asnumpy().astype(np.float16))


def test_float16_without_multi_precision_warns():
    o = opt.SGD(learning_rate=0.1)
    with pytest.warns(UserWarning, match="multi_precision=True"):
        opt.get_updater(o)(0, mx.nd.ones((2,), dtype="float16"), mx.nd.ones((2,), dtype="float16"))


def test_registry_create_and_custom_optimizer():
    assert isinstance(opt.create("SGD", momentum=0.9), opt.SGD)
    assert isinstance(opt.Optimizer.create_optimizer("adamw"), opt.AdamW)
    with pytest.raises(ValueError, match="Cannot find optimizer 'nope'"):
        opt.create("nope")
    with pytest.raises(TypeError, match="momentum must be a number"):
        opt.SGD(momentum="0.9")
    with pytest.raises(TypeError, match="unexpected keyword argument 'momentum'"):
        opt.Adam(momentum=0.9)

    @opt.register
    class SignSGD(opt.Optimizer):
        def update(self, index, weight, grad, state):
            self._update_count(index)
            weight[:] = weight - self._get_lr(index) * mx.nd.sign(grad)

    try:
        o = opt.create("signsgd", learning_rate=0.5)
        w = mx.nd.array([1.0, 2.0, 3.0])
        opt.get_updater(o)(0, mx.nd.array([-3.0, 0.0, 2.0]), w)
        np.testing.assert_allclose(w.asnumpy(), [1.5, 2.0, 2.5])
        # the generic multi-precision path: a float32 master copy updated by update(), rounded back
        o = opt.create("signsgd", learning_rate=0.25, multi_precision=True)
        w16 = mx.nd.array([1.0, 2.0], dtype="float16")
        u = opt.get_updater(o)
        u(0, mx.nd.array([1.0, -1.0], dtype="float16"), w16)
        assert u.states[0][0].dtype == np.float32
        np.testing.assert_allclose(w16.asnumpy(), [0.75, 2.25])
        # saved with its states and restored by class, although defined inside this function
        restored = opt.get_updater(opt.SGD())
        restored.set_states(u.get_states(dump_optimizer=True))
        assert type(restored.optimizer) is SignSGD and restored.optimizer.lr == 0.25
    finally:
        opt.Optimizer.opt_registry.pop("signsgd")


def test_learning_rate_multipliers_and_set_learning_rate():
    o = opt.SGD(learning_rate=0.1, wd=0.01, param_idx2name={0: "fc_weight", 1: "fc_bias"})
    assert o._get_wd(0) == 0.01 and o._get_wd(1) == 0.0  # MXNet: no decay for names not ending in _weight/_gamma
    o.set_lr_mult({"fc_weight": 2.0})
    o.set_wd_mult({"fc_bias": 3.0})
    assert o._get_lr(0) == pytest.approx(0.2) and o._get_lr(1) == pytest.approx(0.1)
    assert o._get_wd(1) == pytest.approx(0.03)
    o.set_learning_rate(0.5)
    assert o.learning_rate == 0.5
    with pytest.raises(ValueError, match="learning_rate must be >= 0"):
        o.set_learning_rate(-1)
    # Gluon parameters: their lr_mult / wd_mult, read at update time
    p = gluon.Parameter("w", shape=(2,), lr_mult=0.5, wd_mult=4.0)
    o = opt.SGD(learning_rate=0.2, wd=0.1, param_dict={0: p})
    assert o._get_lr(0) == pytest.approx(0.1) and o._get_wd(0) == pytest.approx(0.4)
    p.lr_mult = 2.0
    assert o._get_lr(0) == pytest.approx(0.4)
    # a graph's __lr_mult__ / __wd_mult__ attributes
    sym = mx.sym.FullyConnected(mx.sym.var("data"), mx.sym.var("fc_weight", lr_mult=3.0, wd_mult=0.5), num_hidden=2)
    o = opt.SGD(learning_rate=0.1, wd=0.2, sym=sym, param_idx2name={0: "fc_weight"})
    assert o._get_lr(0) == pytest.approx(0.3) and o._get_wd(0) == pytest.approx(0.1)
    # with a schedule, set_learning_rate is refused (MXNet raises UserWarning)
    o = opt.SGD(lr_scheduler=lrs.FactorScheduler(step=2, factor=0.5, base_lr=1.0))
    with pytest.raises(UserWarning, match="LRScheduler of the optimizer has already been defined"):
        o.set_learning_rate(0.1)


def test_scheduler_drives_optimizer_learning_rate():
    sched = lrs.FactorScheduler(step=2, factor=0.5, base_lr=1.0)
    o = opt.SGD(lr_scheduler=sched, learning_rate=0.8)  # an explicit learning_rate wins over base_lr
    assert sched.base_lr == 0.8
    w = mx.nd.zeros((1,))
    u = opt.get_updater(o)
    seen = []
    for _ in range(6):
        u(0, mx.nd.ones((1,)), w)
        seen.append(o._get_lr(0))
    # the rate used at update t is sched(t): 0.8 until t=2, then halved every 2 updates
    np.testing.assert_allclose(seen, [0.8, 0.8, 0.4, 0.4, 0.2, 0.2])
    np.testing.assert_allclose(w.asnumpy(), [-(0.8 * 2 + 0.4 * 2 + 0.2 * 2)], rtol=1e-6)
    # without an explicit learning_rate the schedule's base_lr stays, whatever the optimizer's default
    assert opt.Adam(lr_scheduler=lrs.FactorScheduler(step=5, base_lr=0.3)).learning_rate == 0.3
    assert opt.Adam().learning_rate == 0.001 and opt.SGD().learning_rate == 0.01
    cos = lrs.CosineScheduler(max_update=10, base_lr=1.0)
    opt.SGD(lr_scheduler=cos, learning_rate=0.5)
    assert cos(0) == pytest.approx(0.5) and cos(10) == pytest.approx(0.0)


def test_updater_states_round_trip_with_optimizer():
    o = opt.Adam(learning_rate=0.01, lr_scheduler=lrs.MultiFactorScheduler(step=[2, 4], factor=0.5, base_lr=0.01))
    u = opt.get_updater(o)
    rng = np.random.default_rng(2)
    weights = [mx.nd.array(rng.standard_normal((3,)), dtype="float32") for _ in range(2)]
    for _ in range(3):
        u([0, 1], [mx.nd.array(rng.standard_normal((3,)), dtype="float32") for _ in range(2)], weights)
    blob = u.get_states(dump_optimizer=True)
    grads = [mx.nd.array(rng.standard_normal((3,)), dtype="float32") for _ in range(2)]
    copies = [w.copy() for w in weights]
    u2 = opt.get_updater(opt.Adam())  # other hyper-parameters: replaced by the saved optimizer
    u2.set_states(blob)
    assert isinstance(u2.optimizer, opt.Adam) and u2.optimizer.num_update == 3
    assert u2.optimizer.lr_scheduler.cur_step_ind == 1 and u2.optimizer.learning_rate == pytest.approx(0.005)
    for _ in range(2):
        u([0, 1], grads, weights)
        u2([0, 1], grads, copies)
    for a, b in zip(weights, copies):
        np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())
    # states alone (no optimizer) keep u3's optimizer
    u3 = opt.get_updater(opt.SGD(momentum=0.9))
    u3.set_states(opt.get_updater(opt.SGD(momentum=0.9)).get_states())
    with pytest.raises(ValueError, match="not a braid state file"):
        u3.set_states(b"garbage")
    with pytest.raises(TypeError, match="states must be bytes"):
        u3.set_states("text")


def test_schedules_against_formulas():
    f = lrs.FactorScheduler(step=3, factor=0.5, stop_factor_lr=0.1, base_lr=1.0, warmup_steps=2, warmup_begin_lr=0.2)
    got = [f(t) for t in range(0, 14)]
    want = [0.2, 0.6] + [1.0 * max(0.5 ** ((t - 1) // 3), 0.1) if t > 0 else 1.0 for t in range(2, 14)]
    np.testing.assert_allclose(got, want)
    m = lrs.MultiFactorScheduler(step=[3, 5], factor=0.1, base_lr=1.0)
    np.testing.assert_allclose([m(t) for t in range(8)], [1, 1, 1, 1, 0.1, 0.1, 0.01, 0.01])
    p = lrs.PolyScheduler(max_update=10, base_lr=2.0, pwr=2, final_lr=0.5, warmup_steps=4, warmup_mode="constant")
    want = [0.0] * 4 + [0.5 + 1.5 * (1 - (t - 4) / 6) ** 2 for t in range(4, 11)] + [0.5, 0.5]
    np.testing.assert_allclose([p(t) for t in range(13)], want)
    c = lrs.CosineScheduler(max_update=8, base_lr=1.0, final_lr=0.1, warmup_steps=2, warmup_begin_lr=0.5)
    want = [0.5, 0.75] + [0.1 + 0.9 * (1 + math.cos(math.pi * (t - 2) / 6)) / 2 for t in range(2, 9)] + [0.1]
    np.testing.assert_allclose([c(t) for t in range(10)], want)


def test_schedule_argument_errors():
    with pytest.raises(ValueError, match="step must be >= 1"):
        lrs.FactorScheduler(step=0)
    with pytest.raises(ValueError, match="factor must be <= 1"):
        lrs.FactorScheduler(step=2, factor=2)
    with pytest.raises(ValueError, match="step must be increasing"):
        lrs.MultiFactorScheduler(step=[3, 2])
    with pytest.raises(ValueError, match="warmup_mode"):
        lrs.CosineScheduler(max_update=5, warmup_mode="exp")
    with pytest.raises(ValueError, match="must exceed warmup_steps"):
        lrs.PolyScheduler(max_update=5, warmup_steps=5)
    with pytest.raises(ValueError, match="must not exceed base_lr"):
        lrs.CosineScheduler(max_update=5, base_lr=0.1, warmup_begin_lr=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lrs.FactorScheduler(step=1)(5)  # logging only, no warnings
