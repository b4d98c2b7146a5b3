#!/bin/bash
set -euo pipefail

echo "job ${1:-0} on $(hostname), GPUs: ${CUDA_VISIBLE_DEVICES:-none}"

# activate the gpu environment of the image (its entrypoint ends with exec "$@")
. /etc/profile

[ -f data.tar.gz ] || { echo "data.tar.gz was not transferred" >&2; exit 1; }
tar -xzf data.tar.gz
python ./src/train.py --data data/
