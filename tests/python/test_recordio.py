"""braid.recordio (MXNet's RecordIO format, byte for byte), python -m braid.tools.im2rec and the datasets that
read its files (RecordFileDataset, ImageRecordDataset)."""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys

import numpy as np
import pytest

from braid import recordio
from braid.base import BraidIOError
from braid.gluon.data import RecordFileDataset
from braid.gluon.data.vision import ImageRecordDataset
from braid.tools import im2rec

MAGIC = struct.pack("<I", 0xCED7230A)
# Records chosen to hit every rule: empty, unpadded/padded lengths, the magic word at 4-byte aligned offsets
# (split into parts), unaligned (kept), at the start and at the end; then two IRHeader-packed records.
RECORDS = [
    b"",
    b"a",
    b"abcd",
    b"hello",
    b"AAAA" + MAGIC + b"BB",
    MAGIC + b"xy" + MAGIC + MAGIC + b"12345678" + MAGIC,
    b"z" + MAGIC + b"unaligned",
]
# Written by MXNet 1.9.1 (mx.recordio.MXIndexedRecordIO, write_idx(i, r) for RECORDS, then
# pack(IRHeader(0, 3.5, 7, 0), b"payload") and pack(IRHeader(0, [1.0, 2.0, 3.0], 8, 9), b"multi")).
MXNET_REC = bytes.fromhex(
    "0a23d7ce000000000a23d7ce01000000610000000a23d7ce04000000616263640a23d7ce0500000068656c6c6f0000000a23d7ce"
    "04000020414141410a23d7ce02000060424200000a23d7ce000000200a23d7ce1600006078790a23d7ce0a23d7ce313233343536"
    "37380a23d7ce00000a23d7ce0e0000007a0a23d7ce756e616c69676e656400000a23d7ce1f000000000000000000604007000000"
    "0000000000000000000000007061796c6f6164000a23d7ce290000000300000000000000080000000000000009000000000000000000"
    "803f00000040000040406d756c7469000000"
)
MXNET_IDX = "0\t0\n1\t8\n2\t20\n3\t32\n4\t48\n5\t72\n6\t112\n7\t136\n8\t176\n"


def _write_all(rec_path, idx_path) -> None:
    w = recordio.MXIndexedRecordIO(idx_path, rec_path, "w")
    for i, r in enumerate(RECORDS):
        w.write_idx(i, r)
    w.write_idx(len(RECORDS), recordio.pack(recordio.IRHeader(0, 3.5, 7, 0), b"payload"))
    w.write_idx(len(RECORDS) + 1, recordio.pack(recordio.IRHeader(0, [1.0, 2.0, 3.0], 8, 9), b"multi"))
    w.close()


def test_writer_is_byte_identical_to_mxnet(tmp_path) -> None:
    _write_all(str(tmp_path / "b.rec"), str(tmp_path / "b.idx"))
    assert (tmp_path / "b.rec").read_bytes() == MXNET_REC
    assert (tmp_path / "b.idx").read_text() == MXNET_IDX


def test_reader_reads_mxnet_files(tmp_path) -> None:
    (tmp_path / "m.rec").write_bytes(MXNET_REC)
    (tmp_path / "m.idx").write_text(MXNET_IDX)
    seq = recordio.MXRecordIO(str(tmp_path / "m.rec"), "r")
    got = []
    while (r := seq.read()) is not None:
        got.append(r)
    assert got[: len(RECORDS)] == RECORDS and len(got) == len(RECORDS) + 2
    seq.reset()
    assert seq.read() == b""
    seq.close()
    idx = recordio.MXIndexedRecordIO(str(tmp_path / "m.idx"), str(tmp_path / "m.rec"), "r")
    assert idx.keys == list(range(9))
    assert idx.read_idx(5) == RECORDS[5] and idx.read_idx(2) == b"abcd"
    header, payload = recordio.unpack(idx.read_idx(7))
    assert header == recordio.IRHeader(0, 3.5, 7, 0) and payload == b"payload"
    header, payload = recordio.unpack(idx.read_idx(8))
    assert header.flag == 3 and header.id == 8 and header.id2 == 9 and payload == b"multi"
    np.testing.assert_array_equal(header.label, [1.0, 2.0, 3.0])
    with pytest.raises(KeyError, match="no record with key 99"):
        idx.read_idx(99)


