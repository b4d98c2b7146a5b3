"""Installing: turn a list of records into a working prefix, and survive being interrupted.

An install has three stages, each in its own section below:

1. **Fetch** every package into the *package cache* (`$MINIPIXI_CACHE_DIR/pkgs`): download the
   archive (in parallel threads, sha256 checked, retried), extract it once (in worker
   processes, one per CPU: see `workers.py`), and mark the extracted folder complete. A warm
   cache skips this stage entirely.
2. **Plan** a *transaction*: compare what is installed (the `conda-meta/*.json` records of the
   prefix) with what is wanted, giving operations "install", "change", "reinstall", "remove".
3. **Execute** it: unlink what goes, then link what comes (in worker processes too, when there
   are thousands of files). Linking a file is a hard link from
   the cache (a copy when the cache is on another disk), except for files that hold the build
   prefix: those are copied with the placeholder replaced by this prefix. `noarch: python`
   packages are moved into the environment's site-packages and get launcher scripts.

Crash safety, in two rules. (a) Per package, the `conda-meta/<dist>.json` record is written
*last* when linking and removed *last* when unlinking: a record means "these files are here".
(b) Before changing anything, the transaction is written to a *journal*
(`conda-meta/.minipixi-journal.json`) and removed after the last step. When the next install
finds a journal, the previous one was interrupted: every package it named is redone from
scratch, and the files of half-linked packages that are no longer wanted are removed. A file
lock (`filelock.lock_exclusively` on `conda-meta/.minipixi.lock.lockfile`) makes two installs of one prefix take turns.

A prefix is any folder; Pixi's are `.pixi/envs/<environment>` inside the workspace. When two
packages ship the same path, the one linked last wins (packages are then linked one by one,
in name order, instead of in parallel), and removing one keeps the path while another still
owns it.

The library never prints: progress goes to an `InstallReporter` whose methods do nothing.

**Nothing outside the prefix and the cache.** Every name that becomes a path here was written
by strangers, and goes through the one rule of `files.py` *before* anything is written or
removed: a record's name, version, build and file name must each be one file name (checked when
the record is read, in `records.check_record_paths`, and again here, where they become the
cache folder, the archive and `conda-meta/<dist>.json`); a package's `paths.json` paths and
entry point names are checked when they are read (`package.read_paths`, `read_noarch`); a
symlink a package installs must point inside the prefix; a folder a file goes into is resolved
on disk unless we made its parent ourselves, so a link planted above it cannot carry the file
out; and files are removed only after the same checks. A refusal names the file, the field and
the value, and crosses back from a worker process whole.

Lesson: Episode 4, "The record an installer leaves" (and its "Under the hood" box). Read after
`package.py`; read next `activation.py`. Ground truth: rattler `install/` (`link.rs`, `transaction.rs`,
`driver.rs`) and rattler_cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from minipixi.install import package as pkg
from minipixi.errors import InstallError, RecordError
from minipixi.filelock import lock_exclusively
from minipixi.files import UnsafePathError, check_component, check_inside, check_relative, inside, write_atomic
from minipixi.http import DownloadError, download as http_download
from minipixi.records import PackageRecord, check_record_paths, url_basename
from minipixi.install.workers import WorkerPool, cpus, result_of

COMPLETE_MARKER = ".minipixi-complete"
JOURNAL = ".minipixi-journal.json"
LOCK_FILE = ".minipixi.lock.lockfile"


# =============================================================================================
# Progress: a reporter whose default does nothing (the CLI passes one that draws a display)
# =============================================================================================


class InstallReporter:
    """Receives install events; override what you need. Called from worker threads too."""

    def on_transaction(self, transaction: Transaction) -> None: ...
    def on_download_start(self, record: PackageRecord, total: int | None) -> None: ...
    def on_download_progress(self, record: PackageRecord, done: int) -> None: ...
    def on_download_done(self, record: PackageRecord) -> None: ...
    def on_extract_done(self, record: PackageRecord) -> None: ...
    def on_unlink(self, record: PackageRecord) -> None: ...
    def on_link(self, record: PackageRecord) -> None: ...
    def on_done(self, transaction: Transaction) -> None: ...


# =============================================================================================
# Stage 1: download and the package cache
# =============================================================================================


def local_path(url: str) -> Path | None:
    """The file a `file://` URL or a plain path names; None for a remote URL."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme == "":
        return Path(url)
    return None


