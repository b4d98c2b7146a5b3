"""The teaching channel's shims behave as the lesson says.

- the `tree` shim honours ``-L N`` and ``-d`` (Episode 4 runs ``tree -L 2``), and refuses what it
  does not know;
- `libzlib` has a text and a binary prefix placeholder (Episode 4's challenge), and installing
  it writes the environment's real path into both (the binary one padded to its old length);
- win-64 builds carry ``.cmd`` shims with CRLF line ends, in conda's Windows layout.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from minipixi.cli import main
from minipixi.teaching.mirror.build import PLACEHOLDER, RECIPE, expand_recipe

BUILDS = expand_recipe(yaml.safe_load(RECIPE.read_text(encoding="utf-8")))


def build_of(name: str, subdir: str):
    return next(b for b in BUILDS if b.index["name"] == name and b.subdir == subdir)


@pytest.fixture
def tree_shim(tmp_path):
    shim = tmp_path / "tree"
    shim.write_text(build_of("tree", "linux-64").files["bin/tree"])
    shim.chmod(0o755)
    root = tmp_path / "env"
    for rel in ("bin/python", "lib/python3.13/site-packages/README.txt", "conda-meta/history"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x\n")
    return shim, root


def run_tree(shim: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(shim), *args], cwd=cwd, capture_output=True, text=True, timeout=30,
                          env={"PATH": os.environ["PATH"], "LC_ALL": "C"})


def test_tree_without_options_lists_everything(tree_shim):
    shim, root = tree_shim
    out = run_tree(shim, "env", cwd=root.parent).stdout.splitlines()
    assert out[0] == "env" and "        └── site-packages" in out and "            └── README.txt" in out
    assert out[-1] == "5 directories, 3 files"


def test_tree_honours_level_and_folders_only(tree_shim):
    shim, root = tree_shim
    two = run_tree(shim, "-L", "2", "env", cwd=root.parent).stdout.splitlines()
    assert two == ["env", "└── bin", "    └── python", "└── conda-meta", "    └── history", "└── lib",
                   "    └── python3.13", "", "4 directories, 2 files"]
    assert run_tree(shim, "-L1", "env", cwd=root.parent).stdout.splitlines()[1:4] == ["└── bin", "└── conda-meta", "└── lib"]
    dirs = run_tree(shim, "-d", "-L", "2", "env", cwd=root.parent).stdout.splitlines()
    assert dirs == ["env", "└── bin", "└── conda-meta", "└── lib", "    └── python3.13", "", "4 directories"]


@pytest.mark.parametrize("args", [["-L", "0"], ["-L", "x"], ["-a"]])
def test_tree_refuses_what_it_does_not_know(tree_shim, args):
    shim, root = tree_shim
    proc = run_tree(shim, *args, "env", cwd=root.parent)
    assert proc.returncode == 2 and proc.stdout == "" and "tree:" in proc.stderr


def test_libzlib_has_a_text_and_a_binary_placeholder():
    files = build_of("libzlib", "linux-64").files
    assert "prefix=" + PLACEHOLDER in files["lib/pkgconfig/zlib.pc"] and "\0" not in files["lib/pkgconfig/zlib.pc"]
    assert PLACEHOLDER + "/lib\0" in files["lib/libz.a"]
    assert len(PLACEHOLDER) >= 200  # room for a real prefix in the binary file


def test_installing_libzlib_writes_the_real_prefix_in_both(offline, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "ws", "--platform", "linux-64"]) == 0
    monkeypatch.chdir(tmp_path / "ws")
    assert main(["add", "python"]) == 0, capsys.readouterr().err
    prefix = tmp_path / "ws" / ".pixi" / "envs" / "default"
    assert f"prefix={prefix}\n" in (prefix / "lib" / "pkgconfig" / "zlib.pc").read_text()
    binary = (prefix / "lib" / "libz.a").read_bytes()
    assert f"{prefix}/lib\0".encode() in binary and PLACEHOLDER.encode() not in binary
    assert len(binary) == len(build_of("libzlib", "linux-64").files["lib/libz.a"].encode())
    record = json.loads(next((prefix / "conda-meta").glob("libzlib-*.json")).read_text())
    modes = {p["_path"]: p.get("file_mode") for p in record["paths_data"]["paths"]}
    assert modes["lib/pkgconfig/zlib.pc"] == "text" and modes["lib/libz.a"] == "binary"


def test_windows_builds_have_cmd_shims_in_the_windows_layout():
    python = build_of("python", "win-64")
    assert set(python.files) == {"python.cmd", "Lib/site-packages/README.txt"}
    assert python.index["python_site_packages_path"] == "Lib/site-packages"
    assert "py -3 %*" in python.files["python.cmd"]
    assert set(build_of("bat", "win-64").files) == {"Library/bin/bat.cmd"}
    numpy = next(b for b in BUILDS if b.index["name"] == "numpy" and b.subdir == "win-64")
    assert all(path.startswith("Lib/site-packages/") for path in numpy.files)
    assert all(not text.startswith("#!") for b in BUILDS if b.subdir == "win-64" for text in b.files.values())
    assert any(path.startswith("lib/python3.12/site-packages/") for path in build_of("numpy", "linux-64").files)


def test_cmd_shims_are_packed_with_crlf_line_ends(tmp_path):
    from minipixi.teaching.mirror.build import _package_tree

    _package_tree(build_of("python", "win-64"), tmp_path, "note")
    data = (tmp_path / "python.cmd").read_bytes()
    assert data.startswith(b"@echo off\r\n") and data.count(b"\n") == data.count(b"\r\n")
    assert b"\r" not in (tmp_path / "Lib" / "site-packages" / "README.txt").read_bytes()
