"""Attribute values as the strings MXNet's graph files hold ("(3, 3)", "True", "float32", "None")."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..dtypes import dtype_code, dtype_name


def attr_str(value: Any, is_dtype: bool = False) -> str:
    """The MXNet string form of an attribute value."""
    if value is None:
        return "None"
    if is_dtype and not isinstance(value, str):
        return dtype_name(dtype_code(value))
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, (tuple, list)):
        items = ["None" if v is None else str(int(v)) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, str):
        return value
    if isinstance(value, (type, np.dtype)):
        return dtype_name(dtype_code(value))
    raise TypeError(f"attribute value {value!r} of type {type(value).__name__} cannot be written to a graph")