# --8<-- [start:download]
def download(url: str, dest: Path, *, sha256: str | None = None, md5: str | None = None,
             client=None, reporter: InstallReporter | None = None,
             record: PackageRecord | None = None, retries: int = 3) -> Path:
    """Fetch `url` to `dest` (atomically), then check its hash.

    `file://` URLs and local paths are copied. Network errors and 5xx answers are retried
    with a growing pause; a hash mismatch is not (the same bytes would come again).
    Raises ExtractError (HashMismatchError) or InstallError.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{id(dest)}.part")
    try:
        source = local_path(url)
        if source is not None:
            _copy_local(source, tmp, url)
        else:
            _with_retries(lambda: _http_get(url, tmp, client, reporter, record), url, retries)
        pkg.verify_archive(tmp, sha256=sha256, md5=md5, url=url)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest
# --8<-- [end:download]


def _copy_local(source: Path, tmp: Path, url: str) -> None:
    try:
        shutil.copyfile(source, tmp)
    except OSError as err:
        raise InstallError(f"cannot read package {url}: {err.strerror}", where=url,
                           hint="check that the file exists and is readable") from err


def _with_retries(action, url: str, retries: int) -> None:
    for attempt in range(retries + 1):
        try:
            return action()
        except (DownloadError, _RetryableStatus) as err:
            if isinstance(err, DownloadError) and (not err.transient or attempt == retries):
                raise  # names the url and the bound; a broken bound would break again
            if attempt == retries:
                raise InstallError(f"cannot download {url}: {err}", where=url,
                                   hint="check your network connection, or try again later") from err
            time.sleep(0.2 * 2**attempt)


class _RetryableStatus(Exception):
    """A 5xx or 429 answer: the server may answer better in a moment."""


def _http_get(url: str, tmp: Path, client, reporter, record) -> None:
    # http.download bounds it: connect and stall timeouts, a deadline per file, and
    # MINIPIXI_MAX_PACKAGE_SIZE on the declared and the received size (see http.py).
    report = reporter if reporter and record else None
    fetched = http_download(
        url, tmp, client=client, size_limit="max_package_size",
        on_start=(lambda total: report.on_download_start(record, total)) if report else None,
        on_progress=(lambda done: report.on_download_progress(record, done)) if report else None)
    if fetched.status >= 500 or fetched.status == 429:
        raise _RetryableStatus(f"HTTP {fetched.status}")
    if fetched.status != 200:
        raise InstallError(f"cannot download {url}: HTTP {fetched.status}",
                           where=url, hint="is the channel URL right?")


@dataclass(frozen=True)
class PackageCache:
    """Extracted packages, one folder per build: `<root>/<name>-<version>-<build>/`.

    A folder counts only when it holds the marker file, written after extraction finished;
    the marker records the archive's sha256, so a different build with the same name is
    extracted again instead of being mistaken for this one.
    """

    root: Path
    limits: pkg.ExtractLimits | None = None  # None: from the environment, when unpacking

    @classmethod
    def default(cls) -> PackageCache:
        from minipixi.config import cache_dir

        return cls(cache_dir() / "pkgs")

    def package_dir(self, record: PackageRecord) -> Path:
        """`<root>/<name>-<version>-<build>`, once that is proven to be one file name (a single
        name cannot leave its folder, and this runs several times per package)."""
        return self.root / check_component(record.dist_name, what="package folder",
                                           where=_source(record))

    def is_complete(self, record: PackageRecord) -> bool:
        marker = self.package_dir(record) / COMPLETE_MARKER
        try:
            seen = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return _same_digests(seen, {"sha256": record.sha256, "md5": record.md5})

    # --8<-- [start:fetch]
    def fetch(self, record: PackageRecord, *, client=None,
              reporter: InstallReporter | None = None, unpack=pkg.unpack_beside) -> Path:
        """The extracted folder of `record`: downloaded and extracted when not cached yet.

        A per-package file lock makes two processes that want the same package take turns;
        the second one finds it complete and does nothing. `unpack` does the unpacking
        (`fetch_all` hands it to a worker process).
        """
        if self.is_complete(record):
            return self.package_dir(record)
        self.root.mkdir(parents=True, exist_ok=True)
        with _file_lock(self.root / f".{record.dist_name}.lock") as first_try:
            if not self.is_complete(record):
                if not first_try:  # somebody tried before us, and may have been killed
                    self._remove_leftovers(record)
                self._download_and_extract(record, client, reporter, unpack)
        return self.package_dir(record)
    # --8<-- [end:fetch]

    def _remove_leftovers(self, record: PackageRecord) -> None:
        """Delete what a killed fetch of this package left: half-extracted folders and
        partial downloads. Safe because we hold this package's lock."""
        for path in self.root.glob(f".{record.dist_name}.*"):
            if path.name.endswith(".partial") or ".old-" in path.name:
                shutil.rmtree(path, ignore_errors=True)
            elif path.name.endswith(".part"):
                path.unlink(missing_ok=True)

    def _download_and_extract(self, record, client, reporter, unpack) -> None:
        if not record.url:
            raise InstallError(f"record {record} has no url", where=record.fn or record.name,
                               hint="records to install must come from a channel or a lock file")
        fn = check_component(record.fn or url_basename(record.url), what="archive file name",
                             where=_source(record))
        archive = download(record.url, self.root / fn, sha256=record.sha256, md5=record.md5,
                           client=client, reporter=reporter, record=record)
        if reporter:
            reporter.on_download_done(record)
        target = self.package_dir(record)
        pkg.replace_dir(unpack(archive, target, self.limits), target)
        digests = {"sha256": record.sha256, "md5": record.md5, "url": record.url}
        _write_json_atomic(target / COMPLETE_MARKER, digests)
        if reporter:
            reporter.on_extract_done(record)


def _source(record: PackageRecord) -> str:
    """Where a record came from, for error messages: its URL, else its file name."""
    return record.url or record.fn or str(record)


