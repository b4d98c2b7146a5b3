"""Hypothesis: edits of a pyproject.toml manifest change its [tool.pixi...] tables and nothing else.

A pyproject.toml belongs to the Python project first ([project], [build-system], other tools'
tables, comments): `add`, `remove`, `task add`, `workspace platform add` and `workspace
environment add` must leave every byte outside the [tool.pixi...] tables as it was, and an add
followed by its remove gives back the file."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import tomlkit
from hypothesis import given
from hypothesis import strategies as st

from minipixi import files
from minipixi.manifest import read_manifest
from minipixi.manifest.edit_dependencies import add_dependencies, remove_dependencies
from minipixi.manifest.edit_tasks import add_task, remove_task
from minipixi.manifest.edit_workspace import add_environment, add_platforms

PYPROJECT = """\
# A Python project that also uses pixi.
[build-system]
requires = ["hatchling"]  # the backend
build-backend = "hatchling.build"

[project]
name = "prop-lib"
version = "0.1.0"
requires-python = ">=3.11"

[tool.pixi.workspace]
channels = ["conda-forge"]  # keep this comment
platforms = ["linux-64"]

[tool.pixi.tasks]
hello = "echo hello"

[tool.ruff]
line-length = 100  # ruff's, not ours

[tool.ruff.lint]
select = ["E", "F"]
"""


@pytest.fixture(autouse=True, scope="module")
def _no_fsync():
    files.FSYNC = False
    yield
    files.FSYNC = True


def outside_tool_pixi(text: str) -> list[str]:
    """The lines of `text` that are not in a [tool.pixi...] table, in order (blank lines dropped,
    since a table that an edit appends brings its blank line)."""
    kept, inside = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            inside = stripped.startswith(("[tool.pixi]", "[tool.pixi."))
        if not inside and stripped:
            kept.append(line)
    return kept


FEATURES = st.sampled_from([None, "gpu", "test"])
PLATFORMS = st.sampled_from([None, "linux-64", "osx-arm64"])
NAMES = st.sampled_from(["numpy", "scipy", "pytest"])
OPERATIONS = st.lists(st.one_of(
    st.tuples(st.just("add"), FEATURES, PLATFORMS, NAMES),
    st.tuples(st.just("remove"), FEATURES, PLATFORMS, NAMES),
    st.tuples(st.just("task"), FEATURES, st.sampled_from(["lab", "train"])),
    st.tuples(st.just("platform"), st.sampled_from(["osx-arm64", "win-64"])),
    st.tuples(st.just("environment"), st.sampled_from(["gpu", "test"])),
), max_size=6)


@given(OPERATIONS)
def test_pyproject_edits_touch_only_tool_pixi(operations):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pyproject.toml"
        path.write_text(PYPROJECT)
        added: set = set()
        for op in operations:
            kind = op[0]
            if kind == "add":
                _, feature, platform, name = op
                if platform == "osx-arm64" and "osx-arm64" not in [p.name for p in read_manifest(path).platforms]:
                    continue
                add_dependencies(path, [f"{name} >=1"], feature=feature, platforms=[platform] if platform else [])
                added.add((feature, platform, name))
            elif kind == "remove" and op[1:] in added:
                _, feature, platform, name = op
                remove_dependencies(path, [name], feature=feature, platforms=[platform] if platform else [])
                added.discard(op[1:])
            elif kind == "task":
                add_task(path, op[2], "echo run", feature=op[1])
            elif kind == "platform":
                add_platforms(path, [op[1]])
            elif kind == "environment":
                if op[1] in read_manifest(path).features:
                    add_environment(path, op[1], [op[1]], force=True)
            text = path.read_text()
            assert outside_tool_pixi(text) == outside_tool_pixi(PYPROJECT)
            data = tomlkit.parse(text).unwrap()
            original = tomlkit.parse(PYPROJECT).unwrap()
            data["tool"].pop("pixi"), original["tool"].pop("pixi")
            assert data == original
            ws = read_manifest(path)  # still a valid manifest, with the project's name
            assert ws.name == "prop-lib"


def test_add_then_remove_gives_back_the_pyproject_byte_for_byte(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text(PYPROJECT)
    add_dependencies(path, ["numpy >=2"], feature="gpu", platforms=["linux-64"])
    add_task(path, "lab", "jupyter lab", feature="gpu")
    assert "[tool.pixi.feature.gpu.target.linux-64.dependencies]" in path.read_text()
    remove_task(path, ["lab"], feature="gpu")
    remove_dependencies(path, ["numpy"], feature="gpu", platforms=["linux-64"])
    assert path.read_text() == PYPROJECT
