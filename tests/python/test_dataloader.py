"""braid.gluon.data.DataLoader: batching rules, the batch-wide fast path, threads, and worker processes
(ordering, errors raised in workers, dead workers, timeouts)."""

from __future__ import annotations

import os
import pickle
import signal
import time

import numpy as np
import pytest

import braid as mx
from braid.gluon.data import (
    ArrayDataset,
    BatchSampler,
    DataLoader,
    Dataset,
    SequentialSampler,
    SimpleDataset,
    default_batchify_fn,
)
from braid.gluon.data.vision import transforms

MEAN, STD = 0.25, 0.5


def to_tensor_normalize(img: np.ndarray) -> np.ndarray:
    """ToTensor + Normalize written per image: the slow path's twin of the batchable Compose."""
    return ((img.transpose(2, 0, 1).astype(np.float32) / np.float32(255)) - np.float32(MEAN)) / np.float32(STD)


def _images(n: int = 23) -> ArrayDataset:
    rng = np.random.default_rng(1)
    return ArrayDataset(rng.integers(0, 256, size=(n, 4, 3, 1), dtype=np.uint8), np.arange(n, dtype=np.int32))


class Squares(Dataset):
    """i -> (i as a 2-vector, i*i); fails at `fail_at` with ValueError, or exits, is killed or sleeps `hang` s."""

    def __init__(self, n: int, fail_at: int = -1, exit_code: int | None = None, kill: bool = False, hang: float = 0):
        self.n, self.fail_at, self.exit_code, self.kill, self.hang = n, fail_at, exit_code, kill, hang

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        if i == self.fail_at:
            if self.exit_code is not None:
                os._exit(self.exit_code)
            if self.kill:
                os.kill(os.getpid(), signal.SIGKILL)
            if self.hang:
                time.sleep(self.hang)
                return np.zeros(2, np.float32), -1
            raise ValueError(f"sample {i} is broken")
        return np.full(2, i, np.float32), i * i


class FailsToUnpickle(Squares):
    def __setstate__(self, state):
        raise RuntimeError("this dataset refuses to load in a worker")


def stack_plus_one(samples):
    data = mx.nd.array(np.stack([s[0] for s in samples])) + 1
    return data, np.array([s[1] for s in samples]), "tag"


def _as_lists(loader) -> list:
    return [[b.asnumpy().tolist() for b in batch] for batch in loader]


# ---- in-process --------------------------------------------------------------------------------------------


def test_batches_shapes_and_dtypes() -> None:
    loader = DataLoader(Squares(10), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    data, label = batches[0]
    assert isinstance(data, mx.nd.NDArray) and data.shape == (4, 2) and data.dtype == np.float32
    assert label.dtype == np.int64 and label.asnumpy().tolist() == [0, 1, 4, 9]
    assert batches[2][0].shape == (2, 2)
    assert [b[0].shape[0] for b in DataLoader(Squares(10), batch_size=4, last_batch="discard")] == [4, 4]
    roll = DataLoader(Squares(10), batch_size=4, last_batch="rollover")
    assert [b[1].asnumpy().tolist() for b in roll][-1] == [16, 25, 36, 49]
    assert [b[1].asnumpy()[0] for b in roll] == [64, 4, 36]  # 8, 9 carried into this epoch


def test_shuffle_sampler_and_batch_sampler_arguments() -> None:
    np.random.seed(0)
    seen = np.concatenate([b[1].asnumpy() for b in DataLoader(Squares(20), batch_size=6, shuffle=True)])
    assert sorted(seen.tolist()) == [i * i for i in range(20)] and seen.tolist() != sorted(seen.tolist())
    bs = BatchSampler(SequentialSampler(5, start=3), 2)
    assert [b[1].asnumpy().tolist() for b in DataLoader(Squares(10), batch_sampler=bs)] == [[9, 16], [25, 36], [49]]
    with pytest.raises(ValueError, match="must not be specified if batch_sampler"):
        DataLoader(Squares(4), batch_size=2, batch_sampler=bs)
    with pytest.raises(ValueError, match="shuffle must not be specified if sampler"):
        DataLoader(Squares(4), batch_size=2, shuffle=True, sampler=SequentialSampler(4))
    with pytest.raises(ValueError, match="batch_size must be specified"):
        DataLoader(Squares(4))
    with pytest.raises(ValueError, match="num_workers must be a non-negative integer"):
        DataLoader(Squares(4), batch_size=2, num_workers=-1)
    with pytest.raises(ValueError, match="'fork' is not supported"):
        DataLoader(Squares(4), batch_size=2, num_workers=1, multiprocessing_context="fork")


def test_fast_path_equals_sample_by_sample() -> None:
    ds = _images()
    fast = ds.transform_first(transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)]))
    slow = ds.transform_first(to_tensor_normalize)
    assert fast._get_batch(np.arange(3)) is not None and slow._get_batch(np.arange(3)) is None
    a = _as_lists(DataLoader(fast, batch_size=5))
    b = _as_lists(DataLoader(slow, batch_size=5))
    assert a == b and len(a) == 5
    x, y = next(iter(DataLoader(fast, batch_size=5)))
    assert x.shape == (5, 1, 4, 3) and x.dtype == np.float32 and y.dtype == np.int32


