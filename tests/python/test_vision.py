"""braid.gluon.data.vision: transforms (image by image and whole batches), MNIST / Fashion-MNIST IDX readers and
ImageFolderDataset, on small files written here."""

from __future__ import annotations

import gzip
import os
import struct

import numpy as np
import pytest

import braid as mx
from braid.base import BraidIOError
from braid.gluon.data.vision import MNIST, FashionMNIST, ImageFolderDataset, transforms
from braid.gluon.data.vision.datasets import FASHION_MNIST_ROOT, read_idx

PIL = pytest.importorskip("PIL.Image", reason="Pillow decodes the image files of these tests")

# ---- transforms --------------------------------------------------------------------------------------------


def test_to_tensor_image_and_batch(rng) -> None:
    img = rng.integers(0, 256, size=(4, 5, 3), dtype=np.uint8)
    out = transforms.ToTensor()(img)
    assert out.shape == (3, 4, 5) and out.dtype == np.float32
    np.testing.assert_array_equal(out, img.transpose(2, 0, 1).astype(np.float32) / 255)
    batch = np.stack([img, img[::-1]])
    np.testing.assert_array_equal(transforms.ToTensor()(batch)[1], transforms.ToTensor()(img[::-1]))
    assert transforms.ToTensor()(img[:, :, 0]).shape == (1, 4, 5)  # a 2-D gray image is one channel
    with pytest.raises(ValueError, match=r"ToTensor: expected an image \(H, W, C\)"):
        transforms.ToTensor()(np.zeros((1, 2, 3, 4, 5), np.uint8))


def test_normalize_per_channel_and_scalar(rng) -> None:
    x = rng.random((2, 3, 4, 4), dtype=np.float32)
    mean, std = (0.1, 0.2, 0.3), (0.5, 1.0, 2.0)
    out = transforms.Normalize(mean, std)(x)
    expected = (x - np.array(mean, np.float32)[:, None, None]) / np.array(std, np.float32)[:, None, None]
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    np.testing.assert_allclose(transforms.Normalize(0.5, 2.0)(x[0]), (x[0] - 0.5) / 2.0, rtol=1e-6)
    assert out.dtype == np.float32
    with pytest.raises(ValueError, match="mean has 3 values but the tensor has 1 channels"):
        transforms.Normalize(mean, std)(x[:, :1])
    with pytest.raises(ValueError, match="std must not contain zeros"):
        transforms.Normalize(0.0, (1.0, 0.0))


def test_transforms_on_ndarrays_pass_extra_arguments(rng) -> None:
    img = mx.nd.array(rng.integers(0, 256, size=(6, 6, 1)).astype(np.uint8))
    t = transforms.Compose([transforms.ToTensor(), transforms.Normalize(0.5, 0.5)])
    out, label = t(img, 7)
    assert isinstance(out, mx.nd.NDArray) and out.shape == (1, 6, 6) and label == 7
    np.testing.assert_allclose(out.asnumpy(), (img.asnumpy().transpose(2, 0, 1) / 255 - 0.5) / 0.5, atol=1e-6)
    assert transforms.HybridCompose is transforms.Compose
    assert t._batchable and not transforms.Compose([transforms.ToTensor(), np.flipud])._batchable
    t.hybridize()  # accepted for MXNet compatibility


def test_cast() -> None:
    out = transforms.Cast("float16")(np.ones((2, 2, 1), np.uint8))
    assert out.dtype == np.float16 and transforms.Cast()(np.ones(3, np.int64)).dtype == np.float32


def _torch_bilinear(img: np.ndarray, w: int, h: int) -> np.ndarray:
    torch = pytest.importorskip("torch")
    t = torch.from_numpy(img.astype(np.float32).transpose(2, 0, 1)[None])
    out = torch.nn.functional.interpolate(t, size=(h, w), mode="bilinear", align_corners=False)
    return out[0].numpy().transpose(1, 2, 0)


