#!/usr/bin/env bash
set -e
test -f config.yaml
tar xzf data.tar.gz -C /tmp
for i in 1 2; do
  # the image keeps the workspace in /app: run python in its gpu environment
  pixi run --manifest-path /app/pixi.toml -e gpu python3 -u src/train.py --config config.yaml --seed "$i"
done
