"""Vision datasets: MNIST and Fashion-MNIST from local IDX files, image folders, and RecordIO image files.

Nothing is downloaded. Fashion-MNIST is read by default from Debian's ``dataset-fashion-mnist`` package
(``apt-get install dataset-fashion-mnist``), which installs the original IDX files in
``/usr/share/datasets/fashion-mnist``.
"""

from __future__ import annotations

import gzip
import os
import warnings
from typing import Any, Callable

import numpy as np

from ..dataset import Dataset, RecordFileDataset
from ._image import imdecode, imread

__all__ = ["MNIST", "FashionMNIST", "ImageFolderDataset", "ImageRecordDataset", "read_idx"]

FASHION_MNIST_ROOT = "/usr/share/datasets/fashion-mnist"
FASHION_MNIST_PACKAGE = "dataset-fashion-mnist"

_IDX_DTYPES = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _data_home() -> str:
    return os.environ.get("BRAID_HOME", os.path.join(os.path.expanduser("~"), ".braid"))


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Reads an IDX file (MNIST's format; gzip-compressed when the name ends in .gz) into a numpy array."""
    path = os.fspath(path)
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise OSError(f"read_idx: cannot read IDX file '{path}': {e}") from e
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise ValueError(f"read_idx: '{path}' is not an IDX file (bad magic number {data[:4].hex() or 'none'})")
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"read_idx: '{path}' is truncated: its header needs {header} bytes, the file has {len(data)}")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    count = int(np.prod(shape, dtype=np.int64))
    if len(data) - header != count * dtype.itemsize:
        raise ValueError(
            f"read_idx: '{path}' holds {len(data) - header} data bytes but its header declares shape {shape} "
            f"of {dtype} ({count * dtype.itemsize} bytes); the file is truncated or corrupt"
        )
    out = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return out.astype(dtype.newbyteorder("="))


def _find_file(root: str, name: str) -> str | None:
    for candidate in (name + ".gz", name):
        p = os.path.join(root, candidate)
        if os.path.isfile(p):
            return p
    return None


class _IDXImages(Dataset):
    """Images (N, H, W, 1) uint8 and int32 labels from a pair of IDX files."""

    _name = "MNIST"
    _files = {
        True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    }

    def __init__(
        self, root: str | os.PathLike[str] | None, train: bool, transform: Callable[[Any, Any], Any] | None
    ) -> None:
        self._root = os.path.expanduser(os.fspath(root if root is not None else self._default_root()))
        self._train = bool(train)
        self._transform = transform
        names = self._files[self._train]
        paths = [_find_file(self._root, n) for n in names]
        if None in paths:
            missing = [n for n, p in zip(names, paths) if p is None]
            raise FileNotFoundError(self._missing_message(missing))
        images = read_idx(paths[0])
        labels = read_idx(paths[1])
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(
                f"{self._name}: '{paths[0]}' and '{paths[1]}' do not form an image set: images {images.shape}, "
                f"labels {labels.shape} (expected (N, H, W) and (N,))"
            )
        self._data = np.ascontiguousarray(images[:, :, :, None], dtype=np.uint8)
        self._label = labels.astype(np.int32)

    @classmethod
    def _default_root(cls) -> str:
        return os.path.join(_data_home(), "datasets", "mnist")

    def _missing_message(self, missing: list[str]) -> str:
        return (
            f"{self._name}: no {' or '.join(missing)} (.gz or uncompressed) in '{self._root}'. braid does not "
            "download datasets: put the MNIST IDX files there or pass root=. (Fashion-MNIST ships in Debian: "
            f"apt-get install {FASHION_MNIST_PACKAGE}.)"
        )

    def __len__(self) -> int:
        return len(self._label)

    def __getitem__(self, idx: int) -> Any:
        if self._transform is not None:
            return self._transform(self._data[idx], self._label[idx])
        return self._data[idx], self._label[idx]

    def _get_batch(self, indices: np.ndarray) -> Any:
        if self._transform is not None:
            return None
        return [self._data[indices], self._label[indices]]


class MNIST(_IDXImages):
    """MNIST handwritten digits from local IDX files: samples ``(image (28, 28, 1) uint8, label int32)``.

    ``root`` holds ``{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (optionally ``.gz``); the default is
    ``$BRAID_HOME/datasets/mnist`` (``~/.braid/datasets/mnist``). ``transform(data, label)`` is applied to each
    sample (MXNet's signature); prefer ``dataset.transform_first(...)``, which keeps batch-wide loading.
    """

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        train: bool = True,
        transform: Callable[[Any, Any], Any] | None = None,
    ) -> None:
        super().__init__(root, train, transform)


