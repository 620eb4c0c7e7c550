"""Saving and loading arrays.

The native format is MXNet's NDArray list format: the ``.params`` files of MXNet 1.x ``nd.save``/``nd.load``
and Gluon's ``save_parameters``. braid reads the files MXNet writes and writes files MXNet reads (byte for
byte what ``mx.nd.save`` writes for the same arrays). A file name ending in ``.npz`` selects numpy's zip
format instead, as in MXNet 2::

    >>> import braid as mx
    >>> mx.nd.save("weights.params", {"w": mx.nd.ones((2, 3)), "b": mx.nd.zeros(3)})
    >>> sorted(mx.nd.load("weights.params"))
    ['b', 'w']
"""

from __future__ import annotations

import errno
import os
import zipfile
from typing import Any, Dict, List, Mapping, Sequence, Union

import numpy as np

from .._lib import check, ffi, lib
from ..base import BraidIOError, BraidNotImplementedError
from ..dtypes import bfloat16, dtype_code
from ._invoke import wrap
from .ndarray import NDArray, array, empty

PathLike = Union[str, "os.PathLike[str]"]
SaveData = Union[NDArray, Sequence[NDArray], Mapping[str, NDArray]]
Loaded = Union[List[NDArray], Dict[str, NDArray]]

_ZIP_MAGIC = b"PK\x03\x04"


class BraidFileNotFoundError(BraidIOError, FileNotFoundError):
    """A file to load does not exist (both a :class:`braid.BraidIOError` and a ``FileNotFoundError``)."""


def _path(fname: Any, fn: str) -> str:
    if not isinstance(fname, (str, os.PathLike)):
        raise TypeError(f"{fn}: fname must be a str or os.PathLike, got {type(fname).__name__}")
    path = os.fspath(fname)
    if not isinstance(path, str):
        raise TypeError(f"{fn}: fname must be a str path, got {type(path).__name__}")
    return path


def _split(data: Any, fn: str) -> tuple[list[NDArray], list[str] | None]:
    """The arrays to save and their names (None for an unnamed list)."""
    if isinstance(data, NDArray):
        return [data], None
    if isinstance(data, Mapping):
        for k, v in data.items():
            if not isinstance(k, str):
                raise TypeError(f"{fn}: dict keys must be str, got {type(k).__name__} ({k!r})")
            if not isinstance(v, NDArray):
                raise TypeError(f"{fn}: dict values must be NDArrays, got {type(v).__name__} for key {k!r}")
            if "\x00" in k:
                raise ValueError(f"{fn}: the name {k!r} contains a NUL character")
        return list(data.values()), list(data.keys())
    if isinstance(data, (list, tuple)):
        for i, v in enumerate(data):
            if not isinstance(v, NDArray):
                raise TypeError(f"{fn}: list items must be NDArrays, got {type(v).__name__} at index {i}")
        return list(data), None
    raise TypeError(
        f"{fn}: data must be an NDArray, a list of NDArrays or a dict str -> NDArray, got {type(data).__name__}"
    )


def _c_args(arrays: list[NDArray], names: list[str] | None) -> tuple[Any, Any, list[Any]]:
    handles = ffi.new("braid_array[]", [a._h for a in arrays]) if arrays else ffi.NULL
    if names is None:
        return handles, ffi.NULL, []
    keep = [ffi.new("char[]", n.encode("utf-8")) for n in names]
    return handles, ffi.new("char*[]", keep) if keep else ffi.NULL, keep


def save(fname: PathLike, data: SaveData) -> None:
    """Saves an NDArray, a list of NDArrays or a dict ``str -> NDArray`` to a file.

    Waits for pending writes to the arrays first (and raises their errors before the file is touched). The
    file is in MXNet's ``.params`` format unless fname ends with ``.npz``: then it is a numpy ``.npz``
    archive (named ``arr_0``, ``arr_1``... for a list; bfloat16 arrays are stored with
    :data:`braid.bfloat16`).
    A dict keeps its insertion order. Arrays of any device can be saved; ``load`` brings them back on cpu(0).
    """
    path = _path(fname, "save")
    arrays, names = _split(data, "save")
    if path.lower().endswith(".npz"):
        _save_npz(path, arrays, names)
        return
    handles, cnames, _keep = _c_args(arrays, names)
    check(lib.braid_ndarray_save(os.fsencode(path), len(arrays), handles, cnames))


def save_tobuffer(data: SaveData) -> bytes:
    """The bytes :func:`save` would write to a ``.params`` file (the inverse of :func:`load_frombuffer`)."""
    arrays, names = _split(data, "save_tobuffer")
    handles, cnames, _keep = _c_args(arrays, names)
    p = ffi.new("void**")
    n = ffi.new("size_t*")
    check(lib.braid_ndarray_save_to_buffer(len(arrays), handles, cnames, p, n))
    try:
        return bytes(ffi.buffer(p[0], n[0]))
    finally:
        lib.braid_buffer_free(p[0])


