"""dtype names and codes shared with the core (MXNet's type flags)."""

from __future__ import annotations

from typing import Any

import numpy as np

# numpy has no bfloat16: like MXNet 2, braid names it with a structured dtype of the same size. Arrays of it
# convert to float32 on the way to numpy.
bfloat16 = np.dtype([("bfloat16", np.uint16)])

_CODE_TO_NP: dict[int, Any] = {
    0: np.float32,
    1: np.float64,
    2: np.float16,
    3: np.uint8,
    4: np.int32,
    5: np.int8,
    6: np.int64,
    7: np.bool_,
    12: bfloat16,
}
_NAME_TO_CODE = {
    "float32": 0,
    "float64": 1,
    "float16": 2,
    "uint8": 3,
    "int32": 4,
    "int8": 5,
    "int64": 6,
    "bool": 7,
    "bfloat16": 12,
    "float": 0,
    "double": 1,
    "half": 2,
    "int": 4,
    "long": 6,
    "bool_": 7,
}
_CODE_TO_NAME = {
    0: "float32",
    1: "float64",
    2: "float16",
    3: "uint8",
    4: "int32",
    5: "int8",
    6: "int64",
    7: "bool",
    12: "bfloat16",
}


def dtype_code(dtype: Any) -> int:
    """The core's code for a dtype given as a name, numpy type or numpy dtype."""
    if isinstance(dtype, str):
        code = _NAME_TO_CODE.get(dtype)
        if code is None:
            raise TypeError(f"unknown dtype {dtype!r}; expected one of {sorted(set(_CODE_TO_NAME.values()))}")
        return code
    if dtype is bfloat16 or (isinstance(dtype, np.dtype) and dtype == bfloat16):
        return 12
    try:
        name = np.dtype(dtype).name
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}") from None
    if name not in _NAME_TO_CODE:
        raise TypeError(
            f"dtype {name} is not supported by braid; expected one of {sorted(set(_CODE_TO_NAME.values()))}"
        )
    return _NAME_TO_CODE[name]


def np_dtype(code: int) -> Any:
    """The numpy type for a core dtype code (``numpy.float32`` ...; ``braid.bfloat16`` for bfloat16)."""
    return _CODE_TO_NP[code]


def dtype_name(code: int) -> str:
    return _CODE_TO_NAME[code]


def float32_to_bfloat16_bits(a: np.ndarray) -> np.ndarray:
    """Rounds float32 values to bfloat16 (nearest even) and returns their bits as uint16."""
    u = np.asarray(a, dtype=np.float32, order="C").view(np.uint32).astype(np.uint64)
    nan = np.isnan(a)
    r = np.asarray(((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16))
    return np.where(nan, np.uint16(0x7FC0), r)
