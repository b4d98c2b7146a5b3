"""Package archives: what is inside a conda package, and how to open one without trusting it.

A conda package is a file tree plus an `info/` folder that describes it. It comes in two
wrappings:

- ``.tar.bz2`` (legacy): one bzip2-compressed tar holding `info/` and the files together;
- ``.conda`` (current): a zip that *stores* (does not compress) three members::

      metadata.json                   {"conda_pkg_format_version": 2}
      info-<name>-<version>-<build>.tar.zst   the info/ folder (small: read it alone)
      pkg-<name>-<version>-<build>.tar.zst    everything else

The `info/` files this module reads: `index.json` (the record: name, version, depends...),
`paths.json` (every file with its sha256, size, `path_type` and, when the file holds the build
prefix, its `prefix_placeholder` and `file_mode`), `link.json` (`noarch: python` entry points).
Old packages have no `paths.json`; their `info/files`, `info/has_prefix` and `info/no_link`
say the same thing in three plain-text files.

An archive comes from the network, so extraction trusts nothing: the hash is checked before use,
and every member is checked before it is written (no absolute paths, no `..`, no device files,
no link that leads outside the target, no more bytes than a limit). Extraction writes into a
temporary folder that is renamed into place only when everything succeeded.

The `info/` files are just as untrusted. Every path they name (`paths.json` `_path`, the lines
of `info/files`) must be relative and stay inside (`files.check_relative`, the one rule of
`files.py`), an entry point's name must be one file name (`files.check_component`), and an
unknown `path_type` is refused. A refusal is an `UnsafePackageError` (an `ExtractError`) that
names the file, the field and the value.

**Size bounds.** A few kilobytes of zstd or bzip2 can unpack to gigabytes (a "bomb"), so a
package may unpack to at most `ExtractLimits.max_bytes`, and to at most `max_ratio` times the
size of its archive plus `RATIO_ALLOWANCE` (64 MiB, so that small packages of text never meet
the ratio). Each `info/` file may be at most `max_info_bytes`: it is read whole into memory.
The limits are generous and refused before a byte too many is written (a member's header says
its size); the error names the limit and the environment variable that sets it (sizes in bytes,
or with a unit as `http.parse_size` reads them: ``512MiB``, ``32GiB``)::

    MINIPIXI_MAX_UNPACKED_SIZE   what one package may unpack to (default 16 GiB)
    MINIPIXI_MAX_UNPACKED_RATIO  unpacked bytes per archive byte, above 64 MiB (default 1000)
    MINIPIXI_MAX_INFO_SIZE       one info/ file, e.g. paths.json (default 128 MiB)

(The size of the archive itself, as downloaded, is `http.py`'s ``MINIPIXI_MAX_PACKAGE_SIZE``.)

This module also *writes* `.conda` packages, deterministically, from a folder: our tests and
the teaching channel build their packages with it.

Lesson: Episode 4, "Taking a `.conda` file apart" (and its "Under the hood" box). Read after
`lock.py`; read next `install.py`. Ground truth: rattler_package_streaming, rattler_conda_types
`package/`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from minipixi.errors import ExtractError
from minipixi.files import UnsafePathError, check_component, check_relative
from minipixi.install.tar import Member, TarReader

CONDA_FORMAT_METADATA = b'{"conda_pkg_format_version": 2}'
DEFAULT_MAX_EXTRACTED_BYTES = 16 * 1024**3  # bigger than any real package (CUDA libs ~ 3 GiB)
DEFAULT_MAX_RATIO = 1000  # real packages unpack to 2-20 times their size; zeros to 30,000
RATIO_ALLOWANCE = 64 * 1024**2  # bytes any package may unpack to, whatever its ratio
DEFAULT_MAX_INFO_BYTES = 128 * 1024**2  # the biggest real paths.json are a few dozen MB
CHUNK = 1024 * 1024
NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)  # never reuse


# --8<-- [start:errors]
class HashMismatchError(ExtractError):
    """The archive's bytes are not the ones the record promised."""

    def __init__(self, *, path: str, url: str | None, algorithm: str, expected: str, actual: str):
        super().__init__(
            f"{algorithm} of {Path(path).name} is {actual}, but the record says {expected}",
            where=url or path,
            hint="the download is corrupt or was tampered with; delete it and download again",
        )
        self.path, self.url, self.algorithm = path, url, algorithm
        self.expected, self.actual = expected, actual


