"""Differential: minipixi's PyPI resolver and `uv pip compile` pick the same versions.

Hypothesis writes small indexes (a handful of projects, a few versions each, with
dependencies, extras, markers, pre-releases, yanked files, sdist-only versions, wheels for
another platform and Requires-Python), serves each on 127.0.0.1, and asks both resolvers for
the same requirements, for one of linux-64, osx-arm64 and win-64 with CPython 3.11, 3.12 or
3.13 (uv: ``--python-version 3.12 --python-platform x86_64-manylinux_2_28 --no-build``, ...).
They must agree on whether a solution exists, and on every chosen version. (Skipped when uv
is not installed.)

Budget: the profile's (``ci``: 60 indexes, about 25 s on 2 cores, most of it in uv;
``thorough``: 5000, for a long local hunt).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from minipixi.pypi.resolve import PyPIResolveError, resolve
from minipixi.pypi.target import Target
from pypi_server import Entry, SimpleIndex, build_wheel, metadata_of

UV = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
# conda platform -> uv's --python-platform (uv's default macOS is 13.0, as ours; set below)
UV_PLATFORMS = {"linux-64": "x86_64-manylinux_2_28", "osx-arm64": "aarch64-apple-darwin",
                "win-64": "x86_64-pc-windows-msvc"}
PYTHONS = ["3.11", "3.12", "3.13"]

PROJECTS = ["alpha", "beta", "gamma", "delta", "eps"]
VERSIONS = ["0.9", "1.0", "1.1", "2.0b1", "2.0", "2.1", "3.0rc1"]
SPECIFIERS = ["", "", "", ">=1.0", ">=1.1", "<2", "<2.1", "==1.0", "!=2.0", ">=2", "~=1.0",
              ">=2.0b1", ">1.1,<3", ">=0.9"]
MARKERS = ["", "", "", "", '; sys_platform == "win32"', '; python_version >= "3.12"',
           '; platform_machine == "x86_64"', '; sys_platform == "darwin"',
           '; platform_system != "Windows"', '; python_version < "3.12"', '; os_name == "nt"']
# (wheel tag, or None for an sdist only)
FILES = ["py3-none-any"] * 20 + [
    "cp312-cp312-manylinux_2_17_x86_64", "cp311-abi3-manylinux_2_17_x86_64",
    "cp313-cp313-manylinux_2_28_x86_64", "cp312-cp312-manylinux_2_31_x86_64",
    "cp312-cp312-win_amd64", "py3-none-win_amd64", "cp311-abi3-win_amd64",
    "cp312-cp312-macosx_11_0_arm64", "cp313-abi3-macosx_12_0_arm64", "py3-none-macosx_14_0_arm64",
    "py2.py3-none-any", "cp312-none-any", "cp312-cp312-linux_x86_64",
    "py3-none-macosx_10_9_universal2", "py3-none-manylinux1_x86_64", None, None]
# Lower bounds only: `uv pip compile` reads only the lower bound of a Requires-Python (it
# resolves for "3.12 or newer"), while minipixi checks the whole specifier against the conda
# environment's exact Python, as an installer must (test_pypi_resolve.py tests upper bounds).
REQUIRES_PYTHON = [None] * 20 + [">=3.8", ">=3.13", ">=3.12", ">=3.11.1"]


@st.composite
def indexes(draw):
    """{project: {version: (file tag, yanked, requires-python, pep658, requires, extras)}}"""
    names = PROJECTS[:draw(st.integers(2, len(PROJECTS)))]
    projects = {}
    for name in names:
        versions = draw(st.lists(st.sampled_from(VERSIONS), min_size=2, max_size=4, unique=True))
        entries = {}
        for version in versions:
            others = [n for n in names if n != name]
            deps = draw(st.lists(st.tuples(st.sampled_from(others), st.sampled_from(SPECIFIERS),
                                           st.sampled_from(MARKERS),
                                           st.sampled_from(["", "", "", "[x]"])),
                                 max_size=2, unique_by=lambda d: d[0]))
            requires = [f"{n}{extra}{spec}{marker}" for n, spec, marker, extra in deps]
            extra = draw(st.lists(st.tuples(st.sampled_from(others),
                                            st.sampled_from(SPECIFIERS)), max_size=1))
            requires += [f'{n}{spec}; extra == "x"' for n, spec in extra]
            entries[version] = (draw(st.sampled_from(FILES)), draw(st.booleans()) and
                                draw(st.booleans()) and draw(st.booleans()),
                                draw(st.sampled_from(REQUIRES_PYTHON)), draw(st.booleans()),
                                tuple(requires), ("x",) if extra else ())
        projects[name] = entries
    target = Target(draw(st.sampled_from(sorted(UV_PLATFORMS))), draw(st.sampled_from(PYTHONS)))
    roots = draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(SPECIFIERS),
                                    st.sampled_from(["", "", "[x]"])),
                          min_size=1, max_size=3, unique_by=lambda r: r[0]))
    return projects, [f"{n}{extra}{spec}" for n, spec, extra in roots], target


def serve(projects: dict, folder: Path) -> SimpleIndex:
    server = SimpleIndex()
    for name, entries in projects.items():
        for version, (tag, yanked, needs, pep658, requires, extras) in entries.items():
            if tag is None:
                server.add(name, Entry(f"{name}-{version}.tar.gz", b"not built",
                                       requires_python=needs, yanked=yanked))
                continue
            wheel = build_wheel(folder, name, version, tag=tag, requires=requires,
                                extras=extras, requires_python=needs)
            server.add(name, Entry(wheel.name, wheel.read_bytes(), requires_python=needs,
                                   yanked=yanked, metadata=metadata_of(wheel) if pep658 else None))
    return server


def uv_compile(requirements: list[str], target: Target, index_url: str,
               cache: Path) -> dict[str, str] | None:
    """uv's choice {name: version}, or None when uv finds no solution."""
    run = subprocess.run(
        [UV, "pip", "compile", "-", "--no-config", "--index-url", index_url, "--python-version",
         target.python, "--python-platform", UV_PLATFORMS[target.platform],
         "--python", sys.executable, "--no-python-downloads", "--no-build", "--cache-dir",
         str(cache), "--no-header", "--no-annotate", "--color", "never", "--quiet"],
        input="\n".join(requirements), capture_output=True, text=True, timeout=60,
        env={**os.environ, "NO_PROXY": "127.0.0.1", "UV_OFFLINE": "0", "UV_HTTP_RETRIES": "0",
             "MACOSX_DEPLOYMENT_TARGET": "13.0"})
    if run.returncode != 0:
        assert "No solution found" in run.stderr, run.stderr
        return None
    found = {}
    for line in run.stdout.splitlines():
        if "==" in line:
            name, version = line.split("==", 1)
            found[name.split("[")[0].strip()] = version.strip()
    return found