def _same_digests(seen: Mapping, wanted: Mapping) -> bool:
    """True when every digest known on both sides agrees (sha256 first, then md5)."""
    for key in ("sha256", "md5"):
        if seen.get(key) and wanted.get(key):
            return seen[key] == wanted[key]
    return True


# --8<-- [start:fetch-all]
def fetch_all(records: Sequence[PackageRecord], cache: PackageCache, *, client=None,
              reporter: InstallReporter | None = None, max_workers: int = 8,
              workers: int | None = None) -> dict[str, Path]:
    """Fetch every record into the cache; {dist_name: extracted folder}.

    Downloads run in `max_workers` threads (waiting on the network does not hold the GIL);
    unpacking runs in `workers` processes (default: one per CPU), because reading thousands
    of tar headers is Python work, which threads would do one at a time.
    """
    missing = [r for r in records if not cache.is_complete(r)]
    if missing:
        with WorkerPool(min(len(missing), cpus(workers))) as processes, \
                ThreadPoolExecutor(max_workers) as threads:
            def unpack(archive: Path, dest: Path, limits: pkg.ExtractLimits | None) -> Path:
                return result_of(processes.submit(pkg.unpack_beside, archive, dest, limits), archive)

            list(threads.map(lambda r: cache.fetch(r, client=client, reporter=reporter,
                                                   unpack=unpack), missing))
    return {r.dist_name: cache.package_dir(r) for r in records}
# --8<-- [end:fetch-all]


# =============================================================================================
# Stage 2: what is installed, and the transaction
# =============================================================================================


@dataclass(frozen=True)
class PrefixRecord:
    """An installed package: its record, plus what linking it put into the prefix."""

    record: PackageRecord
    files: tuple[str, ...]
    paths_data: tuple[dict, ...] = ()
    extracted_package_dir: str | None = None
    requested_spec: str | None = None

    def to_json(self) -> dict:
        data = self.record.to_repodata()
        data.update(fn=self.record.fn or f"{self.record.dist_name}.conda",
                    url=self.record.url, channel=self.record.channel)
        data["files"] = list(self.files)
        data["paths_data"] = {"paths": list(self.paths_data), "paths_version": 1}
        data["extracted_package_dir"] = self.extracted_package_dir
        data["link"] = {"source": self.extracted_package_dir, "type": 1}
        data["requested_spec"] = self.requested_spec
        return data

    @classmethod
    def from_json(cls, data: dict) -> PrefixRecord:
        fn = data.get("fn") or f"{data['name']}-{data['version']}-{data['build']}.conda"
        paths = (data.get("paths_data") or {}).get("paths") or []
        return cls(PackageRecord.from_repodata(fn, data), tuple(data.get("files") or ()),
                   tuple(paths), data.get("extracted_package_dir"), data.get("requested_spec"))


def write_prefix_record(prefix: Path, installed: PrefixRecord) -> None:
    """Write `conda-meta/<dist>.json` atomically: one key per line, one path per line.

    (json.dumps with `indent` runs the slow pure-Python encoder; this layout keeps the file
    readable and diffable at the speed of the C one.)
    """
    data = installed.to_json()
    paths = data.pop("paths_data")["paths"]
    lines = [f"  {json.dumps(key)}: {_json_block(value)}" for key, value in data.items()
             if key != "files"]
    lines.append(f'  "files": {_json_block(data["files"])}')
    lines.append(f'  "paths_data": {{"paths_version": 1, "paths": {_json_block(paths)}}}')
    text = "{\n" + ",\n".join(lines) + "\n}\n"
    _write_text_atomic(_meta_path(prefix, installed.record), text)


def _meta_path(prefix: Path, record: PackageRecord) -> Path:
    """`conda-meta/<name>-<version>-<build>.json`, once the name is proven to be one file."""
    return prefix / "conda-meta" / check_component(f"{record.dist_name}.json",
                                                   what="conda-meta file name",
                                                   where=_source(record))


_encode = json.JSONEncoder().encode  # json.dumps minus its per-call argument handling


def _json_block(value) -> str:
    """A list as one item per line; anything else on one line."""
    if isinstance(value, list) and value:
        return "[\n    " + ",\n    ".join(map(_encode, value)) + "\n  ]"
    return _encode(value)


def read_prefix_records(prefix: Path) -> dict[str, PrefixRecord]:
    """The installed packages of `prefix`, by name, from `conda-meta/*.json`."""
    installed: dict[str, PrefixRecord] = {}
    meta = Path(prefix) / "conda-meta"
    for path in sorted(meta.glob("[!.]*.json")) if meta.is_dir() else ():
        try:
            record = PrefixRecord.from_json(json.loads(path.read_text(encoding="utf-8")))
            for rel in record.files:  # removed one day: each must stay inside the prefix
                check_relative(rel, what="`files` entry", where=str(path))
        except (ValueError, KeyError, TypeError, AttributeError, OSError, RecordError,
                UnsafePathError) as err:
            raise InstallError(f"cannot read installed record {path.name}: {err}", where=str(path),
                               hint="delete the prefix and install again") from err
        installed[record.record.name] = record
    return installed