class UnsafeArchiveError(ExtractError):
    """A member of the archive would write outside the target, or is not a plain file."""

    def __init__(self, package: str, member: str, reason: str):
        super().__init__(
            f"refusing to extract {package}: member '{member}' {reason}",
            where=package,
            hint="this archive is corrupt or hostile; do not install it",
        )
        self.package, self.member, self.reason = package, member, reason


class UnsafePackageError(UnsafePathError, ExtractError):
    """An info/ file of the package names a path or a name that would leave its folder."""


def _checked(check, value, *, what: str, where: str):
    """`check(value)` (a rule of files.py), its refusal raised as an UnsafePackageError."""
    try:
        return check(value, what=what, where=where)
    except UnsafePathError as err:
        raise UnsafePackageError(err.message, where=err.where, hint=err.hint) from None
# --8<-- [end:errors]


# ---------------------------------------------------------------------------------------------
# The info/ files, as data
# ---------------------------------------------------------------------------------------------


class PathEntry(NamedTuple):
    """One line of `paths.json`: how to install one path of the package.

    ``path_type`` is "hardlink" (a regular file), "softlink" (a symlink) or "directory" (an
    empty folder). A file with a ``prefix_placeholder`` holds the build prefix, and is copied,
    not linked, so that the placeholder can be replaced in ``file_mode`` "text" or "binary".

    (A NamedTuple, not a frozen dataclass: an install makes one per file, and a tuple is made
    several times faster.)
    """

    path: str
    path_type: str = "hardlink"
    sha256: str | None = None
    size_in_bytes: int | None = None
    prefix_placeholder: str | None = None
    file_mode: str | None = None
    no_link: bool = False

    def to_json(self) -> dict:
        """The paths.json line, keys in sorted order (built in that order: this runs once per
        installed file, so it avoids sorting)."""
        data: dict = {"_path": self.path}
        if self.file_mode is not None:
            data["file_mode"] = self.file_mode
        if self.no_link:
            data["no_link"] = True
        data["path_type"] = self.path_type
        if self.prefix_placeholder is not None:
            data["prefix_placeholder"] = self.prefix_placeholder
        if self.sha256 is not None:
            data["sha256"] = self.sha256
        if self.size_in_bytes is not None:
            data["size_in_bytes"] = self.size_in_bytes
        return data


@dataclass(frozen=True)
class NoarchInfo:
    """What `link.json` says: the noarch kind ("python" or "generic") and its entry points."""

    kind: str | None = None
    entry_points: tuple[str, ...] = ()


PATH_TYPES = frozenset({"hardlink", "softlink", "directory"})
FILE_MODES = frozenset({"text", "binary"})


def parse_paths_json(data: dict, where: str = "paths.json") -> list[PathEntry]:
    """`paths.json` (already decoded) to PathEntry values, in file order.

    Every `_path` must stay inside the prefix and every `path_type` be one we can install;
    otherwise an ExtractError names `where` (the file), the field and the value.
    """
    items = data.get("paths", []) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise _bad_info(where, "has no list of `paths`")
    entries = []
    append = entries.append  # this loop runs once per file of every package: kept tight
    for i, item in enumerate(items):
        if type(item) is not dict:
            raise _bad_info(where, f"entry {i} of `paths` is not a mapping")
        path = item.get("_path")
        try:
            check_relative(path, what="`_path`", where=where)
        except UnsafePathError as err:
            raise UnsafePackageError(f"entry {i} of paths.json: {err.message}", where=err.where,
                                     hint=err.hint) from None
        path_type = item.get("path_type", "hardlink")
        placeholder, mode = item.get("prefix_placeholder"), item.get("file_mode")
        if (path_type not in PATH_TYPES or (mode is not None and mode not in FILE_MODES)
                or (placeholder is not None and not (type(placeholder) is str and placeholder))):
            raise _bad_entry(where, i, path, path_type, placeholder, mode)
        append(PathEntry(path, path_type, item.get("sha256"), item.get("size_in_bytes"),
                         placeholder, mode or ("text" if placeholder else None),
                         bool(item.get("no_link", False))))
    return entries


