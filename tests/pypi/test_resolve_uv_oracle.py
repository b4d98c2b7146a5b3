"""Differential: minipixi's PyPI resolver and `uv pip compile` pick the same versions.

Hypothesis writes small indexes (a handful of projects, a few versions each, with
dependencies, extras, markers, pre-releases, yanked files, sdist-only versions, wheels for
another platform and Requires-Python), serves each on 127.0.0.1, and asks both resolvers for
the same requirements, for linux-64 / CPython 3.12 (uv: ``--python-version 3.12
--python-platform x86_64-manylinux_2_28 --no-build``). They must agree on whether a solution
exists, and on every chosen version. (Skipped when uv is not installed.)

Budget: the ``ci`` profile runs ORACLE_EXAMPLES indexes (a few seconds); ``thorough`` runs
its own, larger number.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from minipixi.pypi.resolve import PyPIResolveError, resolve
from minipixi.pypi.target import Target
from pypi_server import Entry, SimpleIndex, build_wheel, metadata_of

UV = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
PROFILE = settings.get_current_profile_name()
ORACLE_EXAMPLES = 40 if PROFILE == "ci" else settings.default.max_examples
TARGET = Target("linux-64", "3.12")
UV_TARGET = ["--python-version", "3.12", "--python-platform", "x86_64-manylinux_2_28"]

PROJECTS = ["alpha", "beta", "gamma", "delta", "eps"]
VERSIONS = ["0.9", "1.0", "1.1", "2.0b1", "2.0", "2.1", "3.0rc1"]
SPECIFIERS = ["", "", "", ">=1.0", ">=1.1", "<2", "<2.1", "==1.0", "!=2.0", ">=2", "~=1.0",
              ">=2.0b1", ">1.1,<3", ">=0.9"]
MARKERS = ["", "", "", '; sys_platform == "win32"', '; python_version >= "3.10"',
           '; platform_machine == "x86_64"', '; python_version < "3.9"']
# (wheel tag, or None for an sdist only)
FILES = ["py3-none-any"] * 12 + ["cp312-cp312-manylinux_2_17_x86_64", "cp312-abi3-manylinux_2_17_x86_64",
                                "py3-none-win_amd64", None]
REQUIRES_PYTHON = [None] * 12 + [">=3.8", ">=3.13", ">=3.12"]


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
    roots = draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(SPECIFIERS),
                                    st.sampled_from(["", "", "[x]"])),
                          min_size=1, max_size=3, unique_by=lambda r: r[0]))
    return projects, [f"{n}{extra}{spec}" for n, spec, extra in roots]


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


def uv_compile(requirements: list[str], index_url: str, cache: Path) -> dict[str, str] | None:
    """uv's choice {name: version}, or None when uv finds no solution."""
    run = subprocess.run(
        [UV, "pip", "compile", "-", "--no-config", "--index-url", index_url, *UV_TARGET,
         "--python", sys.executable, "--no-python-downloads", "--no-build", "--cache-dir",
         str(cache), "--no-header", "--no-annotate", "--color", "never", "--quiet"],
        input="\n".join(requirements), capture_output=True, text=True, timeout=60,
        env={**os.environ, "NO_PROXY": "127.0.0.1", "UV_OFFLINE": "0", "UV_HTTP_RETRIES": "0"})
    if run.returncode != 0:
        assert "No solution found" in run.stderr, run.stderr
        return None
    found = {}
    for line in run.stdout.splitlines():
        if "==" in line:
            name, version = line.split("==", 1)
            found[name.split("[")[0].strip()] = version.strip()
    return found


def ours(requirements: list[str], index_url: str, cache: Path) -> dict[str, str] | None:
    try:
        resolution = resolve(requirements, TARGET, [index_url], cache_dir=cache)
    except PyPIResolveError:
        return None
    return {package.name: package.version for package in resolution.packages}


@pytest.mark.skipif(UV is None, reason="uv is not installed (pip install uv)")
@settings(max_examples=ORACLE_EXAMPLES)
@given(indexes())
def test_uv_chooses_the_same_versions(example):
    projects, requirements = example
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "wheels").mkdir()
        with serve(projects, folder / "wheels") as server:
            theirs = uv_compile(requirements, server.url, folder / "uv-cache")
            mine = ours(requirements, server.url, folder / "cache")
    assert mine == theirs, (requirements, projects)