@dataclass(frozen=True)
class Operation:
    """One step of a transaction. "install" has only `new`, "remove" only `old`; "change"
    and "reinstall" have both (reinstall: the same build, linked again)."""

    kind: str
    old: PrefixRecord | None = None
    new: PackageRecord | None = None

    @property
    def name(self) -> str:
        return (self.new or self.old.record).name


@dataclass(frozen=True)
class Transaction:
    """The difference between a prefix and the wanted records: removals first, then links."""

    operations: tuple[Operation, ...]
    python: PythonInfo | None = None

    @property
    def to_unlink(self) -> list[PrefixRecord]:
        return [op.old for op in self.operations if op.old is not None]

    @property
    def to_link(self) -> list[PackageRecord]:
        return [op.new for op in self.operations if op.new is not None]

    def __bool__(self) -> bool:
        return bool(self.operations)


def same_build(installed: PackageRecord, wanted: PackageRecord) -> bool:
    """Whether an installed record is the wanted build: same name-version-build and, where
    both sides know them, the same archive digests (a rebuilt package has new bytes)."""
    if installed.dist_name != wanted.dist_name:
        return False
    return _same_digests({"sha256": installed.sha256, "md5": installed.md5},
                         {"sha256": wanted.sha256, "md5": wanted.md5})


# --8<-- [start:plan]
def plan_transaction(installed: Mapping[str, PrefixRecord], wanted: Sequence[PackageRecord], *,
                     reinstall: Iterable[str] = ()) -> Transaction:
    """Compare installed and wanted records, name by name, into a Transaction.

    A `noarch: python` package is reinstalled when python's minor version changes, because its
    files live under `lib/pythonX.Y/`. Operations are sorted by package name.
    """
    reinstall = set(reinstall)
    new_python = PythonInfo.from_records(wanted)
    old_python = PythonInfo.from_records([p.record for p in installed.values()])
    if new_python != old_python:
        reinstall |= {r.name for r in wanted if r.noarch == "python"}
    wanted_by_name = {r.name: r for r in wanted}
    ops = [Operation("remove", old=installed[n]) for n in installed if n not in wanted_by_name]
    for name, new in wanted_by_name.items():
        old = installed.get(name)
        if old is None:
            ops.append(Operation("install", new=new))
        elif not same_build(old.record, new):
            ops.append(Operation("change", old=old, new=new))
        elif name in reinstall:
            ops.append(Operation("reinstall", old=old, new=new))
    return Transaction(tuple(sorted(ops, key=lambda op: op.name)), new_python)
# --8<-- [end:plan]


# =============================================================================================
# Stage 3a: where files go (noarch: python) and what they contain (prefix placeholders)
# =============================================================================================


@dataclass(frozen=True)
class PythonInfo:
    """The environment's python, as far as `noarch: python` packages care."""

    short_version: str  # "3.12"
    site_packages: str  # "lib/python3.12/site-packages"

    @classmethod
    def from_records(cls, records: Iterable[PackageRecord]) -> PythonInfo | None:
        python = next((r for r in records if r.name == "python"), None)
        if python is None:
            return None
        short = ".".join(python.version.split(".")[:2])
        site = python.python_site_packages_path or f"lib/python{short}/site-packages"
        check_relative(site, what="python_site_packages_path", where=_source(python))
        return cls(short, site)

    @property
    def interpreter(self) -> str:
        return f"bin/python{self.short_version}"


def target_path(path: str, noarch: str | None, python: PythonInfo | None) -> str:
    """Where a package path goes in the prefix: only `noarch: python` packages move files."""
    if noarch != "python":
        return path
    if path.startswith("site-packages/"):
        return python.site_packages + path[len("site-packages"):]
    if path.startswith("python-scripts/"):
        return "bin" + path[len("python-scripts"):]
    return path


# --8<-- [start:placeholders]
def replace_text_prefix(data: bytes, placeholder: bytes, prefix: bytes) -> bytes:
    """Text mode: every occurrence is replaced; the file may change length."""
    return data.replace(placeholder, prefix)


def replace_binary_prefix(data: bytes, placeholder: bytes, prefix: bytes) -> bytes:
    """Binary mode: the file keeps its length, as compiled code has fixed offsets.

    The placeholder sits inside a NUL-terminated C string. The whole string (up to its NUL)
    is rewritten with the placeholder replaced, then padded back to its old length with NULs.
    So the new prefix must not be longer than the placeholder (which is why conda-build uses
    a 255-character one).
    """
    out, pos = bytearray(), 0
    while (start := data.find(placeholder, pos)) != -1:
        end = data.find(b"\0", start)
        end = len(data) if end == -1 else end
        segment = data[start:end].replace(placeholder, prefix)
        if len(segment) > end - start:
            raise InstallError(
                f"the prefix is {len(prefix) - len(placeholder)} bytes longer than the placeholder",
                hint="use a shorter path for the environment")
        out += data[pos:start] + segment + b"\0" * (end - start - len(segment))
        pos = end
    return bytes(out + data[pos:])
# --8<-- [end:placeholders]


MAX_SHEBANG = 127  # Linux truncates longer `#!` lines