def _bad_entry(where: str, i: int, path: str, path_type, placeholder, mode) -> ExtractError:
    """Which field of paths.json entry `i` cannot be installed, as an ExtractError."""
    if path_type not in PATH_TYPES:
        return _bad_info(where, f"entry {i} ('{path}') has `path_type` {path_type!r}, "
                         f"not one of {', '.join(sorted(PATH_TYPES))}")
    if mode is not None and mode not in FILE_MODES:
        return _bad_info(where, f"entry {i} ('{path}') has `file_mode` {mode!r}, "
                         f"not 'text' or 'binary'")
    return _bad_info(where, f"entry {i} ('{path}') has `prefix_placeholder` {placeholder!r}, "
                     f"not a non-empty string")


def _bad_info(where: str, problem: str) -> ExtractError:
    return ExtractError(f"{where} {problem}", where=where,
                        hint="the package is broken or hostile; do not install it")


def read_info_json(path: Path) -> dict:
    """One JSON file of `info/` (index.json, paths.json, link.json): size-checked, decoded,
    and a mapping, or an ExtractError naming the file."""
    data = read_info_text(path)
    try:
        value = json.loads(data)
    except ValueError as err:
        raise _bad_info(str(path), f"is not valid JSON: {err}") from None
    if not isinstance(value, dict):
        raise _bad_info(str(path), "is not a JSON object")
    return value