def test_default_batchify_fn_rules() -> None:
    out = default_batchify_fn([(np.zeros(2, np.float16), 1, 0.5), (np.ones(2, np.float16), 2, 1.5)])
    assert isinstance(out, list) and [o.dtype for o in out] == [np.float16, np.int64, np.float64]
    nd = default_batchify_fn([mx.nd.ones((2,)), mx.nd.zeros((2,))])
    assert nd.asnumpy().tolist() == [[1, 1], [0, 0]]
    with pytest.raises(ValueError, match=r"sample 0 has shape \(2,\) but sample 1 has shape \(3,\)"):
        default_batchify_fn([np.zeros(2), np.zeros(3)])
    with pytest.raises(TypeError, match="do not form a numeric array; pass a batchify_fn"):
        default_batchify_fn(["a", {"b": 1}])


def test_custom_batchify_fn_in_process() -> None:
    data, label, tag = next(iter(DataLoader(Squares(4), batch_size=4, batchify_fn=stack_plus_one)))
    assert isinstance(data, mx.nd.NDArray) and data.asnumpy()[:, 0].tolist() == [1, 2, 3, 4]
    assert isinstance(label, np.ndarray) and tag == "tag"


# ---- threads -----------------------------------------------------------------------------------------------


def test_thread_pool_matches_and_raises() -> None:
    ds = _images().transform_first(to_tensor_normalize)
    loader = DataLoader(ds, batch_size=4, num_workers=2, thread_pool=True)
    assert _as_lists(loader) == _as_lists(DataLoader(ds, batch_size=4))
    with pytest.raises(ValueError, match="sample 5 is broken"):
        list(DataLoader(Squares(8, fail_at=5), batch_size=2, num_workers=2, thread_pool=True))
    # Threads cannot be stopped: keep the sleep short, or interpreter exit waits for it.
    slow = DataLoader(Squares(4, fail_at=0, hang=1.0), batch_size=2, num_workers=1, thread_pool=True, timeout=0.2)
    with pytest.raises(TimeoutError, match=r"within timeout=0.2 s"):
        next(iter(slow))


# ---- worker processes ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workers2():
    """One loader with two worker processes, shared by the tests below (workers persist across epochs)."""
    loader = DataLoader(Squares(50, fail_at=33), batch_size=4, num_workers=2, timeout=60)
    yield loader
    loader.close()


def test_workers_deliver_batches_in_order(workers2) -> None:
    sampler = BatchSampler(SequentialSampler(32), 4)
    expected = _as_lists(DataLoader(Squares(50), batch_sampler=sampler))
    for _ in range(2):  # two epochs on the same workers
        # Batch 8 holds sample 33, which raises: stop before asking for it (it is already being prefetched).
        got = [[b.asnumpy().tolist() for b in batch] for _, batch in zip(range(8), workers2)]
        assert got == expected


def test_worker_exception_is_reraised_with_its_traceback(workers2) -> None:
    with pytest.raises(ValueError, match="sample 33 is broken") as info:
        list(workers2)
    cause = str(info.value.__cause__)
    assert "DataLoader worker 0 (pid" in cause and "in __getitem__" in cause
    first = next(iter(workers2))  # the workers survive a dataset error
    assert first[1].asnumpy().tolist() == [0, 1, 4, 9]


