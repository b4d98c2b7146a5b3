#!/usr/bin/env bash
set -e
test -f config.yaml
tar xzf data.tar.gz -C /tmp
for i in 1 2; do
  python3 -u src/train.py --config config.yaml --seed "$i"
done
