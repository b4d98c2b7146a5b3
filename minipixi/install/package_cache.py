"""The package cache: download each archive once, check its hash, extract it once, share it.

Stage 1 of an install (`install/install.py`). Every package is fetched into the *package
cache* (`$MINIPIXI_CACHE_DIR/pkgs`): its archive is downloaded (in parallel threads, sha256
checked, retried with a growing pause when the network or the server fails), extracted once (in
worker processes, one per CPU: see `install/workers.py`), and its folder is marked complete.
A warm cache skips all of this, so a second environment with the same packages costs only
links.

Two processes may want the same package at the same time: a per-package file lock makes them
take turns (`file_lock`), and the second finds the folder complete. A fetch killed half-way
leaves only a ``.partial`` folder or a ``.part`` file, which the next holder of the lock
removes: a folder without its marker never counts.

Every name that becomes a path here (the folder ``<name>-<version>-<build>``, the archive's file
name) is proven to be one file name first (`files.check_component`).

Lesson: Episode 4, "The record an installer leaves" (its "Under the hood" box). Read after
`install/package.py`; read next `install/prefix_records.py`. Ground truth: rattler_cache.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from minipixi.config import cache_dir
from minipixi.errors import InstallError
from minipixi.filelock import lock_exclusively
from minipixi.files import check_component, replace_dir, write_atomic
from minipixi.http import DownloadError, download as http_download, download_threads
from minipixi.install.package import ExtractLimits, unpack_beside, verify_archive
from minipixi.install.workers import WorkerPool, cpus, result_of
from minipixi.records import PackageRecord, url_basename

if TYPE_CHECKING:
    from minipixi.install.install import InstallReporter

COMPLETE_MARKER = ".minipixi-complete"


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
        verify_archive(tmp, sha256=sha256, md5=md5, url=url)
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
    limits: ExtractLimits | None = None  # None: from the environment, when unpacking

    @classmethod
    def default(cls) -> PackageCache:
        return cls(cache_dir() / "pkgs")

    def package_dir(self, record: PackageRecord) -> Path:
        """`<root>/<name>-<version>-<build>`, once that is proven to be one file name (a single
        name cannot leave its folder, and this runs several times per package)."""
        return self.root / check_component(record.dist_name, what="package folder",
                                           where=record_source(record))

    def is_complete(self, record: PackageRecord) -> bool:
        marker = self.package_dir(record) / COMPLETE_MARKER
        try:
            seen = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return same_digests(seen, {"sha256": record.sha256, "md5": record.md5})

    # --8<-- [start:fetch]
    def fetch(self, record: PackageRecord, *, client=None,
              reporter: InstallReporter | None = None, unpack=unpack_beside) -> Path:
        """The extracted folder of `record`: downloaded and extracted when not cached yet.

        A per-package file lock makes two processes that want the same package take turns;
        the second one finds it complete and does nothing. `unpack` does the unpacking
        (`fetch_all` hands it to a worker process).
        """
        if self.is_complete(record):
            return self.package_dir(record)
        self.root.mkdir(parents=True, exist_ok=True)
        with file_lock(self.root / f".{record.dist_name}.lock") as first_try:
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
                             where=record_source(record))
        archive = download(record.url, self.root / fn, sha256=record.sha256, md5=record.md5,
                           client=client, reporter=reporter, record=record)
        if reporter:
            reporter.on_download_done(record)
        target = self.package_dir(record)
        replace_dir(unpack(archive, target, self.limits), target)
        digests = {"sha256": record.sha256, "md5": record.md5, "url": record.url}
        write_atomic(target / COMPLETE_MARKER, json.dumps(digests, indent=2) + "\n", fsync=False)
        if reporter:
            reporter.on_extract_done(record)


def record_source(record: PackageRecord) -> str:
    """Where a record came from, for error messages: its URL, else its file name."""
    return record.url or record.fn or str(record)


def same_digests(seen: Mapping, wanted: Mapping) -> bool:
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
                download_threads(max_workers) as threads:
            def unpack(archive: Path, dest: Path, limits: ExtractLimits | None) -> Path:
                return result_of(processes.submit(unpack_beside, archive, dest, limits), archive)

            list(threads.map(lambda r: cache.fetch(r, client=client, reporter=reporter,
                                                   unpack=unpack), missing))
    return {r.dist_name: cache.package_dir(r) for r in records}
# --8<-- [end:fetch-all]


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[bool]:
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
