"""How worker processes send batches to the main process: pickle protocol 5 with out-of-band buffers over a pipe.

A message is a 16-byte prefix (pickle length, buffer count), the buffer sizes (8 bytes each), the pickle, then
the raw buffers. Array data is written straight from the worker's arrays and read straight into fresh arrays
here: one copy into the kernel and one out, no intermediate bytes objects. Each worker owns its result pipe
(no shared lock a dying worker could leave held), and the pipe is widened to 1 MiB where Linux allows, so a
typical batch is written in one go and read without a round trip per 64 KiB.
"""

from __future__ import annotations

import io
import os
import pickle
import queue
import struct
import threading
from typing import Any

import numpy as np

_PREFIX = struct.Struct("<QQ")
_PIPE_BYTES = 1 << 20


def widen_pipe(fd: int) -> None:
    """Asks for a 1 MiB pipe buffer (Linux; silently keeps the default elsewhere or when refused)."""
    try:
        import fcntl

        setsz = getattr(fcntl, "F_SETPIPE_SZ", None)
        if setsz is not None:
            fcntl.fcntl(fd, setsz, _PIPE_BYTES)
    except OSError:
        pass


def encode(obj: Any) -> list[Any]:
    """The frames of one message (raises pickling errors here, in the caller's thread)."""
    buffers: list[pickle.PickleBuffer] = []
    head = pickle.dumps(obj, protocol=5, buffer_callback=buffers.append)
    raws = [b.raw() for b in buffers]
    sizes = struct.pack(f"<{len(raws)}Q", *(r.nbytes for r in raws))
    return [_PREFIX.pack(len(head), len(raws)) + sizes, head, *raws]


def _write_all(fd: int, data: Any) -> None:
    view = memoryview(data).cast("B")
    while view.nbytes:
        n = os.write(fd, view)
        view = view[n:]


class Sender:
    """A thread writing queued messages to a pipe, so the worker computes the next batch meanwhile."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._queue: queue.Queue[list[Any] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="braid-dataloader-sender", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            frames = self._queue.get()
            if frames is None:
                return
            try:
                for f in frames:
                    _write_all(self._fd, f)
            except OSError:  # the main process went away; the worker notices and exits
                return

    def put(self, frames: list[Any]) -> None:
        self._queue.put(frames)

    def close(self, timeout: float = 5.0) -> None:
        """Sends what is queued, then stops the thread."""
        self._queue.put(None)
        self._thread.join(timeout)


class Receiver:
    """Reads whole messages from one worker's pipe."""

    def __init__(self, fd: int) -> None:
        self._file = io.FileIO(fd, "rb", closefd=False)

    def _read_into(self, view: memoryview) -> None:
        while view.nbytes:
            n = self._file.readinto(view)
            if not n:
                raise EOFError("the worker's pipe closed")
            view = view[n:]

    def _read(self, n: int) -> bytes:
        buf = bytearray(n)
        self._read_into(memoryview(buf))
        return bytes(buf)

    def read(self) -> Any:
        head_len, count = _PREFIX.unpack(self._read(_PREFIX.size))
        sizes = struct.unpack(f"<{count}Q", self._read(8 * count)) if count else ()
        head = self._read(head_len)
        buffers = []
        for size in sizes:
            buf = np.empty(size, dtype=np.uint8)  # aligned, writable: arrays built on it can be shared zero-copy
            self._read_into(memoryview(buf))
            buffers.append(buf)
        return pickle.loads(head, buffers=buffers)
