"""Integration tests: real Slurm and podman, installed and started by the tests themselves.

They need root, Debian's apt and minutes, so they are opt-in: ``pytest -m integration``
(helpers in integration_helpers.py). Each skips with a reason when it cannot run here.
"""
