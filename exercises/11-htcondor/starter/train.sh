#!/bin/bash
set -euo pipefail

tar -xzf data.tar.gz
python ./src/train.py --data data/
