"""Install escapes: nothing a package, a repodata record or a lock says makes an install write
or delete outside the prefix and the package cache; package archives have size bounds.

Every test builds its hostile input here (a package, a record, a lock), aims it at a sentinel
tree beside the prefix (`Sentinel(tmp_path / "outside")`), runs the real code path (the install
function or `minipixi.cli.main`), and proves: the right error, naming the file, the field and the
value; the sentinel byte for byte unchanged; the prefix as it was. Layout of every test::

    tmp_path/outside/     the sentinel (x/keep.txt, victim/data.txt, file.txt)
    tmp_path/env/         the prefix (one good package installed first)
    tmp_path/cache/pkgs/  the package cache
    tmp_path/chan/        the channel the packages come from
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import os
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest
from pkgfactory import make_package, record_for, snapshot_tree, tar_member, write_raw_conda
from sentinel import Sentinel

from minipixi.install import install
from minipixi.install import link
from minipixi.install import package
from minipixi.install import package_cache
from minipixi.errors import ExtractError, LockError, MinipixiError, RecordError
from minipixi.files import UnsafePathError
from minipixi.records import PackageRecord, check_record_paths
from minipixi.install.workers import WorkerPool

F, SYM, LNK, DIR = tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.DIRTYPE
PLACEHOLDER = "/opt/anaconda1anaconda2anaconda3"
ATTACKS: list[str] = []  # every attack this file tries (for the count in issue 14's closing note)


# ---- building hostile packages -------------------------------------------------------------


def hostile_conda(channel: Path, name: str, *, paths: list[dict] | None = None,
                  members: list | None = None, link: dict | None = None,
                  index: dict | None = None, info_extra: list | None = None,
                  version: str = "1", build: str = "0") -> tuple[Path, PackageRecord]:
    """A .conda whose info/ says exactly what it is given (no checks), and its record."""
    index = {"name": name, "version": version, "build": build, "build_number": 0,
             "depends": [], "subdir": "linux-64", **(index or {})}
    info = [tar_member("info/index.json", json.dumps(index).encode())]
    if paths is not None:
        info.append(tar_member("info/paths.json",
                               json.dumps({"paths": paths, "paths_version": 1}).encode()))
    if link is not None:
        info.append(tar_member("info/link.json", json.dumps(link).encode()))
    info += info_extra or []
    channel.mkdir(parents=True, exist_ok=True)
    archive = write_raw_conda(channel / f"{name}-{version}-{build}.conda",
                              members or [tar_member("share/ok.txt", b"ok")], info)
    return archive, record_for(archive, index)


@pytest.fixture
def world(tmp_path):
    """The sentinel, a prefix with one good package, the cache and the channel."""
    channel = tmp_path / "chan"
    _, good = make_package(channel, "good", {"share/good.txt": "good"})
    cache = package_cache.PackageCache(tmp_path / "cache" / "pkgs")
    prefix = tmp_path / "env"
    install.install([good], prefix, cache=cache)
    sentinel = Sentinel(tmp_path / "outside")
    return dataclasses.make_dataclass("World", ["channel", "good", "cache", "prefix", "sentinel"])(
        channel, good, cache, prefix, sentinel)


def attempt(world, records, error=MinipixiError, **kwargs) -> MinipixiError:
    """Install `records` (after the good one) and return the error; prove nothing changed."""
    ATTACKS.append(str(records[-1]))
    before = snapshot_tree(world.prefix, ignore=())
    with pytest.raises(error) as info:
        install.install([world.good, *records], world.prefix, cache=world.cache, **kwargs)
    world.sentinel.assert_unchanged()
    assert snapshot_tree(world.prefix, ignore=()) == before
    return info.value


def assert_names(err: MinipixiError, *words: str) -> None:
    text = err.render()
    assert "this is a bug" not in text
    for word in words:
        assert word in text, (word, text)


# ---- paths.json -------------------------------------------------------------------------------

PATHS_ATTACKS = {
    # the placeholder branch removed the target before reading the (missing) source
    "placeholder-climbs": {"_path": "../outside/file.txt", "path_type": "hardlink",
                           "prefix_placeholder": PLACEHOLDER, "file_mode": "text"},
    "hardlink-climbs": {"_path": "share/../../outside/x/keep.txt", "path_type": "hardlink"},
    "directory-climbs": {"_path": "../outside/newdir", "path_type": "directory"},
    "softlink-climbs": {"_path": "../outside/victim", "path_type": "softlink"},
    "absolute": {"_path": str(Path("/tmp/minipixi-absolute-escape.txt")), "path_type": "hardlink"},
    "nul": {"_path": "share/a\0b", "path_type": "hardlink"},
    "backslash-climbs": {"_path": "..\\outside\\file.txt", "path_type": "hardlink"},
}


@pytest.mark.parametrize("case", sorted(PATHS_ATTACKS))
def test_paths_json_path_that_leaves_the_prefix_is_refused(world, case):
    entry = PATHS_ATTACKS[case]
    _, hostile = hostile_conda(world.channel, "evil", paths=[
        {"_path": "share/ok.txt", "path_type": "hardlink"}, entry])
    err = attempt(world, [hostile], package.UnsafePackageError)
    assert_names(err, "paths.json", "`_path`", repr(entry["_path"]))
    assert isinstance(err, ExtractError)
    assert not Path("/tmp/minipixi-absolute-escape.txt").exists()


def test_paths_json_unknown_path_type_and_bad_shapes_are_refused(world):
    for paths, words in [
        ([{"_path": "share/ok.txt", "path_type": "fifo"}], ["path_type", "'fifo'"]),
        ([{"_path": "share/ok.txt", "file_mode": "weird", "prefix_placeholder": "/x"}],
         ["file_mode", "'weird'"]),
        (["share/ok.txt"], ["entry 0", "not a mapping"]),
        ([{"path_type": "hardlink"}], ["`_path`", "None"]),
    ]:
        _, hostile = hostile_conda(world.channel, "odd", paths=paths, version=str(len(ATTACKS)))
        assert_names(attempt(world, [hostile], ExtractError), "paths.json", *words)


def test_paths_json_error_crosses_the_worker_boundary(world, monkeypatch):
    """Unpacking and linking run in worker processes: the refusal comes back whole."""
    monkeypatch.setattr(install, "LINK_IN_PROCESSES_FROM", 2)
    _, other = make_package(world.channel, "other", {"share/other.txt": "x"})
    _, hostile = hostile_conda(world.channel, "evil", paths=[PATHS_ATTACKS["placeholder-climbs"]])
    err = attempt(world, [other, hostile], package.UnsafePackageError, workers=2)
    assert_names(err, "paths.json", "`_path`", "'../outside/file.txt'")
    # and straight through a pool that certainly has workers (spawned when threads run)
    cache_dir = world.cache.package_dir(hostile)
    request = install.LinkRequest(hostile, cache_dir)
    with WorkerPool(2) as pool:
        assert pool.has_workers
        future = pool.submit(install.link_targets, request, None)
        with pytest.raises(package.UnsafePackageError) as info:
            future.result()
    assert_names(info.value, "`_path`", "'../outside/file.txt'", str(cache_dir))


def test_legacy_info_files_that_climb_out_are_refused(world):
    info = [tar_member("info/files", b"share/ok.txt\n../outside/file.txt\n")]
    _, hostile = hostile_conda(world.channel, "legacy", info_extra=info)
    assert_names(attempt(world, [hostile], package.UnsafePackageError),
                 "info/files", "'../outside/file.txt'")


# ---- link.json entry points, python_site_packages_path ----------------------------------------


def python_package(channel: Path, **index):
    return make_package(channel, "python", {"bin/python3.12": "#!/bin/sh\n"}, version="3.12.0",
                        extra_index=index)[1]


@pytest.mark.parametrize("name", ["../../outside/victim", "../x", "/abs", "a/b", ".."])
def test_entry_point_name_that_is_not_one_file_name_is_refused(world, name):
    python = python_package(world.channel)
    link = {"noarch": {"type": "python", "entry_points": [f"{name} = mod:main"]},
            "package_metadata_version": 1}
    _, hostile = hostile_conda(world.channel, "tool", index={"noarch": "python"}, link=link,
                               paths=[{"_path": "site-packages/mod.py", "path_type": "hardlink"}],
                               members=[tar_member("site-packages/mod.py", b"def main(): 0\n")])
    err = attempt(world, [python, hostile], package.UnsafePackageError)
    assert_names(err, "link.json", "entry point name", repr(name))


def test_python_site_packages_path_that_climbs_out_is_refused(world):
    # when read from repodata
    entry = {"name": "python", "version": "3.12.0", "build": "0",
             "python_site_packages_path": "../outside"}
    with pytest.raises(RecordError) as info:
        PackageRecord.from_repodata("python-3.12.0-0.conda", entry)
    assert_names(info.value, "python_site_packages_path", "'../outside'", "python-3.12.0-0.conda")
    # and when a record made in code reaches the installer
    python = dataclasses.replace(python_package(world.channel), python_site_packages_path="../outside")
    _, tool = make_package(world.channel, "tool", {"site-packages/victim/data.txt": "mine"},
                           noarch="python")
    err = attempt(world, [python, tool], UnsafePathError)
    assert_names(err, "python_site_packages_path", "'../outside'")


# ---- records: repodata and in code --------------------------------------------------------------

RECORD_ATTACKS = {
    "build": "0/../../../outside/victim",
    "name": "../../outside/victim",
    "version": "1/../../../../outside/victim",
    "subdir": "../outside",
    "fn": "../../outside/file.txt",
    "url": "file:///nowhere/..",
}


@pytest.mark.parametrize("field", sorted(RECORD_ATTACKS))
def test_record_fields_that_become_paths_are_refused(world, field):
    value = RECORD_ATTACKS[field]
    # from repodata: refused when read
    entry = {"name": "demo", "version": "1", "build": "0", "subdir": "linux-64", field: value}
    fn = value if field == "fn" else "demo-1-0.conda"
    with pytest.raises(RecordError) as info:
        PackageRecord.from_repodata(fn, {k: v for k, v in entry.items() if k != "fn"})
    assert_names(info.value, f"`{field}`", repr(value))
    # made in code: refused by the installer before the cache or the prefix sees it
    _, good = make_package(world.channel, "demo", {"share/demo.txt": "x"}, version="1")
    hostile = dataclasses.replace(good, **{field: value})
    assert_names(attempt(world, [hostile], UnsafePathError), f"`{field}`", repr(value))


def test_the_cache_checks_names_where_they_become_paths(world):
    """Defence in depth: even a caller that skips `install()` cannot aim the cache out."""
    _, good = make_package(world.channel, "demo", {"share/demo.txt": "x"}, version="1")
    for field, value in [("build", RECORD_ATTACKS["build"]), ("fn", RECORD_ATTACKS["fn"])]:
        hostile = dataclasses.replace(good, **{field: value})
        with pytest.raises(UnsafePathError) as info:
            world.cache.fetch(hostile)
        assert_names(info.value, value)  # within the folder or archive name it would make
    world.sentinel.assert_unchanged()


REPODATA_ATTACKS = {
    "build": "0/../../../../outside/victim",
    "fn": "demo-1.0-0/../../../../outside/x.conda",  # indexed under "demo" all the same
    "subdir": "../outside",
    "python_site_packages_path": "../../outside",
}


@pytest.mark.parametrize("field", sorted(REPODATA_ATTACKS))
def test_repodata_fields_that_become_paths_are_refused_by_the_cli(tmp_path, offline, monkeypatch,
                                                                  capsys, field):
    from minipixi.cli import main

    value = REPODATA_ATTACKS[field]
    sentinel = Sentinel(tmp_path / "outside")
    channel = tmp_path / "chan"
    archive, record = make_package(channel / "linux-64", "demo", {"share/demo.txt": "x"})
    entry = record.to_repodata()
    if field == "fn":
        write_repodata(channel, {value: entry})
    else:
        write_repodata(channel, {archive.name: dict(entry, **{field: value})})
    workspace = write_workspace(tmp_path / "ws", channel, monkeypatch)
    assert main(["install"]) == 1
    err = capsys.readouterr().err
    assert f"`{field}`" in err and repr(value) in err and "repodata" in err, err
    assert "this is a bug" not in err and "Traceback" not in err
    sentinel.assert_unchanged()
    assert not (workspace / ".pixi" / "envs").exists()
    ATTACKS.append(f"repodata {field} via cli")


def write_repodata(channel: Path, conda_packages: dict) -> None:
    for subdir, packages in (("linux-64", conda_packages), ("noarch", {})):
        (channel / subdir).mkdir(parents=True, exist_ok=True)
        (channel / subdir / "repodata.json").write_text(json.dumps(
            {"info": {"subdir": subdir}, "packages": {}, "packages.conda": packages}))


def write_workspace(folder: Path, channel: Path, monkeypatch) -> Path:
    folder.mkdir()
    (folder / "pixi.toml").write_text(
        f'[workspace]\nname = "ws"\nchannels = ["{channel.as_uri()}"]\n'
        f'platforms = ["linux-64"]\n\n[dependencies]\ndemo = "*"\n')
    monkeypatch.chdir(folder)
    monkeypatch.setenv("MINIPIXI_CACHE_DIR", str(folder.parent / "cache"))
    return folder


# ---- pixi.lock ----------------------------------------------------------------------------------

LOCK_ATTACKS = {
    "python_site_packages_path": "../../outside",
    "subdir": "../../outside",
    "name": "../../outside/victim",
    "build": "0/../../../outside/victim",
    "version": "1.0/../../../outside/victim",
    "file_name": "../../outside/file.txt",
}


@pytest.fixture
def locked_workspace(tmp_path, offline, monkeypatch):
    """A workspace on a local channel, installed once from its lock (the prefix exists)."""
    from minipixi.cli import main

    channel = tmp_path / "chan"
    archive, record = make_package(channel / "linux-64", "demo", {"share/demo.txt": "x"})
    write_repodata(channel, {archive.name: record.to_repodata()})
    workspace = write_workspace(tmp_path / "ws", channel, monkeypatch)
    assert main(["install"]) == 0
    return workspace


@pytest.mark.parametrize("field", sorted(LOCK_ATTACKS))
def test_lock_entries_that_become_paths_are_refused(locked_workspace, tmp_path, field, capsys):
    from minipixi.cli import main

    value = LOCK_ATTACKS[field]
    sentinel = Sentinel(tmp_path / "outside")
    lock = locked_workspace / "pixi.lock"
    lines = lock.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("- conda: "))
    entry = range(start + 1, next((i for i in range(start + 1, len(lines))
                                   if not lines[i].startswith("  ")), len(lines)))
    written = next((i for i in entry if lines[i].startswith(f"  {field}: ")), None)
    if written is None:
        lines.insert(start + 1, f"  {field}: '{value}'")
    else:
        lines[written] = f"  {field}: '{value}'"
    lock.write_text("\n".join(lines) + "\n")
    # the installed record must not match, so that the install really links the entry
    prefix = locked_workspace / ".pixi" / "envs" / "default"
    for meta in (prefix / "conda-meta").glob("*.json"):
        meta.unlink()
    shutil.rmtree(tmp_path / "cache")  # and the archive must be downloaded again
    before = snapshot_tree(prefix, ignore=())
    capsys.readouterr()
    assert main(["install", "--frozen"]) == 1
    err = capsys.readouterr().err
    assert "pixi.lock" in err and field in err and value in err, err
    assert "this is a bug" not in err and "Traceback" not in err
    sentinel.assert_unchanged()
    assert snapshot_tree(prefix, ignore=()) == before
    ATTACKS.append(f"pixi.lock {field}")


def test_lock_reader_names_the_place(tmp_path):
    from minipixi.lock.read import parse_lock

    text = ("version: 6\nenvironments:\n  default:\n    channels:\n    - url: file:///c/\n"
            "    packages:\n      linux-64:\n      - conda: file:///c/linux-64/demo-1-0.conda\n"
            "packages:\n- conda: file:///c/linux-64/demo-1-0.conda\n"
            "  build: 0/../../x\n  subdir: linux-64\n")
    with pytest.raises(LockError) as info:
        parse_lock(text)
    assert_names(info.value, "pixi.lock:11", "`build`", "'0/../../x'", "packages.0.build")
    ATTACKS.append("lock reader")


# ---- archive members --------------------------------------------------------------------------

MEMBER_ATTACKS = {
    "dotdot": [tar_member("../../../outside/file.txt", b"owned")],
    "absolute": [tar_member("/tmp/minipixi-member-escape.txt", b"owned")],
    "symlink-then-write": [tar_member("d", kind=SYM, link="../../../outside"),
                           tar_member("d/file.txt", b"owned")],
    "dir-symlink-then-write": [tar_member("share", kind=DIR, mode=0o755),
                               tar_member("share/d", kind=SYM, link="../../../../outside/x"),
                               tar_member("share/d/keep.txt", b"owned")],
    "symlink-chain-then-write": [tar_member("a", kind=SYM, link="."),
                                 tar_member("b", kind=SYM, link="a/../../../../outside"),
                                 tar_member("b/file.txt", b"owned")],
    "hardlink-out-then-write": [tar_member("h", kind=LNK, link="../../../outside/file.txt"),
                                tar_member("h", b"owned")],
    "hardlink-to-link": [tar_member("l", kind=SYM, link="ok.txt"), tar_member("ok.txt", b"x"),
                         tar_member("h", kind=LNK, link="l")],
}


@pytest.mark.parametrize("case", sorted(MEMBER_ATTACKS))
def test_archive_members_that_leave_the_package_folder_are_refused(world, case):
    archive = write_raw_conda(world.channel / f"m{len(ATTACKS)}-1-0.conda",
                              [tar_member("ok/first.txt", b"fine"), *MEMBER_ATTACKS[case]])
    hostile = record_for(archive, {"name": archive.name.split("-")[0], "version": "1",
                                   "build": "0"})
    _, fresh = make_package(world.channel, "fresh", {"share/fresh.txt": case})
    err = attempt(world, [fresh, hostile], package.UnsafeArchiveError, workers=2)
    assert_names(err, archive.name, "member")
    assert not Path("/tmp/minipixi-member-escape.txt").exists()
    assert_no_leftovers(world.cache, hostile)


def assert_no_leftovers(cache: package_cache.PackageCache, record: PackageRecord) -> None:
    assert not cache.package_dir(record).exists()
    assert [p.name for p in cache.root.iterdir() if p.name.endswith(".partial")] == []


def test_a_symlink_a_package_installs_must_point_inside_the_prefix(world):
    """A package folder in the cache that was tampered with after its extraction: its link
    points out of the prefix. And a chain of two harmless links that leads out together."""
    _, good = make_package(world.channel, "linky", {"share/a.txt": "a"},
                           symlinks={"share/up": "a.txt"})
    folder = world.cache.root / good.dist_name
    world.cache.fetch(good)
    (folder / "share" / "up").unlink()
    (folder / "share" / "up").symlink_to("../../outside/victim")
    assert_names(attempt(world, [good], UnsafePathError), "share/up", "../../outside/victim")
    ATTACKS.append("chain")
    _, dot = make_package(world.channel, "p1", {}, symlinks={"a": "."})
    _, chain = make_package(world.channel, "p2", {}, symlinks={"b": "a/../outside"})
    with pytest.raises(UnsafePathError, match="leads to"):
        install.install([world.good, dot, chain], world.prefix, cache=world.cache)
    world.sentinel.assert_unchanged()
    assert not (world.prefix / "b").exists()


def test_files_under_a_link_that_leads_out_are_never_written(world):
    """`b -> a/..` is inside when made; `a -> .` then makes it lead out. A later file
    `b/x/new.txt` must not be written through it."""
    ATTACKS.append("write through a chain made in two packages")
    _, first = make_package(world.channel, "p1", {}, symlinks={"b": "a/../outside"})
    _, second = make_package(world.channel, "p2", {}, symlinks={"a": "."})
    _, third = make_package(world.channel, "p3", {"b/x/new.txt": "owned"})
    with pytest.raises(UnsafePathError, match="not inside") as info:
        install.install([world.good, first, second, third], world.prefix, cache=world.cache)
    world.sentinel.assert_unchanged()
    assert_names(info.value, "'b/x/new.txt'", "p3-1.0-0/info/paths.json")


def test_hostile_conda_meta_files_are_not_removed_outside(world):
    """An installed record (conda-meta) listing `../outside/file.txt`: removing the package
    must not delete it."""
    ATTACKS.append("conda-meta files")
    meta = next((world.prefix / "conda-meta").glob("good-*.json"))
    data = json.loads(meta.read_text())
    data["files"].append("../outside/file.txt")
    meta.write_text(json.dumps(data))
    with pytest.raises(install.InstallError) as info:
        install.install([], world.prefix, cache=world.cache)
    assert_names(info.value, "'../outside/file.txt'", meta.name)
    world.sentinel.assert_unchanged()


# ---- size bounds --------------------------------------------------------------------------------


def zero_members(count: int, size: int) -> bytes:
    """A tar of `count` files of `size` zeros, built as a stream (never all in memory)."""
    out = io.BytesIO()
    zeros = bytes(size)
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.GNU_FORMAT) as tar:
        for i in range(count):
            info = tarfile.TarInfo(f"share/zeros-{i}")
            info.size = size
            tar.addfile(info, io.BytesIO(zeros))
    return out.getvalue()


def write_bomb(path: Path, count: int, size: int) -> Path:
    """A .conda or .tar.bz2 whose members unpack to count * size bytes of zeros."""
    tar = zero_members(count, size)
    index = json.dumps({"name": path.name.split("-")[0], "version": "1", "build": "0"}).encode()
    if path.name.endswith(".tar.bz2"):
        import bz2

        info = zero_members(0, 0)  # only an end marker
        members = tarfile.open(fileobj=io.BytesIO(tar))
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as whole:
            whole.addfile(*tar_member("info/index.json", index)[:1], io.BytesIO(index))
            for member in members:
                whole.addfile(member, members.extractfile(member))
        del info
        path.write_bytes(bz2.compress(buffer.getvalue(), 9))
        return path
    import zstandard

    compressor = zstandard.ZstdCompressor(level=3)
    info_tar = io.BytesIO()
    with tarfile.open(fileobj=info_tar, mode="w", format=tarfile.GNU_FORMAT) as whole:
        whole.addfile(tar_member("info/index.json", index)[0], io.BytesIO(index))
    stem = path.name[: -len(".conda")]
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", package.CONDA_FORMAT_METADATA)
        zf.writestr(f"info-{stem}.tar.zst", compressor.compress(info_tar.getvalue()))
        zf.writestr(f"pkg-{stem}.tar.zst", compressor.compress(tar))
    return path


@pytest.mark.parametrize("kind", [".conda", ".tar.bz2"])
def test_a_decompression_bomb_is_refused_by_its_ratio(world, kind):
    """~100 MiB of zeros in an archive of a few KB: over 64 MiB + 1000 x the archive."""
    bomb = write_bomb(world.channel / f"bomb-1-0{kind}", 100, 1024 * 1024)
    assert bomb.stat().st_size < 40_000
    hostile = record_for(bomb, {"name": "bomb", "version": "1", "build": "0"})
    err = attempt(world, [hostile], package.UnsafeArchiveError)
    assert_names(err, bomb.name, "limit of", "1000 times", package.RATIO_VARIABLE)
    assert_no_leftovers(world.cache, hostile)


def test_the_byte_limit_is_configurable_and_named(world, monkeypatch):
    monkeypatch.setenv(package.BYTES_VARIABLE, "1000000")
    _, big = make_package(world.channel, "big", {"share/big.bin": bytes(range(256)) * 8000})
    err = attempt(world, [big], package.UnsafeArchiveError)
    assert_names(err, "limit of 1000000 bytes", package.BYTES_VARIABLE, "big-1.0-0.conda")
    assert_no_leftovers(world.cache, big)
    monkeypatch.setenv(package.BYTES_VARIABLE, "lots")
    assert_names(attempt(world, [big]), package.BYTES_VARIABLE, "'lots'")
    monkeypatch.setenv(package.BYTES_VARIABLE, "1MiB")
    assert_names(attempt(world, [big]), "limit of 1048576 bytes")
    monkeypatch.setenv(package.RATIO_VARIABLE, "-3")
    assert_names(attempt(world, [big]), package.RATIO_VARIABLE, "'-3'")


@pytest.mark.parametrize("name", ["paths.json", "index.json"])
def test_an_enormous_info_file_is_refused(world, monkeypatch, name):
    monkeypatch.setenv(package.INFO_BYTES_VARIABLE, "100000")
    big = json.dumps({"paths": [{"_path": f"share/f{i}", "path_type": "hardlink"}
                                for i in range(5000)], "name": "x" * 200_000}).encode()
    archive = write_raw_conda(world.channel / f"huge{name[0]}-1-0.conda",
                              [tar_member("share/ok.txt", b"ok")],
                              [tar_member(f"info/{name}", big)])
    hostile = record_for(archive, {"name": f"huge{name[0]}", "version": "1", "build": "0"})
    err = attempt(world, [hostile], package.UnsafeArchiveError)
    assert_names(err, f"info/{name}", "limit of 100000 bytes", package.INFO_BYTES_VARIABLE)
    assert_no_leftovers(world.cache, hostile)
    with pytest.raises(package.UnsafeArchiveError, match=package.INFO_BYTES_VARIABLE):
        package.read_info_file(archive, name)


def test_an_enormous_info_file_in_the_cache_is_refused_when_read(world, monkeypatch):
    """Defence in depth: a cached package whose paths.json grew after extraction."""
    ATTACKS.append("cached paths.json")
    _, good = make_package(world.channel, "grown", {"share/a.txt": "a"})
    folder = world.cache.fetch(good)
    (folder / "info" / "paths.json").write_text(json.dumps({"paths": [], "pad": "x" * 300}))
    monkeypatch.setenv(package.INFO_BYTES_VARIABLE, "200")
    assert_names(attempt(world, [good], ExtractError), "paths.json", "limit of 200 bytes")


def test_check_record_paths_accepts_real_records():
    real = PackageRecord.from_repodata(
        "python-3.13.5-hec9711d_102_cp313.conda",
        {"name": "python", "version": "3.13.5", "build": "hec9711d_102_cp313", "subdir": "linux-64",
         "python_site_packages_path": "lib/python3.13t/site-packages"},
        base_url="https://conda.anaconda.org/conda-forge/linux-64")
    assert check_record_paths(real) is real
    digest = hashlib.sha256(b"").hexdigest()
    assert check_record_paths(dataclasses.replace(real, sha256=digest, version="1!2.0+local"))


@pytest.mark.parametrize("cross_device", [False, True])
def test_a_file_replacing_a_link_that_leads_out_is_not_written_through_it(world, monkeypatch,
                                                                            cross_device):
    """p1's `b -> a/../outside/file.txt` is inside when made; p2's `a -> .` makes it lead to
    the sentinel's file.txt; p3 ships a plain file `b` (the last package linked wins). Copying
    it (a clobber, or a cache on another disk) used to write through the link."""
    ATTACKS.append(f"copy through a link (cross-device={cross_device})")
    _, first = make_package(world.channel, "p1", {}, symlinks={"b": "a/../outside/file.txt"})
    _, second = make_package(world.channel, "p2", {}, symlinks={"a": "."})
    _, third = make_package(world.channel, "p3", {"b": "owned"})
    if cross_device:
        def no_hard_links(source, dest, *args, **kwargs):
            raise OSError(18, "Invalid cross-device link")
        monkeypatch.setattr(link.os, "link", no_hard_links)
    with contextlib.suppress(MinipixiError):  # linking p3 may be refused or may replace `b`
        install.install([world.good, first, second, third], world.prefix, cache=world.cache)
    world.sentinel.assert_unchanged()


def test_a_journal_naming_files_outside_is_refused(world):
    """An interrupted install's journal lists files to remove; one that climbs out is refused."""
    ATTACKS.append("journal")
    journal = world.prefix / "conda-meta" / install.JOURNAL
    journal.write_text(json.dumps({"unlink": [], "link": {"gone-1-0": ["../outside/file.txt"]}}))
    with pytest.raises(UnsafePathError) as info:
        install.install([world.good], world.prefix, cache=world.cache)
    assert_names(info.value, "'../outside/file.txt'", install.JOURNAL)
    world.sentinel.assert_unchanged()
    journal.write_text("[1, 2]")
    with pytest.raises(install.InstallError, match="journal"):
        install.install([world.good], world.prefix, cache=world.cache)


