"""Generates the Python functions of ``braid.nd`` from the core's operator registry.

Each registered op becomes a function whose signature lists its inputs and attributes (with the core's
defaults) and whose docstring is built from the registry, so ``help(braid.nd.sum)`` documents the op without
a hand-written wrapper.
"""

from __future__ import annotations

import ast
import keyword
from typing import Any, Callable

import numpy as np

from .._lib import check, ffi, lib
from ..base import BraidValueError
from ..dtypes import dtype_code
from ._invoke import invoke

_KIND_NAMES = {1: "int", 2: "float", 3: "bool", 4: "str", 5: "tuple of int", 6: "dtype"}
ATTR_INT, ATTR_FLOAT, ATTR_BOOL, ATTR_STRING, ATTR_TUPLE, ATTR_DTYPE, ATTR_NONE = 1, 2, 3, 4, 5, 6, 7
_TUPLE_NONE = -(2**63)  # a None inside a tuple attribute (slice's begin=(1, None)), as the core expects


class AttrInfo:
    __slots__ = ("index", "name", "kind", "optional", "required", "default", "default_repr", "choices", "doc")


class OpInfo:
    """Registry metadata of one op."""

    __slots__ = (
        "handle",
        "name",
        "doc",
        "num_inputs",
        "num_optional",
        "input_names",
        "num_outputs",
        "attrs",
        "aliases",
        "num_visible",
    )

    def __init__(self, handle: Any) -> None:
        name, doc = ffi.new("char**"), ffi.new("char**")
        nin, nout, nattr, nalias = (ffi.new("int32_t*") for _ in range(4))
        check(lib.braid_op_get_info(handle, name, doc, nin, nout, nattr, nalias))
        self.handle = handle
        self.name = ffi.string(name[0]).decode()
        self.doc = ffi.string(doc[0]).decode()
        self.num_inputs = nin[0]
        self.num_outputs = nout[0]
        nvis = ffi.new("int32_t*")
        check(lib.braid_op_num_visible_outputs(handle, nvis))
        self.num_visible = nvis[0]  # -1: every output is returned (Dropout returns 1 of 2)
        nopt = ffi.new("int32_t*")
        check(lib.braid_op_num_optional_inputs(handle, nopt))
        self.num_optional = nopt[0]  # the last inputs may be omitted (passed as None)
        s = ffi.new("char**")
        self.input_names = []
        for i in range(1 if self.num_inputs < 0 else self.num_inputs):
            check(lib.braid_op_input_name(handle, i, s))
            self.input_names.append(ffi.string(s[0]).decode())
        self.aliases = []
        for i in range(nalias[0]):
            check(lib.braid_op_alias(handle, i, s))
            self.aliases.append(ffi.string(s[0]).decode())
        self.attrs = []
        an, dr, ch, ad = (ffi.new("char**") for _ in range(4))
        kind, opt, req = (ffi.new("int32_t*") for _ in range(3))
        for i in range(nattr[0]):
            check(lib.braid_op_attr_info(handle, i, an, kind, opt, req, dr, ch, ad))
            a = AttrInfo()
            a.index, a.name, a.kind = i, ffi.string(an[0]).decode(), kind[0]
            a.optional, a.required = bool(opt[0]), bool(req[0])
            a.default_repr = ffi.string(dr[0]).decode()
            a.default = None if a.required else ast.literal_eval(a.default_repr)
            choices = ffi.string(ch[0]).decode()
            a.choices = choices.split("|") if choices else []
            a.doc = ffi.string(ad[0]).decode()
            self.attrs.append(a)


_OPS_CACHE: list[OpInfo] = []


def list_ops() -> list[OpInfo]:
    """Metadata of every registered op (read once)."""
    if _OPS_CACHE:
        return _OPS_CACHE
    n = ffi.new("int32_t*")
    check(lib.braid_op_count(n))
    h = ffi.new("braid_op*")
    out = []
    for i in range(n[0]):
        check(lib.braid_op_at(i, h))
        out.append(OpInfo(h[0]))
    _OPS_CACHE.extend(out)
    return out


def pack_attrs(info: OpInfo, values: tuple) -> tuple[Any, int, list]:
    """Packs attribute values that differ from the defaults into a braid_attr array."""
    todo = []
    for a, v in zip(info.attrs, values):
        if v is None and not a.optional:
            if a.required:
                raise BraidValueError(f"{info.name}: missing required attribute '{a.name}'")
            continue
        if v is a.default or (type(v) is type(a.default) and v == a.default):
            continue
        todo.append((a, v))
    if not todo:
        return ffi.NULL, 0, []
    arr = ffi.new("braid_attr[]", len(todo))
    keep: list = []
    for k, (a, v) in enumerate(todo):
        x = arr[k]
        x.index = a.index
        if v is None:
            x.kind = ATTR_NONE
        elif a.kind == ATTR_DTYPE:
            x.kind, x.i = ATTR_DTYPE, dtype_code(v)
        elif isinstance(v, (bool, np.bool_)):
            x.kind, x.i = ATTR_BOOL, int(v)
        elif isinstance(v, (int, np.integer)):
            x.kind, x.i = ATTR_INT, int(v)
        elif isinstance(v, (float, np.floating)):
            x.kind, x.f = ATTR_FLOAT, float(v)
        elif isinstance(v, str):
            s = ffi.new("char[]", v.encode())
            keep.append(s)
            x.kind, x.s = ATTR_STRING, s
        elif isinstance(v, (tuple, list)):
            try:
                t = ffi.new("int64_t[]", [_TUPLE_NONE if e is None else int(e) for e in v])
            except (TypeError, ValueError):
                raise TypeError(f"{info.name}: attribute '{a.name}' expects a tuple of ints, got {v!r}") from None
            keep.append(t)
            x.kind, x.tuple, x.tuple_len = ATTR_TUPLE, t, len(v)
        else:
            raise TypeError(f"{info.name}: attribute '{a.name}' expects {_KIND_NAMES[a.kind]}, got {type(v).__name__}")
    return arr, len(todo), keep