def test_workers_random_order_and_custom_batchify() -> None:
    np.random.seed(2)
    ds = _images(40).transform_first(transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)]))
    with DataLoader(ds, batch_size=8, shuffle=True, num_workers=2) as loader:
        labels = np.concatenate([y.asnumpy() for _, y in loader])
        assert sorted(labels.tolist()) == list(range(40))
    with DataLoader(Squares(6), batch_size=3, num_workers=1, batchify_fn=stack_plus_one) as loader:
        (d1, l1, t1), (d2, _, _) = list(loader)
        it = iter(loader)
    with pytest.raises(RuntimeError, match="worker processes were stopped"):
        next(it)
    assert isinstance(d1, mx.nd.NDArray) and d2.asnumpy()[:, 0].tolist() == [4, 5, 6]
    assert isinstance(l1, np.ndarray) and l1.tolist() == [0, 1, 4] and t1 == "tag"


def test_lambdas_need_cloudpickle() -> None:
    ds = SimpleDataset(list(range(6))).transform(lambda x: x * 10)
    try:
        import cloudpickle  # noqa: F401
    except ImportError:
        with pytest.raises(TypeError, match="cannot be pickled .* install cloudpickle"):
            iter(DataLoader(ds, batch_size=3, num_workers=1))
        return
    with DataLoader(ds, batch_size=3, num_workers=1, multiprocessing_context="forkserver") as loader:
        assert [b.asnumpy().tolist() for b in loader] == [[0, 10, 20], [30, 40, 50]]


@pytest.mark.parametrize(
    "kwargs, message",
    [({"exit_code": 3}, "exited with code 3 unexpectedly"), ({"kill": True}, "was killed by signal 9")],
    ids=["exit", "sigkill"],
)
def test_dead_worker_raises_naming_it(kwargs, message) -> None:
    loader = DataLoader(Squares(8, fail_at=5, **kwargs), batch_size=2, num_workers=1)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker 0 \(pid \d+\) " + message):
        list(loader)
    assert time.monotonic() - start < 20
    # The broken pool is replaced on the next iteration.
    assert next(iter(loader))[1].asnumpy().tolist() == [0, 1]
    loader.close()


def test_worker_killed_between_batches_is_named_not_a_broken_pipe() -> None:
    # With prefetch=0 the next batch is only sent after the previous one arrived; a worker that died in
    # between makes that send fail with EPIPE, which must read as the worker's death.
    loader = DataLoader(Squares(8), batch_size=2, num_workers=1, prefetch=0)
    it = iter(loader)
    assert next(it)[1].asnumpy().tolist() == [0, 1]
    worker = loader._pool._workers[0]
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(timeout=10)
    with pytest.raises(RuntimeError, match=r"DataLoader worker 0 \(pid \d+\) was killed by signal 9"):
        for _ in range(3):
            next(it)
    loader.close()


def test_worker_timeout() -> None:
    loader = DataLoader(Squares(8, fail_at=2, hang=60), batch_size=2, num_workers=1, timeout=0.5)
    it = iter(loader)
    assert next(it)[1].asnumpy().tolist() == [0, 1]
    start = time.monotonic()
    with pytest.raises(TimeoutError, match=r"no batch from DataLoader worker 0 \(pid \d+\) within timeout=0.5 s"):
        next(it)
    assert time.monotonic() - start < 5
    loader.close()


def test_worker_start_failure_is_reported() -> None:
    with pytest.raises(RuntimeError, match="failed to start: this dataset refuses to load") as info:
        list(DataLoader(FailsToUnpickle(4), batch_size=2, num_workers=1))
    assert "__setstate__" in str(info.value.__cause__)


def test_unpicklable_dataset_is_a_clear_error() -> None:
    class Local(Dataset):
        def __len__(self) -> int:
            return 2

        def __getitem__(self, i):
            return i

    ds = Local()
    ds.lock = __import__("threading").Lock()  # a lock cannot be pickled by anyone
    with pytest.raises(TypeError, match="sends the dataset and batchify_fn to worker processes, but they cannot"):
        iter(DataLoader(ds, batch_size=2, num_workers=1))
    pickle.dumps(Squares(2))  # the module-level datasets used above do pickle
