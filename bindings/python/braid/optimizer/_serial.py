"""Self-describing serialisation of optimizer states and checkpoints, without pickle.

A value made of None, bools, numbers, strings, lists, tuples, dicts (any encodable keys), NDArrays, numpy arrays
and objects of a few allowed classes (optimizers, learning-rate schedulers) becomes a JSON document plus a dict
of NDArrays; :func:`pack` puts both in one buffer in MXNet's ``.params`` format (the JSON travels as the uint8
array ``__meta__``). Loading never imports a module or runs code chosen by the file: objects are rebuilt only
from classes that are already loaded and derive from an allowed base class.
"""

from __future__ import annotations

import base64
import json
import sys
from typing import Any

import numpy as np

from .. import ndarray as nd
from ..ndarray import NDArray

__all__ = ["encode", "decode", "pack", "unpack", "class_path", "find_class"]

META_KEY = "__meta__"


def class_path(cls: type) -> str:
    """'module:QualName' of a class."""
    return f"{cls.__module__}:{cls.__qualname__}"


def find_class(path: str, bases: tuple[type, ...]) -> type:
    """The already-imported class named by a :func:`class_path` string, which must derive from one of bases."""
    module, _, qualname = path.partition(":")
    obj: Any = sys.modules.get(module)
    if obj is None:
        raise ValueError(
            f"the saved object's class {path!r} comes from module '{module}', which is not imported; import it "
            "before loading"
        )
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    if not (isinstance(obj, type) and issubclass(obj, bases)):
        raise ValueError(
            f"the saved object's class {path!r} was not found, or is not a subclass of "
            f"{' or '.join(b.__name__ for b in bases)}"
        )
    return obj


def encode(value: Any, arrays: dict[str, NDArray], path: str = "value", bases: tuple[type, ...] = ()) -> Any:
    """A JSON-compatible form of value; NDArrays go into arrays (named by their path), objects whose class
    derives from one of bases are stored as their class and encoded ``__dict__``."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list):
        return [encode(v, arrays, f"{path}[{i}]", bases) for i, v in enumerate(value)]
    if isinstance(value, tuple):
        return {"T": [encode(v, arrays, f"{path}[{i}]", bases) for i, v in enumerate(value)]}
    if isinstance(value, dict):
        return {
            "D": [
                [encode(k, arrays, f"{path}.key", bases), encode(v, arrays, f"{path}[{k!r}]", bases)]
                for k, v in value.items()
            ]
        }
    if isinstance(value, NDArray):
        name = f"a{len(arrays)}"
        arrays[name] = value
        return {"A": name}
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        if data.dtype.hasobject:
            raise TypeError(f"{path}: numpy arrays of Python objects cannot be saved")
        return {"N": [data.dtype.str, list(data.shape), base64.b64encode(data.tobytes()).decode("ascii")]}
    if bases and isinstance(value, bases):
        state = {k: v for k, v in vars(value).items()}
        return {"O": class_path(type(value)), "S": encode(state, arrays, f"{path}.__dict__", bases)}
    raise TypeError(
        f"{path}: a value of type {type(value).__name__} cannot be saved (supported: None, bool, int, float, str, "
        "list, tuple, dict, NDArray, numpy array)"
    )


def decode(obj: Any, arrays: dict[str, NDArray], bases: tuple[type, ...] = ()) -> Any:
    """The value that :func:`encode` turned into obj."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, list):
        return [decode(v, arrays, bases) for v in obj]
    if not isinstance(obj, dict) or len(obj) not in (1, 2):
        raise ValueError(f"corrupt saved state: unexpected entry {str(obj)[:80]!r}")
    if "T" in obj:
        return tuple(decode(v, arrays, bases) for v in obj["T"])
    if "D" in obj:
        return {decode(k, arrays, bases): decode(v, arrays, bases) for k, v in obj["D"]}
    if "A" in obj:
        try:
            return arrays[obj["A"]]
        except KeyError:
            raise ValueError(f"corrupt saved state: array {obj['A']!r} is missing") from None
    if "N" in obj:
        dtype, shape, data = obj["N"]
        return np.frombuffer(base64.b64decode(data), dtype=np.dtype(dtype)).reshape(shape).copy()
    if "O" in obj:
        cls = find_class(obj["O"], bases)
        inst = cls.__new__(cls)
        inst.__dict__.update(decode(obj["S"], arrays, bases))
        return inst
    raise ValueError(f"corrupt saved state: unexpected entry {str(obj)[:80]!r}")


def pack(meta: Any, arrays: dict[str, NDArray]) -> bytes:
    """One buffer (MXNet ``.params`` format) holding arrays and the JSON document meta."""
    if META_KEY in arrays:
        raise ValueError(f"pack: the array name {META_KEY!r} is reserved")
    text = json.dumps(meta, separators=(",", ":")).encode("utf-8")
    blob = nd.array(np.frombuffer(text, dtype=np.uint8), dtype="uint8")
    return nd.save_tobuffer({META_KEY: blob, **arrays})


def unpack(buf: bytes, what: str = "buffer") -> tuple[Any, dict[str, NDArray]]:
    """(meta, arrays) of a buffer written by :func:`pack`; what names the source in errors."""
    try:
        loaded = nd.load_frombuffer(buf)
    except Exception as e:
        raise ValueError(f"{what} is not a braid state file (MXNet .params format expected): {e}") from e
    if not isinstance(loaded, dict) or META_KEY not in loaded:
        raise ValueError(f"{what} is not a braid state file: it has no {META_KEY!r} entry")
    meta = json.loads(bytes(loaded.pop(META_KEY).asnumpy()).decode("utf-8"))
    return meta, loaded
