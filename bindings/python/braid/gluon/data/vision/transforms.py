"""Image transforms (MXNet 1.x's ``gluon.data.vision.transforms``), computed with numpy.

Each transform takes an image (H, W, C) or a batch (N, H, W, C) (after :class:`ToTensor`: (C, H, W) or
(N, C, H, W)) as a numpy array, an NDArray (the result is then an NDArray) or anything ``numpy.asarray``
accepts, such as a Pillow image. Extra arguments pass through unchanged, so ``dataset.transform(ToTensor())``
works on (image, label) samples. A batch gives the same result as transforming its images one by one (random
transforms draw independently per image), which lets the DataLoader transform whole batches of in-memory
datasets at once. Random transforms draw from numpy's global generator (``numpy.random.seed``); each DataLoader
worker seeds its own.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable, Sequence

import numpy as np

from ....ndarray import NDArray
from ....ndarray import array as _nd_array
from ._image import _check_image, fixed_crop, imresize, scale_down

__all__ = [
    "Transform",
    "Compose",
    "HybridCompose",
    "Cast",
    "ToTensor",
    "Normalize",
    "Resize",
    "CenterCrop",
    "RandomResizedCrop",
    "RandomFlipLeftRight",
    "RandomFlipTopBottom",
    "RandomBrightness",
    "RandomContrast",
    "RandomSaturation",
]

_GRAY = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R BT.601 luma, as MXNet's colour ops


class Transform:
    """Base class: subclasses implement ``forward(x)`` on a numpy image or batch and return a numpy array."""

    # forward(batch) equals stacking forward(image) for each image (in distribution for random transforms).
    _batchable = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def __call__(self, x: Any, *args: Any) -> Any:
        is_nd = isinstance(x, NDArray)
        out = self.forward(x.asnumpy() if is_nd else np.asarray(x))
        if is_nd:
            out = _nd_array(out, ctx=x.context)
        return (out,) + args if args else out

    def hybridize(self, *args: Any, **kwargs: Any) -> None:
        """Accepted for MXNet compatibility: transforms run in numpy, there is nothing to compile."""

    def __repr__(self) -> str:
        fields = ", ".join(f"{k.lstrip('_')}={v!r}" for k, v in vars(self).items() if not isinstance(v, np.ndarray))
        return f"{type(self).__name__}({fields})"


class Compose(Transform):
    """Applies transforms (any callables) in order. Batch-capable when all of them are braid transforms."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self._transforms = list(transforms)
        for i, t in enumerate(self._transforms):
            if not callable(t):
                raise TypeError(f"Compose: transform {i} is not callable: {t!r}")

    @property
    def _batchable(self) -> bool:  # type: ignore[override]
        return all(getattr(t, "_batchable", False) for t in self._transforms)

    def __call__(self, x: Any, *args: Any) -> Any:
        for t in self._transforms:
            x = t(x)
        return (x,) + args if args else x

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self(x)

    def __len__(self) -> int:
        return len(self._transforms)

    def __getitem__(self, i: int) -> Callable[[Any], Any]:
        return self._transforms[i]

    def __repr__(self) -> str:
        inner = "".join(f"\n  {t!r}" for t in self._transforms)
        return f"Compose({inner}\n)"


HybridCompose = Compose  # MXNet 2's name; nothing is hybridized here


class Cast(Transform):
    """Casts to ``dtype`` (default float32)."""

    def __init__(self, dtype: Any = "float32") -> None:
        self._dtype = np.dtype(dtype)

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.astype(self._dtype)


