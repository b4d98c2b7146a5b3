"""The workflow commands as a learner types them: lock, install, run, list, tree, shell-hook..."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from minipixi.cli import main
from minipixi.lock.read import read_lock
from sample_workspaces import EXAMPLE, write_manifest


@pytest.fixture
def workspace(offline, tmp_path, monkeypatch):
    path = write_manifest(tmp_path / "example", EXAMPLE)
    monkeypatch.chdir(path.parent)
    return path.parent


def test_lock_then_check(workspace, capsys):
    assert main(["lock"]) == 0
    err = capsys.readouterr().err
    assert "using the bundled offline teaching mirror of conda-forge" in err
    assert "✔ Lock-file was updated" in err
    assert main(["lock", "--check"]) == 0
    (workspace / "pixi.toml").write_text((workspace / "pixi.toml").read_text() + 'bat = "*"\n')
    assert main(["lock", "--check"]) == 1
    assert "bat is required by the manifest but not locked" in capsys.readouterr().err


def test_run_a_task_with_its_dependency(workspace, capfd):
    assert main(["run", "start"]) == 0
    out, err = capfd.readouterr()
    assert "✨ Pixi task (lab in default): jupyter lab" in err
    assert "JupyterLab 4.4.3 (minipixi teaching shim)" in out
    assert f"Serving notebooks from local directory: {workspace}" in out


def test_run_a_command_and_its_exit_code(workspace, capfd):
    assert main(["run", "python", "-c", "import sys; print('argv', sys.argv[1:])", "a b"]) == 0
    assert "argv ['a b']" in capfd.readouterr().out
    assert main(["run", "bash", "-c", "exit 3"]) == 3


def test_a_failing_task_names_itself(workspace, capfd):
    (workspace / "pixi.toml").write_text((workspace / "pixi.toml").read_text() + '\n[tasks.broken]\ncmd = "exit 4"\n')
    assert main(["run", "broken"]) == 4
    assert "error: task 'broken' failed with exit code 4" in capfd.readouterr().err


def test_list_tree_and_json(workspace, capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["Package", "Version", "Build", "Size", "Kind", "Source"]
    numpy = next(line.split() for line in lines if line.startswith("numpy "))
    assert numpy[1] == "2.3.0" and numpy[-1] == "https://conda.anaconda.org/conda-forge/"
    assert main(["list", "--json", "--platform", "win-64"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {d["name"] for d in data if d["is_explicit"]} == {"python", "numpy", "notebook", "jupyterlab"}
    assert main(["tree"]) == 0
    tree = capsys.readouterr().out.splitlines()
    assert "├── numpy v2.3.0" in tree and any(line.endswith("python v3.13.5 (*)") for line in tree)


def test_shell_hook_activates_in_bash(workspace, capsys):
    assert main(["shell-hook", "-s", "bash"]) == 0
    hook = capsys.readouterr().out
    out = subprocess.run(["bash", "-c", hook + "command -v jupyter; echo $PIXI_ENVIRONMENT_NAME"],
                         capture_output=True, text=True, env={"PATH": os.environ["PATH"]})
    assert out.stdout.splitlines() == [str(workspace / ".pixi/envs/default/bin/jupyter"), "default"]


def test_install_info_and_clean(workspace, capsys):
    assert main(["install", "--all"]) == 0
    assert "✔ The default environment has been installed." in capsys.readouterr().err
    assert main(["info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["workspace"]["name"] == "example"
    assert info["environment default"]["tasks"] == "lab, start"
    assert "teaching shim" in info["system"]["offline mirror"]
    assert main(["clean"]) == 0
    assert not (workspace / ".pixi" / "envs" / "default").exists()


def test_unknown_environment_is_a_clean_error(workspace, capsys):
    assert main(["run", "-e", "nope", "true"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[-2].startswith("error: there is no environment 'nope'")
    assert "Traceback" not in err


def test_remove_relocks_and_takes_the_package_out_of_the_prefix(workspace, capsys):
    """``remove`` as ``pixi remove``: the manifest, then pixi.lock, then the environment."""
    assert main(["install"]) == 0
    meta = workspace / ".pixi" / "envs" / "default" / "conda-meta"
    assert list(meta.glob("numpy-*.json"))
    capsys.readouterr()
    assert main(["remove", "numpy"]) == 0
    assert "✔ Removed numpy" in capsys.readouterr().err
    assert "numpy" not in (workspace / "pixi.toml").read_text()
    lock = read_lock(workspace / "pixi.lock")
    for platform in ("linux-64", "osx-arm64", "win-64"):
        assert "numpy" not in {p.name for p in lock.environments["default"].conda_packages(platform)}
    assert not list(meta.glob("numpy-*.json")) and list(meta.glob("jupyterlab-*.json"))
    assert main(["lock", "--check"]) == 0


def test_global_install_list_remove(offline, tmp_path, capsys):
    assert main(["global", "install", "bat"]) == 0
    assert "└── bat: 0.25.0 (installed)" in capsys.readouterr().out
    launcher = tmp_path / "home" / "bin" / "bat"
    out = subprocess.run([str(launcher), "--version"], capture_output=True, text=True)
    assert out.stdout.strip() == "bat 0.25.0 (minipixi teaching shim)"
    assert main(["global", "list"]) == 0
    assert "exposes: bat" in capsys.readouterr().out
    assert main(["global", "update"]) == 0
    assert "└── bat: 0.25.0 (up to date)" in capsys.readouterr().out and launcher.exists()
    assert main(["global", "remove", "bat"]) == 0
    assert not launcher.exists()
    assert main(["global", "remove", "bat"]) == 1


def test_global_update_recreates_tools_from_a_copied_manifest(offline, tmp_path, capsys):
    manifest = tmp_path / "home" / "manifests" / "pixi-global.toml"
    manifest.parent.mkdir(parents=True)
    manifest.write_text('[envs.viewers]\nchannels = ["conda-forge"]\ndependencies = { bat = ">=0.25" }\n'
                        'exposed = { batcat = "bat", bat = "bat" }\n')
    assert main(["global", "update"]) == 0
    assert "└── viewers: 0.25.0 (up to date)" in capsys.readouterr().out
    bin_dir = tmp_path / "home" / "bin"
    out = subprocess.run([str(bin_dir / "batcat"), "--version"], capture_output=True, text=True)
    assert out.stdout.startswith("bat 0.25.0")
    manifest.write_text(manifest.read_text().replace('batcat = "bat", ', ""))
    assert main(["global", "update", "viewers"]) == 0
    assert sorted(p.name for p in bin_dir.iterdir()) == ["bat"]  # the command it no longer exposes is gone
    manifest.write_text(manifest.read_text().replace('bat = "bat"', 'bat = "batcat"'))
    assert main(["global", "update"]) == 1
    assert "environment 'viewers' has no program 'batcat'" in capsys.readouterr().err
    assert main(["info", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["global"]["manifest"] == str(manifest)
