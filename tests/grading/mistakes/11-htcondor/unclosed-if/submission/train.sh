#!/bin/bash
set -euo pipefail
. <(sed '$d' /app/entrypoint.sh)
if [ -f data.tar.gz ]; then
    tar -xzf data.tar.gz
python ./src/train.py --data data/