class ToTensor(Transform):
    """(H, W, C) in [0, 255] to float32 (C, H, W) in [0, 1]; batches (N, H, W, C) to (N, C, H, W).

    A 2-D (H, W) image (a grayscale Pillow image) is taken as one channel.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.ndim == 2:
            x = x[:, :, None]
        _check_image(x, "ToTensor")
        axes = (2, 0, 1) if x.ndim == 3 else (0, 3, 1, 2)
        out = np.ascontiguousarray(x.transpose(axes), dtype=np.float32)
        np.divide(out, np.float32(255.0), out=out)
        return out


def _per_channel(value: Any, name: str) -> np.ndarray:
    v = np.asarray(value, dtype=np.float32).reshape(-1)
    if v.size == 0:
        raise ValueError(f"Normalize: {name} must be a number or a non-empty sequence, got {value!r}")
    return v


class Normalize(Transform):
    """``(x - mean[c]) / std[c]`` per channel of a (C, H, W) tensor or (N, C, H, W) batch.

    ``mean`` and ``std`` are numbers (every channel) or sequences of one value per channel.
    """

    def __init__(self, mean: float | Sequence[float] = 0.0, std: float | Sequence[float] = 1.0) -> None:
        self._mean = mean
        self._std = std
        self._m = _per_channel(mean, "mean")
        self._s = _per_channel(std, "std")
        if np.any(self._s == 0):
            raise ValueError(f"Normalize: std must not contain zeros, got {std!r}")

    def _channel_param(self, v: np.ndarray, name: str, channels: int) -> np.ndarray:
        if v.size not in (1, channels):
            raise ValueError(
                f"Normalize: {name} has {v.size} values but the tensor has {channels} channels "
                "(expected 1 value or one per channel)"
            )
        return v.reshape(-1, 1, 1)

    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.ndim not in (3, 4):
            raise ValueError(f"Normalize: expected a tensor (C, H, W) or a batch (N, C, H, W), got shape {x.shape}")
        c = x.shape[-3]
        m = self._channel_param(self._m, "mean", c)
        s = self._channel_param(self._s, "std", c)
        dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
        out = np.subtract(x, m, dtype=dtype)
        np.divide(out, s, out=out)
        return out


def _size_wh(size: Any, name: str) -> tuple[int, int]:
    if isinstance(size, numbers.Integral):
        size = (int(size), int(size))
    try:
        w, h = (int(s) for s in size)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: size must be an int or a (width, height) pair, got {size!r}") from None
    if w <= 0 or h <= 0:
        raise ValueError(f"{name}: size must be positive, got {size!r}")
    return w, h


class Resize(Transform):
    """Resizes to ``size``: an int (a square, or with ``keep_ratio`` the shorter edge) or (width, height).

    ``interpolation``: 0 nearest, 1 bilinear (default), 2 area, 3 bicubic, 4 Lanczos.
    """

    def __init__(self, size: int | tuple[int, int], keep_ratio: bool = False, interpolation: int = 1) -> None:
        self._size = size
        self._keep = bool(keep_ratio)
        self._interpolation = int(interpolation)
        _size_wh(size, "Resize")

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_image(x, "Resize")
        if isinstance(self._size, numbers.Integral):
            h, w = x.shape[-3], x.shape[-2]
            if not self._keep:
                wsize = hsize = int(self._size)
            elif h > w:
                wsize, hsize = int(self._size), int(h * self._size / w)
            else:
                wsize, hsize = int(w * self._size / h), int(self._size)
        else:
            wsize, hsize = _size_wh(self._size, "Resize")
        return imresize(x, wsize, hsize, self._interpolation)


def _center_crop(x: np.ndarray, size: tuple[int, int], interp: int) -> np.ndarray:
    h, w = x.shape[-3], x.shape[-2]
    new_w, new_h = scale_down((w, h), size)
    x0, y0 = int((w - new_w) / 2), int((h - new_h) / 2)
    return fixed_crop(x, x0, y0, new_w, new_h, size, interp)


class CenterCrop(Transform):
    """Crops the centre to ``size`` (int or (width, height)); a smaller image is cropped to the target's aspect
    ratio and scaled up."""

    def __init__(self, size: int | tuple[int, int], interpolation: int = 1) -> None:
        self._size = _size_wh(size, "CenterCrop")
        self._interpolation = int(interpolation)

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_image(x, "CenterCrop")
        return _center_crop(x, self._size, self._interpolation)


class RandomResizedCrop(Transform):
    """A crop of random area (fraction ``scale`` of the image) and aspect ratio (``ratio``, w/h, drawn
    log-uniformly), resized to ``size``; after 10 failed draws, a centre crop."""

    def __init__(
        self,
        size: int | tuple[int, int],
        scale: tuple[float, float] = (0.08, 1.0),
        ratio: tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0),
        interpolation: int = 1,
    ) -> None:
        self._size = _size_wh(size, "RandomResizedCrop")
        if isinstance(scale, numbers.Number):
            scale = (float(scale), 1.0)
        if not 0 < scale[0] <= scale[1] <= 1:
            raise ValueError(f"RandomResizedCrop: scale must satisfy 0 < min <= max <= 1, got {scale!r}")
        if not 0 < ratio[0] <= ratio[1]:
            raise ValueError(f"RandomResizedCrop: ratio must satisfy 0 < min <= max, got {ratio!r}")
        self._scale = tuple(scale)
        self._ratio = tuple(ratio)
        self._interpolation = int(interpolation)

    def _one(self, x: np.ndarray) -> np.ndarray:
        h, w = x.shape[0], x.shape[1]
        log_ratio = (np.log(self._ratio[0]), np.log(self._ratio[1]))
        for _ in range(10):
            target_area = np.random.uniform(*self._scale) * h * w
            aspect = np.exp(np.random.uniform(*log_ratio))
            new_w = int(round(np.sqrt(target_area * aspect)))
            new_h = int(round(np.sqrt(target_area / aspect)))
            if 0 < new_w <= w and 0 < new_h <= h:
                x0 = np.random.randint(0, w - new_w + 1)
                y0 = np.random.randint(0, h - new_h + 1)
                return fixed_crop(x, x0, y0, new_w, new_h, self._size, self._interpolation)
        return _center_crop(x, self._size, self._interpolation)

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_image(x, "RandomResizedCrop")
        if x.ndim == 3:
            return self._one(x)
        return np.stack([self._one(img) for img in x]) if len(x) else x[:, :0, :0].copy()


def _draw(x: np.ndarray) -> Any:
    """One uniform draw for an image, or one per image of a batch (shaped to broadcast)."""
    return np.random.uniform(size=None if x.ndim == 3 else (x.shape[0], 1, 1, 1))


class _RandomFlip(Transform):
    _axis = 0

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_image(x, type(self).__name__)
        axis = self._axis + x.ndim - 3
        if x.ndim == 3:
            return np.flip(x, axis).copy() if np.random.uniform() < 0.5 else x.copy()
        flip = np.random.uniform(size=x.shape[0]) < 0.5
        out = x.copy()
        out[flip] = np.flip(x[flip], axis)
        return out


class RandomFlipLeftRight(_RandomFlip):
    """Mirrors an (H, W, C) image horizontally with probability 1/2."""

    _axis = 1


class RandomFlipTopBottom(_RandomFlip):
    """Flips an (H, W, C) image vertically with probability 1/2."""

    _axis = 0


def _blend(x: np.ndarray, alpha: np.ndarray, other: np.ndarray | None = None) -> np.ndarray:
    """``x * alpha + other * (1 - alpha)`` in float32, back in x's dtype (integers rounded and saturated)."""
    out = x.astype(np.float32) * alpha
    if other is not None:
        out += other * (1 - alpha)
    if np.issubdtype(x.dtype, np.integer):
        info = np.iinfo(x.dtype)
        return np.clip(np.rint(out), info.min, info.max).astype(x.dtype)
    return out.astype(x.dtype, copy=False)


