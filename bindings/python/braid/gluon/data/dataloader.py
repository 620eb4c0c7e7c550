"""DataLoader: batches of a dataset as NDArrays, optionally assembled by worker processes or threads.

Workers are separate processes started with the ``spawn`` (default) or ``forkserver`` method, never ``fork``:
the parent runs braid's engine and OpenMP threads, and a forked copy of a process with live threads can
deadlock. Each worker receives the dataset once (pickled; lambdas work when ``cloudpickle`` is installed), keeps
it for the loader's lifetime, and answers batch requests with numpy arrays; the main process turns each batch
into NDArrays sharing that memory. Batches come back in sampler order. A worker that dies raises a RuntimeError
naming it and its exit code; a batch that takes longer than ``timeout`` seconds raises TimeoutError.
"""

from __future__ import annotations

import collections
import concurrent.futures
import multiprocessing
import multiprocessing.connection
import multiprocessing.context
import os
import pickle
import random
import signal
import threading
import time
import traceback
import weakref
from typing import Any, Callable, Iterator

import numpy as np

from . import _wire
from ._batchify import fetch, from_transport, np_batchify, to_transport
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "default_batchify_fn", "default_mp_batchify_fn"]

_POLL_S = 0.05  # how often a waiting main process checks that its workers are alive
_WORKER_IDLE_S = 1.0  # how often an idle worker checks that the main process is alive


def default_batchify_fn(data: list[Any]) -> Any:
    """Stacks a list of samples into NDArrays: one array for array/scalar samples, a list of arrays (one per
    element) for tuple samples. dtypes are kept (Python ints become int64, floats float64)."""
    return from_transport(np_batchify(data))


default_mp_batchify_fn = default_batchify_fn  # MXNet's name for the worker-process variant


# ---- worker side ------------------------------------------------------------------------------------------


class _RemoteTraceback(Exception):
    """Carries a worker's formatted traceback; set as the ``__cause__`` of the exception re-raised here."""

    def __init__(self, tb: str) -> None:
        super().__init__(tb)
        self.tb = tb

    def __str__(self) -> str:
        return self.tb


def _exception_message(exc: BaseException, where: str) -> tuple[Any, str]:
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    text = f'\n"""\n{where}:\n{tb}"""'
    try:
        blob = pickle.dumps(exc)
        pickle.loads(blob)
    except Exception:
        exc = RuntimeError(f"{type(exc).__name__}: {exc}")
    exc.__traceback__ = None
    exc.__context__ = exc.__cause__ = None
    return exc, text