# ---- linking in parallel processes ----------------------------------------------------------------

def _link_in_processes(monkeypatch, prefix) -> dict:
    """Link in two worker processes even for a few packages; note where os.symlink ran in the
    prefix (unpacking into the cache makes links in workers too, which is fine)."""
    monkeypatch.setattr(install, "LINK_IN_PROCESSES_FROM", 2)
    parent, calls = os.getpid(), {"main": 0}
    real_symlink = os.symlink

    def watched_symlink(source, dest, *args, **kwargs):
        if not str(dest).startswith(str(prefix)):
            return real_symlink(source, dest, *args, **kwargs)
        if os.getpid() != parent:  # a forked worker: it must never make a link in the prefix
            raise AssertionError(f"a worker process made the symlink {dest}")
        calls["main"] += 1
        return real_symlink(source, dest, *args, **kwargs)

    monkeypatch.setattr(link.os, "symlink", watched_symlink)
    return calls


def test_in_parallel_linking_only_the_main_process_makes_symlinks(world, monkeypatch):
    """While workers write files, no symlink is being made anywhere: links come afterwards, in
    order, in this process; so no file is written through a link made at the same moment."""
    calls = _link_in_processes(monkeypatch, world.prefix)
    packages = [make_package(world.channel, f"lib{i}", {f"lib/lib{i}.so.1": f"{i}"},
                             symlinks={f"lib/lib{i}.so": f"lib{i}.so.1"})[1] for i in range(6)]
    install.install([world.good, *packages], world.prefix, cache=world.cache, workers=2)
    assert calls["main"] == 6
    for i in range(6):
        assert os.readlink(world.prefix / "lib" / f"lib{i}.so") == f"lib{i}.so.1"
        assert (world.prefix / "lib" / f"lib{i}.so").read_text() == f"{i}"
    world.sentinel.assert_unchanged()


def test_in_parallel_a_chain_made_in_the_wrong_order_is_caught_at_the_end(world, monkeypatch):
    """p1's `b -> a/../outside` is made first and is inside then (there is no `a`); p2's
    `a -> .` makes it lead out. The check of every new link after all are made refuses it."""
    _link_in_processes(monkeypatch, world.prefix)
    ATTACKS.append("chain made in the wrong order, in parallel")
    _, first = make_package(world.channel, "p1", {"share/p1.txt": "1"}, symlinks={"b": "a/../outside"})
    _, second = make_package(world.channel, "p2", {"share/p2.txt": "2"}, symlinks={"a": "."})
    fillers = [make_package(world.channel, f"f{i}", {f"share/f{i}.txt": "f"})[1] for i in range(3)]
    with pytest.raises(UnsafePathError, match="leads to"):
        install.install([world.good, first, second, *fillers], world.prefix, cache=world.cache, workers=2)
    world.sentinel.assert_unchanged()
    assert not os.path.lexists(world.prefix / "b")