def _doc(info: OpInfo) -> str:
    lines = [info.doc or info.name, "", "Parameters", "----------"]
    if info.num_inputs < 0:
        lines += [f"*{info.input_names[0]} : NDArray", "    inputs (any number)"]
    else:
        for n in info.input_names:
            lines += [f"{n} : NDArray", "    input array"]
        for n in info.input_names[len(info.input_names) - info.num_optional :]:
            i = lines.index(f"{n} : NDArray")
            lines[i : i + 2] = [f"{n} : NDArray, optional", "    input array (may be omitted)"]
    for a in info.attrs:
        kind = _KIND_NAMES[a.kind] + (" or None" if a.optional else "")
        extra = f" (one of {', '.join(a.choices)})" if a.choices else ""
        req = ", required" if a.required else f", default {a.default_repr}"
        lines += [f"{a.name} : {kind}{req}", f"    {a.doc}{extra}"]
    lines += ["out : NDArray, optional", "    write the result into this array"]
    if info.num_inputs == 0:
        lines += ["ctx : Context, optional", "    device of the result (default: current context)"]
    if info.aliases:
        lines += ["", "Also available as: " + ", ".join(info.aliases) + "."]
    return "\n".join(lines)


def _py_name(n: str) -> str:
    return n + "_" if keyword.iskeyword(n) or n in ("out", "ctx", "name") else n


def make_function(info: OpInfo, to_ndarray: Callable[[Any, Any], Any], fname: str | None = None) -> Callable:
    """Builds the Python function for one op (inputs first, then attributes, then out/ctx/name)."""
    fname = fname or info.name
    variadic = info.num_inputs < 0
    inputs = [_py_name(n) for n in info.input_names]
    attr_names = [_py_name(a.name) for a in info.attrs]
    params = []
    if variadic:
        params.append(f"*{inputs[0]}")
    else:
        first_optional = len(inputs) - info.num_optional
        params += [n if i < first_optional else f"{n}=None" for i, n in enumerate(inputs)]
    defaults = {}
    for a, pn in zip(info.attrs, attr_names):
        if pn == "dtype" and info.num_inputs == 0:
            params.append("ctx=None")  # MXNet's creation functions take (..., ctx, dtype)
        defaults[f"_d_{pn}"] = a.default
        params.append(f"{pn}=_d_{pn}")
    if variadic:
        params = [params[0]] + params[1:]  # attributes after *args are keyword-only, as in MXNet
    params += ["out=None", "name=None"]
    if info.num_inputs == 0 and "ctx=None" not in params:
        params.append("ctx=None")
    params.append("**kwargs")
    if variadic:
        arr = f"_flatten({inputs[0]})"
    elif info.num_optional:
        arr = "_trim((" + "".join(f"{n}, " for n in inputs) + "))"
    else:
        arr = "(" + "".join(f"{n}, " for n in inputs) + ")"
    attrs = "(" + "".join(f"{n}, " for n in attr_names) + ")"
    ctx = "ctx" if info.num_inputs == 0 else "None"
    src = f"def {fname}({', '.join(params)}):\n    if kwargs:\n        _bad_kwargs(kwargs)\n    ins = _coerce({arr})\n"
    call = "_invoke(_h, ins, pa, na, out, {ctx})" if info.attrs else "_invoke(_h, ins, _NULL, 0, out, {ctx})"
    call = call.format(ctx=ctx)
    if info.num_visible > 0:
        call = f"_visible({call}, out)"
    if info.attrs:
        src += f"    pa, na, keep = _pack(_info, {attrs})\n"
    src += f"    return {call}\n"

    def bad_kwargs(kw: dict) -> None:
        raise TypeError(
            f"{info.name}() got unexpected keyword argument(s) {sorted(kw)}; its attributes are "
            f"{[a.name for a in info.attrs]}"
        )

    def coerce(ins: tuple) -> tuple:
        return to_ndarray(ins, info.name)

    def visible(res: Any, out: Any) -> Any:
        # Outputs kept only for the gradient rule (Dropout's mask) are not returned, as in MXNet.
        if out is not None or not isinstance(res, list):
            return res
        res = res[: info.num_visible]
        return res[0] if len(res) == 1 else res

    def flatten(args: tuple) -> tuple:
        if len(args) == 1 and isinstance(args[0], (list, tuple)):
            return tuple(args[0])
        return args

    def trim(args: tuple) -> tuple:
        # Omitted optional inputs (None) are dropped from the end; the core checks what remains.
        n = len(args)
        while n > len(args) - info.num_optional and args[n - 1] is None:
            n -= 1
        return args[:n]

    ns: dict[str, Any] = {
        "_trim": trim,
        "_info": info,
        "_h": info.handle,
        "_pack": pack_attrs,
        "_invoke": invoke,
        "_NULL": ffi.NULL,
        "_bad_kwargs": bad_kwargs,
        "_coerce": coerce,
        "_flatten": flatten,
        "_visible": visible,
        **defaults,
    }
    exec(compile(src, f"<braid op {info.name}>", "exec"), ns)  # noqa: S102 - generated from registry metadata
    fn = ns[fname]
    fn.__doc__ = _doc(info)
    fn.__qualname__ = fname
    return fn
