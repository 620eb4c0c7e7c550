"""Writes a model's .params as raw float32 arrays that the other bench/js tools read without braid:
<out>.bin (arrays back to back, little-endian) and <out>.json ({name: {"shape", "offset"}}, offsets in floats).
Names lose MXNet's arg:/aux: prefix. Run with braid's venv: python bench/js/dump_params.py MODEL.params OUT
"""

from __future__ import annotations

import json
import sys

import numpy as np

import braid as mx


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    arrays = mx.nd.load(sys.argv[1])
    manifest, chunks, offset = {}, [], 0
    for name, arr in arrays.items():
        a = np.ascontiguousarray(arr.asnumpy(), dtype="<f4")
        key = name.split(":", 1)[1] if name.startswith(("arg:", "aux:")) else name
        manifest[key] = {"shape": list(a.shape), "offset": offset}
        chunks.append(a.ravel())
        offset += a.size
    np.concatenate(chunks).tofile(sys.argv[2] + ".bin")
    with open(sys.argv[2] + ".json", "w") as f:
        json.dump(manifest, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