class FashionMNIST(_IDXImages):
    """Zalando's Fashion-MNIST (28x28 grayscale clothing, 10 classes), from local IDX files.

    The default ``root`` is where Debian's ``dataset-fashion-mnist`` package installs them
    (``/usr/share/datasets/fashion-mnist``). Samples and ``transform`` as :class:`MNIST`.
    """

    _name = "FashionMNIST"

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        train: bool = True,
        transform: Callable[[Any, Any], Any] | None = None,
    ) -> None:
        super().__init__(root, train, transform)

    @classmethod
    def _default_root(cls) -> str:
        return FASHION_MNIST_ROOT

    def _missing_message(self, missing: list[str]) -> str:
        hint = (
            f"install Debian's package with `apt-get install {FASHION_MNIST_PACKAGE}` (it puts the files in "
            f"{FASHION_MNIST_ROOT}) or pass root= a folder holding them"
        )
        return f"FashionMNIST: no {' or '.join(missing)} (.gz or uncompressed) in '{self._root}'; {hint}"


class ImageFolderDataset(Dataset):
    """Images in class-named folders: ``root/<class>/<image>.{jpg,jpeg,png}``.

    Classes are the sub-folder names in sorted order (``synsets``); ``items`` lists (path, label). Samples are
    ``(image HWC uint8, label int)``: ``flag=1`` gives RGB (H, W, 3), ``flag=0`` grayscale (H, W, 1).
    ``transform(data, label)`` is applied to each sample. A file that cannot be decoded raises BraidIOError
    naming it.
    """

    _exts = (".jpg", ".jpeg", ".png")

    def __init__(
        self, root: str | os.PathLike[str], flag: int = 1, transform: Callable[[Any, Any], Any] | None = None
    ) -> None:
        if flag not in (0, 1):
            raise ValueError(f"ImageFolderDataset: flag must be 0 (grayscale) or 1 (colour), got {flag!r}")
        self._root = os.path.expanduser(os.fspath(root))
        if not os.path.isdir(self._root):
            raise FileNotFoundError(f"ImageFolderDataset: root '{self._root}' is not a directory")
        self._flag = flag
        self._transform = transform
        self.synsets: list[str] = []
        self.items: list[tuple[str, int]] = []
        self._list_images()

    def _list_images(self) -> None:
        for folder in sorted(os.listdir(self._root)):
            path = os.path.join(self._root, folder)
            if not os.path.isdir(path):
                warnings.warn(f"ImageFolderDataset: ignoring {path}, which is not a directory", stacklevel=3)
                continue
            label = len(self.synsets)
            self.synsets.append(folder)
            for filename in sorted(os.listdir(path)):
                file = os.path.join(path, filename)
                ext = os.path.splitext(filename)[1]
                if ext.lower() not in self._exts:
                    warnings.warn(
                        f"ImageFolderDataset: ignoring {file} of type {ext or '(none)'}; only "
                        f"{', '.join(self._exts)} are read",
                        stacklevel=3,
                    )
                    continue
                self.items.append((file, label))

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, idx: int) -> Any:
        path, label = self.items[idx]
        img = imread(path, self._flag)
        if self._transform is not None:
            return self._transform(img, label)
        return img, label


class ImageRecordDataset(RecordFileDataset):
    """Images packed in a RecordIO file (``python -m braid.tools.im2rec``), with its ``.idx`` index.

    Samples are ``(image HWC uint8 RGB or grayscale per flag, label)``: the label is a float, or a float32
    array for multi-label records.
    """

    def __init__(
        self, filename: str | os.PathLike[str], flag: int = 1, transform: Callable[[Any, Any], Any] | None = None
    ) -> None:
        if flag not in (0, 1):
            raise ValueError(f"ImageRecordDataset: flag must be 0 (grayscale) or 1 (colour), got {flag!r}")
        super().__init__(filename)
        self._flag = flag
        self._transform = transform

    def __getitem__(self, idx: int) -> Any:
        from ....recordio import unpack

        record = super().__getitem__(idx)
        header, img = unpack(record)
        data = imdecode(img, self._flag, source=f"record {idx} of '{self.filename}'")
        label = header.label
        if self._transform is not None:
            return self._transform(data, label)
        return data, label
