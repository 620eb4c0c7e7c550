"""braid.sym: composition, inspection, inference, files, execution, and errors."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import braid as mx

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "mxnet_models")


def mlp_symbol():
    data = mx.sym.var("data")
    h = mx.sym.FullyConnected(data, num_hidden=8, name="fc1")
    h = mx.sym.Activation(h, act_type="relu", name="relu1")
    h = mx.sym.BatchNorm(h, fix_gamma=False, name="bn1")
    return mx.sym.FullyConnected(h, num_hidden=3, name="fc2")


def test_lists_and_auto_variables():
    net = mlp_symbol()
    assert net.list_arguments() == ["data", "fc1_weight", "fc1_bias", "bn1_gamma", "bn1_beta", "fc2_weight", "fc2_bias"]
    assert net.list_auxiliary_states() == ["bn1_moving_mean", "bn1_moving_var"]
    assert net.list_outputs() == ["fc2_output"]
    assert net.name == "fc2" and net.op_name == "FullyConnected"
    nobias = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=2, no_bias=True, name="f")
    assert nobias.list_arguments() == ["x", "f_weight"]
    assert net.attr("num_hidden") == "3"


def test_internals_children_group_and_indexing():
    net = mlp_symbol()
    internals = net.get_internals()
    assert "relu1_output" in internals.list_outputs()
    relu = internals["relu1_output"]
    assert relu.list_arguments() == ["data", "fc1_weight", "fc1_bias"]
    assert net.get_children().list_outputs() == ["bn1_output", "fc2_weight", "fc2_bias"]
    g = mx.sym.Group([relu, net])
    assert g.num_outputs == 2 and g.name is None
    assert g[1].list_outputs() == ["fc2_output"]
    with pytest.raises(IndexError):
        g[2]
    with pytest.raises(mx.BraidValueError, match="no output named"):
        g["nope"]
    assert mx.sym.var("x").get_children() is None


def test_infer_shape_and_type():
    net = mlp_symbol()
    args, outs, aux = net.infer_shape(data=(4, 5))
    assert args == [(4, 5), (8, 5), (8,), (8,), (8,), (3, 8), (3,)]
    assert outs == [(4, 3)] and aux == [(8,), (8,)]
    assert net.infer_shape() == (None, None, None)
    partial = net.infer_shape_partial()
    assert partial[0][0] == () and partial[1] == [()]
    args, outs, _ = net.infer_type(data="float64")
    assert outs == [np.float64] and args[1] == np.float64
    conv = mx.sym.Convolution(mx.sym.var("x"), kernel=(3, 3), num_filter=6, num_group=2, name="c")
    assert conv.infer_shape(x=(2, 4, 9, 9))[0][1] == (6, 2, 3, 3)
    assert conv.infer_shape(x=(2, 4, 9, 9))[1] == [(2, 6, 7, 7)]


def test_infer_shape_error_names_the_node():
    x = mx.sym.var("x")
    y = mx.sym.var("y")
    bad = mx.sym.broadcast_add(x, y, name="adder")
    with pytest.raises(mx.BraidValueError, match="adder"):
        bad.infer_shape(x=(2, 3), y=(4, 5))
    with pytest.raises(mx.BraidValueError, match="no input 'z'"):
        bad.infer_shape(z=(1,))


def test_operators_build_graphs():
    a, b = mx.sym.var("a"), mx.sym.var("b")
    expr = (a * b + 1.5) / 2 - a
    ex = expr.bind(mx.cpu(), {"a": mx.nd.array([1.0, 2.0]), "b": mx.nd.array([3.0, 4.0])})
    np.testing.assert_allclose(ex.forward()[0].asnumpy(), (np.array([1, 2]) * [3, 4] + 1.5) / 2 - [1, 2])
    r = (2.0 - a).eval(a=mx.nd.array([1.0]))[0]
    assert r.asnumpy()[0] == 1.0
    m = a.reshape((1, 2)).sum(axis=1)
    assert m.eval(a=mx.nd.array([1.0, 2.0]))[0].asnumpy().tolist() == [3.0]
    with pytest.raises(TypeError):
        bool(a)


def test_json_round_trip_is_stable(tmp_path):
    net = mlp_symbol()
    js = net.tojson()
    doc = json.loads(js)
    assert doc["heads"] == [[len(doc["nodes"]) - 1, 0, 0]]
    assert [doc["nodes"][i]["op"] for i in doc["arg_nodes"]] == ["null"] * 9
    assert doc["node_row_ptr"] == list(range(len(doc["nodes"]) + 1))  # one output per node here
    f = tmp_path / "net-symbol.json"
    net.save(str(f))
    again = mx.sym.load(str(f))
    assert again.tojson() == js
    assert again.list_inputs() == net.list_inputs()


def test_variable_attributes():
    v = mx.sym.var("w", shape=(3, 4), lr_mult=2.0, dtype="float32", init="zeros")
    assert v.attr("__shape__") == "(3, 4)"
    assert v.attr("__lr_mult__") == "2.0"
    y = mx.sym.FullyConnected(mx.sym.var("x"), v, num_hidden=3, no_bias=True)
    args, _, _ = y.infer_shape(x=(2, 4))
    assert args[1] == (3, 4)
    assert v.attr("__dtype__") == "0"  # MXNet's type code
    with pytest.raises(TypeError, match="unknown argument"):
        mx.sym.var("w", bogus=1)


def test_executor_forward_backward_matches_imperative(rng):
    net = mlp_symbol()
    ex = net.simple_bind(mx.cpu(), data=(4, 5))
    for arr in ex.arg_dict.values():
        arr[:] = rng.normal(size=arr.shape).astype(np.float32)
    ex.aux_dict["bn1_moving_var"][:] = 1.0
    out = ex.forward(is_train=True)[0]
    ex.backward(mx.nd.ones(out.shape))
    # The same computation imperatively.
    p = {k: v.copy() for k, v in ex.arg_dict.items()}
    for v in p.values():
        v.attach_grad()
    mm, mv = mx.nd.zeros((8,)), mx.nd.ones((8,))
    with mx.autograd.record():
        h = mx.nd.FullyConnected(p["data"], p["fc1_weight"], p["fc1_bias"], num_hidden=8)
        h = mx.nd.Activation(h, act_type="relu")
        h = mx.nd.BatchNorm(h, p["bn1_gamma"], p["bn1_beta"], mm, mv, fix_gamma=False)
        y = mx.nd.FullyConnected(h, p["fc2_weight"], p["fc2_bias"], num_hidden=3)
    y.backward(mx.nd.ones(y.shape))
    np.testing.assert_allclose(out.asnumpy(), y.asnumpy(), rtol=1e-5, atol=1e-6)
    for k in ("fc1_weight", "bn1_gamma", "fc2_bias", "data"):
        np.testing.assert_allclose(ex.grad_dict[k].asnumpy(), p[k].grad.asnumpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ex.aux_dict["bn1_moving_mean"].asnumpy(), mm.asnumpy(), rtol=1e-5, atol=1e-6)


def test_bind_errors():
    net = mlp_symbol()
    with pytest.raises(mx.BraidValueError, match="no array for argument"):
        net.bind(mx.cpu(), {"data": mx.nd.zeros((2, 5))})
    with pytest.raises(mx.BraidValueError, match="cannot infer the shapes"):
        mx.sym.broadcast_add(mx.sym.var("a"), mx.sym.var("b")).simple_bind(a=(2,))


@pytest.mark.parametrize("name", ["mlp", "cnn", "resblock", "embedding"])
def test_mxnet_exported_models_give_mxnet_outputs(name):
    sym = mx.sym.load(os.path.join(FIXTURES, name + "-symbol.json"))
    params = mx.nd.load(os.path.join(FIXTURES, name + "-0000.params"))
    io = np.load(os.path.join(FIXTURES, name + "-io.npz"))
    args = {k[4:]: v for k, v in params.items() if k.startswith("arg:")}
    aux = {k[4:]: v for k, v in params.items() if k.startswith("aux:")}
    args["data"] = mx.nd.array(io["x"])
    out = sym.bind(mx.cpu(), args, grad_req="null", aux_states=aux).forward()[0]
    np.testing.assert_allclose(out.asnumpy(), io["y"], rtol=1e-5, atol=1e-5)
    # Hidden attributes of MXNet's variables survive a round trip through braid.
    assert mx.sym.load_json(sym.tojson()).tojson() == sym.tojson()


# ---- file errors and fuzzing ---------------------------------------------------------------------------


def _graph(nodes, heads):
    return json.dumps({"nodes": nodes, "arg_nodes": [], "heads": heads})


def test_json_errors_name_the_problem():
    var = {"op": "null", "name": "x", "inputs": []}
    with pytest.raises(mx.BraidIOError, match="node 1 \\('y'\\) uses op 'NoSuchOp'"):
        mx.sym.load_json(_graph([var, {"op": "NoSuchOp", "name": "y", "inputs": [[0, 0, 0]]}], [[1, 0, 0]]))
    with pytest.raises(mx.BraidIOError, match="cycle or a forward reference"):
        mx.sym.load_json(_graph([{"op": "relu", "name": "y", "inputs": [[1, 0, 0]]}, var], [[0, 0, 0]]))
    with pytest.raises(mx.BraidIOError, match="has no attribute 'bogus'"):
        mx.sym.load_json(
            _graph([var, {"op": "relu", "name": "y", "attrs": {"bogus": "1"}, "inputs": [[0, 0]]}], [[1, 0]])
        )
    with pytest.raises(mx.BraidError, match="num_hidden"):
        mx.sym.load_json(
            _graph(
                [
                    var,
                    {
                        "op": "FullyConnected",
                        "name": "f",
                        "attrs": {"num_hidden": "abc"},
                        "inputs": [[0, 0], [0, 0], [0, 0]],
                    },
                ],
                [[1, 0]],
            )
        )
    with pytest.raises(mx.BraidIOError, match="takes 1 input"):
        mx.sym.load_json(_graph([var, {"op": "relu", "name": "y", "inputs": [[0, 0], [0, 0]]}], [[1, 0]]))
    with pytest.raises(mx.BraidIOError, match="invalid JSON"):
        mx.sym.load_json('{"nodes": [')
    with pytest.raises(mx.BraidIOError, match="heads"):
        mx.sym.load_json(_graph([var], []))


def test_json_loader_fuzz():
    text = open(os.path.join(FIXTURES, "cnn-symbol.json")).read()
    rng = np.random.RandomState(0)
    for cut in range(0, len(text), 97):
        with pytest.raises(mx.BraidError):
            mx.sym.load_json(text[:cut])
    raw = bytearray(text.encode())
    for _ in range(300):
        b = bytearray(raw)
        for _ in range(rng.randint(1, 6)):
            b[rng.randint(len(b))] = rng.randint(32, 127)
        try:
            s = mx.sym.load_json(b.decode("latin-1"))
            s.list_arguments()
            s.infer_shape_partial(data=(2, 3, 8, 8))
        except mx.BraidError:
            pass


def test_executor_writes_elementwise_results_in_place():
    x = mx.sym.var("x")
    h = x * 2.0
    for _ in range(10):
        h = mx.sym.relu(h) + 1.0
    g = mx.sym.CachedGraph(h)
    a = mx.nd.ones((64, 64))
    g([a])[0].wait_to_read()
    before = mx.cpu(0).memory_stats()["num_allocs"]
    out = g([a])[0]
    out.wait_to_read()
    # 21 elementwise ops, one new buffer: every later op reuses the buffer of the value it consumes.
    assert mx.cpu(0).memory_stats()["num_allocs"] - before == 1
    np.testing.assert_allclose(out.asnumpy(), np.full((64, 64), 12.0))
    np.testing.assert_allclose(a.asnumpy(), 1.0)  # graph inputs are never overwritten
    # While recording, values are kept for backward: no in-place, and the gradient is right.
    a.attach_grad()
    with mx.autograd.record():
        y = g([a])[0]
    y.backward()
    np.testing.assert_allclose(a.grad.asnumpy(), np.full((64, 64), 2.0))
