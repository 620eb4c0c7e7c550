#!/usr/bin/env bash
# `make bench`: sets up the peers once, then runs every comparison.
set -eu
cd "$(dirname "$0")"
bash setup_peers.sh
../.venv/bin/python compare.py --passes 3 --only W1,W2,EW,W3,W4,W5,W6
