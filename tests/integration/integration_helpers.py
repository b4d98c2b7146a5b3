"""Helpers for the integration tests: real Slurm and podman, installed and started by the tests.

They need root, Debian's apt and minutes, so they are opt-in: ``pytest -m integration``.
Each skips with a reason when it cannot run here (not root, no apt, a package refused).
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def ensure_debian_packages(packages: list[str], commands: list[str]) -> None:
    """Install `packages` with apt when one of `commands` is missing; skip if that cannot work."""
    if all(shutil.which(c) for c in commands):
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip(f"needs {', '.join(commands)} (root and apt-get install {' '.join(packages)})")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
        proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            pytest.skip(f"`{' '.join(command)}` failed: {proc.stderr.strip()[-300:]}")
    missing = [c for c in commands if not shutil.which(c)]
    if missing:
        pytest.skip(f"still missing after apt-get: {', '.join(missing)}")


def minipixi_env(tmp_path, cache) -> dict[str, str]:
    """A process environment that runs this checkout's minipixi offline on the teaching mirror."""
    import sys

    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.update(MINIPIXI_OFFLINE="1", MINIPIXI_CACHE_DIR=str(cache), MINIPIXI_HOME=str(tmp_path / "home"))
    env.pop("CONDA_OVERRIDE_CUDA", None)
    return env
