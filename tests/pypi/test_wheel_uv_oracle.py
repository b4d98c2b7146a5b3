"""Differential: `uv pip install --target` of the same wheels from the same local index lays
out the same files as minipixi's installer (skipped when uv is not installed)."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.tags import sys_tags

from minipixi.pypi import index, wheel as wheels
from pypi_server import Entry, SimpleIndex, build_wheel, metadata_of

UV = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
# uv's --target layout: site-packages and data in the folder itself, scripts in bin/,
# headers in include/<name>/.
TARGET = wheels.Scheme(".", ".", "bin", ".", "include")
OURS_ONLY = {"INSTALLER", "RECORD", "REQUESTED"}  # written by each installer in its own way


def tree(root: Path) -> dict[str, bytes | None]:
    """Every file below root (not bin/, whose launchers each tool writes its own way)."""
    found = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not rel.startswith(("bin/", ".")) and path.name not in OURS_ONLY:
            found[rel] = path.read_bytes()
    return found


def record_paths(root: Path) -> set[str]:
    paths = set()
    for record in root.glob("*.dist-info/RECORD"):
        with open(record, newline="") as handle:
            paths |= {row[0] for row in csv.reader(handle) if row and
                      not row[0].endswith("/REQUESTED")}
    return paths


@pytest.mark.skipif(UV is None, reason="uv is not installed (pip install uv)")
@pytest.mark.parametrize("mode", ["json", "html"])
def test_uv_installs_the_same_files(tmp_path, mode):
    made = tmp_path / "wheels"
    made.mkdir()
    platform_tag = str(next(iter(sys_tags())))  # a wheel only this interpreter can use
    built = [
        build_wheel(made, "demo", "1.0", modules={"demo/__init__.py": "V = 1\n",
                                                  "demo/sub/data.json": "{}\n"},
                    data={"scripts/demo-tool": b"#!python\nprint(1)\n",
                          "data/share/demo/readme.txt": b"readme\n",
                          "headers/demo.h": b"int demo(void);\n",
                          "platlib/demo_ext.py": b"EXT = 1\n"},
                    entry_points="[console_scripts]\ndemo-cli = demo:main\n",
                    extras=("test",), requires=('pytest; extra == "test"',)),
        build_wheel(made, "native-pkg", "2.0", tag=platform_tag, purelib=False,
                    modules={"native_pkg/__init__.py": "N = 2\n"}),
    ]
    server = SimpleIndex(mode=mode)
    server.add("demo", Entry(built[0].name, built[0].read_bytes(),
                             metadata=metadata_of(built[0])))
    server.add("native-pkg", Entry(built[1].name, built[1].read_bytes()))
    ours, theirs, cache = tmp_path / "ours", tmp_path / "theirs", tmp_path / "cache"
    ours.mkdir()
    with server:
        for name in ("demo", "native-pkg"):
            page = index.fetch_project(server.url, name, cache_dir=cache)
            path = index.fetch_file(page.files[0], project=name, cache_dir=cache)
            wheels.install_wheel(path, ours, TARGET)
        run = subprocess.run(
            [UV, "pip", "install", "--no-config", "--no-deps", "--target", str(theirs),
             "--python", sys.executable, "--index-url", server.url,
             "--cache-dir", str(tmp_path / "uv-cache"), "demo==1.0", "native-pkg"],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "UV_OFFLINE": "0", "NO_PROXY": "127.0.0.1"})
    assert run.returncode == 0, run.stderr
    assert tree(ours) == tree(theirs)
    assert len(tree(ours)) == 11  # 8 files of demo (5 from .data and dist-info), 3 of native-pkg
    assert sorted(p.name for p in (ours / "bin").iterdir()) == \
        sorted(p.name for p in (theirs / "bin").iterdir()) == ["demo-cli", "demo-tool"]
    assert record_paths(ours) == record_paths(theirs)
