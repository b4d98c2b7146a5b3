"""pyproject.toml as a manifest (Pixi's second format), package manifests, and the manifest
forms Pixi accepts that minipixi used to refuse (an empty activation value, [package.target])."""

from __future__ import annotations

import pytest

from minipixi.errors import ManifestError
from minipixi.manifest import find_manifest, parse_manifest, read_manifest, require_conda_only

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "my-lib"
version = "1.2.3"
description = "a library"
authors = [{ name = "Ada", email = "ada@example.org" }, { name = "Bob" }]
requires-python = ">= 3.11, <3.13"
dependencies = ["requests>=2"]

[project.optional-dependencies]
test = ["pytest>=8", "my-lib[extra]"]

[dependency-groups]
lint = ["ruff"]
dev = [{ include-group = "lint" }, "mypy"]

[tool.ruff]
line-length = 100

[tool.pixi.workspace]
channels = ["conda-forge"]
platforms = ["linux-64"]

[tool.pixi.dependencies]
numpy = ">=2"

[tool.pixi.feature.test.dependencies]
pytest-cov = "*"

[tool.pixi.environments]
test = ["test"]
"""


def test_pyproject_reads_tool_pixi_and_the_python_project():
    ws = parse_manifest(PYPROJECT, "pyproject.toml")
    assert (ws.name, ws.version, ws.description) == ("my-lib", "1.2.3", "a library")
    assert ws.authors == ("Ada <ada@example.org>", "Bob")
    default = ws.features["default"].default
    assert default.dependencies["python"].version == ">=3.11,<3.13"  # requires-python, spaces gone
    assert set(default.dependencies) == {"numpy", "python"}
    assert set(default.pypi_dependencies) == {"requests"}
    assert set(ws.features["test"].default.pypi_dependencies) == {"pytest"}  # not the project itself
    assert set(ws.features["test"].default.dependencies) == {"pytest-cov"}  # merged with [tool.pixi.feature.test]
    assert set(ws.features["dev"].default.pypi_dependencies) == {"ruff", "mypy"}  # include-group followed
    assert not any("lint" in w or "'dev'" in w for w in ws.warnings)  # extras need not be used


def test_pypi_dependencies_of_a_pyproject_are_refused_by_name_when_solving():
    ws = parse_manifest(PYPROJECT, "pyproject.toml")
    with pytest.raises(ManifestError, match="PyPI dependencies are not supported by minipixi") as info:
        require_conda_only(ws.resolve("default", "linux-64"), ws)
    assert "requests" in info.value.message


def test_python_in_tool_pixi_dependencies_wins_and_no_requires_python_means_any_python():
    text = PYPROJECT.replace('numpy = ">=2"', 'python = "3.12.*"')
    assert parse_manifest(text, "pyproject.toml").resolve("default", "linux-64").dependencies["python"].version == "3.12.*"
    bare = '[project]\nname = "x"\n\n[tool.pixi.workspace]\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n'
    ws = parse_manifest(bare, "pyproject.toml")
    assert ws.resolve("default", "linux-64").dependencies["python"].version == "*"
    require_conda_only(ws.resolve("default", "linux-64"), ws)  # no PyPI dependency: solvable


def test_errors_in_a_pyproject_point_at_the_tool_pixi_lines():
    text = PYPROJECT.replace('numpy = ">=2"', 'numpy = ">=2,,3"')
    with pytest.raises(ManifestError) as info:
        parse_manifest(text, "pyproject.toml")
    assert info.value.where.line == text.splitlines().index('numpy = ">=2,,3"') + 1
    with pytest.raises(ManifestError, match=r"unexpected key 'channel' in \[tool.pixi.workspace\]"):
        parse_manifest(PYPROJECT.replace('channels = ["conda-forge"]', 'channels = ["conda-forge"]\nchannel = 1'),
                       "pyproject.toml")
    with pytest.raises(ManifestError, match="requires-python") as info:
        parse_manifest(PYPROJECT.replace('">= 3.11, <3.13"', '">=3.11,,<4"'), "pyproject.toml")
    assert info.value.where.line == 10


def test_a_pyproject_without_tool_pixi_is_not_a_manifest(tmp_path):
    with pytest.raises(ManifestError, match=r"has no \[tool.pixi\] table"):
        parse_manifest('[project]\nname = "x"\n', "pyproject.toml")
    with pytest.raises(ManifestError, match=r"has no \[tool.pixi.workspace\] table") as info:
        parse_manifest('[project]\nname = "x"\n\n[tool.pixi.pypi-dependencies]\nx = "*"\n', "pyproject.toml")
    assert info.value.hint


def test_discovery_prefers_pixi_toml_then_a_pyproject_with_tool_pixi(tmp_path):
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    sub = tmp_path / "src" / "pkg"
    sub.mkdir(parents=True)
    (sub / "pyproject.toml").write_text('[project]\nname = "inner"\n')  # no [tool.pixi]: not a manifest
    assert find_manifest(sub) == (tmp_path / "pyproject.toml").resolve()
    assert read_manifest(tmp_path).name == "my-lib"
    (tmp_path / "pixi.toml").write_text('[workspace]\nchannels = ["conda-forge"]\nname = "first"\nplatforms = []\n')
    assert find_manifest(sub).name == "pixi.toml"
    assert read_manifest(tmp_path).name == "first"


PACKAGE_ONLY = """\
[package]
name = "child"
version = "0.1.0"

