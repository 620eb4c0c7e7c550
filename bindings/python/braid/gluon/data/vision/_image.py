"""Image decoding, encoding and resizing on numpy arrays (HWC uint8, or NHWC batches).

Decoding and encoding use Pillow (JPEG, PNG and whatever else it reads). Nearest and bilinear resizing are
vectorised numpy code with OpenCV's pixel-centre convention, so they work on whole batches; area, bicubic and
Lanczos go through Pillow one image and channel at a time. Interpolation codes are OpenCV's, as in MXNet:
0 nearest, 1 bilinear, 2 area, 3 bicubic, 4 Lanczos.
"""

from __future__ import annotations

import io
import os
from typing import Any

import numpy as np

from ....base import BraidIOError


def _pil() -> Any:
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError(
            "braid.gluon.data.vision needs Pillow to decode and encode JPEG/PNG images: pip install pillow"
        ) from e
    return Image


def imdecode(buf: bytes, flag: int = 1, source: str = "image data") -> np.ndarray:
    """Decodes an encoded image into HWC uint8: ``flag=1`` RGB (H, W, 3), ``flag=0`` grayscale (H, W, 1).

    Raises BraidIOError naming ``source`` when the bytes are not a readable image.
    """
    if flag not in (0, 1):
        raise ValueError(f"imdecode: flag must be 0 (grayscale) or 1 (colour), got {flag!r}")
    Image = _pil()
    try:
        with Image.open(io.BytesIO(buf)) as im:
            im = im.convert("RGB" if flag else "L")
            arr = np.asarray(im, dtype=np.uint8)
    except Exception as e:  # noqa: BLE001 - Pillow raises many types for corrupt data
        raise BraidIOError(
            f"cannot decode {source} as an image ({type(e).__name__}: {e}); expected a JPEG or PNG file"
        ) from e
    return arr[:, :, None] if arr.ndim == 2 else arr


def imread(path: str | os.PathLike[str], flag: int = 1) -> np.ndarray:
    """Reads and decodes an image file (see :func:`imdecode`); errors name the file."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            buf = f.read()
    except OSError as e:
        raise BraidIOError(f"cannot read image file '{path}': {e}") from e
    return imdecode(buf, flag, source=f"image file '{path}'")


def imencode(img: np.ndarray, img_fmt: str = ".jpg", quality: int = 95) -> bytes:
    """Encodes an HWC (C = 1 or 3, RGB) or HW uint8 image as JPEG (``quality`` 1-100) or PNG (``quality`` is the
    compression level, clipped to 0-9, as OpenCV's IMWRITE_PNG_COMPRESSION)."""
    Image = _pil()
    arr = np.asarray(img)
    if arr.dtype != np.uint8:
        raise TypeError(f"imencode: expected a uint8 image, got dtype {arr.dtype}")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)):
        raise ValueError(f"imencode: expected an (H, W), (H, W, 1) or (H, W, 3) image, got shape {arr.shape}")
    fmt = img_fmt.lower().lstrip(".")
    out = io.BytesIO()
    im = Image.fromarray(np.ascontiguousarray(arr))
    if fmt in ("jpg", "jpeg"):
        im.save(out, format="JPEG", quality=int(quality))
    elif fmt == "png":
        im.save(out, format="PNG", compress_level=int(min(max(quality, 0), 9)))
    else:
        raise ValueError(f"imencode: img_fmt must be '.jpg', '.jpeg' or '.png', got {img_fmt!r}")
    return out.getvalue()


def _check_image(x: np.ndarray, name: str) -> None:
    if x.ndim not in (3, 4):
        raise ValueError(f"{name}: expected an image (H, W, C) or a batch (N, H, W, C), got shape {x.shape}")