def fix_long_shebang(data: bytes) -> bytes:
    """A `#!` line too long for the kernel (or with a space in it) becomes `#!/usr/bin/env`."""
    if not data.startswith(b"#!"):
        return data
    line, sep, rest = data.partition(b"\n")
    interpreter, _, args = line[2:].strip().partition(b" ")
    if len(line) <= MAX_SHEBANG and b" " not in interpreter:
        return data
    program = os.path.basename(interpreter)
    new = b"#!/usr/bin/env " + program + (b" " + args if args else b"")
    return new + sep + rest


# =============================================================================================
# Stage 3b: linking and unlinking one package
# =============================================================================================


@dataclass(frozen=True)
class LinkJob:
    """Everything needed to link one package: where it comes from and what it becomes."""

    record: PackageRecord
    package_dir: Path
    entries: tuple[tuple[pkg.PathEntry, str], ...]  # (paths.json entry, target path)
    entry_points: tuple[str, ...]
    requested_spec: str | None = None

    @property
    def targets(self) -> list[str]:
        return [target for _, target in self.entries] + [
            f"bin/{pkg.parse_entry_point(ep)[0]}" for ep in self.entry_points]


def prepare_link(record: PackageRecord, package_dir: Path, python: PythonInfo | None,
                 requested_spec: str | None = None) -> LinkJob:
    """Read the extracted package and decide the target path of each of its files."""
    noarch = pkg.read_noarch(package_dir)
    kind = record.noarch or noarch.kind
    if kind == "python" and python is None:
        raise InstallError(f"{record} is a noarch: python package, but there is no python",
                           hint="add python to the environment's dependencies")
    entries = tuple((e, target_path(e.path, kind, python)) for e in pkg.read_paths(package_dir))
    source_root = str(package_dir)
    for entry, target in entries:  # read_paths checked the paths; noarch: python moves some
        if target is not entry.path:
            check_relative(target, what="target path", where=source_root)
        if entry.path_type == "softlink" and os.path.islink(f"{source_root}/{entry.path}"):
            _check_link(target, os.readlink(f"{source_root}/{entry.path}"), source_root)
    points = noarch.entry_points if kind == "python" else ()
    return LinkJob(record, package_dir, entries, points, requested_spec)


# --8<-- [start:link]
def link_package(job: LinkJob, prefix: Path, python: PythonInfo | None) -> PrefixRecord:
    """Put every file of `job` into `prefix`, then write its conda-meta record (last).

    Returns the PrefixRecord that was written.
    """
    source_root, prefix_root = str(job.package_dir), str(prefix)
    made = {prefix_root}  # folders known to exist, real and inside: saves a stat per file
    paths_data = [_link_entry(source_root, entry, target, prefix_root, made)
                  for entry, target in job.entries]
    for point in job.entry_points:
        paths_data.append(_write_entry_point(point, prefix, python))
    installed = PrefixRecord(job.record, tuple(job.targets), tuple(paths_data),
                             str(job.package_dir), job.requested_spec)
    write_prefix_record(prefix, installed)
    return installed
# --8<-- [end:link]


def _link_entry(source_root: str, entry: pkg.PathEntry, target: str, prefix: str,
                made: set[str]) -> dict:
    """Link one path; returns its `paths_data` line (with `sha256_in_prefix` when rewritten).

    Paths are plain strings here: this runs once per file, and pathlib's objects cost more
    than the system calls they wrap.
    """
    source, dest = f"{source_root}/{entry.path}", f"{prefix}/{target}"
    _make_parent(dest, made, prefix, f"{source_root}/info/paths.json")
    if entry.path_type == "directory":
        if os.path.islink(dest) or os.path.isfile(dest):
            _clear(dest, made)
        os.makedirs(dest, exist_ok=True)
    elif entry.path_type == "softlink" and os.path.islink(source):
        link = os.readlink(source)
        _check_link(target, link, source_root)  # checked in prepare_link too: read it again
        _replacing(dest, lambda: os.symlink(link, dest), made)
        _check_link_on_disk(dest, target, link, prefix, source_root)
    elif entry.prefix_placeholder and not entry.no_link:
        _clear(dest, made)
        new_hash = _copy_with_prefix(source, dest, entry, prefix)
        return _paths_data(entry, target, sha256_in_prefix=new_hash)
    else:  # a regular file (paths.json may say "softlink" for a file: trust the file)
        _replacing(dest, lambda: _hardlink_or_copy(source, dest, copy=entry.no_link), made)
    return _paths_data(entry, target)


def _check_link(target: str, link: str, source_root: str) -> None:
    """A symlink the package installs at `target` must point inside the prefix, by its text:
    `bin/tool -> ../lib/tool` passes, `lib/up -> ../..` and `/etc` are refused."""
    check_relative(os.path.normpath(os.path.join(os.path.dirname(target), link)),
                   what=f"symlink '{target}' -> '{link}', which points at",
                   where=f"{source_root}/info/paths.json")


def _check_link_on_disk(dest: str, target: str, link: str, prefix: str,
                        source_root: str) -> None:
    """... and once made, where it leads on disk, through the links already there (a chain,
    `a -> .` then `b -> a/../x`, escapes though each link looks harmless alone)."""
    real_prefix = os.path.realpath(prefix)
    real = os.path.realpath(dest)
    if real != real_prefix and not real.startswith(real_prefix + os.sep):
        os.unlink(dest)
        check_inside(prefix, real, what=f"symlink '{target}' -> '{link}', which leads to",
                     where=f"{source_root}/info/paths.json")