def read_info_text(path: Path) -> str:
    """A text file of `info/`, refused when bigger than the info limit or not UTF-8."""
    limit = ExtractLimits().max_info_bytes
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as err:
        raise ExtractError(f"cannot read {path}: {err.strerror}", where=str(path),
                           hint="delete the package from the cache and install again") from err
    if len(data) > limit:
        raise _bad_info(str(path), f"is bigger than the limit of {limit} bytes for an info/ "
                        f"file (set {INFO_BYTES_VARIABLE} to raise it)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _bad_info(str(path), f"is not UTF-8 text: {err}") from None


def read_index_json(package_dir: Path) -> dict:
    """The record the package carries in `info/index.json`."""
    return read_info_json(Path(package_dir) / "info" / "index.json")


def read_paths(package_dir: Path) -> list[PathEntry]:
    """What to install from an extracted package: `info/paths.json`, or the legacy files."""
    info = Path(package_dir) / "info"
    paths_json = info / "paths.json"
    if paths_json.is_file():
        return parse_paths_json(read_info_json(paths_json), str(paths_json))
    return read_legacy_paths(Path(package_dir))


def read_legacy_paths(package_dir: Path) -> list[PathEntry]:
    """Rebuild paths.json for an old package from `info/files`, `has_prefix` and `no_link`.

    `has_prefix` lines are ``<placeholder> <mode> <path>`` (or just ``<path>``, meaning the
    classic placeholder in text mode). A symlink is recognised by looking at the extracted file.
    """
    info = package_dir / "info"
    prefixed = {path: (ph, mode) for path, ph, mode in _read_has_prefix(info / "has_prefix")}
    no_link = set(_read_lines(info / "no_link"))
    entries = []
    for path in _read_lines(info / "files"):
        _checked(check_relative, path, what="path", where=str(info / "files"))
        is_link = (package_dir / path).is_symlink()
        placeholder, mode = prefixed.get(path, (None, None))
        entries.append(
            PathEntry(path, "softlink" if is_link else "hardlink", prefix_placeholder=placeholder,
                      file_mode=mode, no_link=path in no_link)
        )
    return entries


def _read_lines(path: Path) -> list[str]:
    if not path.is_file():
        return []
    return [line.strip() for line in read_info_text(path).splitlines() if line.strip()]


def _read_has_prefix(path: Path) -> Iterator[tuple[str, str, str]]:
    """`has_prefix` lines as (path, placeholder, mode); quotes around fields are allowed."""
    import shlex

    for line in _read_lines(path):
        try:
            parts = shlex.split(line)
        except ValueError as err:
            raise _bad_info(str(path), f"has a line that cannot be read ({err}): {line!r}") from None
        if len(parts) == 1:
            yield parts[0], "/opt/anaconda1anaconda2anaconda3", "text"
        elif len(parts) == 3 and parts[1] in FILE_MODES and parts[0]:
            yield parts[2], parts[0], parts[1]
        else:
            raise _bad_info(str(path), f"has a line that is not '<placeholder> <text|binary> "
                            f"<path>': {line!r}")


def read_noarch(package_dir: Path) -> NoarchInfo:
    """The noarch kind and entry points, from `link.json` (or `index.json` when it has none).

    Each entry point becomes a launcher `bin/<name>`, so its name must be one file name.
    """
    info = Path(package_dir) / "info"
    link = info / "link.json"
    if link.is_file():
        noarch = read_info_json(link).get("noarch") or {}
        points = noarch.get("entry_points", ()) if isinstance(noarch, dict) else None
        if not isinstance(points, (list, tuple)):
            raise _bad_info(str(link), "has `noarch` without a list of `entry_points`")
        for point in points:
            parse_entry_point(point, str(link))
        return NoarchInfo(noarch.get("type"), tuple(points))
    kind = read_index_json(package_dir).get("noarch") if (info / "index.json").is_file() else None
    return NoarchInfo(kind if isinstance(kind, str) else ("generic" if kind else None))


ENTRY_POINT = re.compile(r"\s*([^=\s]+)\s*=\s*([\w.]+)\s*:\s*([\w.]+)\s*")


def parse_entry_point(spec: object, where: str = "link.json") -> tuple[str, str, str]:
    """`"name = module.sub:func"` to (name, module, func); the name must be one file name."""
    found = ENTRY_POINT.fullmatch(spec) if isinstance(spec, str) else None
    if not found:
        raise ExtractError(f"cannot read entry point {spec!r} in {where}", where=where,
                           hint="entry points look like 'name = module:function'")
    _checked(check_component, found.group(1), what="entry point name", where=where)
    return found.group(1), found.group(2), found.group(3)


# ---------------------------------------------------------------------------------------------
# Hashes
# ---------------------------------------------------------------------------------------------


def file_digests(path: Path) -> tuple[str, str]:
    """(sha256, md5) of a file, read in chunks."""
    sha, md5 = hashlib.sha256(), hashlib.md5()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            sha.update(chunk)
            md5.update(chunk)
    return sha.hexdigest(), md5.hexdigest()


def verify_archive(path: Path, *, sha256: str | None = None, md5: str | None = None,
                   url: str | None = None) -> None:
    """Raise HashMismatchError unless the file has the expected digests (sha256 wins)."""
    actual_sha, actual_md5 = file_digests(path)
    if sha256 and actual_sha != sha256.lower():
        raise HashMismatchError(path=str(path), url=url, algorithm="sha256",
                                expected=sha256, actual=actual_sha)
    if md5 and not sha256 and actual_md5 != md5.lower():
        raise HashMismatchError(path=str(path), url=url, algorithm="md5",
                                expected=md5, actual=actual_md5)


# ---------------------------------------------------------------------------------------------
# Reading archives as streams of tar members
# ---------------------------------------------------------------------------------------------


def archive_kind(path: Path) -> str:
    """".conda" or ".tar.bz2", from the file name (raises ExtractError otherwise)."""
    name = Path(path).name
    for ext in (".conda", ".tar.bz2"):
        if name.endswith(ext):
            return ext
    raise ExtractError(f"'{name}' is not a conda package", where=str(path),
                       hint="package files end in .conda or .tar.bz2")


# --8<-- [start:streams]
def open_tar_streams(path: Path, *, info_only: bool = False) -> Iterator[TarReader]:
    """Yield the package's tar streams: one for `.tar.bz2`, info then pkg for `.conda`.

    Each is read once, front to back (see `tar.py`): nothing is decompressed into memory as
    a whole, and nothing is seeked.
    """
    if archive_kind(path) == ".tar.bz2":
        import bz2

        with bz2.open(path, "rb") as raw:
            yield TarReader(raw)
        return
    import zstandard

    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        for prefix in ("info-",) if info_only else ("info-", "pkg-"):
            member = next((n for n in names if n.startswith(prefix) and n.endswith(".tar.zst")), None)
            if member is None:
                raise ExtractError(f"{Path(path).name} has no {prefix}*.tar.zst member",
                                   where=str(path), hint="the .conda file is incomplete")
            with zf.open(member) as raw:
                yield TarReader(zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True))
