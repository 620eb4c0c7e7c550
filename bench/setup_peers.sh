#!/usr/bin/env bash
# Creates the peers' virtual environments used by compare.py (once): PyTorch 2.13 CPU and MXNet 1.9.1.
set -eu
cd "$(dirname "$0")"
if [ ! -x .venv-torch/bin/python ]; then
  python3 -m venv .venv-torch
  .venv-torch/bin/pip install -q numpy torch==2.13.0
fi
if [ ! -x .venv-mxnet/bin/python ]; then
  python3 -m venv .venv-mxnet
  .venv-mxnet/bin/pip install -q mxnet==1.9.1 numpy==1.23.5
fi