def _replacing(dest: str, create, made: set[str]) -> None:
    """Run `create`; if something is already at `dest` (a clobber, a repair), remove it and
    try again. Trying first saves a syscall per file on a fresh prefix."""
    try:
        create()
    except FileExistsError:
        _clear(dest, made)
        create()


def _clear(dest: str, made: set[str]) -> None:
    """Remove what is at `dest`; a folder removed is forgotten by `made` with all below it
    (a link may come in its place, and `made` must only hold real folders)."""
    try:
        os.unlink(dest)
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        below = dest + "/"
        made.difference_update({f for f in made if f == dest or f.startswith(below)})
        shutil.rmtree(dest)


def _paths_data(entry: pkg.PathEntry, target: str, **extra) -> dict:
    data = entry.to_json()
    data["_path"] = target
    data.update({k: v for k, v in extra.items() if v is not None})
    return data


def _make_parent(dest: str, made: set[str], root: str, where: str | None = None) -> None:
    """Make the folder `dest` goes into, inside `root` (which `made` must hold).

    An old file or link standing where the folder must be is removed. `made` holds folders
    known to be real and inside: when every folder between the nearest of them and the new one
    is a plain folder (or missing), the new one is inside too; if one of them is a symlink,
    the folder is resolved on disk first (`files.check_inside`), so a link planted above it
    cannot carry the file out of `root`.
    """
    parent = dest.rpartition("/")[0]
    if parent in made:
        return
    if os.path.islink(parent) or os.path.isfile(parent):
        _remove_path(parent)  # a file of an old package stood where a folder must be
    between = []
    folder = parent.rpartition("/")[0]
    while folder not in made:
        if not folder:  # not below root at all (cannot happen for a checked target)
            between.append(root + "/..")
            break
        between.append(folder)
        folder = folder.rpartition("/")[0]
    if any(os.path.islink(f) for f in between):
        check_inside(root, parent, what=f"folder of {dest[len(root) + 1:]!r},", where=where or root)
    os.makedirs(parent, exist_ok=True)
    made.update(f for f in between if f.startswith(root + "/"))
    made.add(parent)


def _remove_path(dest: str | Path) -> None:
    """Make room for a new file: an old file or link there (a clobber, a repair) goes."""
    try:
        os.unlink(dest)
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        shutil.rmtree(dest)


def _hardlink_or_copy(source: str, dest: str, *, copy: bool = False) -> None:
    """Hard-link `source` to `dest`, else copy it. Something already at `dest` raises
    FileExistsError (for `_replacing`): a copy must never write through an old symlink."""
    if not copy:
        try:
            os.link(source, dest)
            return
        except FileExistsError:
            raise
        except OSError:
            pass  # another file system, or links not allowed: copy instead
    if os.path.lexists(dest):
        raise FileExistsError(dest)
    shutil.copy2(source, dest)


def _copy_with_prefix(source: str, dest: str, entry: pkg.PathEntry, prefix: str) -> str:
    """Write `source` to `dest` with the placeholder replaced; returns the new sha256."""
    with open(source, "rb") as fh:
        data = fh.read()
    placeholder, new = entry.prefix_placeholder.encode(), prefix.encode()
    if entry.file_mode == "binary":
        data = replace_binary_prefix(data, placeholder, new)
    else:
        data = fix_long_shebang(replace_text_prefix(data, placeholder, new))
    with open(dest, "wb") as out:
        out.write(data)
    shutil.copymode(source, dest)
    return hashlib.sha256(data).hexdigest()


ENTRY_POINT_TEMPLATE = """\
#!{python}
# -*- coding: utf-8 -*-
import re
import sys

from {module} import {import_name}

if __name__ == '__main__':
\tsys.argv[0] = re.sub(r'(-script\\.pyw?|\\.exe)?$', '', sys.argv[0])
\tsys.exit({call}())
"""  # the tabs are rattler's: launchers are byte-for-byte the same as rattler's


def render_entry_point(spec: str, python_path: str) -> tuple[str, str]:
    """`"name = module.sub:func"` to (name, launcher script text); the name must be one file
    name (`package.parse_entry_point`)."""
    name, module, func = pkg.parse_entry_point(spec)
    script = ENTRY_POINT_TEMPLATE.format(python=python_path, module=module,
                                         import_name=func.split(".")[0], call=func)
    return name, script


def _write_entry_point(spec: str, prefix: Path, python: PythonInfo) -> dict:
    name, script = render_entry_point(spec, str(prefix / python.interpreter))
    data = fix_long_shebang(script.encode())
    dest = inside(prefix, f"bin/{name}", what="entry point", where=str(prefix / "bin"))
    _make_parent(str(dest), {str(prefix)}, str(prefix))
    _remove_path(dest)
    dest.write_bytes(data)
    os.chmod(dest, 0o775)
    digest = hashlib.sha256(data).hexdigest()
    return {"_path": f"bin/{name}", "path_type": "unix_python_entry_point",
            "sha256": digest, "size_in_bytes": len(data)}


