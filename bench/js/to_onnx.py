"""Translates an MXNet/braid -symbol.json with its weights (from dump_params.py) into an ONNX model, for
onnxruntime-web. Covers the ops of a LeNet-style network: Convolution, Activation (relu, sigmoid, tanh),
Pooling (max, avg, global), Flatten, FullyConnected and softmax; anything else is refused by name.
Run with the onnx venv: python bench/js/to_onnx.py MODEL-symbol.json WEIGHTS OUT.onnx N,C,H,W
"""

from __future__ import annotations

import json
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def tup(s: str | None, default: list[int]) -> list[int]:
    if not s:
        return default
    return [int(v) for v in s.strip("()[] ").split(",") if v.strip()]


def main() -> int:
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    sym = json.load(open(sys.argv[1]))
    manifest = json.load(open(sys.argv[2] + ".json"))
    flat = np.fromfile(sys.argv[2] + ".bin", dtype="<f4")
    shape = [int(v) for v in sys.argv[4].split(",")]

    def weight(name: str) -> np.ndarray:
        m = manifest[name]
        n = int(np.prod(m["shape"]))
        return flat[m["offset"] : m["offset"] + n].reshape(m["shape"])

    nodes, inits, names = [], [], {}
    two_d = set()  # outputs known to be 2-D already (FullyConnected needs no Flatten before them)
    data_name = None
    for i, n in enumerate(sym["nodes"]):
        op, name, attrs = n["op"], n["name"], n.get("attrs", n.get("param", {})) or {}
        ins = [names[(e[0], e[1])] for e in n["inputs"]]
        out = f"{name}_out"
        if op == "null":
            if name in manifest:
                inits.append(numpy_helper.from_array(weight(name), name))
            else:
                data_name = name
            names[(i, 0)] = name
            continue
        if op == "Convolution":
            k = tup(attrs.get("kernel"), [])
            nodes.append(
                helper.make_node(
                    "Conv",
                    ins,
                    [out],
                    kernel_shape=k,
                    strides=tup(attrs.get("stride"), [1] * len(k)),
                    pads=tup(attrs.get("pad"), [0] * len(k)) * 2,
                    dilations=tup(attrs.get("dilate"), [1] * len(k)),
                    group=int(attrs.get("num_group", 1)),
                )
            )
        elif op == "Activation":
            act = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh"}[attrs["act_type"]]
            nodes.append(helper.make_node(act, ins, [out]))
        elif op == "Pooling":
            kind = attrs.get("pool_type", "max")
            if attrs.get("global_pool", "False") == "True":
                nodes.append(helper.make_node({"max": "GlobalMaxPool", "avg": "GlobalAveragePool"}[kind], ins, [out]))
            else:
                k = tup(attrs.get("kernel"), [])
                nodes.append(
                    helper.make_node(
                        {"max": "MaxPool", "avg": "AveragePool"}[kind],
                        ins,
                        [out],
                        kernel_shape=k,
                        strides=tup(attrs.get("stride"), [1] * len(k)),
                        pads=tup(attrs.get("pad"), [0] * len(k)) * 2,
                    )
                )
        elif op in ("Flatten", "flatten"):
            nodes.append(helper.make_node("Flatten", ins, [out], axis=1))
        elif op == "FullyConnected":
            if attrs.get("flatten", "True") == "True" and ins[0] not in two_d:
                flat_in = f"{name}_flat"
                nodes.append(helper.make_node("Flatten", [ins[0]], [flat_in], axis=1))
                ins = [flat_in] + ins[1:]
            nodes.append(helper.make_node("Gemm", ins, [out], transB=1))
        elif op == "softmax":
            nodes.append(helper.make_node("Softmax", ins, [out], axis=int(attrs.get("axis", -1))))
        else:
            raise SystemExit(f"to_onnx.py: op {op} (node {name}) is not translated")
        names[(i, 0)] = out
        if op in ("Flatten", "flatten", "FullyConnected") or (op in ("Activation", "softmax") and ins[0] in two_d):
            two_d.add(out)
    head = sym["heads"][0]
    out_name = names[(head[0], head[1])]
    graph = helper.make_graph(
        nodes,
        "lenet",
        [helper.make_tensor_value_info(data_name, TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, [shape[0], None])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="braid bench/js")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, sys.argv[3])
    print(f"wrote {sys.argv[3]}: {len(nodes)} nodes, input {data_name} {shape}, output {out_name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
