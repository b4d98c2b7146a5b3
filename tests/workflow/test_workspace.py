"""From manifest to lock to prefix: the library calls the commands are made of."""

from __future__ import annotations

import os
import subprocess

import pytest

from minipixi.errors import InstallError, LockError, SolveError
from minipixi.lock.read import read_lock
from minipixi.app.project import open_project
from minipixi.app.relock import check_lock, update_lock
from minipixi.app.run import activation_context
from minipixi.app.sync import install_environment
from minipixi.lock.model import closure, lock_platform_names
from sample_workspaces import CUDA_EXERCISE, EXAMPLE, write_manifest


def test_lock_is_written_once_and_then_kept(offline, tmp_path):
    path = write_manifest(tmp_path / "ws", EXAMPLE)
    first = update_lock(open_project(path))
    assert first.changed and len(first.solved) == 3
    text = (tmp_path / "ws" / "pixi.lock").read_text()
    second = update_lock(open_project(path))
    assert not second.changed and second.solved == []
    assert (tmp_path / "ws" / "pixi.lock").read_text() == text
    lock = read_lock(tmp_path / "ws" / "pixi.lock")
    assert lock.version == 7  # as Pixi >= 0.68 writes every lock
    virtual = {p.name: p.virtual_packages for p in lock.platforms}
    assert virtual["win-64"] == ("__win=10.0", "__archspec=0=x86_64")
    names = {p.name for p in lock.environments["default"].conda_packages("win-64")}
    assert {"python", "numpy", "notebook", "jupyterlab"} <= names


def test_a_manifest_edit_makes_the_lock_stale(offline, tmp_path):
    path = write_manifest(tmp_path / "ws", EXAMPLE)
    update_lock(open_project(path))
    path.write_text(path.read_text().replace('numpy = ">=2.3.0,<3"', 'numpy = "<2"'))
    reasons = check_lock(open_project(path))
    assert reasons and any("numpy" in r for r in reasons)
    # python 3.13 and numpy 1.x do not go together on the teaching channel:
    with pytest.raises(SolveError) as info:
        update_lock(open_project(path))
    assert "numpy" in info.value.details


def test_locked_refuses_a_stale_lock_and_frozen_uses_it(offline, tmp_path):
    path = write_manifest(tmp_path / "ws", EXAMPLE)
    update_lock(open_project(path))
    path.write_text(path.read_text().replace('jupyterlab = ">=4.4.3,<5"\n', 'jupyterlab = ">=4.4.3,<5"\nbat = "*"\n'))
    with pytest.raises(LockError, match="out of date") as info:
        install_environment(open_project(path), mode="locked")
    assert "bat" in info.value.details
    prefix, _ = install_environment(open_project(path), mode="frozen")
    assert not (prefix / "bin" / "bat").exists() and (prefix / "bin" / "jupyter").exists()
    prefix, _ = install_environment(open_project(path))
    assert (prefix / "bin" / "bat").exists()


def test_installed_environment_runs_its_programs(offline, tmp_path):
    path = write_manifest(tmp_path / "ws", EXAMPLE)
    project = open_project(path)
    prefix, transaction = install_environment(project)
    from minipixi.run.activation import activated_environment

    env = activated_environment(activation_context(project, "default"))
    out = subprocess.run(["bash", "-c", "jupyter lab && python -c 'import numpy; print(numpy.__version__)'"],
                         env=env, cwd=tmp_path / "ws", capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "JupyterLab 4.4.3" in out.stdout and out.stdout.strip().endswith("2.3.0")
    assert (prefix / "conda-meta" / "pixi").is_file()
    assert (tmp_path / "ws" / ".pixi" / ".gitignore").read_text() == "*\n"


def test_gpu_environment_solves_anywhere_but_installs_only_with_cuda(offline, tmp_path, monkeypatch):
    path = write_manifest(tmp_path / "ws", CUDA_EXERCISE)
    project = open_project(path)
    lock = update_lock(project).lock
    gpu = {p.name: p for p in lock.environments["gpu"].conda_packages("linux-64")}
    assert gpu["pytorch"].build.startswith("cuda126") and gpu["cuda-version"].version == "12.9"
    cpu = {p.name: p for p in lock.environments["cpu"].conda_packages("linux-64")}
    assert cpu["pytorch"].build.startswith("cpu") and "cuda-version" not in cpu
    assert all(not p.build.startswith("cuda") for p in lock.environments["cpu"].conda_packages("osx-arm64"))
    monkeypatch.setenv("CONDA_OVERRIDE_CUDA", "")  # this machine: no GPU
    with pytest.raises(InstallError, match="__cuda") as info:
        install_environment(open_project(path), "gpu", mode="locked")
    assert "CONDA_OVERRIDE_CUDA" in info.value.hint
    monkeypatch.setenv("CONDA_OVERRIDE_CUDA", "12")  # how an image build gets past it
    prefix, _ = install_environment(open_project(path), "gpu", mode="locked")
    assert (prefix / "lib" / "python3.13" / "site-packages" / "torch" / "version.py").read_text().strip() == 'cuda = "12.6"'


def test_rich_platform_entries_write_a_v7_lock(offline, tmp_path, rattler):
    text = EXAMPLE.replace('platforms = ["linux-64", "osx-arm64", "win-64"]',
                           'platforms = ["osx-arm64", {name = "linux-64-cuda", platform = "linux-64", cuda = "12"}]')
    text = text.replace('jupyterlab = ">=4.4.3,<5"', 'jupyterlab = ">=4.4.3,<5"\n\n[target.linux-64-cuda.dependencies]\npytorch-gpu = "*"')
    path = write_manifest(tmp_path / "ws", text)
    project = open_project(path)
    assert lock_platform_names(project.workspace) == {"osx-arm64": "osx-arm64", "linux-64-cuda": "p1"}
    lock = update_lock(project).lock
    assert lock.version == 7
    p1 = lock.platform("p1")
    assert p1.subdir == "linux-64" and "__cuda=12" in p1.virtual_packages
    assert any(p.name == "pytorch-gpu" for p in lock.environments["default"].conda_packages("p1"))
    theirs = rattler.LockFile.from_path(str(tmp_path / "ws" / "pixi.lock"))
    assert theirs.environment("default") is not None


def test_solve_group_members_share_versions(offline, tmp_path):
    path = write_manifest(tmp_path / "ws", """
        [workspace]
        channels = ["conda-forge"]
        name = "groups"
        platforms = ["linux-64"]

        [dependencies]
        python = "*"

        [feature.old.dependencies]
        legacy-stats = "*"

        [feature.lab.dependencies]
        jupyterlab = "*"

        [environments]
        old = {features = ["old"], solve-group = "shared"}
        lab = {features = ["lab"], solve-group = "shared"}
        alone = ["lab"]
        """)
    lock = update_lock(open_project(path)).lock
    version = lambda env, name: next(p.version for p in lock.environments[env].conda_packages("linux-64") if p.name == name)
    # legacy-stats needs python <3.13, so the whole group gets python 3.12; `alone` gets 3.13.
    assert version("old", "python") == version("lab", "python") == "3.12.11"
    assert version("alone", "python") == "3.13.5"
    assert not any(p.name == "legacy-stats" for p in lock.environments["lab"].conda_packages("linux-64"))


def test_closure_keeps_what_is_reachable():
    from minipixi.records import PackageRecord

    records = [PackageRecord("a", "1", "0", depends=("b >=1",)), PackageRecord("b", "1", "0"), PackageRecord("c", "1", "0")]
    assert [r.name for r in closure(records, ["a"])] == ["a", "b"]