# --8<-- [end:streams]


def read_info_file(path: Path, name: str) -> bytes | None:
    """The bytes of one `info/` file (e.g. "index.json") straight from the archive, or None."""
    wanted = f"info/{name}"
    limit = ExtractLimits().max_info_bytes
    with _archive_errors(path):
        for tar in open_tar_streams(path, info_only=True):
            for member in tar:
                if member.name == wanted and member.kind == "file":
                    if member.size > limit:
                        raise UnsafeArchiveError(Path(path).name, member.name,
                                                 _info_too_big(member.size, limit))
                    return b"".join(tar.chunks(member))
    return None


# ---------------------------------------------------------------------------------------------
# Safe extraction
# ---------------------------------------------------------------------------------------------


BYTES_VARIABLE = "MINIPIXI_MAX_UNPACKED_SIZE"
RATIO_VARIABLE = "MINIPIXI_MAX_UNPACKED_RATIO"
INFO_BYTES_VARIABLE = "MINIPIXI_MAX_INFO_SIZE"


def _limit_from_env(variable: str, default: int) -> int:
    """A limit from the environment, else `default`; a value that is not a positive size (or,
    for the ratio, a positive whole number) is an error naming the variable."""
    from minipixi.http import LimitSettingError, parse_size

    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    if variable != RATIO_VARIABLE:
        return parse_size(raw, variable)
    if not (raw.isascii() and raw.isdigit() and int(raw) > 0):
        raise LimitSettingError(f"{variable}={raw!r} is not a positive whole number",
                                where=variable, hint=f"set {variable} to e.g. 1000, or unset it")
    return int(raw)


@dataclass
class ExtractLimits:
    """How much an archive may unpack to; a bomb meets one of these and is refused.

    `max_bytes` in all; `max_ratio` times the archive's size plus RATIO_ALLOWANCE; each
    `info/` file at most `max_info_bytes`. The defaults come from the environment variables
    named in the module docstring, read when the limits are made.
    """

    max_bytes: int = field(default_factory=lambda: _limit_from_env(
        BYTES_VARIABLE, DEFAULT_MAX_EXTRACTED_BYTES))
    max_members: int = 2_000_000
    max_ratio: int = field(default_factory=lambda: _limit_from_env(
        RATIO_VARIABLE, DEFAULT_MAX_RATIO))
    max_info_bytes: int = field(default_factory=lambda: _limit_from_env(
        INFO_BYTES_VARIABLE, DEFAULT_MAX_INFO_BYTES))

    def for_archive(self, archive_size: int) -> tuple[int, str]:
        """The byte limit for an archive of `archive_size` bytes, and how to say it."""
        by_ratio = RATIO_ALLOWANCE + self.max_ratio * archive_size
        if by_ratio < self.max_bytes:
            return by_ratio, (f"{self.max_ratio} times the archive's {archive_size} bytes plus "
                              f"{RATIO_ALLOWANCE}; set {RATIO_VARIABLE} to raise it")
        return self.max_bytes, f"set {BYTES_VARIABLE} to raise it"


def _info_too_big(size: int, limit: int) -> str:
    return (f"is {size} bytes, more than the limit of {limit} bytes for an info/ file "
            f"(set {INFO_BYTES_VARIABLE} to raise it)")


@dataclass
class _Extraction:
    """The state of one extraction: where it writes, and what it has written so far.

    Paths are plain strings: this code runs once per member, and pathlib costs more than the
    system calls it wraps.
    """

    package: str
    root: str
    limits: ExtractLimits
    max_bytes: int  # for this archive: see ExtractLimits.for_archive
    max_bytes_why: str
    written: int = 0
    members: int = 0
    safe_dirs: set[str] = field(default_factory=set)
    links: list[str] = field(default_factory=list)  # every symlink made, checked again at the end