def ours(requirements: list[str], target: Target, index_url: str,
         cache: Path) -> dict[str, str] | None:
    try:
        resolution = resolve(requirements, target, [index_url], cache_dir=cache)
    except PyPIResolveError:
        return None
    return {package.name: package.version for package in resolution.packages}


@pytest.mark.skipif(UV is None, reason="uv is not installed (pip install uv)")
@given(indexes())
def test_uv_chooses_the_same_versions(example):
    projects, requirements, target = example
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "wheels").mkdir()
        with serve(projects, folder / "wheels") as server:
            theirs = uv_compile(requirements, target, server.url, folder / "uv-cache")
            mine = ours(requirements, target, server.url, folder / "cache")
    assert mine == theirs, (requirements, target, projects)


@pytest.mark.skipif(UV is None, reason="uv is not installed (pip install uv)")
def test_index_priority_is_uvs(tmp_path):
    """uv searches ``--extra-index-url`` before ``--index-url`` and takes a project from the
    first index that has it: `resolve` gets the same indexes as [extra..., index]."""
    (tmp_path / "wheels").mkdir()
    default = serve({"lib": {"2.0": ("py3-none-any", False, None, True, (), ())},
                     "app": {"1.0": ("py3-none-any", False, None, True, ("lib",), ())}},
                    tmp_path / "wheels")
    extra = serve({"lib": {"1.0": ("py3-none-any", False, None, True, (), ())}},
                  tmp_path / "wheels")
    target = Target("linux-64", "3.12")
    with default, extra:
        run = subprocess.run(
            [UV, "pip", "compile", "-", "--no-config", "--index-url", default.url,
             "--extra-index-url", extra.url, "--python-version", "3.12", "--python-platform",
             UV_PLATFORMS["linux-64"], "--python", sys.executable, "--no-python-downloads",
             "--cache-dir", str(tmp_path / "uv-cache"), "--no-header", "--no-annotate",
             "--quiet"], input="app", capture_output=True, text=True, timeout=60,
            env={**os.environ, "NO_PROXY": "127.0.0.1", "UV_HTTP_RETRIES": "0"})
        chosen = resolve(["app"], target, [extra.url, default.url], cache_dir=tmp_path / "c")
    assert run.returncode == 0, run.stderr
    assert sorted(run.stdout.split()) == ["app==1.0", "lib==1.0"]
    assert {p.name: (p.version, p.index_url) for p in chosen.packages} == \
        {"app": ("1.0", default.url), "lib": ("1.0", extra.url)}
