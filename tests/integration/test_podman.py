"""A generated Containerfile, built by Debian's podman with no network, runs an environment.

The base image is made by the test itself (debootstrap of Debian with python3, imported into
podman) because no registry is reachable; minipixi goes into the image from wheels in the build
context, and the offline teaching mirror is switched on by the workspace's .pixi/config.toml.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from integration_helpers import ensure_debian_packages, minipixi_env
from minipixi.deploy.render import DeployOptions, render_deployment, write_files
from sample_workspaces import EXAMPLE, write_manifest

pytestmark = pytest.mark.integration

BASE = "localhost/minipixi-test-base:bookworm"
PODMAN = ["podman", "--runtime", "runc"]
REPO = Path(__file__).resolve().parents[2]


def podman(*args: str, timeout: int = 900, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*PODMAN, *args], capture_output=True, text=True, timeout=timeout, **kw)


@pytest.fixture(scope="module")
def base_image(tmp_path_factory):
    ensure_debian_packages(["podman", "runc", "debootstrap"], ["podman", "runc", "debootstrap"])
    if podman("image", "exists", BASE).returncode == 0:
        return BASE
    rootfs = tmp_path_factory.mktemp("rootfs") / "bookworm"
    proc = subprocess.run(["debootstrap", "--variant=minbase", "--include=python3,python3-venv", "bookworm",
                           str(rootfs), "http://deb.debian.org/debian"], capture_output=True, text=True, timeout=1200)
    if proc.returncode != 0:
        pytest.skip(f"debootstrap failed: {proc.stderr.strip()[-300:]}")
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    imported = subprocess.run([*PODMAN, "import", "-", BASE], stdin=tar.stdout, capture_output=True, text=True, timeout=600)
    tar.wait()
    assert imported.returncode == 0, imported.stderr
    shutil.rmtree(rootfs, ignore_errors=True)
    return BASE


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    """minipixi and its dependencies as wheels (pip's cache makes this quick after the first time)."""
    folder = tmp_path_factory.mktemp("wheels")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "-w", str(folder), str(REPO)],
                          capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        pytest.skip(f"could not build wheels: {proc.stderr.strip()[-300:]}")
    return folder


def test_image_builds_offline_and_runs_the_environment(base_image, wheels, tmp_path):
    path = write_manifest(tmp_path / "ws", EXAMPLE)
    folder = path.parent
    env = minipixi_env(tmp_path, tmp_path / "cache")
    locked = subprocess.run(["minipixi", "lock"], cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    assert locked.returncode == 0, locked.stderr
    (folder / ".pixi").mkdir(exist_ok=True)
    (folder / ".pixi" / "config.toml").write_text("offline = true\n")
    shutil.copytree(wheels, folder / "wheels")
    options = DeployOptions(environment="default", tool="minipixi", base_image=base_image, command="jupyter lab",
                            command_line="minipixi workspace export dockerfile --tool minipixi")
    write_files(render_deployment("dockerfile", options), folder)
    tag = "localhost/minipixi-test-app:latest"
    built = podman("build", "--network", "none", "-t", tag, "-f", "Dockerfile", str(folder), timeout=1500)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    try:
        limits = ("--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024")  # runc needs them here
        ran = podman("run", "--rm", "--network", "none", *limits, tag, timeout=300)
        assert ran.returncode == 0, ran.stderr
        assert "JupyterLab 4.4.3 (minipixi teaching shim)" in ran.stdout
        python = podman("run", "--rm", "--network", "none", *limits, tag, "python", "-c",
                        "import numpy, os; print(numpy.__version__, os.environ['CONDA_PREFIX'])", timeout=300)
        assert python.stdout.split() == ["2.3.0", "/app/.pixi/envs/default"], python.stderr
    finally:
        podman("rmi", "-f", tag, timeout=120)
