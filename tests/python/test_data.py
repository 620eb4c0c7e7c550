"""braid.gluon.data datasets and samplers, and braid.io.NDArrayIter (MXNet 1.x semantics)."""

from __future__ import annotations

import numpy as np
import pytest

import braid as mx
from braid.gluon.data import (
    ArrayDataset,
    BatchSampler,
    Dataset,
    FilterSampler,
    IntervalSampler,
    RandomSampler,
    SequentialSampler,
    SimpleDataset,
)
from braid.gluon.data.vision import transforms

# ---- samplers ----------------------------------------------------------------------------------------------


def test_sequential_and_random_samplers() -> None:
    assert list(SequentialSampler(5)) == [0, 1, 2, 3, 4]
    assert list(SequentialSampler(3, start=4)) == [4, 5, 6]
    np.random.seed(3)
    a = list(RandomSampler(50))
    np.random.seed(3)
    assert list(RandomSampler(50)) == a  # numpy's global seed makes the order reproducible
    assert sorted(a) == list(range(50)) and a != list(range(50))
    assert len(RandomSampler(7)) == 7
    with pytest.raises(ValueError, match="length must be a non-negative integer"):
        RandomSampler(-1)


def test_filter_and_interval_samplers() -> None:
    assert list(FilterSampler(lambda x: x % 3 == 0, list(range(10)))) == [0, 3, 6, 9]
    assert list(IntervalSampler(7, 3)) == [0, 3, 6, 1, 4, 2, 5]
    assert list(IntervalSampler(7, 3, rollover=False)) == [0, 3, 6]
    assert len(IntervalSampler(7, 3, rollover=False)) == 3


