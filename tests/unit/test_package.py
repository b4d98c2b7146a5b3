"""Unit tests for minipixi.install.package, package_info and package_writer: reading, verifying, extracting
and writing packages."""

from __future__ import annotations

import hashlib
import json
import tarfile
import zipfile

import pytest
from pkgfactory import (
    BINARY_PLACEHOLDER,
    TEXT_PLACEHOLDER,
    make_package,
    tar_member,
    write_raw_tar_bz2,
)

from minipixi.install import package
from minipixi.install import package_info
from minipixi.install import package_writer
from minipixi.errors import ExtractError


def test_write_conda_layout_and_generated_paths_json(tmp_path):
    archive, _ = make_package(
        tmp_path, "demo", {"bin/tool": "#!/bin/sh\necho hi\n", "share/a.txt": "a"},
        symlinks={"bin/alias": "tool"}, executables=("bin/tool",), version="2.1", build="h1_0")
    assert archive.name == "demo-2.1-h1_0.conda"
    with zipfile.ZipFile(archive) as zf:
        assert zf.namelist() == ["metadata.json", "info-demo-2.1-h1_0.tar.zst",
                                 "pkg-demo-2.1-h1_0.tar.zst"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
    paths = json.loads(package.read_info_file(archive, "paths.json"))
    by_path = {p["_path"]: p for p in paths["paths"]}
    assert list(by_path) == ["bin/alias", "bin/tool", "share/a.txt"]
    assert by_path["bin/alias"]["path_type"] == "softlink"
    assert by_path["share/a.txt"] == {"_path": "share/a.txt", "path_type": "hardlink",
                                      "sha256": hashlib.sha256(b"a").hexdigest(), "size_in_bytes": 1}
    index = json.loads(package.read_info_file(archive, "index.json"))
    assert (index["name"], index["version"], index["build"]) == ("demo", "2.1", "h1_0")


def test_write_conda_is_byte_for_byte_reproducible(tmp_path):
    files = {"lib/x.so": b"\x7fELF\0data", "etc/conf": "k=v\n"}
    first, _ = make_package(tmp_path / "a", "same", files, symlinks={"lib/y.so": "x.so"})
    second, _ = make_package(tmp_path / "b", "same", files, symlinks={"lib/y.so": "x.so"})
    assert first.read_bytes() == second.read_bytes()


def test_placeholders_are_detected_in_text_and_binary_mode(tmp_path):
    files = {"bin/script": f"#!{TEXT_PLACEHOLDER}/bin/python\n",
             "lib/libz.so": b"\0\0" + BINARY_PLACEHOLDER.encode() + b"/lib\0tail",
             "share/plain": "no prefix here"}
    archive, _ = make_package(tmp_path, "pfx", files, placeholder=TEXT_PLACEHOLDER)
    entries = {e["_path"]: e for e in json.loads(package.read_info_file(archive, "paths.json"))["paths"]}
    assert entries["bin/script"]["file_mode"] == "text"
    assert entries["bin/script"]["prefix_placeholder"] == TEXT_PLACEHOLDER
    assert "prefix_placeholder" not in entries["share/plain"]
    archive2, _ = make_package(tmp_path / "b", "pfx", files, placeholder=BINARY_PLACEHOLDER)
    entries2 = {e["_path"]: e for e in json.loads(package.read_info_file(archive2, "paths.json"))["paths"]}
    assert entries2["lib/libz.so"]["file_mode"] == "binary"


def test_extract_gives_the_tree_and_readers_parse_info(tmp_path):
    archive, record = make_package(
        tmp_path, "py-demo", {"site-packages/demo/__init__.py": "x = 1\n"}, noarch="python",
        entry_points=("demo = demo.cli:main",), build="pyh_0")
    dest = package.extract(archive, tmp_path / "out", sha256=record.sha256)
    assert (dest / "site-packages/demo/__init__.py").read_text() == "x = 1\n"
    assert package_info.read_index_json(dest)["name"] == "py-demo"
    assert [e.path for e in package_info.read_paths(dest)] == ["site-packages/demo/__init__.py"]
    assert package_info.read_noarch(dest) == package_info.NoarchInfo("python", ("demo = demo.cli:main",))
    assert not list(tmp_path.glob(".out.*"))  # no temporary folder left behind


def test_extract_replaces_an_existing_folder_whole(tmp_path):
    archive, _ = make_package(tmp_path, "a", {"new.txt": "new"})
    dest = tmp_path / "out"
    (dest / "stale").mkdir(parents=True)
    package.extract(archive, dest)
    assert sorted(p.name for p in dest.iterdir()) == ["info", "new.txt"]


def test_hash_mismatch_carries_expected_and_actual(tmp_path):
    archive, record = make_package(tmp_path, "a", {"f": "1"})
    with pytest.raises(package.HashMismatchError) as info:
        package.extract(archive, tmp_path / "out", sha256="0" * 64, url="https://x/a.conda")
    err = info.value
    assert (err.expected, err.actual, err.url) == ("0" * 64, record.sha256, "https://x/a.conda")
    assert err.algorithm == "sha256" and "a-1.0-0.conda" in err.message
    assert not (tmp_path / "out").exists()


def test_md5_is_checked_when_there_is_no_sha256(tmp_path):
    archive, record = make_package(tmp_path, "a", {"f": "1"})
    package.verify_archive(archive, md5=record.md5)
    with pytest.raises(package.HashMismatchError, match="md5"):
        package.verify_archive(archive, md5="f" * 32)


def test_legacy_package_without_paths_json(tmp_path):
    members = [
        tar_member("info/index.json", b'{"name": "old", "version": "1", "build": "0"}'),
        tar_member("info/files", b"bin/old\nlib/libold.so\nlib/link.so\n"),
        tar_member("info/has_prefix", b'/opt/anaconda1anaconda2anaconda3 text bin/old\n'),
        tar_member("info/no_link", b"lib/libold.so\n"),
        tar_member("bin/old", b"#!/opt/anaconda1anaconda2anaconda3/bin/sh\n", mode=0o755),
        tar_member("lib/libold.so", b"ELF"),
        tar_member("lib/link.so", kind=tarfile.SYMTYPE, link="libold.so"),
    ]
    archive = write_raw_tar_bz2(tmp_path / "old-1-0.tar.bz2", members)
    dest = package.extract(archive, tmp_path / "out")
    entries = {e.path: e for e in package_info.read_paths(dest)}
    assert entries["bin/old"].prefix_placeholder == TEXT_PLACEHOLDER
    assert entries["bin/old"].file_mode == "text"
    assert entries["lib/libold.so"].no_link
    assert entries["lib/link.so"].path_type == "softlink"
    assert package_info.read_noarch(dest).kind is None


def test_archive_kind_refuses_other_files(tmp_path):
    with pytest.raises(ExtractError, match="not a conda package"):
        package.archive_kind(tmp_path / "x.zip")


def test_read_info_file_reads_only_info(tmp_path):
    archive, _ = make_package(tmp_path, "a", {"f": "1"})
    assert package.read_info_file(archive, "missing.json") is None
    assert json.loads(package.read_info_file(archive, "index.json"))["name"] == "a"


def test_path_entry_json_round_trip():
    entry = package_info.PathEntry("bin/x", "hardlink", "ab" * 32, 3, TEXT_PLACEHOLDER, "text", True)
    assert package_info.parse_paths_json({"paths": [entry.to_json()]}) == [entry]


@pytest.mark.parametrize("field, value", [("path_type", []), ("path_type", {"a": 1}), ("file_mode", ["text"])])
def test_a_paths_json_field_of_the_wrong_type_is_one_extract_error(field, value):
    """A list where a word belongs was a TypeError (unhashable) from the set it was looked up in."""
    entry = {"_path": "bin/x", "path_type": "hardlink", "sha256": "ab" * 32, field: value}
    with pytest.raises(ExtractError, match=f"`{field}`"):
        package_info.parse_paths_json({"paths": [entry]})


def test_empty_folders_are_dropped_and_required_index_fields_filled(tmp_path):
    src = tmp_path / "src"
    (src / "share/empty").mkdir(parents=True)
    (src / "share/file.txt").write_text("x")
    archive = package_writer.write_conda(src, tmp_path / "out", {"name": "e", "version": "1", "build": "0"})
    paths = json.loads(package.read_info_file(archive, "paths.json"))["paths"]
    assert [p["_path"] for p in paths] == ["share/file.txt"]
    index = json.loads(package.read_info_file(archive, "index.json"))
    assert index["build_number"] == 0 and index["depends"] == []
    assert not (package.extract(archive, tmp_path / "x") / "share/empty").exists()