def unlink_package(old: PrefixRecord, prefix: Path, keep: set[str]) -> None:
    """Remove the files of an installed package (except those in `keep`, which another
    package also owns), prune folders left empty, and remove its record last."""
    where = str(_meta_path(prefix, old.record))
    checked: set[str] = set()
    for rel in old.files:
        if rel not in keep:
            _remove_installed(prefix, rel, checked, where)
    prune_empty_dirs(prefix, old.files)
    _meta_path(prefix, old.record).unlink(missing_ok=True)


def _remove_installed(prefix: Path, rel: str, checked: set[str], where: str) -> None:
    """Remove the installed file `rel`, once it is proven to be inside `prefix`: as text
    always, on disk once per folder (`checked` remembers the folders already proven)."""
    check_relative(rel, what="installed file", where=where)
    folder = rel.replace("\\", "/").rpartition("/")[0]
    if folder not in checked:
        inside(prefix, rel, what="installed file", where=where)
        checked.add(folder)
    _remove_path(prefix / rel)


def prune_empty_dirs(prefix: Path, files: Iterable[str]) -> None:
    """Remove the folders of `files` that are now empty, deepest first, never `prefix` itself
    nor `conda-meta`, nor a folder that is not inside `prefix` once resolved."""
    folders = {parent for rel in files for parent in Path(rel).parents if str(parent) != "."}
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        if folder.parts[0] == "conda-meta":
            continue
        with contextlib.suppress(OSError, UnsafePathError):
            inside(prefix, str(folder), what="folder").rmdir()