def test_resize_matches_reference_bilinear(rng) -> None:
    img = rng.random((7, 9, 3), dtype=np.float32)
    for w, h in ((4, 3), (13, 11), (9, 5)):  # down, up, one axis
        out = transforms.Resize((w, h))(img)
        assert out.shape == (h, w, 3)
        np.testing.assert_allclose(out, _torch_bilinear(img, w, h), atol=1e-5)
    u8 = (img * 255).astype(np.uint8)
    out8 = transforms.Resize((13, 11))(u8)
    assert out8.dtype == np.uint8
    assert np.abs(out8.astype(int) - np.rint(_torch_bilinear(u8, 13, 11))).max() <= 1


def test_resize_sizes_interpolations_and_batches(rng) -> None:
    img = rng.integers(0, 256, size=(20, 10, 3), dtype=np.uint8)
    assert transforms.Resize(8)(img).shape == (8, 8, 3)
    assert transforms.Resize(8, keep_ratio=True)(img).shape == (16, 8, 3)  # shorter edge to 8
    assert transforms.Resize(5, keep_ratio=True)(img.transpose(1, 0, 2)).shape == (5, 10, 3)
    nearest = transforms.Resize((5, 10), interpolation=0)(img)
    np.testing.assert_array_equal(nearest, img[::2, ::2])
    for interp in (2, 3, 4):
        out = transforms.Resize((6, 7), interpolation=interp)(img)
        assert out.shape == (7, 6, 3) and out.dtype == np.uint8
    batch = np.stack([img, img // 2])
    out = transforms.Resize((6, 7))(batch)
    np.testing.assert_array_equal(out[1], transforms.Resize((6, 7))(img // 2))
    with pytest.raises(ValueError, match="size must be an int or a"):
        transforms.Resize("big")
    with pytest.raises(ValueError, match="interpolation must be one of"):
        transforms.Resize(4, interpolation=9)(img)


def test_center_crop(rng) -> None:
    img = rng.integers(0, 256, size=(10, 12, 3), dtype=np.uint8)
    out = transforms.CenterCrop((4, 6))(img)
    np.testing.assert_array_equal(out, img[2:8, 4:8])
    batch = np.stack([img, img[::-1]])
    np.testing.assert_array_equal(transforms.CenterCrop(4)(batch)[1], transforms.CenterCrop(4)(img[::-1]))
    up = transforms.CenterCrop((20, 20))(img)  # larger than the image: crop the centre square, scale it up
    assert up.shape == (20, 20, 3)
    np.testing.assert_array_equal(up, transforms.Resize((20, 20))(img[:, 1:11]))


def test_random_resized_crop(rng) -> None:
    img = rng.integers(0, 256, size=(12, 16, 3), dtype=np.uint8)
    out = transforms.RandomResizedCrop(8)(img)
    assert out.shape == (8, 8, 3) and out.dtype == np.uint8
    whole = transforms.RandomResizedCrop((16, 12), scale=(1.0, 1.0), ratio=(16 / 12, 16 / 12))(img)
    np.testing.assert_array_equal(whole, img)  # the only crop allowed is the full image
    assert transforms.RandomResizedCrop(5)(np.stack([img] * 3)).shape == (3, 5, 5, 3)
    with pytest.raises(ValueError, match="scale must satisfy"):
        transforms.RandomResizedCrop(4, scale=(0.5, 2.0))


def test_random_flips_per_image(rng) -> None:
    np.random.seed(0)
    batch = rng.integers(0, 256, size=(32, 3, 4, 1), dtype=np.uint8)
    out = transforms.RandomFlipLeftRight()(batch)
    flipped = [np.array_equal(o, b[:, ::-1]) for o, b in zip(out, batch)]
    kept = [np.array_equal(o, b) for o, b in zip(out, batch)]
    assert all(f or k for f, k in zip(flipped, kept)) and any(flipped) and any(kept)
    one = transforms.RandomFlipTopBottom()(batch[0])
    assert np.array_equal(one, batch[0]) or np.array_equal(one, batch[0][::-1])


def test_random_brightness_contrast_saturation(rng) -> None:
    np.random.seed(1)
    img = rng.integers(1, 200, size=(8, 8, 3)).astype(np.float32)
    out = transforms.RandomBrightness(0.3)(img)
    factor = out / img
    assert np.allclose(factor, factor.flat[0], rtol=1e-5) and 0.7 <= factor.flat[0] <= 1.3
    assert np.array_equal(transforms.RandomContrast(0.0)(img), img)
    gray = img @ np.array([0.299, 0.587, 0.114], np.float32)
    c = transforms.RandomContrast(0.5)(img)
    np.testing.assert_allclose((c @ np.array([0.299, 0.587, 0.114])).mean(), gray.mean(), rtol=1e-4)
    s = transforms.RandomSaturation(0.5)(img)
    np.testing.assert_allclose(s @ np.array([0.299, 0.587, 0.114]), gray, rtol=1e-4, atol=1e-3)
    sat = transforms.RandomBrightness(5.0)(np.full((2, 2, 3), 250, np.uint8))  # uint8 saturates
    assert sat.dtype == np.uint8 and sat.max() <= 255
    batch = transforms.RandomBrightness(0.5)(np.stack([img] * 16))
    factors = (batch / img)[:, 0, 0, 0]
    assert len(np.unique(np.round(factors, 5))) > 1  # one draw per image
    with pytest.raises(ValueError, match="non-negative number"):
        transforms.RandomBrightness(-1)


# ---- IDX datasets ------------------------------------------------------------------------------------------


def _write_idx(path: str, arr: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, arr.ndim]) + b"".join(struct.pack(">I", d) for d in arr.shape)
    data = header + arr.astype(np.uint8).tobytes()
    if path.endswith(".gz"):
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)


def _fake_mnist(root, n_train: int = 12, n_test: int = 5, gz: bool = True) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    sfx = ".gz" if gz else ""
    out = None
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        _write_idx(os.path.join(root, f"{split}-images-idx3-ubyte{sfx}"), images)
        _write_idx(os.path.join(root, f"{split}-labels-idx1-ubyte{sfx}"), labels)
        out = out or (images, labels)
    return out


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
def test_mnist_reads_idx_files(tmp_path, gz: bool) -> None:
    images, labels = _fake_mnist(str(tmp_path), gz=gz)
    ds = MNIST(root=tmp_path)
    assert len(ds) == 12 and len(MNIST(root=tmp_path, train=False)) == 5
    img, label = ds[3]
    assert img.shape == (28, 28, 1) and img.dtype == np.uint8 and label.dtype == np.int32
    np.testing.assert_array_equal(img[:, :, 0], images[3])
    assert label == labels[3]
    data, lbl = ds._get_batch(np.array([1, 0]))
    np.testing.assert_array_equal(data[:, :, :, 0], images[[1, 0]])
    np.testing.assert_array_equal(lbl, labels[[1, 0]])
    tds = MNIST(root=tmp_path, transform=lambda d, y: (d.sum(), y + 100))
    assert tds[0] == (images[0].sum(), labels[0] + 100) and tds._get_batch(np.array([0])) is None


def test_fashion_mnist_missing_files_name_the_debian_package(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        FashionMNIST(root=tmp_path)
    with pytest.raises(FileNotFoundError, match="MNIST: no train-images-idx3-ubyte or train-labels"):
        MNIST(root=tmp_path)


@pytest.mark.skipif(
    not os.path.exists(os.path.join(FASHION_MNIST_ROOT, "t10k-labels-idx1-ubyte.gz")),
    reason="Debian's dataset-fashion-mnist is not installed (make data-deps)",
)
def test_fashion_mnist_default_root() -> None:
    test = FashionMNIST(train=False)
    assert len(test) == 10000
    counts = np.bincount(test._label, minlength=10)
    assert counts.tolist() == [1000] * 10
    assert test[0][0].shape == (28, 28, 1) and int(test[0][1]) == 9  # ankle boot, as upstream


def test_read_idx_rejects_bad_files(tmp_path) -> None:
    bad = tmp_path / "bad-idx"
    bad.write_bytes(b"\x01\x02\x03\x04rest")
    with pytest.raises(ValueError, match="is not an IDX file"):
        read_idx(bad)
    short = tmp_path / "short-idx"
    short.write_bytes(bytes([0, 0, 8, 1]) + struct.pack(">I", 10) + b"\x00" * 4)
    with pytest.raises(ValueError, match="truncated or corrupt"):
        read_idx(short)


# ---- image folders -----------------------------------------------------------------------------------------


def _make_folder(root) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(9)
    made = {}
    for cls, ext in (("cat", ".png"), ("dog", ".jpg")):
        os.makedirs(os.path.join(root, cls))
        for i in range(2):
            arr = rng.integers(0, 256, size=(6 + i, 5, 3), dtype=np.uint8)
            path = os.path.join(root, cls, f"{i}{ext}")
            PIL.fromarray(arr).save(path, quality=95)
            made[path] = arr
    return made


def test_image_folder_dataset_colour_and_gray(tmp_path) -> None:
    made = _make_folder(tmp_path)
    (tmp_path / "notes.txt").write_text("not a class")
    (tmp_path / "cat" / "readme.md").write_text("not an image")
    with pytest.warns(UserWarning) as record:
        ds = ImageFolderDataset(tmp_path)
    messages = " ".join(str(w.message) for w in record)
    assert "notes.txt, which is not a directory" in messages and "readme.md of type .md" in messages
    assert ds.synsets == ["cat", "dog"] and len(ds) == 4
    assert [label for _, label in ds.items] == [0, 0, 1, 1]
    img, label = ds[1]
    path = ds.items[1][0]
    assert img.shape == (7, 5, 3) and img.dtype == np.uint8 and label == 0
    np.testing.assert_array_equal(img, made[path])  # PNG is lossless
    jpg, _ = ds[2]
    with PIL.open(ds.items[2][0]) as im:
        np.testing.assert_array_equal(jpg, np.asarray(im.convert("RGB")))
    with pytest.warns(UserWarning):
        gray = ImageFolderDataset(tmp_path, flag=0)
    g, _ = gray[1]
    assert g.shape == (7, 5, 1)
    expected = np.asarray(PIL.fromarray(made[path]).convert("L"))
    np.testing.assert_array_equal(g[:, :, 0], expected)
    with pytest.warns(UserWarning):
        tds = ImageFolderDataset(tmp_path, transform=lambda d, y: (d.shape, y))
    assert tds[3] == ((7, 5, 3), 1)


def test_image_folder_unreadable_file_names_it(tmp_path) -> None:
    os.makedirs(tmp_path / "a")
    bad = tmp_path / "a" / "broken.jpg"
    bad.write_bytes(b"\xff\xd8 this is not a jpeg")
    ds = ImageFolderDataset(tmp_path)
    with pytest.raises(BraidIOError, match=r"cannot decode image file '.*broken\.jpg'"):
        ds[0]
    with pytest.raises(FileNotFoundError, match="is not a directory"):
        ImageFolderDataset(tmp_path / "missing")
    with pytest.raises(ValueError, match="flag must be 0"):
        ImageFolderDataset(tmp_path, flag=3)


def test_image_folder_through_the_loader(tmp_path) -> None:
    _make_folder(tmp_path)
    tf = transforms.Compose([transforms.Resize((4, 3)), transforms.ToTensor(), transforms.Normalize(0.5, 0.5)])
    loader = mx.gluon.data.DataLoader(ImageFolderDataset(tmp_path).transform_first(tf), batch_size=3)
    (x1, y1), (x2, y2) = list(loader)
    assert x1.shape == (3, 3, 3, 4) and x2.shape == (1, 3, 3, 4) and x1.dtype == np.float32
    assert y1.asnumpy().tolist() == [0, 0, 1] and y2.dtype == np.int64
    assert -1.0 <= x1.asnumpy().min() and x1.asnumpy().max() <= 1.0
