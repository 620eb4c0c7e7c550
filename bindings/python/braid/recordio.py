"""RecordIO: MXNet's packed record files (``.rec``) and their index files (``.idx``), byte for byte.

A record is written as: the magic word ``0xced7230a``, a word ``cflag << 29 | length``, the payload and zero
padding to a multiple of 4 bytes (all little-endian). A payload containing the magic word at a 4-byte aligned
offset is split there into parts (cflag 1 = first, 2 = middle, 3 = last; 0 = a whole record), the magic word
itself being implied between parts, exactly as dmlc-core's writer does, so MXNet reads braid's files and braid
reads MXNet's. The index file has one ``key<TAB>byte offset`` line per record.

Image records start with an :class:`IRHeader` (:func:`pack`, :func:`unpack`); :func:`pack_img` and
:func:`unpack_img` encode and decode the image with Pillow, taking and returning BGR channel order as MXNet's
OpenCV-based versions do.
"""

from __future__ import annotations

import io
import numbers
import os
import struct
from collections import namedtuple
from typing import Any, Callable

import numpy as np

from .base import BraidIOError

__all__ = ["MXRecordIO", "MXIndexedRecordIO", "IRHeader", "pack", "unpack", "pack_img", "unpack_img"]

_MAGIC = 0xCED7230A
_MAGIC_BYTES = struct.pack("<I", _MAGIC)
_LEN_MASK = (1 << 29) - 1
_MAX_RECORD = 1 << 29