def test_random_payloads_round_trip(tmp_path) -> None:
    rng = np.random.default_rng(0)
    payloads = []
    for n in range(40):
        parts = [rng.bytes(int(rng.integers(0, 12))) for _ in range(3)]
        payloads.append(MAGIC.join(parts) if n % 2 else b"".join(parts))
    w = recordio.MXRecordIO(str(tmp_path / "r.rec"), "w")
    offsets = []
    for p in payloads:
        offsets.append(w.tell())
        w.write(p)
    w.close()
    assert all(o % 4 == 0 for o in offsets)
    r = recordio.MXRecordIO(str(tmp_path / "r.rec"), "r")
    assert [r.read() for _ in payloads] == payloads and r.read() is None
    r.seek(offsets[7])
    assert r.read() == payloads[7]


def test_corrupt_and_misused_files(tmp_path) -> None:
    (tmp_path / "bad.rec").write_bytes(b"\x00" * 12)
    with pytest.raises(BraidIOError, match="bad magic 0x00000000 at byte 0"):
        recordio.MXRecordIO(str(tmp_path / "bad.rec"), "r").read()
    (tmp_path / "cut.rec").write_bytes(MXNET_REC[:30])
    r = recordio.MXRecordIO(str(tmp_path / "cut.rec"), "r")
    r.read(), r.read()
    with pytest.raises(BraidIOError, match="truncated inside a record"):
        r.read()
    w = recordio.MXRecordIO(str(tmp_path / "w.rec"), "w")
    with pytest.raises(BraidIOError, match="open for writing; cannot read"):
        w.read()
    w.close()
    with pytest.raises(BraidIOError, match="is closed"):
        w.write(b"x")
    with pytest.raises(ValueError, match="flag must be 'r' or 'w'"):
        recordio.MXRecordIO(str(tmp_path / "w.rec"), "a")
    with pytest.raises(BraidIOError, match="cannot open"):
        recordio.MXRecordIO(str(tmp_path / "missing" / "x.rec"), "r")


def test_reader_pickles_and_reopens(tmp_path) -> None:
    _write_all(str(tmp_path / "p.rec"), str(tmp_path / "p.idx"))
    r = recordio.MXIndexedRecordIO(str(tmp_path / "p.idx"), str(tmp_path / "p.rec"), "r")
    r.read_idx(3)
    copy = pickle.loads(pickle.dumps(r))
    assert copy.read() == RECORDS[4]  # continues where the original was
    assert copy.read_idx(1) == b"a" and copy.keys == r.keys
    ds = RecordFileDataset(tmp_path / "p.rec")
    assert len(ds) == 9 and ds[4] == RECORDS[4]
    assert pickle.loads(pickle.dumps(ds))[6] == RECORDS[6]
    with pytest.raises(FileNotFoundError, match="record file .*nothing.rec' does not exist"):
        RecordFileDataset(tmp_path / "nothing.rec")
    (tmp_path / "noidx.rec").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="index file .*noidx.idx' does not exist"):
        RecordFileDataset(tmp_path / "noidx.rec")


def test_pack_img_uses_bgr_like_mxnet() -> None:
    pytest.importorskip("PIL")
    bgr = np.zeros((4, 6, 3), np.uint8)
    bgr[:, :, 0] = 200  # blue in OpenCV's order
    s = recordio.pack_img(recordio.IRHeader(0, 1.0, 3, 0), bgr, img_fmt=".png")
    header, img = recordio.unpack_img(s)
    assert header.id == 3 and img.shape == (4, 6, 3)
    np.testing.assert_array_equal(img, bgr)
    gray = recordio.unpack_img(s, iscolor=0)[1]
    assert gray.shape == (4, 6) and int(gray[0, 0]) == round(0.114 * 200)
    with pytest.raises(BraidIOError, match="cannot decode the image of record id 0"):
        recordio.unpack_img(recordio.pack(recordio.IRHeader(0, 0.0, 0, 0), b"junk"))


# ---- im2rec and ImageRecordDataset --------------------------------------------------------------------------


