"""Installing wheels into a prefix and removing them (minipixi/pypi/wheel.py)."""

from __future__ import annotations

import os
import py_compile
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from minipixi.errors import MinipixiError
from minipixi.pypi import wheel as wheels
from pypi_server import build_wheel

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "security"))
from sentinel import Sentinel, snapshot  # noqa: E402

SCHEME = wheels.Scheme.for_prefix("3.12", "posix")
SITE = "lib/python3.12/site-packages"
ENTRY_POINTS = "[console_scripts]\ndemo-cli = demo.cli:main\n[gui_scripts]\ndemo-gui = demo.cli:Main.run\n"


def make_prefix(root: Path) -> Path:
    """A conda-like prefix: its folders exist already, and one unrelated file."""
    prefix = root / "env"
    for folder in (SITE, "bin", "include/python3.12", "share"):
        (prefix / folder).mkdir(parents=True)
    (prefix / SITE / "other.py").write_text("# another package's file\n")
    os.symlink(sys.executable, prefix / "bin" / "python")
    return prefix


def demo_wheel(folder: Path, **changes) -> Path:
    options = dict(
        modules={"demo/__init__.py": "VALUE = 42\n",
                 "demo/cli.py": "import sys\ndef main():\n    print('hello', *sys.argv[1:])\n"
                                "    return 3\nclass Main:\n    run = staticmethod(main)\n"},
        data={"scripts/demo-tool": b"#!python\nprint('tool')\n",
              "data/share/demo/readme.txt": b"data file\n",
              "headers/demo.h": b"int demo(void);\n",
              "platlib/demo_ext.py": b"EXT = 1\n"},
        entry_points=ENTRY_POINTS, requires=("attrs",))
    options.update(changes)
    return build_wheel(folder, "demo", "1.0", **options)


def test_install_then_uninstall_leaves_the_prefix_exactly_as_before(tmp_path):
    prefix = make_prefix(tmp_path)
    before = snapshot(prefix)
    installed = wheels.install_wheel(demo_wheel(tmp_path), prefix, SCHEME)
    assert installed.name == "demo" and installed.version == "1.0"
    assert installed.dist_info == f"{SITE}/demo-1.0.dist-info"
    site = prefix / SITE
    assert (site / "demo" / "__init__.py").read_text() == "VALUE = 42\n"
    assert (site / "demo_ext.py").is_file()
    assert (prefix / "share/demo/readme.txt").read_bytes() == b"data file\n"
    assert (prefix / "include/python3.12/demo/demo.h").is_file()
    tool = prefix / "bin" / "demo-tool"
    assert tool.read_text().splitlines()[0] == f"#!{prefix}/bin/python"
    assert os.access(tool, os.X_OK)
    assert (site / "demo-1.0.dist-info" / "INSTALLER").read_text() == "minipixi\n"
    record = (site / "demo-1.0.dist-info" / "RECORD").read_text().splitlines()
    assert "../../../bin/demo-cli" in {line.split(",")[0] for line in record}
    assert "demo-1.0.dist-info/RECORD,," in record
    assert len(record) == len(installed.files)
    # the console launcher runs with the prefix's interpreter and keeps the exit code
    run = subprocess.run([str(prefix / "bin" / "demo-cli"), "a", "b"], capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(site)}, timeout=60)
    assert (run.returncode, run.stdout) == (3, "hello a b\n")
    py_compile.compile(str(site / "demo/cli.py"),
                       cfile=str(site / "demo/__pycache__/cli.cpython-312.pyc"))
    removed = wheels.uninstall(prefix, SCHEME, "Demo")
    assert sorted(removed) == sorted(installed.files)
    assert snapshot(prefix) == before


def test_record_mismatch_is_refused_and_nothing_is_written(tmp_path):
    prefix = make_prefix(tmp_path)
    before = snapshot(prefix)
    bad = demo_wheel(tmp_path, tamper="demo/cli.py")
    with pytest.raises(wheels.WheelError) as caught:
        wheels.install_wheel(bad, prefix, SCHEME)
    assert "'demo/cli.py'" in caught.value.message and bad.name in str(caught.value.where)
    assert snapshot(prefix) == before


@pytest.mark.parametrize("change", [
    {"extra_members": {"demo/unlisted.py": b"x = 1\n"}},
    {"data": {"secret/x": b"unknown scheme\n"}},
])
def test_unlisted_member_or_unknown_scheme_is_refused(tmp_path, change):
    prefix = make_prefix(tmp_path)
    before = snapshot(prefix)
    with pytest.raises(wheels.WheelError):
        wheels.install_wheel(demo_wheel(tmp_path, **change), prefix, SCHEME)
    assert snapshot(prefix) == before


def hostile_wheel(folder: Path, member: str, *, link: bool = False) -> Path:
    """demo 1.0 with one more member named `member`, listed in RECORD like the rest."""
    wheel = build_wheel(folder, "demo", "1.0", modules={"demo/__init__.py": ""})
    with zipfile.ZipFile(wheel) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    body = b"../../outside/victim" if link else b"pwned\n"
    record = "demo-1.0.dist-info/RECORD"
    members[record] = members[record] + f"{member},{wheels.record_digest(body)},{len(body)}\n".encode()
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        info = zipfile.ZipInfo(member)
        info.external_attr = (0o120777 if link else 0o100644) << 16
        archive.writestr(info, body)
    return wheel