class _ListSampler:
    """A user sampler without braid's fast index-array path."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self) -> int:
        return self.n


@pytest.mark.parametrize("make", [SequentialSampler, _ListSampler], ids=["numpy-path", "python-path"])
def test_batch_sampler_last_batch(make) -> None:
    keep = BatchSampler(make(10), 3, "keep")
    assert list(keep) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]] and len(keep) == 4
    discard = BatchSampler(make(10), 3, "discard")
    assert list(discard) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]] and len(discard) == 3
    roll = BatchSampler(make(10), 4, "rollover")
    assert len(roll) == 2
    assert list(roll) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(roll) == 3  # the two left-over indices join the next epoch
    assert list(roll) == [[8, 9, 0, 1], [2, 3, 4, 5], [6, 7, 8, 9]]
    assert list(roll) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    with pytest.raises(ValueError, match="last_batch must be one of"):
        BatchSampler(make(3), 2, "pad")
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        BatchSampler(make(3), 0)


def test_batch_sampler_rollover_with_short_epoch() -> None:
    roll = BatchSampler(SequentialSampler(3), 5, "rollover")
    assert list(roll) == []
    assert list(roll) == [[0, 1, 2, 0, 1]]
    assert list(roll) == []  # 1 carried + 3 new: still short of a batch, all carried again
    assert list(roll) == [[2, 0, 1, 2, 0]]


# ---- datasets ----------------------------------------------------------------------------------------------


def test_array_dataset_items_and_batches(rng) -> None:
    x = rng.standard_normal((10, 3)).astype(np.float32)
    y = np.arange(10)
    ds = ArrayDataset(x, y)
    assert len(ds) == 10
    xi, yi = ds[4]
    np.testing.assert_array_equal(xi, x[4])
    assert yi == 4
    idx = np.array([3, 0, 7])
    bx, by = ds._get_batch(idx)
    np.testing.assert_array_equal(bx, x[idx])
    np.testing.assert_array_equal(by, y[idx])
    single = ArrayDataset(x)
    np.testing.assert_array_equal(single[2], x[2])
    np.testing.assert_array_equal(single._get_batch(idx), x[idx])


def test_array_dataset_accepts_ndarrays_and_lists() -> None:
    ds = ArrayDataset(mx.nd.array([[1.0, 2.0], [3.0, 4.0]]), ["a", "b"])
    data, label = ds[1]
    assert isinstance(data, np.ndarray) and data.tolist() == [3.0, 4.0]
    assert label == "b"
    assert ds._get_batch(np.array([0])) is None  # a list element: no batch slicing


def test_array_dataset_length_mismatch() -> None:
    with pytest.raises(ValueError, match="array 0 has length 3 while array 1 has 2"):
        ArrayDataset(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="at least one array"):
        ArrayDataset()


def test_simple_dataset() -> None:
    ds = SimpleDataset([10, 20, 30])
    assert len(ds) == 3 and ds[1] == 20
    with pytest.raises(TypeError, match="must support len"):
        SimpleDataset(5)


def _double(x):
    return x * 2


def _add_label(x, y):
    return x + y, y


def test_transform_and_transform_first() -> None:
    ds = ArrayDataset(np.arange(4.0), np.array([10, 20, 30, 40]))
    both = ds.transform(_add_label)
    assert both[1] == (21.0, 20)
    first = ds.transform_first(_double)
    assert first[2] == (4.0, 30)
    eager = ds.transform_first(_double, lazy=False)
    assert isinstance(eager, SimpleDataset) and eager[3] == (6.0, 40)
    single = SimpleDataset([1, 2, 3]).transform(_double)
    assert single[2] == 6
    with pytest.raises(TypeError, match="fn must be callable"):
        ds.transform(3)


def test_lazy_transform_is_recomputed() -> None:
    calls = []

    def count(x):
        calls.append(x)
        return x

    ds = SimpleDataset([1, 2]).transform(count)
    ds[0], ds[0]
    assert calls == [1, 1]


def test_batch_path_only_for_batch_capable_transforms(rng) -> None:
    imgs = rng.integers(0, 256, size=(6, 4, 5, 1), dtype=np.uint8)
    ds = ArrayDataset(imgs, np.arange(6))
    idx = np.array([5, 1, 2])
    fast = ds.transform_first(transforms.Compose([transforms.ToTensor(), transforms.Normalize(0.5, 0.25)]))
    data, label = fast._get_batch(idx)
    expected = np.stack([fast[i][0] for i in idx])
    np.testing.assert_array_equal(data, expected)
    assert data.shape == (3, 1, 4, 5) and data.dtype == np.float32
    np.testing.assert_array_equal(label, idx)
    assert ds.transform_first(_double)._get_batch(idx) is None
    mixed = transforms.Compose([transforms.ToTensor(), _double])
    assert ds.transform_first(mixed)._get_batch(idx) is None


def test_filter_shard_take_sample() -> None:
    ds = SimpleDataset(list(range(10)))
    assert list(ds.filter(lambda x: x % 2)) == [1, 3, 5, 7, 9]
    shards = [list(ds.shard(3, i)) for i in range(3)]
    assert shards == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert list(ds.take(3)) == [0, 1, 2] and len(ds.take(None)) == 10 and len(ds.take(99)) == 10
    assert list(ds.sample(SequentialSampler(3, start=5))) == [5, 6, 7]
    with pytest.raises(ValueError, match="index must be in"):
        ds.shard(2, 2)
    arr = ArrayDataset(np.arange(10) * 10)
    np.testing.assert_array_equal(arr.take(4)._get_batch(np.array([3, 1])), [30, 10])


def test_abstract_dataset_names_the_missing_method() -> None:
    class Incomplete(Dataset):
        pass

    with pytest.raises(NotImplementedError, match="Incomplete must implement __len__"):
        len(Incomplete())


# ---- NDArrayIter -------------------------------------------------------------------------------------------


def _epoch(it) -> list:
    return [(b.data[0].asnumpy()[:, 0].tolist(), b.label[0].asnumpy().tolist() if b.label else None, b.pad) for b in it]


def test_ndarrayiter_pad() -> None:
    x = np.arange(10, dtype=np.float32).reshape(10, 1)
    it = mx.io.NDArrayIter(x, np.arange(10), batch_size=4)
    assert it.provide_data[0].name == "data" and it.provide_data[0].shape == (4, 1)
    assert it.provide_label[0].name == "softmax_label" and it.provide_label[0].shape == (4,)
    name, shape = it.provide_data[0]  # DataDesc unpacks as (name, shape), as in MXNet
    assert (name, shape) == ("data", (4, 1))
    got = _epoch(it)
    assert got[0] == ([0, 1, 2, 3], [0, 1, 2, 3], 0)
    assert got[2] == ([8, 9, 0, 1], [8, 9, 0, 1], 2)
    assert len(got) == 3
    it.reset()
    assert len(_epoch(it)) == 3


def test_ndarrayiter_discard_and_roll_over() -> None:
    x = np.arange(10, dtype=np.float32).reshape(10, 1)
    it = mx.io.NDArrayIter(x, batch_size=4, last_batch_handle="discard")
    assert [b[0] for b in _epoch(it)] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    roll = mx.io.NDArrayIter(x, batch_size=4, last_batch_handle="roll_over")
    assert [b[0] for b in _epoch(roll)] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    roll.reset()
    second = _epoch(roll)
    assert second[0] == ([8, 9, 0, 1], None, 2)  # MXNet reports the carried samples as pad
    assert [b[0] for b in second[1:]] == [[2, 3, 4, 5], [6, 7, 8, 9]]
    roll.hard_reset()
    assert [b[0] for b in _epoch(roll)] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_ndarrayiter_shuffle_dict_and_list_inputs() -> None:
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    it = mx.io.NDArrayIter({"b": x, "a": x[:, :1]}, {"lbl": np.arange(6)}, batch_size=3, shuffle=True)
    assert [d.name for d in it.provide_data] == ["a", "b"]  # sorted by name, as MXNet
    seen = []
    for batch in it:
        a, b = (d.asnumpy() for d in batch.data)
        np.testing.assert_array_equal(a[:, 0], b[:, 0])  # rows stay aligned across inputs
        np.testing.assert_array_equal(batch.label[0].asnumpy() * 2, b[:, 0])
        seen += batch.label[0].asnumpy().tolist()
    assert sorted(seen) == list(range(6))
    lst = mx.io.NDArrayIter([x, x * 2], batch_size=2)
    assert [d.name for d in lst.provide_data] == ["_0_data", "_1_data"]
    batch = next(lst)
    assert "data shapes: [(2, 2), (2, 2)]" in str(batch)


def test_ndarrayiter_errors() -> None:
    with pytest.raises(ValueError, match="last_batch_handle must be one of"):
        mx.io.NDArrayIter(np.zeros((4, 1)), last_batch_handle="keep")
    with pytest.raises(ValueError, match="'softmax_label' has shape"):
        mx.io.NDArrayIter(np.zeros((4, 1)), np.zeros(3))
    with pytest.raises(TypeError, match="data must be an NDArray"):
        mx.io.NDArrayIter("abc")


def test_dataiter_base_protocol() -> None:
    class Count(mx.io.DataIter):
        def __init__(self) -> None:
            super().__init__(batch_size=2)
            self.i = 0

        def iter_next(self) -> bool:
            self.i += 1
            return self.i <= 2

        def getdata(self):
            return [mx.nd.ones((2, 1)) * self.i]

        def getlabel(self):
            return None

        def getpad(self) -> int:
            return 0

    batches = list(Count())
    assert [b.data[0].asnumpy()[0, 0] for b in batches] == [1.0, 2.0]
    desc = mx.io.DataDesc("x", (2, 3), np.float32, "NC")
    assert desc.layout == "NC" and mx.io.DataDesc.get_batch_axis("CN") == 1
    assert repr(desc) == "DataDesc[x,(2, 3),float32,NC]"