# =============================================================================================
# The whole install: lock, journal, repair, execute
# =============================================================================================


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    """An exclusive lock held while the block runs; a second process waits for it.

    Yields True when this call created the lock file: then nobody has held this lock before,
    so nobody can have left a half-done job behind it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, created = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644), True
    except FileExistsError:
        fd, created = os.open(path, os.O_RDWR), False
    try:
        lock_exclusively(fd, "file")  # flock on POSIX, msvcrt on Windows (filelock.py)
        yield created
    finally:
        os.close(fd)  # closing the file releases the lock


def _write_json_atomic(path: Path, data: dict) -> None:
    _write_text_atomic(path, json.dumps(data, indent=2) + "\n")


def _write_text_atomic(path: Path, text: str) -> None:
    """The project's one atomic writer, without fsync: an install that dies is redone from its
    journal, so flushing every conda-meta record (~6 ms each) would buy nothing."""
    write_atomic(path, text, fsync=False)


# --8<-- [start:install]
def install(records: Sequence[PackageRecord], prefix: Path, *, cache: PackageCache | None = None,
            requested_specs: Mapping[str, str] | None = None, reinstall: Iterable[str] = (),
            reporter: InstallReporter | None = None, client=None,
            max_workers: int = 8, workers: int | None = None) -> Transaction:
    """Make `prefix` hold exactly `records` (the result of a solve or a lock file).

    Fetches what the cache lacks (`max_workers` parallel downloads, `workers` unpacking
    processes: see `fetch_all`), then,
    holding the prefix's lock, repairs an interrupted earlier install, plans the transaction
    and executes it. Returns the transaction that was carried out (empty when the prefix was
    already right). Raises ExtractError for a bad archive and InstallError for anything else.
    """
    prefix = Path(prefix).absolute()
    for record in records:  # checked when read from repodata or a lock; again, as they are used
        check_record_paths(record, source=f"record '{record}'", where=_source(record))
    cache = cache or PackageCache.default()
    reporter = reporter or InstallReporter()
    package_dirs = fetch_all(records, cache, client=client, reporter=reporter,
                             max_workers=max_workers, workers=workers)
    meta = prefix / "conda-meta"
    meta.mkdir(parents=True, exist_ok=True)
    with _file_lock(meta / LOCK_FILE):
        redo = repair_interrupted(prefix)
        installed = read_prefix_records(prefix)
        transaction = plan_transaction(installed, records, reinstall=set(reinstall) | redo)
        reporter.on_transaction(transaction)
        if transaction:
            execute(transaction, prefix, package_dirs, requested_specs or {}, reporter,
                    workers=workers)
    reporter.on_done(transaction)
    return transaction
# --8<-- [end:install]


# --8<-- [start:execute]
def execute(transaction: Transaction, prefix: Path, package_dirs: Mapping[str, Path],
            requested_specs: Mapping[str, str], reporter: InstallReporter, *,
            workers: int | None = None) -> None:
    """Carry out a transaction: journal, unlink, link, remove the journal.

    Call with the prefix lock held. Linking is Python work for every file (paths, checks,
    a line of the conda-meta record) and little work for the system (one hard link), so
    for big transactions it runs in worker processes, which threads could not do (they take
    turns on the GIL). The workers read each package's `paths.json` twice: once to tell us
    its targets, for the journal, and once to link it. That is cheaper than sending the
    parsed entries between processes.
    """
    python = transaction.python
    wanted = [LinkRequest(r, package_dirs[r.dist_name], requested_specs.get(r.name))
              for r in transaction.to_link]
    count = min(len(wanted), cpus(workers)) if len(wanted) >= LINK_IN_PROCESSES_FROM else 1
    with WorkerPool(count, fork_only=True) as pool:
        targets = list(_each(pool, wanted, link_targets, python))
        write_journal(prefix, transaction.to_unlink, dict(zip(
            (request.record.dist_name for request in wanted), targets)))
        staying = _files_staying(prefix, transaction)
        for old in transaction.to_unlink:
            unlink_package(old, prefix, keep=staying)
            reporter.on_unlink(old.record)
        everything = [target for package in targets for target in package]
        clash = len(everything) != len(set(everything))  # then link in order, in this process,
        linker = WorkerPool(0) if clash else pool        # so the same package wins every time
        for request, _ in zip(wanted, _each(linker, wanted, link_request, prefix, python)):
            reporter.on_link(request.record)
    (prefix / "conda-meta" / JOURNAL).unlink()
# --8<-- [end:execute]


LINK_IN_PROCESSES_FROM = 16  # packages; below this, starting processes costs more than it saves


@dataclass(frozen=True)
class LinkRequest:
    """What a worker needs to link one package (small: it is sent to another process)."""

    record: PackageRecord
    package_dir: Path
    requested_spec: str | None = None


def link_targets(request: LinkRequest, python: PythonInfo | None) -> list[str]:
    """The paths linking `request` will create in the prefix (for the journal)."""
    return prepare_link(request.record, request.package_dir, python, request.requested_spec).targets


def link_request(request: LinkRequest, prefix: Path, python: PythonInfo | None) -> None:
    """Read the package and link it (returns nothing: nobody reads it across processes)."""
    link_package(prepare_link(request.record, request.package_dir, python, request.requested_spec),
                 prefix, python)


def _each(pool: WorkerPool, requests: Sequence[LinkRequest], action, *args) -> Iterator:
    """`action(request, *args)` for every request, the results in order.

    Without worker processes: one by one, and the first error stops the rest. With them: in
    batches of several requests, because each trip to a worker and back costs about as much
    as linking a small package.
    """
    if not pool.has_workers:
        for request in requests:
            yield action(request, *args)
        return
    size = max(1, len(requests) // (4 * pool.workers))
    batches = [requests[i:i + size] for i in range(0, len(requests), size)]
    futures = [pool.submit(_batch, action, batch, args) for batch in batches]
    for batch, future in zip(batches, futures):
        yield from result_of(future, batch[0].package_dir)


def _batch(action, requests: Sequence[LinkRequest], args: tuple) -> list:
    return [action(request, *args) for request in requests]


def _files_staying(prefix: Path, transaction: Transaction) -> set[str]:
    """Files owned by installed packages this transaction leaves alone (shared paths)."""
    leaving = {old.record.name for old in transaction.to_unlink}
    installed = read_prefix_records(prefix)
    return {f for name, rec in installed.items() if name not in leaving for f in rec.files}


def write_journal(prefix: Path, unlinks: Sequence[PrefixRecord],
                  links: Mapping[str, list[str]]) -> None:
    """Write down, before touching anything, which packages this transaction will touch and
    which files the new ones will create (`links`: dist name -> target paths)."""
    journal = {"unlink": [old.record.dist_name for old in unlinks], "link": dict(links)}
    _write_text_atomic(prefix / "conda-meta" / JOURNAL, json.dumps(journal))


# --8<-- [start:repair]
def repair_interrupted(prefix: Path) -> set[str]:
    """Undo the traces of an interrupted install; return the names that must be redone.

    A package with a conda-meta record is whole (the record is written last). A package the
    journal was linking but that has no record is half there: its files are removed. Every
    package the journal names is reinstalled by the next transaction. Leftover temporary
    files in conda-meta are deleted.
    """
    meta = prefix / "conda-meta"
    for tmp in meta.glob(".*.tmp"):
        tmp.unlink(missing_ok=True)
    path = meta / JOURNAL
    if not path.exists():
        return set()
    journal = _read_journal(path)
    installed = read_prefix_records(prefix)
    recorded = {p.record.dist_name for p in installed.values()}
    owned = {f for p in installed.values() for f in p.files}
    checked: set[str] = set()
    for dist, targets in journal["link"].items():
        if dist not in recorded:
            for rel in targets:
                if rel not in owned:
                    _remove_installed(prefix, rel, checked, str(path))
            prune_empty_dirs(prefix, targets)
    names = {p.record.name for p in installed.values()
             if p.record.dist_name in set(journal["link"]) | set(journal["unlink"])}
    path.unlink()
    return names
# --8<-- [end:repair]


def _read_journal(path: Path) -> dict:
    """The journal, shaped as `write_journal` writes it, or an InstallError naming it."""
    try:
        journal = json.loads(path.read_text(encoding="utf-8"))
        links, unlinks = journal["link"], journal["unlink"]
        if not (isinstance(links, dict) and isinstance(unlinks, list) and all(
                isinstance(t, list) and all(isinstance(r, str) for r in t)
                for t in links.values())):
            raise ValueError("unexpected shape")
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise InstallError(f"cannot read the journal of an interrupted install: {err}",
                           where=str(path),
                           hint="delete the environment's folder and install again") from err
    return journal
