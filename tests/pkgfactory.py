"""Test helpers: build small conda packages and their records, and snapshot file trees.

Used by the package/install tests (unit, property, corpus, differential) and bench/install.py.
Packages are written with `minipixi.install.package_writer.write_conda`; hostile archives, which that
function refuses to produce, are assembled member by member with `write_raw_conda`.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import tarfile
import zipfile
from pathlib import Path

from minipixi.install import package
from minipixi.install import package_writer
from minipixi.records import PackageRecord

TEXT_PLACEHOLDER = "/opt/anaconda1anaconda2anaconda3"
# conda-build's binary placeholder is long, so that any real prefix fits in its place.
BINARY_PLACEHOLDER = "/home/builder/" + "_placehold" * 24


def make_package(
    out_dir: Path,
    name: str,
    files: dict[str, bytes | str] | None = None,
    *,
    version: str = "1.0",
    build: str = "0",
    symlinks: dict[str, str] | None = None,
    executables: tuple[str, ...] = (),
    noarch: str | None = None,
    entry_points: tuple[str, ...] = (),
    depends: tuple[str, ...] = (),
    placeholder: str | None = None,
    subdir: str | None = None,
    extra_index: dict | None = None,
) -> tuple[Path, PackageRecord]:
    """Write `<name>-<version>-<build>.conda` into `out_dir`; return (archive, record)."""
    src = out_dir / f".src-{name}-{version}-{build}"
    _fill_tree(src, files or {}, symlinks or {}, executables)
    if noarch:
        link = {"noarch": {"type": noarch, **({"entry_points": list(entry_points)} if entry_points else {})},
                "package_metadata_version": 1}
        (src / "info").mkdir(parents=True, exist_ok=True)
        (src / "info" / "link.json").write_text(json.dumps(link))
    index = {"name": name, "version": version, "build": build, "build_number": 0,
             "depends": list(depends), "subdir": subdir or ("noarch" if noarch else "linux-64")}
    if noarch:
        index["noarch"] = noarch
    index.update(extra_index or {})
    archive = package_writer.write_conda(src, out_dir, index, prefix_placeholder=placeholder,
                                  compression_level=3)
    return archive, record_for(archive, index)


def _fill_tree(root: Path, files: dict, symlinks: dict, executables: tuple[str, ...]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        if rel in executables:
            path.chmod(0o755)
    for rel, target in symlinks.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, path)


def record_for(archive: Path, index: dict) -> PackageRecord:
    """The repodata record a channel would publish for `archive` (file:// url, digests)."""
    data = archive.read_bytes()
    entry = dict(index, sha256=hashlib.sha256(data).hexdigest(),
                 md5=hashlib.md5(data).hexdigest(), size=len(data))
    return PackageRecord.from_repodata(archive.name, entry, channel=archive.parent.as_uri(),
                                       base_url=archive.parent.as_uri())


def corpus_record(archive: Path) -> PackageRecord:
    """A record for a real package archive, read from its own info/index.json."""
    index_bytes = package.read_info_file(archive, "index.json")
    return record_for(archive, json.loads(index_bytes))


def rattler_record(record: PackageRecord, scratch: Path):
    """The same record as a py-rattler RepoDataRecord (through an index.json file)."""
    import rattler

    scratch.mkdir(parents=True, exist_ok=True)
    index_path = scratch / f"{record.dist_name}.index.json"
    index = record.to_repodata()
    for key in ("sha256", "md5", "size"):
        index.pop(key, None)
    index_path.write_text(json.dumps(index))
    pr = rattler.PackageRecord.from_index_json(index_path, size=record.size,
                                               sha256=record.sha256, md5=record.md5)
    return rattler.RepoDataRecord(pr, record.fn, record.url, record.channel)


def snapshot_tree(root: Path, ignore: tuple[str, ...] = ("conda-meta", "CACHEDIR.TAG")) -> dict:
    """{relative path: (kind, content or link target, executable?)} for everything under
    `root`, except the top-level names in `ignore`."""
    snap = {}
    for folder, dirs, files in os.walk(root):
        rel_folder = os.path.relpath(folder, root)
        if rel_folder == ".":
            dirs[:] = [d for d in dirs if d not in ignore]
            files = [f for f in files if f not in ignore]
        for name in dirs + files:
            path = Path(folder) / name
            rel = os.path.normpath(os.path.join(rel_folder, name))
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                snap[rel] = ("link", os.readlink(path), False)
            elif stat.S_ISDIR(st.st_mode):
                snap[rel] = ("dir", None, False)
            else:
                snap[rel] = ("file", path.read_bytes(), bool(st.st_mode & 0o100))
    return snap


# -- hostile archives ------------------------------------------------------------------------


def tar_member(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE,
               link: str = "", mode: int = 0o644) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.linkname = kind, mode, link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, data


def _tar(members: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)
    return buffer.getvalue()


def write_raw_conda(path: Path, pkg_members: list, info_members: list | None = None) -> Path:
    """A `.conda` whose pkg tar holds exactly `pkg_members` (no safety checks at all)."""
    import zstandard

    stem = path.name[: -len(".conda")]
    info_members = info_members or [tar_member("info/index.json", b'{"name": "x"}')]
    zc = zstandard.ZstdCompressor(level=3)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", package.CONDA_FORMAT_METADATA)
        zf.writestr(f"info-{stem}.tar.zst", zc.compress(_tar(info_members)))
        zf.writestr(f"pkg-{stem}.tar.zst", zc.compress(_tar(pkg_members)))
    return path


def write_raw_tar_bz2(path: Path, members: list) -> Path:
    import bz2

    path.write_bytes(bz2.compress(_tar(members)))
    return path