@pytest.mark.parametrize("member,link", [
    ("../../../outside/file.txt", False),
    ("/abs/outside.txt", False),
    ("demo-1.0.data/data/../../../../outside/victim/data.txt", False),
    ("demo/evil", True),
])
def test_hostile_member_paths_are_refused(tmp_path, member, link):
    sentinel = Sentinel(tmp_path / "outside")
    prefix = make_prefix(tmp_path)
    before = snapshot(prefix)
    with pytest.raises(MinipixiError):
        wheels.install_wheel(hostile_wheel(tmp_path, member, link=link), prefix, SCHEME)
    sentinel.assert_unchanged()
    assert snapshot(prefix) == before


def test_a_planted_symlink_cannot_carry_files_out(tmp_path):
    sentinel = Sentinel(tmp_path / "outside")
    prefix = make_prefix(tmp_path)
    os.symlink(tmp_path / "outside" / "x", prefix / SITE / "demo")
    before = snapshot(prefix)
    with pytest.raises(MinipixiError, match="symlink"):
        wheels.install_wheel(demo_wheel(tmp_path), prefix, SCHEME)
    sentinel.assert_unchanged()
    assert snapshot(prefix) == before


def test_uninstall_ignores_nothing_and_refuses_a_record_that_points_outside(tmp_path):
    sentinel = Sentinel(tmp_path / "outside")
    prefix = make_prefix(tmp_path)
    wheels.install_wheel(demo_wheel(tmp_path), prefix, SCHEME)
    record = prefix / SITE / "demo-1.0.dist-info" / "RECORD"
    record.write_text(record.read_text() + "../../../../outside/file.txt,,\n")
    before = snapshot(prefix)
    with pytest.raises(MinipixiError, match="outside/file.txt"):
        wheels.uninstall(prefix, SCHEME, "demo")
    sentinel.assert_unchanged()
    assert snapshot(prefix) == before


def test_an_existing_file_is_not_overwritten(tmp_path):
    prefix = make_prefix(tmp_path)
    wheels.install_wheel(demo_wheel(tmp_path), prefix, SCHEME)
    before = snapshot(prefix)
    with pytest.raises(wheels.WheelError, match="would overwrite"):
        wheels.install_wheel(demo_wheel(tmp_path), prefix, SCHEME)
    assert snapshot(prefix) == before


def test_size_bound_refuses_a_large_member(tmp_path, monkeypatch):
    prefix = make_prefix(tmp_path)
    before = snapshot(prefix)
    big = build_wheel(tmp_path, "demo", "1.0", modules={"demo/big.py": "#" * 300_000})
    monkeypatch.setenv("MINIPIXI_MAX_UNPACKED_SIZE", "100KiB")
    with pytest.raises(wheels.WheelError, match="MINIPIXI_MAX_UNPACKED_SIZE"):
        wheels.install_wheel(big, prefix, SCHEME)
    assert snapshot(prefix) == before


def test_launcher_text_posix_and_windows():
    assert wheels.launcher_text("demo.cli", "Main.run", "/env/bin/python") == (
        "#!/env/bin/python\n"
        "# launcher written by minipixi for demo.cli:Main.run\n"
        "import sys\n"
        "from demo.cli import Main\n"
        'if __name__ == "__main__":\n'
        "    sys.exit(Main.run())\n")
    assert wheels.launcher_text("demo.cli", "main", r"C:\env\pythonw.exe", "nt") == (
        "@echo off\r\n"
        '"C:\\env\\pythonw.exe" -c "import sys; from demo.cli import main; sys.exit(main())" %*\r\n'
        "exit /b %ERRORLEVEL%\r\n")
    with pytest.raises(wheels.WheelError):
        wheels.launcher_text("m", "f", 'C:\\a"b\\python.exe', "nt")


def test_windows_scheme_writes_cmd_launchers(tmp_path):
    scheme = wheels.Scheme.for_prefix("3.12", "nt")
    prefix = tmp_path / "win"
    (prefix / "Lib/site-packages").mkdir(parents=True)
    (prefix / "Scripts").mkdir()
    installed = wheels.install_wheel(demo_wheel(tmp_path, data={}), prefix, scheme)
    assert "Scripts/demo-cli.cmd" in installed.files and "Scripts/demo-gui.cmd" in installed.files
    text = (prefix / "Scripts/demo-gui.cmd").read_bytes().decode()
    assert text.startswith("@echo off\r\n") and "pythonw.exe" in text
    wheels.uninstall(prefix, scheme, "demo")
    assert sorted(p.relative_to(prefix).as_posix() for p in prefix.rglob("*")) == \
        ["Lib", "Lib/site-packages", "Scripts"]


def test_hostile_entry_point_name_is_refused(tmp_path):
    prefix = make_prefix(tmp_path)
    before = snapshot(prefix)
    hostile = demo_wheel(tmp_path, entry_points="[console_scripts]\n../../evil = demo.cli:main\n")
    with pytest.raises(MinipixiError, match="evil"):
        wheels.install_wheel(hostile, prefix, SCHEME)
    assert snapshot(prefix) == before
