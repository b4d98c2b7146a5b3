"""Commands that delete things never delete outside their folder (issue 14, "Deletes outside").

- ``clean -e ../..`` deleted the whole workspace, ``clean -e ../../../outside/victim`` a folder
  beside it: an environment name from the command line is one folder name, checked before use;
- a symlinked ``.pixi/envs`` (or ``.pixi/envs/default``) was followed and its target emptied:
  clean removes the link, never what it points at;
- ``global remove`` followed a global manifest that exposes a command named ``../../x`` or names
  an environment ``../../x``: such names are refused when the global manifest is read (naming
  the file, the key and the value), and again at removal.

Every test builds a sentinel tree outside the workspace and proves it unchanged, byte for byte.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from minipixi.cli import main
from minipixi.files import UnsafePathError
from sample_workspaces import EXAMPLE, write_manifest
from sentinel import Sentinel, snapshot


@pytest.fixture
def workspace(offline, tmp_path, monkeypatch):
    path = write_manifest(tmp_path / "ws", EXAMPLE)
    monkeypatch.chdir(path.parent)
    envs = path.parent / ".pixi" / "envs"
    (envs / "default" / "bin").mkdir(parents=True)
    (envs / "default" / "bin" / "tool").write_text("#!/bin/sh\n")
    return path.parent


@pytest.fixture
def outside(tmp_path):
    return Sentinel(tmp_path / "outside")


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def assert_refused(code: int, err: str, *needles: str) -> None:
    assert code == 1, err
    assert "Traceback" not in err and "bug" not in err, err
    for needle in needles:
        assert needle in err, (needle, err)


# ---- clean -e <name> ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["../..", "../../../outside/victim", "..", ".", "/tmp", "a/b",
                                  "default/../../.."])
def test_clean_refuses_an_environment_name_that_is_not_a_folder_name(workspace, outside, capsys, name):
    before = snapshot(workspace)
    code, err = run(capsys, "clean", "-e", name)
    assert_refused(code, err, "environment")
    assert snapshot(workspace) == before
    outside.assert_unchanged()


def test_clean_of_one_environment_still_works(workspace, capsys):
    code, err = run(capsys, "clean", "-e", "default")
    assert code == 0, err
    assert not (workspace / ".pixi" / "envs" / "default").exists()
    assert (workspace / "pixi.toml").is_file()


def test_clean_removes_a_symlinked_envs_folder_as_a_link(workspace, outside, capsys):
    envs = workspace / ".pixi" / "envs"
    for child in envs.iterdir():
        os.rename(child, outside.root / "x" / child.name)  # the envs now live outside...
    outside.before = snapshot(outside.root)
    envs.rmdir()
    envs.symlink_to(outside.root / "x", target_is_directory=True)  # ...behind a link
    code, err = run(capsys, "clean")
    assert code == 0, err
    assert not envs.exists() and not envs.is_symlink()
    outside.assert_unchanged()


def test_clean_removes_a_symlinked_environment_as_a_link(workspace, outside, capsys):
    link = workspace / ".pixi" / "envs" / "linked"
    link.symlink_to(outside.root / "victim", target_is_directory=True)
    code, err = run(capsys, "clean")
    assert code == 0, err
    assert not link.is_symlink() and not (workspace / ".pixi" / "envs" / "default").exists()
    outside.assert_unchanged()
    link.symlink_to(outside.root / "victim", target_is_directory=True)
    code, err = run(capsys, "clean", "-e", "linked")
    assert code == 0, err
    assert not link.is_symlink()
    outside.assert_unchanged()


def test_clean_of_one_environment_behind_a_symlinked_envs_folder_is_refused(workspace, outside, capsys):
    envs = workspace / ".pixi" / "envs"
    (envs / "default" / "bin" / "tool").unlink()
    (envs / "default" / "bin").rmdir()
    (envs / "default").rmdir()
    envs.rmdir()
    envs.symlink_to(outside.root, target_is_directory=True)
    code, err = run(capsys, "clean", "-e", "victim")
    assert_refused(code, err, "victim")
    outside.assert_unchanged()


def test_the_prefix_of_an_environment_is_checked_as_a_folder_name(workspace):
    from minipixi.app.project import open_project

    project = open_project()
    assert project.prefix("default") == workspace / ".pixi" / "envs" / "default"
    for name in ("..", "../x", "a/b", "", "x\x00y", "/abs"):
        with pytest.raises(UnsafePathError):
            project.prefix(name)


# ---- global remove -----------------------------------------------------------------------------

def _global_manifest(home: Path, text: str) -> Path:
    path = home / "manifests" / "pixi-global.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize("env_name, command", [
    ('"../../outside/victim"', "tool"),
    ("tool", '"../../outside/victim"'),
    ("tool", '"../../outside/file.txt"'),
    ('"tool/../.."', "tool"),
])
def test_global_remove_refuses_names_that_climb_out(offline, tmp_path, outside, capsys, env_name, command):
    home = tmp_path / "home"
    (home / "envs" / "tool").mkdir(parents=True)
    (home / "bin").mkdir()
    manifest = _global_manifest(home, f'version = 1\n\n[envs.{env_name}]\nchannels = ["conda-forge"]\n'
                                      f'dependencies = {{ bat = "*" }}\nexposed = {{ {command} = "bat" }}\n')
    before = snapshot(home)
    name = env_name.strip('"')
    code, err = run(capsys, "global", "remove", name)
    bad = env_name if ".." in env_name else command
    assert_refused(code, err, str(manifest), bad.strip('"'))
    assert snapshot(home) == before
    outside.assert_unchanged()


def test_global_remove_checks_the_names_it_removes_itself(offline, tmp_path, outside):
    from minipixi.app import global_tools

    with pytest.raises(UnsafePathError):
        global_tools.environment_prefix("../../outside")
    with pytest.raises(UnsafePathError):
        global_tools.launcher_path("../outside")
    outside.assert_unchanged()


def test_global_remove_unlinks_a_symlinked_environment(offline, tmp_path, outside, capsys):
    home = tmp_path / "home"
    (home / "envs").mkdir(parents=True)
    (home / "envs" / "tool").symlink_to(outside.root / "victim", target_is_directory=True)
    _global_manifest(home, 'version = 1\n\n[envs.tool]\nchannels = ["conda-forge"]\n'
                           'dependencies = { bat = "*" }\nexposed = { tool = "bat" }\n')
    code, err = run(capsys, "global", "remove", "tool")
    assert code == 0, err
    assert not (home / "envs" / "tool").is_symlink()
    outside.assert_unchanged()


def test_a_global_manifest_with_a_climbing_name_is_refused_when_parsed(tmp_path):
    from minipixi.errors import ManifestError
    from minipixi.app.global_tools import parse_global_manifest

    text = 'version = 1\n[envs."../x"]\nchannels = ["c"]\ndependencies = { bat = "*" }\n'
    with pytest.raises(ManifestError) as caught:
        parse_global_manifest(text, tmp_path / "pixi-global.toml")
    rendered = caught.value.render()
    assert "../x" in rendered and "pixi-global.toml:2" in rendered
    text = 'version = 1\n[envs.x]\nchannels = ["c"]\ndependencies = { bat = "*" }\nexposed = { "../y" = "bat" }\n'
    with pytest.raises(ManifestError) as caught:
        parse_global_manifest(text, tmp_path / "pixi-global.toml")
    assert "../y" in caught.value.render() and "exposed" in caught.value.render()
