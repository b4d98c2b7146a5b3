"""Package archives: what is inside a conda package, and how to open one without trusting it.

A conda package is a file tree plus an info/ folder that describes it. It comes in two
wrappings:

- ``.tar.bz2`` (legacy): one bzip2-compressed tar holding info/ and the files together;
- ``.conda`` (current): a zip that *stores* (does not compress) three members::

      metadata.json                   {"conda_pkg_format_version": 2}
      info-<name>-<version>-<build>.tar.zst   the info/ folder (small: read it alone)
      pkg-<name>-<version>-<build>.tar.zst    everything else

What the info/ files say (the record, every path, entry points) is read by
`install/package_info.py`; this module opens the archive and unpacks it.

An archive comes from the network, so extraction trusts nothing: the hash is checked before use,
and every member is checked before it is written (no absolute paths, no `..`, no device files,
no link that leads outside the target, no more bytes than a limit). Extraction writes into a
temporary folder that is renamed into place only when everything succeeded.

**Size bounds.** A few kilobytes of zstd or bzip2 can unpack to gigabytes (a "bomb"), so a
package may unpack to at most `ExtractLimits.max_bytes`, and to at most `max_ratio` times the
size of its archive plus `RATIO_ALLOWANCE` (64 MiB, so that small packages of text never meet
the ratio). Each info/ file may be at most `max_info_bytes`: it is read whole into memory.
The limits are generous and refused before a byte too many is written (a member's header says
its size); the error names the limit and the environment variable that sets it (sizes in bytes,
or with a unit as `http.parse_size` reads them: ``512MiB``, ``32GiB``)::

    MINIPIXI_MAX_UNPACKED_SIZE   what one package may unpack to (default 16 GiB)
    MINIPIXI_MAX_UNPACKED_RATIO  unpacked bytes per archive byte, above 64 MiB (default 1000)
    MINIPIXI_MAX_INFO_SIZE       one info/ file, e.g. paths.json (default 128 MiB)

(The size of the archive itself, as downloaded, is `http.py`'s ``MINIPIXI_MAX_PACKAGE_SIZE``.)

(Writing `.conda` packages, for our tests and the teaching channel, is
`install/package_writer.py`.)

Lesson: Episode 4, "Taking a `.conda` file apart" (and its "Under the hood" box). Read after
`install/tar.py`; read next `install/package_info.py`. Ground truth: rattler_package_streaming.
"""

from __future__ import annotations

import bz2
import contextlib
import hashlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from minipixi.errors import ExtractError
from minipixi.files import UnsafePathError, check_relative, replace_dir
from minipixi.http import LimitSettingError, parse_size
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

# --8<-- [end:errors]


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
        with bz2.open(path, "rb") as raw:
            yield TarReader(raw)
        return
    import zstandard  # lazy: a compiled library, needed only when a package is opened

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

    The caller renames it to `dest` (`files.replace_dir`). The split lets a worker process do the
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
