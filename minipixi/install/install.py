"""Installing: turn a list of records into a working prefix, and survive being interrupted.

This module is the pipeline, read top to bottom in `install`; each stage has its own module:

1. **Fetch** every package into the package cache (`install/package_cache.py`): download, check the
   hash, extract once (in worker processes: `install/workers.py`). A warm cache skips this.
2. **Plan** a transaction (`install/transaction.py`): compare what is installed (the
   `conda-meta/*.json` records of `install/prefix_records.py`) with what is wanted, giving
   operations "install", "change", "reinstall", "remove".
3. **Execute** it (`execute`, here): unlink what goes, then link what comes
   (`install/link.py`), in worker processes too when there are many packages.

Crash safety, in two rules. (a) Per package, the `conda-meta/<dist>.json` record is written
*last* when linking and removed *last* when unlinking: a record means "these files are here".
(b) Before changing anything, the transaction is written to a *journal*
(`conda-meta/.minipixi-journal.json`) and removed after the last step. When the next install
finds a journal, the previous one was interrupted: every package it named is redone from
scratch, and the files of half-linked packages that are no longer wanted are removed. A file
lock (`filelock.lock_exclusively` on `conda-meta/.minipixi.lock`) makes two installs of one
prefix take turns.

A prefix is any folder; Pixi's are `.pixi/envs/<environment>` inside the workspace. When two
packages ship the same path, the one linked last wins (packages are then linked one by one,
in name order, instead of in parallel).

The library never prints: progress goes to an `InstallReporter` whose methods do nothing.

**Nothing outside the prefix and the cache.** A record's name, version, build and file name
must each be one file name: checked when the record is read (`records.check_record_paths`),
again at the start of `install`, and where they become the cache folder, the archive and
`conda-meta/<dist>.json`. The journal is read as strictly: a file it names is removed only
once it is proven to be inside the prefix. A refusal crosses back from a worker process whole.

Lesson: Episode 4, "The record an installer leaves" (and its "Under the hood" box). Read after
`install/link.py`; read next `run/activation.py`. Ground truth: rattler `install/`
(`driver.rs`, `transaction.rs`) and rattler_cache.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from minipixi.errors import InstallError
from minipixi.install.package_cache import PackageCache, fetch_all, file_lock, record_source
from minipixi.install.link import (check_symlinks, link_package, make_symlinks, prepare_link, prune_empty_dirs,
                                   remove_installed, unlink_package)
from minipixi.install.prefix_records import PrefixRecord, read_prefix_records, write_quick
from minipixi.install.transaction import PythonInfo, Transaction, plan_transaction
from minipixi.install.workers import WorkerPool, cpus, result_of
from minipixi.records import PackageRecord, check_record_paths

JOURNAL = ".minipixi-journal.json"
LOCK_FILE = ".minipixi.lock"


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
        check_record_paths(record, source=f"record '{record}'", where=record_source(record))
    cache = cache or PackageCache.default()
    reporter = reporter or InstallReporter()
    package_dirs = fetch_all(records, cache, client=client, reporter=reporter,
                             max_workers=max_workers, workers=workers)
    meta = prefix / "conda-meta"
    meta.mkdir(parents=True, exist_ok=True)
    with file_lock(meta / LOCK_FILE):
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
        defer = linker.has_workers  # in parallel, symlinks are made afterwards, here (link.py)
        symlinks = []
        for request, made in zip(wanted, _each(linker, wanted, link_request, prefix, python, defer)):
            symlinks += made
            reporter.on_link(request.record)
        if defer:
            make_symlinks(symlinks, prefix)
        check_symlinks(symlinks, prefix)
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


def link_request(request: LinkRequest, prefix: Path, python: PythonInfo | None, defer: bool) -> list:
    """Read the package and link it; returns its symlinks (made, or left to make: `defer`)."""
    job = prepare_link(request.record, request.package_dir, python, request.requested_spec)
    return link_package(job, prefix, python, defer_symlinks=defer)


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
    write_quick(prefix / "conda-meta" / JOURNAL, json.dumps(journal))


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
                    remove_installed(prefix, rel, checked, str(path))
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