def _image_tree(root) -> dict[str, np.ndarray]:
    from PIL import Image

    rng = np.random.default_rng(4)
    made = {}
    for cls in ("b_class", "a_class"):
        os.makedirs(root / cls)
        for i in range(3):
            arr = rng.integers(0, 256, size=(8, 10 + i, 3), dtype=np.uint8)
            Image.fromarray(arr).save(root / cls / f"img{i}.png")
            made[f"{cls}/img{i}.png"] = arr
    (root / "a_class" / "skip.txt").write_text("not an image")
    return made


def test_im2rec_packs_a_folder_and_dataset_reads_it(tmp_path, capsys) -> None:
    pytest.importorskip("PIL")
    made = _image_tree(tmp_path / "imgs")
    prefix = str(tmp_path / "out" / "data")
    os.makedirs(tmp_path / "out")
    assert im2rec.main(["--recursive", "--no-shuffle", "--encoding", ".png", prefix, str(tmp_path / "imgs")]) == 0
    assert "class 0: a_class" in capsys.readouterr().out
    lst = [line.split("\t") for line in open(prefix + ".lst").read().splitlines()]
    assert [(int(i), float(label), path) for i, label, path in lst][:2] == [
        (0, 0.0, "a_class/img0.png"),
        (1, 0.0, "a_class/img1.png"),
    ]
    ds = ImageRecordDataset(prefix + ".rec")
    assert len(ds) == 6
    for k, (_, label, path) in enumerate(lst):
        img, lab = ds[k]
        np.testing.assert_array_equal(img, made[path])  # PNG: lossless
        assert lab == float(label)
    gray = ImageRecordDataset(prefix + ".rec", flag=0)
    assert gray[0][0].shape == (8, 10, 1)
    tds = ImageRecordDataset(prefix + ".rec", transform=lambda d, y: (d.shape, y + 1))
    assert tds[5] == ((8, 12, 3), 2.0)


def test_im2rec_list_split_resize_and_multi_label(tmp_path) -> None:
    pytest.importorskip("PIL")
    _image_tree(tmp_path / "imgs")
    prefix = str(tmp_path / "d")
    im2rec.main(
        ["--list", "--recursive", "--train-ratio", "0.5", "--test-ratio", "0.2", prefix, str(tmp_path / "imgs")]
    )
    assert sorted(p.name for p in tmp_path.glob("d*.lst")) == ["d_test.lst", "d_train.lst", "d_val.lst"]
    with open(tmp_path / "m.lst", "w") as f:
        f.write("0\t1.000000\t2.000000\ta_class/img0.png\n4\t3.000000\t4.000000\tb_class/img1.png\n")
    im2rec.main(["--pack-label", "--resize", "4", "--center-crop", str(tmp_path / "m"), str(tmp_path / "imgs")])
    ds = ImageRecordDataset(tmp_path / "m.rec")
    img, label = ds[1]
    assert img.shape == (4, 4, 3)
    np.testing.assert_array_equal(label, [3.0, 4.0])
    r = recordio.MXIndexedRecordIO(str(tmp_path / "m.idx"), str(tmp_path / "m.rec"), "r")
    assert r.keys == [0, 4] and recordio.unpack(r.read_idx(4))[0].id == 4
    with open(tmp_path / "bad.lst", "w") as f:
        f.write("0\tonly-two-fields\n")
    with pytest.raises(ValueError, match="line 1 of .*bad.lst"):
        im2rec.main([str(tmp_path / "bad"), str(tmp_path / "imgs")])


def test_im2rec_command_line_with_worker_processes(tmp_path) -> None:
    pytest.importorskip("PIL")
    _image_tree(tmp_path / "imgs")
    prefix = str(tmp_path / "cli")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "braid.tools.im2rec",
            "--recursive",
            "--num-thread",
            "2",
            "--pass-through",
            prefix,
            str(tmp_path / "imgs"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "packed 6 images" in out.stdout
    ds = ImageRecordDataset(prefix + ".rec")
    rec = RecordFileDataset(prefix + ".rec")
    lst = {int(line.split("\t")[0]): line.split("\t")[-1] for line in open(prefix + ".lst").read().splitlines()}
    for k in range(6):
        header, payload = recordio.unpack(rec[k])
        assert payload == (tmp_path / "imgs" / lst[header.id]).read_bytes()  # pass-through keeps the file's bytes
    assert ds[0][0].ndim == 3