def _check_factor(value: float, name: str) -> float:
    if not isinstance(value, numbers.Number) or value < 0:
        raise ValueError(f"{name}: expected a non-negative number, got {value!r}")
    return float(value)


def _gray(x: np.ndarray) -> np.ndarray:
    """Per-pixel luma of HWC/NHWC images with 3 channels (one channel is its own gray), keepdims."""
    if x.shape[-1] == 3:
        return np.tensordot(x.astype(np.float32), _GRAY, axes=([-1], [0]))[..., None]
    if x.shape[-1] == 1:
        return x.astype(np.float32)
    raise ValueError(f"expected 1 or 3 channels in the last axis (H, W, C), got shape {x.shape}")


class RandomBrightness(Transform):
    """Multiplies by a factor drawn uniformly from [1 - brightness, 1 + brightness] (uint8 saturates)."""

    def __init__(self, brightness: float) -> None:
        self._brightness = _check_factor(brightness, "RandomBrightness")

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_image(x, "RandomBrightness")
        alpha = 1.0 + (2.0 * _draw(x) - 1.0) * self._brightness
        return _blend(x, np.asarray(alpha, dtype=np.float32))


class RandomContrast(Transform):
    """Blends with the image's mean gray level by a factor drawn from [1 - contrast, 1 + contrast]."""

    def __init__(self, contrast: float) -> None:
        self._contrast = _check_factor(contrast, "RandomContrast")

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_image(x, "RandomContrast")
        alpha = 1.0 + (2.0 * _draw(x) - 1.0) * self._contrast
        mean = _gray(x).mean(axis=(-3, -2, -1), keepdims=True)
        return _blend(x, np.asarray(alpha, dtype=np.float32), mean)


class RandomSaturation(Transform):
    """Blends each pixel with its gray level by a factor drawn from [1 - saturation, 1 + saturation]."""

    def __init__(self, saturation: float) -> None:
        self._saturation = _check_factor(saturation, "RandomSaturation")

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_image(x, "RandomSaturation")
        alpha = 1.0 + (2.0 * _draw(x) - 1.0) * self._saturation
        return _blend(x, np.asarray(alpha, dtype=np.float32), _gray(x))