def _source_coords(dst: int, src: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # OpenCV's bilinear mapping: pixel centres align, borders replicate.
    pos = (np.arange(dst, dtype=np.float64) + 0.5) * (src / dst) - 0.5
    pos = np.clip(pos, 0.0, src - 1)
    i0 = np.floor(pos).astype(np.intp)
    i1 = np.minimum(i0 + 1, src - 1)
    return i0, i1, (pos - i0).astype(np.float32)


def _resize_pil(x: np.ndarray, w: int, h: int, interp: int) -> np.ndarray:
    Image = _pil()
    method = {2: Image.Resampling.BOX, 3: Image.Resampling.BICUBIC, 4: Image.Resampling.LANCZOS}[interp]
    out = np.empty(x.shape[:-3] + (h, w, x.shape[-1]), dtype=x.dtype)
    flat_in = x.reshape((-1,) + x.shape[-3:])
    flat_out = out.reshape((-1,) + out.shape[-3:])
    for n in range(flat_in.shape[0]):
        for c in range(x.shape[-1]):
            plane = flat_in[n, :, :, c]
            if x.dtype == np.uint8:
                r = np.asarray(Image.fromarray(np.ascontiguousarray(plane)).resize((w, h), method))
            else:
                f = np.ascontiguousarray(plane, dtype=np.float32)
                r = np.asarray(Image.fromarray(f, mode="F").resize((w, h), method))
            flat_out[n, :, :, c] = r
    return out


def imresize(x: np.ndarray, w: int, h: int, interp: int = 1) -> np.ndarray:
    """Resizes an HWC image or NHWC batch to width ``w`` and height ``h``; the dtype is kept."""
    _check_image(x, "resize")
    w, h = int(w), int(h)
    if w <= 0 or h <= 0:
        raise ValueError(f"resize: the target size must be positive, got width {w} and height {h}")
    if interp not in (0, 1, 2, 3, 4):
        raise ValueError(
            f"resize: interpolation must be one of 0 (nearest), 1 (bilinear), 2 (area), 3 (bicubic), "
            f"4 (Lanczos), got {interp!r}"
        )
    src_h, src_w = x.shape[-3], x.shape[-2]
    if (src_h, src_w) == (h, w):
        return x.copy()
    if interp in (2, 3, 4):
        return _resize_pil(x, w, h, interp)
    if interp == 0:
        rows = np.minimum((np.arange(h) * (src_h / h)).astype(np.intp), src_h - 1)
        cols = np.minimum((np.arange(w) * (src_w / w)).astype(np.intp), src_w - 1)
        return x[..., rows, :, :][..., cols, :]
    y0, y1, wy = _source_coords(h, src_h)
    x0, x1, wx = _source_coords(w, src_w)
    f = x.astype(np.float32, copy=False)
    top = f[..., y0, :, :]
    bottom = f[..., y1, :, :]
    rows = top + (bottom - top) * wy[:, None, None]
    left = rows[..., x0, :]
    right = rows[..., x1, :]
    out = left + (right - left) * wx[:, None]
    if np.issubdtype(x.dtype, np.integer):
        info = np.iinfo(x.dtype)
        return np.clip(np.rint(out), info.min, info.max).astype(x.dtype)
    return out.astype(x.dtype, copy=False)


def scale_down(src_size: tuple[int, int], size: tuple[int, int]) -> tuple[int, int]:
    """The largest (w, h) with the aspect ratio of ``size`` that fits in ``src_size`` (MXNet's scale_down)."""
    w, h = size
    sw, sh = src_size
    if sh < h:
        w, h = float(w * sh) / h, sh
    if sw < w:
        w, h = sw, float(h * sw) / w
    return int(w), int(h)


def fixed_crop(
    x: np.ndarray, x0: int, y0: int, w: int, h: int, size: tuple[int, int] | None = None, interp: int = 1
) -> np.ndarray:
    """The region (x0, y0, w, h) of an HWC image or NHWC batch, resized to ``size`` (w, h) if given."""
    out = x[..., y0 : y0 + h, x0 : x0 + w, :]
    if size is not None and (w, h) != tuple(size):
        return imresize(out, size[0], size[1], interp)
    return out.copy()