def _worker_loop(payload: bytes, task_conn: Any, result_conn: Any, worker_id: int, seed: int, custom: bool) -> None:
    """Body of one worker process: load the dataset, then answer (job, indices) requests until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is handled by the main process, which stops us
    where = f"DataLoader worker {worker_id} (pid {os.getpid()})"
    sender = _wire.Sender(result_conn.fileno())
    try:
        dataset, batchify_fn = pickle.loads(payload)
        del payload
        np.random.seed(seed % 2**32)
        random.seed(seed)
        from ... import random as braid_random
        from ...engine import set_num_threads

        braid_random.seed(seed % 2**31)
        set_num_threads(1)  # the workers share the cores; ops inside a dataset must not oversubscribe them
    except BaseException as e:  # noqa: BLE001 - every failure must reach the main process
        sender.put(_wire.encode(("init_error", worker_id, *_exception_message(e, where))))
        sender.close()
        return
    sender.put(_wire.encode(("ready", worker_id)))
    parent = multiprocessing.parent_process()
    while True:
        if not task_conn.poll(_WORKER_IDLE_S):
            if parent is not None and not parent.is_alive():
                break
            continue
        try:
            task = task_conn.recv()
        except (EOFError, OSError):
            break
        if task is None:
            break
        job, indices = task
        try:
            out = fetch(dataset, indices, batchify_fn)
            frames = _wire.encode(("job", job, "ok", to_transport(out) if custom else out))
        except BaseException as e:  # noqa: BLE001
            frames = _wire.encode(("job", job, "err", _exception_message(e, f"{where}, batch {job}")))
        sender.put(frames)
    sender.close()


# ---- main side: pools ---------------------------------------------------------------------------------------


def _make_context(spec: Any) -> multiprocessing.context.BaseContext:
    if spec is None:
        # spawn: a fresh interpreter per worker. forkserver would save little (each worker still imports braid to
        # unpickle the dataset) and by default preloads __main__ in its server, so module-level braid code of the
        # script would start engine threads in the process the workers are forked from.
        spec = "spawn"
    if isinstance(spec, str):
        if spec == "fork":
            raise ValueError(
                "DataLoader: multiprocessing_context='fork' is not supported: forking a process whose braid "
                "engine and OpenMP threads are running can deadlock the workers; use 'forkserver' or 'spawn'"
            )
        try:
            return multiprocessing.get_context(spec)
        except ValueError as e:
            raise ValueError(
                f"DataLoader: multiprocessing_context {spec!r} is not available here "
                f"(available: {multiprocessing.get_all_start_methods()})"
            ) from e
    if isinstance(spec, multiprocessing.context.BaseContext):
        if spec.get_start_method() == "fork":
            return _make_context("fork")
        return spec
    raise TypeError(f"DataLoader: multiprocessing_context must be None, a start method name or a context, got {spec!r}")


def _pickle_for_workers(dataset: Any, batchify_fn: Any, num_workers: int) -> bytes:
    obj = (dataset, batchify_fn)
    try:
        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, AttributeError, TypeError) as e:
        first = e
    try:
        import cloudpickle  # lambdas and local functions, as MXNet users write them
    except ImportError:
        cloudpickle = None
    if cloudpickle is not None:
        try:
            return cloudpickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as e:  # noqa: BLE001 - report the first, clearer error below
            first = e
    raise TypeError(
        f"DataLoader: num_workers={num_workers} sends the dataset and batchify_fn to worker processes, but they "
        f"cannot be pickled ({type(first).__name__}: {first}). Define transform functions at module level (not "
        "as lambdas or local functions), install cloudpickle, or use thread_pool=True or num_workers=0"
    ) from first


class _ProcessPool:
    """Worker processes that keep the dataset and build batches on request; results are matched by job id."""

    def __init__(self, payload: bytes, num_workers: int, ctx: Any, custom: bool) -> None:
        self.kind = "process"
        self.broken = False
        self._n = num_workers
        self._workers: list[Any] = []
        self._task_conns: list[Any] = []
        self._result_conns: list[Any] = []
        self._receivers: dict[Any, tuple[int, _wire.Receiver]] = {}
        self._ready: set[int] = set()
        self._done: dict[int, tuple[str, Any]] = {}
        self._owner: dict[int, int] = {}
        self._discard: set[int] = set()
        self._next_job = 0
        self._lock = threading.Lock()
        self._shut = False
        seed = int(np.random.randint(0, 2**31 - 1))
        try:
            for i in range(num_workers):
                task_r, task_w = ctx.Pipe(duplex=False)
                result_r, result_w = ctx.Pipe(duplex=False)
                _wire.widen_pipe(result_r.fileno())
                p = ctx.Process(
                    target=_worker_loop,
                    args=(payload, task_r, result_w, i, seed + i, custom),
                    name=f"braid-dataloader-worker-{i}",
                    daemon=True,
                )
                p.start()
                # Only the worker may hold the write end: its death must read as end-of-file here.
                task_r.close()
                result_w.close()
                self._workers.append(p)
                self._task_conns.append(task_w)
                self._result_conns.append(result_r)
                self._receivers[result_r] = (i, _wire.Receiver(result_r.fileno()))
        except BaseException:
            self.shutdown()
            raise

    def _check_open(self) -> None:
        if self._shut:
            raise RuntimeError(
                "DataLoader: its worker processes were stopped (close(), or an earlier error); iterate the loader "
                "again to start new ones"
            )

    def submit(self, indices: Any) -> int:
        self._check_open()
        job = self._next_job
        self._next_job += 1
        w = job % self._n
        self._owner[job] = w
        try:
            self._task_conns[w].send((job, indices))
        except OSError:  # BrokenPipeError: the worker died between two batches
            raise self._dead(w) from None
        return job

    def cancel(self, jobs: list[int]) -> None:
        for job in jobs:
            if self._done.pop(job, None) is None and job in self._owner:
                self._discard.add(job)
            self._owner.pop(job, None)

    def _describe(self, w: int) -> str:
        return f"DataLoader worker {w} (pid {self._workers[w].pid})"

    def _dead(self, w: int) -> RuntimeError:
        p = self._workers[w]
        p.join(timeout=1.0)
        code = p.exitcode
        if code is None:
            how = "closed its result pipe"
        elif code < 0:
            how = f"was killed by signal {-code}" + (" (SIGKILL: out of memory?)" if code == -9 else "")
        else:
            how = f"exited with code {code}"
        self.broken = True
        self.shutdown()
        return RuntimeError(
            f"{self._describe(w)} {how} unexpectedly. If it was killed for memory, lower num_workers or the batch "
            "size; run with num_workers=0 to see errors of the dataset in this process"
        )

    def _receive(self, w: int, msg: tuple[Any, ...]) -> None:
        tag = msg[0]
        if tag == "ready":
            self._ready.add(msg[1])
        elif tag == "init_error":
            _, _, exc, tb = msg
            self.broken = True
            self.shutdown()
            raise RuntimeError(f"{self._describe(w)} failed to start: {exc}") from _RemoteTraceback(tb)
        else:
            _, job, kind, value = msg
            if job in self._discard:
                self._discard.discard(job)
            else:
                self._done[job] = (kind, value)

    def _poll(self, wait: float) -> None:
        """Receives every message that arrives within ``wait`` seconds; raises if a worker died."""
        sentinels = {p.sentinel: w for w, p in enumerate(self._workers)}
        ready = multiprocessing.connection.wait(self._result_conns + list(sentinels), timeout=wait)
        for obj in ready:
            if obj in sentinels:
                continue
            w, receiver = self._receivers[obj]
            try:
                msg = receiver.read()
            except (EOFError, OSError):
                raise self._dead(w) from None
            self._receive(w, msg)
        for obj in ready:
            if obj in sentinels and not any(c.poll() for c in self._result_conns):
                raise self._dead(sentinels[obj])

    def result(self, job: int, timeout: float) -> Any:
        deadline = None
        while job not in self._done:
            self._check_open()
            if deadline is None and len(self._ready) == self._n:
                deadline = time.monotonic() + timeout  # worker start-up does not count against the timeout
            if deadline is not None and time.monotonic() >= deadline:
                w = self._owner.get(job, job % self._n)
                who = self._describe(w)
                self.broken = True
                self.shutdown()
                raise TimeoutError(
                    f"DataLoader: no batch from {who} within timeout={timeout} s (batch {job}); the dataset's "
                    "__getitem__ or the batchify_fn may be stuck or too slow; raise timeout= if batches "
                    "legitimately take this long"
                )
            self._poll(_POLL_S if deadline is None else min(_POLL_S, max(0.0, deadline - time.monotonic())))
        self._owner.pop(job, None)
        kind, value = self._done.pop(job)
        if kind == "err":
            exc, tb = value
            raise exc from _RemoteTraceback(tb)
        return value

    def shutdown(self) -> None:
        with self._lock:
            if self._shut:
                return
            self._shut = True
            for conn in self._task_conns:
                try:
                    conn.send(None)
                except (OSError, ValueError):
                    pass
            deadline = time.monotonic() + 1.0
            for p in self._workers:
                p.join(timeout=max(0.0, deadline - time.monotonic()))
            for p in self._workers:
                if p.exitcode is None:
                    p.terminate()
                    p.join(timeout=1.0)
            for conn in self._task_conns + self._result_conns:
                conn.close()


class _ThreadPool:
    """Threads of this process building batches (no pickling; useful when samples are cheap to make)."""

    def __init__(self, dataset: Any, batchify_fn: Any, num_workers: int) -> None:
        self.kind = "thread"
        self.broken = False
        self._dataset = dataset
        self._batchify_fn = batchify_fn
        self._executor = concurrent.futures.ThreadPoolExecutor(num_workers, thread_name_prefix="braid-dataloader")
        self._futures: dict[int, concurrent.futures.Future[Any]] = {}
        self._next_job = 0

    def submit(self, indices: Any) -> int:
        job = self._next_job
        self._next_job += 1
        self._futures[job] = self._executor.submit(fetch, self._dataset, indices, self._batchify_fn)
        return job

    def cancel(self, jobs: list[int]) -> None:
        for job in jobs:
            fut = self._futures.pop(job, None)
            if fut is not None:
                fut.cancel()

    def result(self, job: int, timeout: float) -> Any:
        fut = self._futures.pop(job)
        try:
            return fut.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            raise TimeoutError(
                f"DataLoader: no batch from the thread pool within timeout={timeout} s (batch {job}); the "
                "dataset's __getitem__ or the batchify_fn may be stuck or too slow"
            ) from None

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


class _PrefetchIter:
    """One pass over the batch sampler, keeping ``depth`` batches in flight in a pool."""

    def __init__(self, pool: Any, batches: Iterator[Any], length: int, depth: int, timeout: float, custom: bool):
        self._pool = pool
        self._batches = batches
        self._length = length
        self._timeout = timeout
        self._convert = (lambda x: x) if custom and pool.kind == "thread" else from_transport
        self._pending: collections.deque[int] = collections.deque()
        for _ in range(max(1, depth)):
            if not self._push():
                break

    def _push(self) -> bool:
        try:
            indices = next(self._batches)
        except StopIteration:
            return False
        self._pending.append(self._pool.submit(indices))
        return True

    def __iter__(self) -> _PrefetchIter:
        return self

    def __len__(self) -> int:
        return self._length

    def __next__(self) -> Any:
        if not self._pending:
            raise StopIteration
        job = self._pending.popleft()
        try:
            out = self._pool.result(job, self._timeout)
            self._push()
        except BaseException:
            self.close()
            raise
        return self._convert(out)

    def close(self) -> None:
        """Forgets the batches still in flight (their results are dropped when they arrive)."""
        if self._pending and not self._pool.broken:
            self._pool.cancel(list(self._pending))
        self._pending.clear()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finalizer (e.g. at interpreter exit)
            pass


# ---- the loader -----------------------------------------------------------------------------------------


class DataLoader:
    """Loads batches from a dataset, as MXNet's ``gluon.data.DataLoader``.

    Parameters
    ----------
    dataset : Dataset
        Any object with ``__getitem__`` and ``__len__`` (see :mod:`braid.gluon.data`).
    batch_size : int
        Samples per batch (required unless ``batch_sampler`` is given).
    shuffle : bool
        Visit the samples in a new random order every epoch.
    sampler : Sampler
        The order of the samples (excludes ``shuffle``).
    last_batch : {'keep', 'discard', 'rollover'}
        The final incomplete batch is kept, dropped, or completed with the first samples of the next epoch.
    batch_sampler : Sampler
        Yields whole lists of indices (excludes batch_size, shuffle, sampler and last_batch).
    batchify_fn : callable
        Makes one batch of a list of samples; default :func:`default_batchify_fn` (stacks into NDArrays). In
        worker processes it runs in the worker; its NDArray results are sent back as numpy and rebuilt here.
    num_workers : int
        Worker processes (or threads with ``thread_pool=True``); 0 loads batches in this process.
    pin_memory, pin_device_id :
        Accepted for MXNet compatibility: this build has no pinned host memory, batches are on ``cpu(0)``.
    prefetch : int
        Batches requested ahead of the one being consumed (default ``2 * num_workers``).
    thread_pool : bool
        Use threads instead of processes.
    timeout : float
        Seconds to wait for one batch before raising TimeoutError (worker start-up is not counted).
    multiprocessing_context : str or multiprocessing context
        'spawn' (default) or 'forkserver'; 'fork' is refused.

    Worker processes persist across epochs; ``close()`` (or the loader's garbage collection) stops them. Scripts
    using worker processes need the ``if __name__ == "__main__":`` guard, as every spawn-based loader does.
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = None,
        shuffle: bool = False,
        sampler: Any = None,
        last_batch: str | None = None,
        batch_sampler: Any = None,
        batchify_fn: Callable[[list[Any]], Any] | None = None,
        num_workers: int = 0,
        pin_memory: bool = False,
        pin_device_id: int = 0,
        prefetch: int | None = None,
        thread_pool: bool = False,
        timeout: float = 120,
        multiprocessing_context: Any = None,
    ) -> None:
        if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
            raise TypeError(f"DataLoader: dataset must support len() and indexing, got {type(dataset).__name__}")
        self._dataset = dataset
        if batch_sampler is None:
            if batch_size is None:
                raise ValueError("DataLoader: batch_size must be specified unless batch_sampler is specified")
            if sampler is None:
                sampler = RandomSampler(len(dataset)) if shuffle else SequentialSampler(len(dataset))
            elif shuffle:
                raise ValueError("DataLoader: shuffle must not be specified if sampler is specified")
            batch_sampler = BatchSampler(sampler, batch_size, last_batch if last_batch else "keep")
        elif batch_size is not None or shuffle or sampler is not None or last_batch is not None:
            raise ValueError(
                "DataLoader: batch_size, shuffle, sampler and last_batch must not be specified if batch_sampler "
                "is specified"
            )
        if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be a non-negative integer, got {num_workers!r}")
        if batchify_fn is not None and not callable(batchify_fn):
            raise TypeError(f"DataLoader: batchify_fn must be callable, got {type(batchify_fn).__name__}")
        if not timeout or timeout <= 0:
            raise ValueError(f"DataLoader: timeout must be a positive number of seconds, got {timeout!r}")
        self._batch_sampler = batch_sampler
        self._batchify_fn = batchify_fn
        self._num_workers = int(num_workers)
        self._prefetch = max(0, int(prefetch) if prefetch is not None else 2 * self._num_workers)
        self._thread_pool = bool(thread_pool)
        self._timeout = float(timeout)
        self._pin_memory = bool(pin_memory)
        self._pin_device_id = int(pin_device_id)
        self._ctx = _make_context(multiprocessing_context) if self._num_workers and not thread_pool else None
        self._pool: Any = None
        self._finalizer: Any = None

    def __len__(self) -> int:
        return len(self._batch_sampler)

    def __iter__(self) -> Iterator[Any]:
        if self._num_workers == 0:
            return self._iter_inline()
        pool = self._get_pool()
        return _PrefetchIter(
            pool,
            iter(self._batch_sampler),
            len(self._batch_sampler),
            self._prefetch,
            self._timeout,
            self._batchify_fn is not None,
        )

    def _iter_inline(self) -> Iterator[Any]:
        for indices in self._batch_sampler:
            out = fetch(self._dataset, indices, self._batchify_fn)
            yield out if self._batchify_fn is not None else from_transport(out)

    def _get_pool(self) -> Any:
        if self._pool is not None and not self._pool.broken:
            return self._pool
        self.close()
        if self._thread_pool:
            pool: Any = _ThreadPool(self._dataset, self._batchify_fn, self._num_workers)
        else:
            payload = _pickle_for_workers(self._dataset, self._batchify_fn, self._num_workers)
            pool = _ProcessPool(payload, self._num_workers, self._ctx, self._batchify_fn is not None)
        self._pool = pool
        self._finalizer = weakref.finalize(self, pool.shutdown)
        return pool

    def close(self) -> None:
        """Stops the worker processes or threads (a later iteration starts new ones)."""
        if self._finalizer is not None:
            self._finalizer()
        self._pool = self._finalizer = None

    def __enter__(self) -> DataLoader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        how = (
            "in-process"
            if not self._num_workers
            else f"{self._num_workers} {'threads' if self._thread_pool else 'processes'}"
        )
        return f"DataLoader({type(self._dataset).__name__} of {len(self._dataset)}, {len(self)} batches, {how})"
