"""Writing `.conda` packages: a folder in, the same bytes out every time.

Our tests and the teaching channel (`teaching/mirror/build.py`) build their packages with
`write_conda`: everything outside info/ is the payload; `info/index.json`, `info/paths.json`
and `info/files` are generated (hashes, sizes, and which files hold a prefix placeholder, in
text or binary mode). The result is byte-for-byte reproducible: members sorted, owners and
times fixed (`FIXED_MTIME`), the zip *stored* (its members are already zstd-compressed).

It writes only what it can vouch for; hostile archives, for the tests that need them, are
assembled member by member by `tests/pkgfactory.py`.

Lesson: Episode 4, "Taking a `.conda` file apart". Read after `install/package_info.py` (it
writes what that module reads). Ground truth: rattler_package_streaming's `write.rs`.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from minipixi.install.package import CONDA_FORMAT_METADATA
from minipixi.install.package_info import PathEntry


FIXED_MTIME = 1_577_836_800  # 2020-01-01 UTC: a fixed time makes the bytes reproducible


def write_conda(source_dir: Path, out_dir: Path, index: dict, *,
                prefix_placeholder: str | None = None, compression_level: int = 19) -> Path:
    """Pack the folder `source_dir` as `<name>-<version>-<build>.conda` in `out_dir`.

    Everything outside `info/` is the package's payload (files and symlinks; empty folders
    are dropped). `info/index.json` is written from `index` (with `build_number` 0 and empty
    `depends` when it has none); `info/paths.json` and `info/files` are generated (sha256, size, path_type, and,
    when `prefix_placeholder` is given, the placeholder and text/binary mode of every file that
    contains it). Other `info/` files found in `source_dir` (link.json, about.json...) are
    kept. The result is byte-for-byte reproducible. Returns the path of the new file.
    """
    source_dir, out_dir = Path(source_dir), Path(out_dir)
    index = {"build_number": 0, "depends": [], **index}  # fields every installer requires
    payload = sorted(_walk_payload(source_dir))
    entries = [_path_entry(source_dir, rel, prefix_placeholder) for rel in payload]
    info = _info_files(source_dir, index, entries)
    stem = f"{index['name']}-{index['version']}-{index['build']}"
    info_tar = _zstd(_tar_bytes(source_dir, [], info), compression_level)
    pkg_tar = _zstd(_tar_bytes(source_dir, payload, {}), compression_level)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{stem}.conda"
    members = [("metadata.json", CONDA_FORMAT_METADATA),
               (f"info-{stem}.tar.zst", info_tar), (f"pkg-{stem}.tar.zst", pkg_tar)]
    _write_zip_atomic(target, members)
    return target


def _walk_payload(source_dir: Path) -> Iterator[str]:
    """Relative paths of the payload: files and symlinks, `info/` excluded.

    Empty folders are left out: a conda package holds only files and links, and installers
    (rattler among them) cannot link a folder entry.
    """
    for folder, dirs, files in os.walk(source_dir):
        rel_folder = os.path.relpath(folder, source_dir)
        if rel_folder == "info" or rel_folder.startswith("info" + os.sep):
            continue
        for name in list(dirs):
            path = os.path.join(folder, name)
            if os.path.islink(path):
                dirs.remove(name)  # a symlink to a folder is a link, not a folder to walk
                files.append(name)
        for name in files:
            yield os.path.normpath(os.path.join(rel_folder, name)).replace(os.sep, "/")


def _path_entry(source_dir: Path, rel: str, placeholder: str | None) -> PathEntry:
    """Describe one payload path for paths.json."""
    path = source_dir / rel
    if path.is_symlink():
        target = os.readlink(path).encode()
        return PathEntry(rel, "softlink", hashlib.sha256(target).hexdigest(), len(target))
    if path.is_dir():
        return PathEntry(rel, "directory")
    data = path.read_bytes()
    entry = PathEntry(rel, "hardlink", hashlib.sha256(data).hexdigest(), len(data))
    if placeholder and placeholder.encode() in data:
        mode = "binary" if b"\0" in data else "text"
        entry = PathEntry(rel, "hardlink", entry.sha256, entry.size_in_bytes, placeholder, mode)
    return entry


def _info_files(source_dir: Path, index: dict, entries: list[PathEntry]) -> dict[str, bytes]:
    """The info/ members: the given ones from `source_dir`, plus the generated ones."""
    info: dict[str, bytes] = {}
    info_dir = source_dir / "info"
    if info_dir.is_dir():
        for path in sorted(info_dir.rglob("*")):
            if path.is_file() and not path.is_symlink():
                info[path.relative_to(source_dir).as_posix()] = path.read_bytes()
    paths_json = {"paths": [e.to_json() for e in entries], "paths_version": 1}
    info["info/index.json"] = _json_bytes(index)
    info["info/paths.json"] = _json_bytes(paths_json)
    info["info/files"] = "".join(f"{e.path}\n" for e in entries if e.path_type != "directory").encode()
    return info


def _json_bytes(data: dict) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()


def _tar_bytes(source_dir: Path, payload: list[str], extra: dict[str, bytes]) -> bytes:
    """A tar of the `payload` paths (from disk) and `extra` members (from memory), sorted."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        items = [(rel, None) for rel in payload] + list(extra.items())
        for rel, data in sorted(items, key=lambda item: item[0]):
            if data is None:
                _add_from_disk(tar, source_dir / rel, rel)
            else:
                tar.addfile(_tarinfo(rel, tarfile.REGTYPE, 0o644, len(data)), io.BytesIO(data))
    return buffer.getvalue()


def _tarinfo(name: str, kind: bytes, mode: int, size: int = 0, link: str = "") -> tarfile.TarInfo:
    """A TarInfo with fixed owner and time, so that the same tree gives the same bytes."""
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.size, info.linkname = kind, mode, size, link
    info.mtime, info.uid, info.gid, info.uname, info.gname = FIXED_MTIME, 0, 0, "", ""
    return info


def _add_from_disk(tar: tarfile.TarFile, path: Path, rel: str) -> None:
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode):
        tar.addfile(_tarinfo(rel, tarfile.SYMTYPE, 0o777, link=os.readlink(path)))
    elif stat.S_ISDIR(st.st_mode):
        tar.addfile(_tarinfo(rel, tarfile.DIRTYPE, 0o755))
    else:
        mode = 0o755 if st.st_mode & 0o111 else 0o644
        with open(path, "rb") as fh:
            tar.addfile(_tarinfo(rel, tarfile.REGTYPE, mode, st.st_size), fh)


def _zstd(data: bytes, level: int) -> bytes:
    import zstandard  # lazy: a compiled library, needed only when a package is written

    return zstandard.ZstdCompressor(level=level).compress(data)


def _write_zip_atomic(target: Path, members: list[tuple[str, bytes]]) -> None:
    """Write a stored (uncompressed) zip with fixed dates, then rename it into place."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
            for name, data in members:
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                zf.writestr(info, data)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