[package.build.backend]
name = "pixi-build-python"
version = "*"

[package.target.linux-64.host-dependencies]
foo = "*"
"""


def test_a_package_manifest_is_refused_as_pixi_build_not_as_a_missing_workspace():
    with pytest.raises(ManifestError) as info:
        parse_manifest(PACKAGE_ONLY, "pixi.toml")
    err = info.value
    assert err.message == "building packages ([package], pixi build) is not supported by minipixi"
    assert err.where.line == 1 and "[workspace]" in err.hint
    with pytest.raises(ManifestError, match=r"building packages \(\[package\], pixi build\)"):
        parse_manifest('[project]\nname = "c"\n\n' + PACKAGE_ONLY.replace("[package", "[tool.pixi.package"),
                       "pyproject.toml")


def test_package_target_tables_and_empty_activation_values_load():
    text = '[workspace]\nchannels = ["conda-forge"]\nplatforms = ["win-64"]\n\n' + PACKAGE_ONLY + (
        '\n[target.win-64.activation.env]\nEXECUTABLE_EXTENSION = ".exe"\n'
        '\n[activation.env]\nEXECUTABLE_EXTENSION = ""\n')
    ws = parse_manifest(text, "pixi.toml")
    assert ws.features["default"].default.activation.env == {"EXECUTABLE_EXTENSION": ""}
    with pytest.raises(ManifestError, match=r"unexpected key 'tasks' in \[package.target.linux-64\]"):
        parse_manifest(text.replace("[package.target.linux-64.host-dependencies]", "[package.target.linux-64.tasks]"),
                       "pixi.toml")


def test_init_format_pyproject_writes_a_python_project_and_keeps_an_existing_one(tmp_path, capsys):
    from minipixi.cli import main

    assert main(["init", "--format", "pyproject", "-p", "linux-64", str(tmp_path / "new")]) == 0
    ws = read_manifest(tmp_path / "new")
    assert ws.path.name == "pyproject.toml" and ws.name == "new"
    assert ws.resolve("default", "linux-64").dependencies["python"].version == ">=3.11"
    assert not ws.features["default"].default.pypi_dependencies  # no editable self: minipixi installs conda only
    old = tmp_path / "old"
    old.mkdir()
    mine = '[project]\nname = "old"  # my comment\nrequires-python = ">=3.12"\n\n[tool.black]\nline-length = 99\n'
    (old / "pyproject.toml").write_text(mine)
    assert main(["init", "--format", "pyproject", "-p", "osx-arm64", str(old)]) == 0
    text = (old / "pyproject.toml").read_text()
    assert text.startswith(mine) and "[tool.pixi.workspace]" in text[len(mine):]
    assert read_manifest(old).resolve("default", "osx-arm64").dependencies["python"].version == ">=3.12"
    assert main(["init", "--format", "pyproject", str(old)]) != 0  # already a manifest: refused
    assert (old / "pyproject.toml").read_text() == text
    assert "already holds a pixi manifest" in capsys.readouterr().err


def test_a_package_manifest_belongs_to_the_workspace_above_it(tmp_path):
    """Discovery as in Pixi: from a package's folder, the workspace manifest above it is found."""
    (tmp_path / "pixi.toml").write_text('[workspace]\nchannels = ["conda-forge"]\nname = "ws"\nplatforms = []\n')
    pkg = tmp_path / "packages" / "child"
    pkg.mkdir(parents=True)
    (pkg / "pixi.toml").write_text(PACKAGE_ONLY)
    assert find_manifest(pkg) == (tmp_path / "pixi.toml").resolve()
    lonely = tmp_path.parent / (tmp_path.name + "-alone") / "child"
    lonely.mkdir(parents=True)
    (lonely / "pyproject.toml").write_text('[project]\nname = "c"\n\n' + PACKAGE_ONLY.replace("[package", "[tool.pixi.package"))
    assert find_manifest(lonely) == (lonely / "pyproject.toml").resolve()  # no workspace above: its own
    with pytest.raises(ManifestError, match=r"building packages \(\[package\], pixi build\)"):
        read_manifest(find_manifest(lonely))