def extract(archive: Path, dest: Path, *, sha256: str | None = None, md5: str | None = None,
            url: str | None = None, limits: ExtractLimits | None = None) -> Path:
    """Check and unpack `archive` into the folder `dest`, all or nothing.

    The hash (when given) is checked first. Members go into a temporary sibling folder which
    is renamed to `dest` at the end, so a failure (or a kill) never leaves a half-written
    `dest`. An existing `dest` is replaced. Raises ExtractError (HashMismatchError,
    UnsafeArchiveError) naming the package and the member at fault.
    """
    archive, dest = Path(archive), Path(dest)
    if sha256 or md5:
        verify_archive(archive, sha256=sha256, md5=md5, url=url)
    tmp = unpack_beside(archive, dest, limits)
    try:
        replace_dir(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def unpack_beside(archive: Path, dest: Path, limits: ExtractLimits | None = None) -> Path:
    """Unpack `archive` into a new temporary folder next to `dest`, and return that folder.

    The caller renames it to `dest` (`replace_dir`). The split lets a worker process do the
    unpacking while only the process that holds the package cache's lock renames: a worker
    left running after its parent was killed can leave a `*.partial` folder, never a `dest`.
    On failure the temporary folder is removed and the error raised.
    """
    archive, dest = Path(archive), Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent))
    try:
        limits = limits or ExtractLimits()
        state = _Extraction(archive.name, str(tmp.resolve()), limits,
                            *limits.for_archive(archive.stat().st_size))
        with _archive_errors(archive):
            for tar in open_tar_streams(archive):
                for member in tar:
                    _extract_member(state, tar, member)
        _check_links_stay_inside(state)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp


class _archive_errors:
    """Turn the many ways a corrupt archive fails (zip, zstd, bz2, tar) into one ExtractError."""

    def __init__(self, archive: Path):
        self.archive = archive

    def __enter__(self):
        return self

    def __exit__(self, kind, err, tb):
        if err is None or isinstance(err, ExtractError) or not isinstance(err, Exception):
            return False
        if isinstance(err, (OSError, EOFError, zipfile.BadZipFile, ValueError)) \
                or type(err).__module__.startswith("zstandard"):
            raise ExtractError(
                f"{self.archive.name} is corrupt or truncated: {err}",
                where=str(self.archive),
                hint="delete the file and download it again",
            ) from err
        return False


def replace_dir(tmp: Path, dest: Path) -> None:
    """Rename `tmp` to `dest`; an old `dest` is moved aside first, then deleted."""
    if dest.exists() or dest.is_symlink():
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        os.rename(dest, old)
        os.rename(tmp, dest)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, dest)


# --8<-- [start:safe-member]
def _extract_member(state: _Extraction, tar: TarReader, member: Member) -> None:
    """Check one member, then write it. Every refusal names the package and the member."""
    name = _safe_member_name(state, member.name)
    state.members += 1
    if state.members > state.limits.max_members:
        raise UnsafeArchiveError(state.package, member.name, "is one member too many")
    if name is None:  # the "." entry of a tar made with `tar -C dir .`
        return
    target = f"{state.root}/{name}"
    if member.kind == "file":
        _write_file(state, tar, member, target)
    elif member.kind == "dir":
        _make_dirs(state, target)
    elif member.kind == "symlink":
        _make_symlink(state, member, target)
    elif member.kind == "hardlink":
        _make_hardlink(state, member, target)
    else:  # character/block devices, fifos, GNU sparse files...
        raise UnsafeArchiveError(state.package, member.name, "is not a file, folder or link")


def _safe_member_name(state: _Extraction, name: str) -> str | None:
    """The member's relative path, cleaned of "." and "//"; an UnsafeArchiveError when
    `files.check_relative` refuses it (absolute, drive letter, `..`, NUL)."""
    if not (name.startswith(("/", "\\", ".")) or "/." in name or "//" in name
            or "\\" in name or "\0" in name or name[1:2] == ":"):
        return name.rstrip("/") or None  # the usual case, "lib/libz.so": nothing to clean
    if name in (".", "./"):
        return None  # the "." entry of a tar made with `tar -C dir .`
    try:
        check_relative(name, what="member", where=state.package)
    except UnsafePathError as err:
        why = err.message.rpartition(": ")[2]  # "it is an absolute path", "it climbs out..."
        raise UnsafeArchiveError(state.package, name, f"is unsafe: {why}") from None
    return "/".join(p for p in name.replace("\\", "/").split("/") if p not in ("", ".")) or None
# --8<-- [end:safe-member]


def _inside(state: _Extraction, path: str) -> bool:
    return path == state.root or path.startswith(state.root + os.sep)


