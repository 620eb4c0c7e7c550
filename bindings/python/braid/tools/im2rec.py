"""Packs images into RecordIO files (.rec + .idx) that load fast, as MXNet's ``tools/im2rec.py``.

Two steps, as in MXNet, or one::

    python -m braid.tools.im2rec --list --recursive data/train images/   # writes data/train.lst
    python -m braid.tools.im2rec data/train images/                      # packs data/train.rec + .idx
    python -m braid.tools.im2rec --recursive data/train images/          # no .lst yet: writes it, then packs

A list file has one ``index<TAB>label[<TAB>label...]<TAB>relative/path`` line per image. With ``--recursive``
every folder holding images is a class (labels 0, 1, ... in sorted walk order); otherwise all images are
label 0. ``--train-ratio``/``--test-ratio``/``--chunks`` split the list into ``_train``/``_val``/``_test``
and ``_<k>`` parts. Packing re-encodes each image (``--resize`` the shorter edge, ``--center-crop``,
``--quality``, ``--encoding``, ``--color``) or stores the file's bytes as they are (``--pass-through``).
Read the result with :class:`braid.gluon.data.vision.ImageRecordDataset`.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import functools
import multiprocessing
import os
import random
import sys
import time
from typing import Any, Iterator, Sequence

import numpy as np

from ..recordio import IRHeader, MXIndexedRecordIO, pack

_EXTS = [".jpeg", ".jpg", ".png"]


def list_image(root: str, recursive: bool, exts: Sequence[str]) -> Iterator[tuple[int, str, int]]:
    """(index, path relative to root, label) for every image under ``root``."""
    exts = [e.lower() for e in exts]
    i = 0
    if recursive:
        cat: dict[str, int] = {}
        for path, dirs, files in os.walk(root, followlinks=True):
            dirs.sort()
            for fname in sorted(files):
                fpath = os.path.join(path, fname)
                if os.path.isfile(fpath) and os.path.splitext(fname)[1].lower() in exts:
                    if path not in cat:
                        cat[path] = len(cat)
                    yield i, os.path.relpath(fpath, root), cat[path]
                    i += 1
        for k, v in sorted(cat.items(), key=lambda kv: kv[1]):
            print(f"class {v}: {os.path.relpath(k, root)}")
    else:
        for fname in sorted(os.listdir(root)):
            fpath = os.path.join(root, fname)
            if os.path.isfile(fpath) and os.path.splitext(fname)[1].lower() in exts:
                yield i, os.path.relpath(fpath, root), 0
                i += 1


def write_list(path_out: str, image_list: Sequence[Sequence[Any]]) -> None:
    """Writes items (index, path, label...) in the .lst format."""
    with open(path_out, "w", encoding="utf-8") as fout:
        for item in image_list:
            labels = "".join(f"{float(j):f}\t" for j in item[2:])
            fout.write(f"{int(item[0])}\t{labels}{item[1]}\n")


def read_list(path_in: str) -> Iterator[list[Any]]:
    """Items [index, path, label, ...] of a .lst file; malformed lines raise ValueError naming the line."""
    with open(path_in, encoding="utf-8") as fin:
        for lineno, line in enumerate(fin, 1):
            fields = [f.strip() for f in line.strip().split("\t")]
            if fields == [""]:
                continue
            if len(fields) < 3:
                raise ValueError(f"im2rec: line {lineno} of '{path_in}' needs index, label(s) and path: {line!r}")
            try:
                yield [int(fields[0]), fields[-1]] + [float(f) for f in fields[1:-1]]
            except ValueError as e:
                raise ValueError(f"im2rec: line {lineno} of '{path_in}' is malformed ({e}): {line!r}") from None


def make_list(args: argparse.Namespace) -> list[str]:
    """Writes the list file(s) for ``args.root``; returns their paths."""
    image_list = list(list_image(args.root, args.recursive, args.exts))
    if args.shuffle:
        random.seed(100)
        random.shuffle(image_list)
    n = len(image_list)
    chunk_size = (n + args.chunks - 1) // args.chunks if n else 0
    written = []
    for i in range(args.chunks):
        chunk = image_list[i * chunk_size : (i + 1) * chunk_size]
        suffix = f"_{i}" if args.chunks > 1 else ""
        sep = int(chunk_size * args.train_ratio)
        sep_test = int(chunk_size * args.test_ratio)
        parts: list[tuple[str, list[Any]]] = []
        if args.train_ratio == 1.0:
            parts.append((f"{args.prefix}{suffix}.lst", chunk))
        else:
            if args.test_ratio:
                parts.append((f"{args.prefix}{suffix}_test.lst", chunk[:sep_test]))
            if args.train_ratio + args.test_ratio < 1.0:
                parts.append((f"{args.prefix}{suffix}_val.lst", chunk[sep_test + sep :]))
            parts.append((f"{args.prefix}{suffix}_train.lst", chunk[sep_test : sep_test + sep]))
        for path, items in parts:
            write_list(path, items)
            written.append(path)
    print(f"im2rec: listed {n} images from '{args.root}' into {', '.join(written)}")
    return written


def _load_image(fullpath: str, color: int) -> np.ndarray:
    from PIL import Image

    with Image.open(fullpath) as im:
        if color == 0:
            im = im.convert("L")
        elif color == 1 or im.mode not in ("L", "RGB"):
            im = im.convert("RGB")
        else:
            im.load()
        return np.asarray(im)


def encode_item(item: Sequence[Any], root: str, options: dict[str, Any]) -> bytes:
    """One packed record: IRHeader (label, id) + the encoded image (or the file's own bytes)."""
    from ..gluon.data.vision._image import imencode, imresize

    fullpath = os.path.join(root, item[1])
    if len(item) > 3 and options["pack_label"]:
        header = IRHeader(0, np.asarray(item[2:], dtype=np.float32), item[0], 0)
    else:
        header = IRHeader(0, float(item[2]), item[0], 0)
    if options["pass_through"]:
        with open(fullpath, "rb") as f:
            return pack(header, f.read())
    try:
        img = _load_image(fullpath, options["color"])
    except Exception as e:  # noqa: BLE001 - name the file whatever Pillow raised
        raise OSError(f"im2rec: cannot read image '{fullpath}': {e}") from e
    if img.ndim == 2:
        img = img[:, :, None]
    if options["center_crop"]:
        h, w = img.shape[:2]
        side = min(h, w)
        y0, x0 = (h - side) // 2, (w - side) // 2
        img = img[y0 : y0 + side, x0 : x0 + side]
    if options["resize"]:
        h, w = img.shape[:2]
        r = options["resize"]
        new_w, new_h = (r, r * h // w) if h > w else (r * w // h, r)
        img = imresize(img, new_w, new_h, 1)
    return pack(header, imencode(img, options["encoding"], options["quality"]))


def pack_list(lst: str, args: argparse.Namespace) -> tuple[str, int]:
    """Packs the images of one .lst file into .rec + .idx beside it; returns the .rec path and the count."""
    base = os.path.splitext(lst)[0]
    items = list(read_list(lst))
    options = {
        "pack_label": args.pack_label,
        "pass_through": args.pass_through,
        "color": args.color,
        "center_crop": args.center_crop,
        "resize": args.resize,
        "encoding": args.encoding,
        "quality": args.quality,
    }
    encode = functools.partial(encode_item, root=args.root, options=options)
    record = MXIndexedRecordIO(base + ".idx", base + ".rec", "w")
    start = time.time()
    try:
        if args.num_thread > 1 and len(items) > 1:
            ctx = multiprocessing.get_context("spawn")
            with concurrent.futures.ProcessPoolExecutor(args.num_thread, mp_context=ctx) as pool:
                chunk = max(1, len(items) // (4 * args.num_thread))
                for item, rec in zip(items, pool.map(encode, items, chunksize=chunk)):
                    record.write_idx(item[0], rec)
        else:
            for item in items:
                record.write_idx(item[0], encode(item))
    finally:
        record.close()
    print(f"im2rec: packed {len(items)} images into {base}.rec ({time.time() - start:.1f} s)")
    return base + ".rec", len(items)


def _list_files(prefix: str) -> list[str]:
    folder = os.path.dirname(prefix) or "."
    name = os.path.basename(prefix)
    if not os.path.isdir(folder):
        return []
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.startswith(name) and f.endswith(".lst"))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m braid.tools.im2rec",
        description="Create an image list and/or pack images into RecordIO files (.rec + .idx).",
    )
    ap.add_argument("prefix", help="prefix of the .lst, .rec and .idx files (a path without extension)")
    ap.add_argument("root", help="folder the image paths are relative to")
    g = ap.add_argument_group("list options")
    g.add_argument("--list", action="store_true", help="only write the image list (.lst)")
    g.add_argument("--exts", nargs="+", default=_EXTS, help="image file extensions to list")
    g.add_argument("--chunks", type=int, default=1, help="number of list chunks")
    g.add_argument("--train-ratio", type=float, default=1.0, help="fraction of images in the _train list")
    g.add_argument("--test-ratio", type=float, default=0.0, help="fraction of images in the _test list")
    g.add_argument("--recursive", action="store_true", help="every sub-folder holding images is a class")
    g.add_argument("--no-shuffle", dest="shuffle", action="store_false", help="keep the listing order")
    g = ap.add_argument_group("pack options")
    g.add_argument("--pass-through", action="store_true", help="store the image files' bytes unchanged")
    g.add_argument("--resize", type=int, default=0, help="resize the shorter edge to this many pixels")
    g.add_argument("--center-crop", action="store_true", help="crop the central square first")
    g.add_argument("--quality", type=int, default=95, help="JPEG quality (1-100) or PNG compression (0-9)")
    g.add_argument("--num-thread", type=int, default=1, help="encoding processes")
    g.add_argument("--color", type=int, default=1, choices=[-1, 0, 1], help="1 colour, 0 gray, -1 as stored")
    g.add_argument("--encoding", default=".jpg", choices=[".jpg", ".png"], help="image encoding in the records")
    g.add_argument("--pack-label", action="store_true", help="store every label of multi-label lists")
    args = ap.parse_args(argv)
    args.prefix = os.path.abspath(args.prefix)
    args.root = os.path.abspath(args.root)
    if args.chunks < 1 or args.num_thread < 1:
        ap.error("--chunks and --num-thread must be >= 1")
    if not 0.0 <= args.test_ratio <= 1.0 or not 0.0 < args.train_ratio <= 1.0:
        ap.error("--train-ratio must be in (0, 1] and --test-ratio in [0, 1]")
    if not os.path.isdir(args.root):
        ap.error(f"root '{args.root}' is not a folder")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    args = parse_args(argv)
    if args.list:
        make_list(args)
        return 0
    lists = _list_files(args.prefix)
    if not lists:
        lists = make_list(args)
    for lst in lists:
        pack_list(lst, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