class MXRecordIO:
    """Sequential reader (``flag='r'``) or writer (``flag='w'``) of a RecordIO file.

    Objects pickle as (uri, flag, position) and reopen on unpickling, so a reader can be sent to DataLoader
    worker processes.
    """

    def __init__(self, uri: str | os.PathLike[str], flag: str) -> None:
        self.uri = os.fspath(uri)
        if flag not in ("r", "w"):
            raise ValueError(f"MXRecordIO: flag must be 'r' or 'w', got {flag!r}")
        self.flag = flag
        self.is_open = False
        self._f: Any = None
        self.open()

    def open(self) -> None:
        """Opens the file (truncating it in write mode)."""
        self.close()
        try:
            self._f = open(self.uri, "rb" if self.flag == "r" else "wb")  # noqa: SIM115 - closed in close()
        except OSError as e:
            raise BraidIOError(
                f"MXRecordIO: cannot open '{self.uri}' for {'reading' if self.flag == 'r' else 'writing'}: {e}"
            ) from e
        self.writable = self.flag == "w"
        self.is_open = True
        self._pid = os.getpid()

    def close(self) -> None:
        """Closes the file; closing twice is harmless."""
        if self._f is not None:
            self._f.close()
            self._f = None
        self.is_open = False

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finalizer
            pass

    def __enter__(self) -> MXRecordIO:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_position"] = self._f.tell() if self._f is not None and not self.writable else 0
        state["_f"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        position = state.pop("_position", 0)
        self.__dict__.update(state)
        if self.is_open:
            if self.flag == "w":
                raise BraidIOError(f"MXRecordIO: a writer of '{self.uri}' cannot be copied to another process")
            self.is_open = False
            self.open()
            self._f.seek(position)

    def _check_open(self, writing: bool) -> None:
        if not self.is_open:
            raise BraidIOError(f"MXRecordIO: '{self.uri}' is closed")
        if writing != self.writable:
            raise BraidIOError(
                f"MXRecordIO: '{self.uri}' is open for {'writing' if self.writable else 'reading'}; "
                f"cannot {'write' if writing else 'read'}"
            )
        if self._pid != os.getpid() and not self.writable:  # a forked copy shares the file offset: reopen
            pos = self._f.tell()
            self.open()
            self._f.seek(pos)

    def reset(self) -> None:
        """Goes back to the first record (reopening a writer truncates the file, as in MXNet)."""
        self.close()
        self.open()

    def tell(self) -> int:
        """The byte offset of the next record."""
        self._check_open(self.writable)
        return self._f.tell()

    def seek(self, pos: int) -> None:
        """Moves a reader to the record starting at byte offset ``pos``."""
        self._check_open(False)
        self._f.seek(int(pos))

    def write(self, buf: bytes | bytearray | memoryview) -> None:
        """Appends one record."""
        self._check_open(True)
        data = bytes(buf)
        n = len(data)
        if n >= _MAX_RECORD:
            raise ValueError(f"MXRecordIO: a record must be smaller than 2^29 bytes, got {n}")
        out = bytearray()
        start = 0
        # Split at every 4-byte aligned occurrence of the magic word (dmlc-core's rule).
        pos = data.find(_MAGIC_BYTES)
        while pos != -1 and pos + 4 <= (n // 4) * 4:
            if pos % 4 == 0:
                out += _MAGIC_BYTES + struct.pack("<I", ((1 if start == 0 else 2) << 29) | (pos - start))
                out += data[start:pos]
                start = pos + 4
                pos = data.find(_MAGIC_BYTES, start)
            else:
                pos = data.find(_MAGIC_BYTES, pos + 1)
        out += _MAGIC_BYTES + struct.pack("<I", ((3 if start else 0) << 29) | (n - start))
        out += data[start:]
        out += b"\0" * (-n % 4)
        self._f.write(out)

    def read(self) -> bytes | None:
        """The next record, or None at the end of the file."""
        self._check_open(False)
        f = self._f
        parts: list[bytes] = []
        while True:
            head = f.read(8)
            if not head:
                if parts:
                    raise BraidIOError(f"MXRecordIO: '{self.uri}' ends inside a multi-part record")
                return None
            if len(head) != 8:
                raise BraidIOError(
                    f"MXRecordIO: '{self.uri}' is truncated (a record header at byte {f.tell() - len(head)})"
                )
            magic, lrec = struct.unpack("<II", head)
            if magic != _MAGIC:
                raise BraidIOError(
                    f"MXRecordIO: '{self.uri}' is not a RecordIO file or is corrupt: bad magic {magic:#010x} at "
                    f"byte {f.tell() - 8}"
                )
            cflag, length = lrec >> 29, lrec & _LEN_MASK
            padded = (length + 3) & ~3
            chunk = f.read(padded)
            if len(chunk) != padded:
                raise BraidIOError(
                    f"MXRecordIO: '{self.uri}' is truncated inside a record at byte {f.tell() - len(chunk)}"
                )
            parts.append(chunk[:length])
            if cflag in (0, 3):
                return _MAGIC_BYTES.join(parts)


class MXIndexedRecordIO(MXRecordIO):
    """RecordIO with random access through an index file (``key<TAB>offset`` per line).

    ``key_type`` converts the index file's keys (default int). ``keys`` lists them in file order.
    """

    def __init__(
        self,
        idx_path: str | os.PathLike[str],
        uri: str | os.PathLike[str],
        flag: str,
        key_type: Callable[[str], Any] = int,
    ) -> None:
        self.idx_path = os.fspath(idx_path)
        self.idx: dict[Any, int] = {}
        self.keys: list[Any] = []
        self.key_type = key_type
        self._fidx: Any = None
        super().__init__(uri, flag)

    def open(self) -> None:
        super().open()
        self.idx = {}
        self.keys = []
        if self.flag == "w":
            self._fidx = open(self.idx_path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
            return
        try:
            with open(self.idx_path, encoding="utf-8") as fidx:
                for lineno, line in enumerate(fidx, 1):
                    fields = line.strip().split("\t")
                    if fields == [""]:
                        continue
                    if len(fields) != 2:
                        raise BraidIOError(
                            f"MXIndexedRecordIO: line {lineno} of index '{self.idx_path}' is not 'key<TAB>offset': "
                            f"{line.strip()!r}"
                        )
                    key = self.key_type(fields[0])
                    self.idx[key] = int(fields[1])
                    self.keys.append(key)
        except OSError as e:
            super().close()
            raise BraidIOError(f"MXIndexedRecordIO: cannot read index file '{self.idx_path}': {e}") from e

    def close(self) -> None:
        if getattr(self, "_fidx", None) is not None:
            self._fidx.close()
            self._fidx = None
        super().close()

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state["_fidx"] = None
        return state

    def seek(self, idx: Any) -> None:
        """Moves to the record with key ``idx``."""
        try:
            pos = self.idx[idx]
        except KeyError:
            raise KeyError(f"MXIndexedRecordIO: no record with key {idx!r} in '{self.idx_path}'") from None
        super().seek(pos)

    def read_idx(self, idx: Any) -> bytes:
        """The record with key ``idx``."""
        self.seek(idx)
        rec = self.read()
        if rec is None:
            raise BraidIOError(f"MXIndexedRecordIO: key {idx!r} points past the end of '{self.uri}'")
        return rec

    def write_idx(self, idx: Any, buf: bytes) -> None:
        """Appends a record under key ``idx`` and indexes it."""
        key = self.key_type(idx)
        pos = self.tell()
        self.write(buf)
        self._fidx.write(f"{key}\t{pos}\n")
        self.idx[key] = pos
        self.keys.append(key)


IRHeader = namedtuple("IRHeader", ["flag", "label", "id", "id2"])
IRHeader.__doc__ = """Image record header: ``flag`` (0, or the number of float32 labels stored after the header),
``label`` (a float, or an array when flag > 0), ``id`` and ``id2`` (uint64 record ids)."""

_IR_FORMAT = "IfQQ"
_IR_SIZE = struct.calcsize(_IR_FORMAT)


def pack(header: Any, s: bytes) -> bytes:
    """Prefixes payload ``s`` with a packed :class:`IRHeader`; an array label is stored after the header."""
    header = IRHeader(*header)
    if isinstance(header.label, numbers.Number):
        header = header._replace(flag=0)
    else:
        label = np.asarray(header.label, dtype=np.float32).reshape(-1)
        header = header._replace(flag=label.size, label=0)
        s = label.tobytes() + bytes(s)
    return struct.pack(_IR_FORMAT, *header) + bytes(s)


def unpack(s: bytes) -> tuple[IRHeader, bytes]:
    """Splits a record into its :class:`IRHeader` and payload."""
    if len(s) < _IR_SIZE:
        raise BraidIOError(f"recordio.unpack: a record of {len(s)} bytes is shorter than the {_IR_SIZE}-byte header")
    header = IRHeader(*struct.unpack(_IR_FORMAT, s[:_IR_SIZE]))
    s = s[_IR_SIZE:]
    if header.flag > 0:
        header = header._replace(label=np.frombuffer(s, np.float32, header.flag).copy())
        s = s[header.flag * 4 :]
    return header, s


def pack_img(header: Any, img: np.ndarray, quality: int = 95, img_fmt: str = ".jpg") -> bytes:
    """Encodes an image (HWC BGR or HW gray uint8, OpenCV's order as in MXNet) and packs it with ``header``.

    ``quality`` is the JPEG quality, or for PNG the compression level (0-9).
    """
    from .gluon.data.vision._image import imencode

    arr = np.asarray(img)
    if arr.ndim == 3 and arr.shape[2] == 3:
        arr = arr[:, :, ::-1]  # BGR -> RGB for Pillow
    return pack(header, imencode(arr, img_fmt, quality))


def unpack_img(s: bytes, iscolor: int = -1) -> tuple[IRHeader, np.ndarray]:
    """Unpacks and decodes an image record: ``iscolor=1`` BGR (H, W, 3), ``0`` gray (H, W), ``-1`` as stored
    (gray images stay (H, W), colour ones BGR), the layouts of OpenCV's imdecode."""
    from .gluon.data.vision._image import _pil

    header, payload = unpack(s)
    Image = _pil()
    try:
        with Image.open(io.BytesIO(payload)) as im:
            if iscolor == 1 or (iscolor == -1 and im.mode not in ("L", "I;16", "1")):
                arr = np.asarray(im.convert("RGB"))[:, :, ::-1]
            else:
                arr = np.asarray(im.convert("L"))
    except Exception as e:  # noqa: BLE001 - Pillow raises many types for corrupt data
        raise BraidIOError(f"recordio.unpack_img: cannot decode the image of record id {header.id}: {e}") from e
    return header, np.ascontiguousarray(arr)
