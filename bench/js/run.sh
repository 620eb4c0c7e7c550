#!/usr/bin/env bash
# `make js-bench`: single-image LeNet latency in Node, braid's WebAssembly builds against onnxruntime-web and
# TensorFlow.js (both on their wasm backends), on the W6 LeNet exported by braid (same weights everywhere).
# Installs the peers on first use: npm packages in bench/js/node_modules, the `onnx` pip package in
# bench/.venv-js (for the ONNX export). Extra arguments go to lenet_latency.mjs (e.g. --calls 500 --blocks 1).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=build/js-bench
model=$out/lenet
mkdir -p "$out" bench/results
[ -d bench/js/node_modules/onnxruntime-web ] || (cd bench/js && npm install --no-audit --no-fund --silent)
if [ ! -x bench/.venv-js/bin/python ] || ! bench/.venv-js/bin/python -c "import onnx" 2>/dev/null; then
  python3 -m venv bench/.venv-js
  bench/.venv-js/bin/pip install -q onnx numpy
fi
# The network and a sample input with braid's probabilities, the weights as raw float32 (braid reads the
# .params), then the same graph as ONNX.
.venv/bin/python bench/js/make_lenet.py "$model"
.venv/bin/python bench/js/dump_params.py "$model-0000.params" "$out/lenet-weights"
bench/.venv-js/bin/python bench/js/to_onnx.py "$model-symbol.json" "$out/lenet-weights" "$out/lenet.onnx" 1,1,28,28
for v in simd plain; do
  printf 'braid-%s.wasm: %s bytes, %s gzipped\n' "$v" "$(stat -c %s bindings/js/dist/braid-$v.wasm)" \
    "$(gzip -9 <bindings/js/dist/braid-$v.wasm | wc -c)"
done
node bench/js/lenet_latency.mjs --model "$model" --onnx "$out/lenet.onnx" --weights "$out/lenet-weights" \
  --json bench/results/js-lenet-latency.json "$@"
