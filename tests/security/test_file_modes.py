"""Files minipixi writes get the mode the umask gives (0644 under umask 022), never mkstemp's
private 0600; an existing file keeps its mode; edits keep CRLF line endings and a BOM
(issue 14: "`init`, `export` and `grade -o` write files with mode 0600"; "`add` turns CRLF into
LF for the whole file"; "A BOM gives 'Empty key'").

Everything goes through `minipixi.files.write_atomic`; these tests look at what the commands
leave on disk.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from minipixi.cli import main
from minipixi.manifest import edit_dependencies, edit_tasks, edit_workspace

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def umask():
    """Run the test under a chosen umask, and put the old one back whatever happens."""
    old = os.umask(0o022)
    try:
        yield lambda value: os.umask(value)
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def workspace(offline, tmp_path, monkeypatch, umask):
    folder = tmp_path / "ws"
    assert main(["init", str(folder), "-p", "linux-64"]) == 0
    monkeypatch.chdir(folder)
    return folder


def test_init_lock_add_and_edits_write_0644_under_umask_022(workspace, capsys):
    for name in ("pixi.toml", ".gitignore", ".gitattributes"):
        assert mode(workspace / name) == 0o644, name
    assert main(["add", "--no-install", "bat"]) == 0
    assert mode(workspace / "pixi.toml") == 0o644
    assert mode(workspace / "pixi.lock") == 0o644
    assert main(["task", "add", "hello", "echo", "hi"]) == 0
    assert mode(workspace / "pixi.toml") == 0o644
    for path in (workspace / ".pixi").iterdir():
        assert mode(path) == 0o644, path


def test_exports_write_0644_and_scripts_0755(workspace, capsys):
    assert main(["add", "--no-install", "bat"]) == 0
    assert main(["workspace", "export", "conda-environment", "env.yml"]) == 0
    assert mode(workspace / "env.yml") == 0o644
    assert main(["workspace", "export", "conda-explicit-spec", "specs"]) == 0
    written = list((workspace / "specs").iterdir())
    assert written and all(mode(p) == 0o644 for p in written)
    assert main(["workspace", "export", "slurm", "--output-dir", "job"]) == 0
    for path in (workspace / "job").rglob("*"):
        if path.is_file():
            want = 0o755 if path.suffix in (".sh", ".sbatch") else 0o644
            assert mode(path) == want, path


def test_grade_report_is_0644(tmp_path, umask, capsys):
    report = tmp_path / "report.txt"
    main(["grade", "01", str(REPO / "exercises" / "01-manifest-lab" / "solution"), "-o", str(report)])
    assert report.is_file() and mode(report) == 0o644


def test_a_stricter_umask_is_followed(offline, tmp_path, umask):
    umask(0o077)
    assert main(["init", str(tmp_path / "private"), "-p", "linux-64"]) == 0
    assert mode(tmp_path / "private" / "pixi.toml") == 0o600


def test_an_edit_keeps_the_mode_the_file_had(workspace, capsys):
    (workspace / "pixi.toml").chmod(0o640)
    assert main(["task", "add", "hello", "echo", "hi"]) == 0
    assert mode(workspace / "pixi.toml") == 0o640


# ---- line endings and the byte order mark -----------------------------------------------------

def test_add_keeps_crlf_line_endings(workspace, capsys):
    manifest = workspace / "pixi.toml"
    manifest.write_bytes(manifest.read_bytes().replace(b"\n", b"\r\n"))
    assert main(["add", "--no-install", "bat"]) == 0
    data = manifest.read_bytes()
    assert b"bat = " in data
    assert data.count(b"\n") == data.count(b"\r\n") > 5, data
    assert main(["task", "add", "hello", "echo", "hi"]) == 0
    data = manifest.read_bytes()
    assert b'hello = "echo hi"\r\n' in data and data.count(b"\n") == data.count(b"\r\n")


def test_remove_after_add_restores_a_crlf_file_byte_for_byte(workspace, capsys):
    manifest = workspace / "pixi.toml"
    manifest.write_bytes(manifest.read_bytes().replace(b"\n", b"\r\n"))
    original = manifest.read_bytes()
    assert main(["add", "--no-lockfile-update", "bat"]) == 0
    assert main(["remove", "bat"]) == 0
    assert manifest.read_bytes() == original


def test_an_edit_keeps_a_byte_order_mark(workspace, capsys):
    from minipixi.manifest.edit import decode_manifest
    from minipixi.manifest.edit_tasks import add_task

    manifest = workspace / "pixi.toml"
    manifest.write_bytes(b"\xef\xbb\xbf" + manifest.read_bytes().replace(b"\n", b"\r\n"))
    add_task(manifest, "hello", "echo hi")
    data = manifest.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf[") and data.count(b"\xef\xbb\xbf") == 1
    assert b'hello = "echo hi"\r\n' in data and data.count(b"\n") == data.count(b"\r\n")
    text, form = decode_manifest(data, manifest)
    assert form.bom and form.crlf and "\r" not in text and not text.startswith("\ufeff")


def test_a_file_mixing_line_endings_is_edited_as_it_is(workspace, capsys):
    from minipixi.manifest.edit_tasks import add_task

    manifest = workspace / "pixi.toml"
    lines = manifest.read_bytes().split(b"\n")
    manifest.write_bytes(lines[0] + b"\r\n" + b"\n".join(lines[1:]))
    add_task(manifest, "hello", "echo hi")
    data = manifest.read_bytes()
    assert data.startswith(lines[0] + b"\r\n") and data.count(b"\r\n") == 1


def test_an_edit_of_a_file_that_is_not_utf8_is_a_clean_error(workspace, capsys):
    manifest = workspace / "pixi.toml"
    manifest.write_bytes(manifest.read_bytes() + b"# caf\xe9\n")
    before = manifest.read_bytes()
    assert main(["task", "add", "hello", "echo", "hi"]) == 1
    err = capsys.readouterr().err
    assert "not UTF-8" in err and "Traceback" not in err and "bug" not in err, err
    assert manifest.read_bytes() == before


EDITS = {
    "add a feature dependency": lambda p: edit_dependencies.add_dependencies(
        p, ["cmake >=3"], feature="build", platforms=["linux-64"]),
    "remove a dependency": lambda p: edit_dependencies.remove_dependencies(p, ["numpy"]),
    "add a task": lambda p: edit_tasks.add_task(p, "hello", "echo hi", depends_on=["lab"]),
    "remove a task": lambda p: edit_tasks.remove_task(p, ["start"]),
    "add a platform": lambda p: edit_workspace.add_platforms(p, ["osx-64"]),
    "add a channel": lambda p: edit_workspace.add_channels(p, ["bioconda"], prepend=True),
    "add an environment": lambda p: (edit_dependencies.add_dependencies(p, ["cmake"], feature="build"),
                                     edit_workspace.add_environment(p, "dev", ["build"], solve_group="x")),
}


@pytest.mark.parametrize("edit_name", sorted(EDITS))
@pytest.mark.parametrize("bom", [False, True])
def test_every_edit_of_a_windows_file_is_the_unix_edit_in_windows_form(tmp_path, edit_name, bom):
    """Edit an LF file and a CRLF (+ BOM) copy of it: the results differ only in that form."""
    from sample_workspaces import EXAMPLE, write_manifest

    unix = write_manifest(tmp_path / "unix", EXAMPLE)
    windows = write_manifest(tmp_path / "windows", EXAMPLE)
    original = unix.read_bytes()
    windows.write_bytes((b"\xef\xbb\xbf" if bom else b"") + original.replace(b"\n", b"\r\n"))
    EDITS[edit_name](unix)
    EDITS[edit_name](windows)
    assert unix.read_bytes() != original
    expected = (b"\xef\xbb\xbf" if bom else b"") + unix.read_bytes().replace(b"\n", b"\r\n")
    assert windows.read_bytes() == expected


def test_global_install_writes_its_manifest_0644_and_launchers_0755(offline, tmp_path, umask, capsys):
    assert main(["global", "install", "bat"]) == 0
    home = tmp_path / "home"
    assert mode(home / "manifests" / "pixi-global.toml") == 0o644
    launchers = list((home / "bin").iterdir())
    assert launchers and all(mode(p) == 0o755 for p in launchers), [(p, oct(mode(p))) for p in launchers]