def load(fname: PathLike) -> Loaded:
    """Loads a file written by :func:`save` or by MXNet (``nd.save``, Gluon ``save_parameters``).

    Returns a dict ``str -> NDArray`` when the file names its arrays, else a list (also for a file with no
    arrays). Arrays are created on cpu(0). ``.npz`` archives (recognised by name or content) always load as a
    dict. A missing file raises :class:`BraidFileNotFoundError`; a corrupt or truncated one raises
    :class:`braid.BraidIOError` naming the byte offset and what was expected there, and arrays braid cannot
    hold (sparse storage, int16...) raise :class:`braid.BraidNotImplementedError`.
    """
    path = _path(fname, "load")
    if not os.path.exists(path):
        raise BraidFileNotFoundError(errno.ENOENT, "load: no such file or directory", path)
    if path.lower().endswith(".npz") or _starts_with_zip(path):
        return _load_npz(path)
    num, arrs, num_names, names = (
        ffi.new("int32_t*"),
        ffi.new("braid_array**"),
        ffi.new("int32_t*"),
        ffi.new("char***"),
    )
    check(lib.braid_ndarray_load(os.fsencode(path), num, arrs, num_names, names))
    return _collect(num[0], arrs[0], num_names[0], names[0], f"load '{path}'")


def load_frombuffer(buf: Any) -> Loaded:
    """Loads the ``.params`` format from a bytes-like object (bytes, bytearray, memoryview, numpy array).

    Returns a list or a dict like :func:`load`.
    """
    if isinstance(buf, str):
        raise TypeError("load_frombuffer: expected a bytes-like object, got str")
    try:
        cbuf = ffi.from_buffer(buf)
    except TypeError:
        raise TypeError(f"load_frombuffer: expected a bytes-like object, got {type(buf).__name__}") from None
    num, arrs, num_names, names = (
        ffi.new("int32_t*"),
        ffi.new("braid_array**"),
        ffi.new("int32_t*"),
        ffi.new("char***"),
    )
    check(lib.braid_ndarray_load_from_buffer(cbuf, len(cbuf), num, arrs, num_names, names))
    return _collect(num[0], arrs[0], num_names[0], names[0], "load_frombuffer")


def _collect(num: int, arrs: Any, num_names: int, names: Any, what: str) -> Loaded:
    # Take ownership of every handle before anything can fail, then release the C lists.
    try:
        arrays = [wrap(arrs[i]) for i in range(num)]
        raw = [ffi.string(names[i]) for i in range(num_names)]
    finally:
        lib.braid_ndarray_list_free(arrs, ffi.cast("const char**", names), num_names)
    if not raw:
        return arrays
    out: dict[str, NDArray] = {}
    for i, (k, v) in enumerate(zip(raw, arrays)):
        try:
            out[k.decode("utf-8")] = v
        except UnicodeDecodeError:
            raise BraidIOError(f"{what}: name {i} is not valid UTF-8: {k!r}") from None
    return out


# ---- npz ---------------------------------------------------------------------------------------------------


def _starts_with_zip(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == _ZIP_MAGIC
    except OSError:
        return False  # let the native loader report it


def _to_host(a: NDArray) -> np.ndarray:
    if a._dtype_code() == 12:
        bits = np.empty(a.shape, dtype=np.uint16)
        check(lib.braid_array_copy_to_host(a._h, ffi.from_buffer(bits), bits.nbytes))
        return bits.view(bfloat16)
    return a.asnumpy()


def _from_host(x: np.ndarray) -> NDArray:
    if x.dtype == bfloat16:
        bits = np.ascontiguousarray(x).view(np.uint16)
        out = empty(bits.shape, dtype="bfloat16")
        if bits.nbytes:
            check(lib.braid_array_copy_from_host(out._h, ffi.from_buffer(bits), bits.nbytes))
        return out
    return array(x, dtype=x.dtype)


def _save_npz(path: str, arrays: list[NDArray], names: list[str] | None) -> None:
    keys = names if names is not None else [f"arr_{i}" for i in range(len(arrays))]
    hosts = [_to_host(a) for a in arrays]  # waits for (and raises errors of) pending writes before writing
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            for k, x in zip(keys, hosts):
                with zf.open(k + ".npy", "w", force_zip64=True) as f:
                    np.lib.format.write_array(f, x, allow_pickle=False)
    except OSError as e:
        raise BraidIOError(f"save: cannot write '{path}': {e}") from e


def _load_npz(path: str) -> dict[str, NDArray]:
    try:
        with np.load(path, allow_pickle=False) as z:
            hosts = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise BraidIOError(f"load '{path}': not a readable .npz archive: {e}") from e
    out: dict[str, NDArray] = {}
    for k, x in hosts.items():
        if x.dtype != bfloat16:
            try:
                dtype_code(x.dtype)
            except TypeError:
                raise BraidNotImplementedError(
                    f"load '{path}': array {k!r} has dtype {x.dtype}, which braid does not support"
                ) from None
        out[k] = _from_host(x)
    return out
