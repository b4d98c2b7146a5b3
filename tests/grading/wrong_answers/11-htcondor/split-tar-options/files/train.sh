#!/bin/bash
set -euo pipefail

echo "job ${1:-0} on $(hostname), GPUs: ${CUDA_VISIBLE_DEVICES:-none}"

# activate the gpu environment of the image (its entrypoint ends with exec "$@")
. <(sed '$d' /app/entrypoint.sh)

tar -x -z -f inputs.tar.gz
python ./src/train.py --data data/
