"""The tour (README command 1): it completes offline, and its solves agree with py-rattler."""

from __future__ import annotations

import asyncio

import pytest

from minipixi.cli import main
from minipixi.config import teaching_channel_url
from minipixi.lock.read import read_lock
from minipixi.teaching.tour import tour_steps


@pytest.fixture(scope="module")
def tour_folder(tmp_path_factory, shared_cache):
    folder = tmp_path_factory.mktemp("tour")
    mp = pytest.MonkeyPatch()
    mp.setenv("MINIPIXI_CACHE_DIR", str(shared_cache))
    mp.setenv("MINIPIXI_HOME", str(folder / ".home"))
    mp.setenv("MINIPIXI_PLATFORM", "linux-64")
    mp.delenv("CONDA_OVERRIDE_CUDA", raising=False)
    import os
    here = os.getcwd()
    try:
        code = main(["tour", str(folder / "t")])
    finally:
        os.chdir(here)
        mp.undo()
    assert code == 0
    return folder / "t"


def test_tour_completes_and_leaves_working_files(tour_folder):
    example, cuda = tour_folder / "example", tour_folder / "cuda-exercise"
    assert (example / "pixi.lock").is_file() and (example / ".pixi/envs/default/bin/jupyter").is_file()
    assert (example / "specs" / "default_linux-64_conda_spec.txt").is_file()
    assert (cuda / ".pixi/envs/gpu/conda-meta").is_dir()
    for name in ("Dockerfile", "gpu.sub", "gpu.sh", "submit.sh", "cpu.sbatch"):
        assert (cuda / name).is_file(), name
    text = (example / "pixi.toml").read_text()
    for line in ('python = ">=3.13.5,<3.14"', 'numpy = ">=2.3.0,<3"', 'notebook = ">=7.4.3,<8"', 'jupyterlab = ">=4.4.3,<5"'):
        assert line in text
    # a PyPI package on top of conda's python, offline; platformdirs stays conda's
    assert 'tinyconfig = { version = ">=0.2.0, <0.3", extras = ["units"] }' in text
    site = example / ".pixi/envs/default/lib/python3.13/site-packages"
    assert (site / "tinyconfig-0.2.0.dist-info" / "INSTALLER").is_file()
    assert not list(site.glob("platformdirs-*.dist-info"))


def test_tour_steps_read_like_the_lesson():
    lines = [s.command_line() for s in tour_steps()]
    assert "minipixi add python numpy notebook jupyterlab" in lines
    assert "CONDA_OVERRIDE_CUDA=12 minipixi install -e gpu --locked" in lines


VIRTUAL = {"linux-64": [("__unix", "0", "0"), ("__linux", "4.18", "0"), ("__glibc", "2.28", "0"), ("__archspec", "1", "x86_64")],
           "osx-arm64": [("__unix", "0", "0"), ("__osx", "13.0", "0"), ("__archspec", "1", "arm64")],
           "win-64": [("__win", "0", "0"), ("__archspec", "1", "x86_64")]}


def rattler_solve(rattler, specs, platform, cuda):
    def vp(n, v, b):
        return rattler.GenericVirtualPackage(rattler.PackageName(n), rattler.Version(v), rattler.BuildString(b))
    virtual = [vp(*t) for t in VIRTUAL[platform]] + ([vp("__cuda", cuda, "0")] if cuda else [])
    records = asyncio.run(rattler.solve([teaching_channel_url()], specs, platforms=[platform, "noarch"], virtual_packages=virtual))
    return {r.name.normalized: str(r.version) for r in records}


@pytest.mark.parametrize("workspace", ["example", "cuda-exercise"])
def test_every_tour_solve_agrees_with_rattler(tour_folder, rattler, workspace):
    from minipixi.app.project import open_project
    from minipixi.lock.model import lock_platform_names

    project = open_project(tour_folder / workspace / "pixi.toml")
    lock = read_lock(tour_folder / workspace / "pixi.lock")
    ws = project.workspace
    names = lock_platform_names(ws)
    for env in ws.environments:
        for platform in ws.environment_platforms(env):
            resolved = ws.resolve(env, platform)
            specs = [str(s) for s in resolved.specs.values()]
            if not specs:
                continue
            ours = {p.name: p.version for p in lock.environments[env].conda_packages(names[platform])}
            theirs = rattler_solve(rattler, specs, resolved.subdir, resolved.virtual_packages.get("__cuda"))
            assert ours == theirs, (env, platform)


def _run_tour(folder, cache, machine) -> int:
    import os
    mp = pytest.MonkeyPatch()
    mp.setenv("MINIPIXI_CACHE_DIR", str(cache))
    mp.setenv("MINIPIXI_HOME", str(folder.parent / f".home-{machine}"))
    mp.setenv("MINIPIXI_PLATFORM", machine)
    mp.delenv("CONDA_OVERRIDE_CUDA", raising=False)
    here = os.getcwd()
    try:
        return main(["tour", str(folder)])
    finally:
        os.chdir(here)
        mp.undo()


@pytest.mark.parametrize("machine", ["osx-64", "linux-aarch64"])
def test_tour_runs_on_intel_macs_and_arm_linux(tour_folder, shared_cache, tmp_path, machine, capfd):
    """An Intel Mac or an ARM Linux laptop runs the whole tour offline: its own platform is added
    to each workspace, and the platforms both tours lock get the very same packages."""
    from minipixi.app.project import open_project
    from minipixi.lock.model import lock_platform_names

    assert _run_tour(tmp_path / "t", shared_cache, machine) == 0
    assert "torch 2.7.0 cuda available: False" in capfd.readouterr().out
    for workspace in ("example", "cuda-exercise"):
        here, there = tmp_path / "t" / workspace, tour_folder / workspace
        ws = open_project(here / "pixi.toml").workspace
        assert machine in [p.name for p in ws.platforms]
        ours, linux = read_lock(here / "pixi.lock"), read_lock(there / "pixi.lock")
        names, linux_names = lock_platform_names(ws), lock_platform_names(open_project(there / "pixi.toml").workspace)
        for env in ws.environments:
            for platform in ws.environment_platforms(env):
                got = {(p.name, p.version, p.build) for p in ours.environments[env].conda_packages(names[platform])}
                if platform == machine:  # solved too: packages wherever osx-arm64 has some
                    # (osx-arm64, not linux-64: the GPU packages are added for linux-64 alone)
                    on_arm_mac = linux.environments[env].conda_packages(linux_names["osx-arm64"])
                    assert bool(got) == bool(list(on_arm_mac)), (workspace, env, platform)
                elif platform in linux_names:
                    want = {(p.name, p.version, p.build)
                            for p in linux.environments[env].conda_packages(linux_names[platform])}
                    assert got == want, (workspace, env, platform)
    assert (tmp_path / "t" / "cuda-exercise" / ".pixi/envs/cpu/conda-meta").is_dir()