def _relative(state: _Extraction, path: str) -> str:
    return os.path.relpath(path, state.root)


def _make_dirs(state: _Extraction, target: str) -> None:
    """mkdir -p, but only through real folders inside the target (never through a symlink)."""
    if target in state.safe_dirs or target == state.root:
        return
    _make_dirs(state, os.path.dirname(target))
    if os.path.islink(target) or (os.path.exists(target) and not os.path.isdir(target)):
        raise UnsafeArchiveError(state.package, _relative(state, target),
                                 "is a folder where the archive already put a file or link")
    with contextlib.suppress(FileExistsError):
        os.mkdir(target)
    state.safe_dirs.add(target)


def _write_file(state: _Extraction, tar: TarReader, member: Member, target: str) -> None:
    """Copy the member's bytes to `target`, counting them against the size limit.

    Plain `os` calls on a file descriptor: a package is mostly small files, and for those
    a Python file object costs more than the writing.
    """
    state.written += member.size  # checked before a byte is written: the header says the size
    if state.written > state.max_bytes:
        raise UnsafeArchiveError(
            state.package, member.name,
            f"unpacks past the limit of {state.max_bytes} bytes ({state.max_bytes_why}; "
            f"a decompression bomb?)")
    if member.size > state.limits.max_info_bytes and member.name.startswith("info/"):
        raise UnsafeArchiveError(state.package, member.name,
                                 _info_too_big(member.size, state.limits.max_info_bytes))
    _make_dirs(state, target.rpartition("/")[0])
    try:
        fd = os.open(target, NEW_FILE, 0o600)
    except FileExistsError:  # a later member replaces an earlier one (rare): check, retry
        _remove_existing(state, target, member.name)
        fd = os.open(target, NEW_FILE, 0o600)
    try:
        for chunk in [tar.read(member)] if member.size <= CHUNK else tar.chunks(member):
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view):]
        os.fchmod(fd, member.mode & 0o777)
    finally:
        os.close(fd)


def _remove_existing(state: _Extraction, target: str, name: str) -> None:
    """A later member may replace an earlier *file*; replacing a folder or link is refused."""
    if os.path.islink(target) or os.path.isdir(target):
        raise UnsafeArchiveError(state.package, name, "would replace a folder or link")
    if os.path.exists(target):
        os.unlink(target)


def _make_symlink(state: _Extraction, member: Member, target: str) -> None:
    """Create a symlink whose target, resolved from its folder, stays inside the package."""
    link = member.linkname
    if not link:
        raise UnsafeArchiveError(state.package, member.name, "is a link with no target")
    if os.path.isabs(link):
        raise UnsafeArchiveError(state.package, member.name, f"links to absolute path '{link}'")
    _make_dirs(state, os.path.dirname(target))
    resolved = os.path.realpath(os.path.join(os.path.dirname(target), link))
    if not _inside(state, resolved):
        raise UnsafeArchiveError(state.package, member.name, f"links outside the package ('{link}')")
    _remove_existing(state, target, member.name)
    os.symlink(link, target)
    state.links.append(target)


def _make_hardlink(state: _Extraction, member: Member, target: str) -> None:
    """A tar hard link points at an earlier member: a regular file already inside the target."""
    source_name = _safe_member_name(state, member.linkname)
    source = f"{state.root}/{source_name}"
    if source_name is None or os.path.islink(source) or not os.path.isfile(source) \
            or not _inside(state, os.path.realpath(source)):
        raise UnsafeArchiveError(state.package, member.name,
                                 f"hard-links to '{member.linkname}', which is not a file in it")
    _make_dirs(state, os.path.dirname(target))
    _remove_existing(state, target, member.name)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _check_links_stay_inside(state: _Extraction) -> None:
    """Once every member exists, resolve every symlink again: a chain of links, each harmless
    when written, may lead outside together (``a -> .`` then ``b -> a/../x``)."""
    for path in state.links:
        if os.path.islink(path) and not _inside(state, os.path.realpath(path)):
            raise UnsafeArchiveError(state.package, _relative(state, path), "links outside the package")


# ---------------------------------------------------------------------------------------------
# Writing .conda packages
# ---------------------------------------------------------------------------------------------


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
    import zstandard

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
