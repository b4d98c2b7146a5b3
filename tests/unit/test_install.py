"""Unit tests for the installer (minipixi.install: install, package_cache, link, transaction): cache,
linking, placeholders, noarch python, transactions, downloads, the prefix lock, and recovery from an
install killed at a random point."""

from __future__ import annotations

import dataclasses
import http.server
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pkgfactory import BINARY_PLACEHOLDER, TEXT_PLACEHOLDER, make_package, snapshot_tree

from minipixi.install import install
from minipixi.install import link
from minipixi.install import package
from minipixi.install import package_cache
from minipixi.install import transaction
from minipixi.install import workers
from minipixi.errors import ExtractError, InstallError
from minipixi.records import PackageRecord

# -- placeholders ----------------------------------------------------------------------------


def test_binary_replacement_keeps_length_and_pads_the_c_string():
    data = b"head\0/ph/placeholder/lib:/ph/placeholder/bin\0tail"
    out = link.replace_binary_prefix(data, b"/ph/placeholder", b"/env")
    assert len(out) == len(data)
    assert out == b"head\0/env/lib:/env/bin" + b"\0" * 22 + b"\0tail"


def test_binary_replacement_refuses_a_longer_prefix():
    with pytest.raises(InstallError, match="longer than the placeholder"):
        link.replace_binary_prefix(b"x/ph\0", b"/ph", b"/much/longer")


def test_text_replacement_and_long_shebangs():
    assert link.replace_text_prefix(b"a /ph b /ph", b"/ph", b"/e") == b"a /e b /e"
    long = b"#!/" + b"x" * 150 + b"/bin/python3 -E\nprint(1)\n"
    assert link.fix_long_shebang(long) == b"#!/usr/bin/env python3 -E\nprint(1)\n"
    short = b"#!/env/bin/python\nprint(1)\n"
    assert link.fix_long_shebang(short) == short


def test_target_paths_of_noarch_python():
    py = transaction.PythonInfo("3.12", "lib/python3.12/site-packages")
    assert link.target_path("site-packages/a/b.py", "python", py) == "lib/python3.12/site-packages/a/b.py"
    assert link.target_path("python-scripts/tool", "python", py) == "bin/tool"
    assert link.target_path("site-packages/a.py", None, py) == "site-packages/a.py"
    assert link.target_path("info/x", "python", py) == "info/x"


def test_python_info_uses_the_record_site_packages_path():
    rec = PackageRecord("python", "3.13.1", "h_cp313t", python_site_packages_path="lib/python3.13t/site-packages")
    assert transaction.PythonInfo.from_records([rec]) == transaction.PythonInfo("3.13", "lib/python3.13t/site-packages")
    assert transaction.PythonInfo.from_records([PackageRecord("python", "3.12.0", "h")]).site_packages == \
        "lib/python3.12/site-packages"


# -- a small channel to install from -----------------------------------------------------------


@pytest.fixture
def channel(tmp_path):
    out = tmp_path / "channel"
    recs = {}
    _, recs["python"] = make_package(out, "python", {"bin/python3.12": "#!/bin/sh\n"},
                                     version="3.12.1", executables=("bin/python3.12",),
                                     symlinks={"bin/python": "python3.12"})
    _, recs["tool"] = make_package(
        out, "tool",
        {"bin/tool": f"#!{TEXT_PLACEHOLDER}/bin/python\nprint('{TEXT_PLACEHOLDER}')\n",
         "lib/libtool.so": b"\x7fELF\0" + BINARY_PLACEHOLDER.encode() + b"/lib\0end",
         "share/tool/data.txt": "data\n"},
        executables=("bin/tool",), placeholder=TEXT_PLACEHOLDER, depends=("python",))
    # a second build detects the binary placeholder (one placeholder per package scan)
    _, recs["pylib"] = make_package(
        out, "pylib", {"site-packages/pylib/__init__.py": "VALUE = 1\n",
                       "python-scripts/pylib-run": "#!/bin/sh\n"},
        noarch="python", entry_points=("pylib = pylib.cli:main",), depends=("python",), build="pyh_0")
    return out, recs


def _install(records, prefix, tmp_path, **kw):
    return install.install(records, prefix, cache=package_cache.PackageCache(tmp_path / "cache"), **kw)


def test_fresh_install_links_files_and_writes_records(channel, tmp_path):
    _, recs = channel
    prefix = tmp_path / "env"
    tx = _install(list(recs.values()), prefix, tmp_path, requested_specs={"tool": "tool >=1"})
    assert [(op.kind, op.name) for op in tx.operations] == [
        ("install", "pylib"), ("install", "python"), ("install", "tool")]
    cached = tmp_path / "cache" / "tool-1.0-0" / "share/tool/data.txt"
    assert os.path.samefile(prefix / "share/tool/data.txt", cached)  # a hard link, not a copy
    assert (prefix / "bin/tool").read_text() == f"#!{prefix}/bin/python\nprint('{prefix}')\n"
    assert os.access(prefix / "bin/tool", os.X_OK)
    assert os.readlink(prefix / "bin/python") == "python3.12"
    meta = json.loads((prefix / "conda-meta/tool-1.0-0.json").read_text())
    assert meta["requested_spec"] == "tool >=1" and meta["name"] == "tool"
    assert sorted(meta["files"]) == ["bin/tool", "lib/libtool.so", "share/tool/data.txt"]
    tool_entry = next(p for p in meta["paths_data"]["paths"] if p["_path"] == "bin/tool")
    assert tool_entry["prefix_placeholder"] == TEXT_PLACEHOLDER and "sha256_in_prefix" in tool_entry
    assert (tmp_path / "cache" / "tool-1.0-0" / package_cache.COMPLETE_MARKER).exists()


def test_binary_placeholder_is_padded(tmp_path):
    _, rec = make_package(tmp_path / "ch", "bin", {"lib/x.so": b"\x7fELF\0" + BINARY_PLACEHOLDER.encode()
                                                   + b"/lib\0end"}, placeholder=BINARY_PLACEHOLDER)
    prefix = tmp_path / "env"
    _install([rec], prefix, tmp_path)
    data = (prefix / "lib/x.so").read_bytes()
    expected = str(prefix).encode() + b"/lib"
    assert data.startswith(b"\x7fELF\0" + expected + b"\0")
    assert len(data) == len(b"\x7fELF\0" + BINARY_PLACEHOLDER.encode() + b"/lib\0end")


def test_noarch_python_goes_to_site_packages_with_entry_points(channel, tmp_path):
    _, recs = channel
    prefix = tmp_path / "env"
    _install(list(recs.values()), prefix, tmp_path)
    assert (prefix / "lib/python3.12/site-packages/pylib/__init__.py").read_text() == "VALUE = 1\n"
    assert (prefix / "bin/pylib-run").exists()
    script = (prefix / "bin/pylib").read_text()
    assert script.startswith(f"#!{prefix}/bin/python3.12\n")
    assert "from pylib.cli import main" in script and "sys.exit(main())" in script
    assert os.access(prefix / "bin/pylib", os.X_OK)
    meta = json.loads((prefix / "conda-meta/pylib-1.0-pyh_0.json").read_text())
    assert "bin/pylib" in meta["files"]
    assert "lib/python3.12/site-packages/pylib/__init__.py" in meta["files"]


def test_noarch_python_without_python_is_an_error(channel, tmp_path):
    _, recs = channel
    with pytest.raises(InstallError, match="no python"):
        _install([recs["pylib"]], tmp_path / "env", tmp_path)


def test_second_install_is_a_no_op_and_transactions_compute_the_difference(channel, tmp_path):
    out, recs = channel
    prefix = tmp_path / "env"
    _install([recs["python"], recs["tool"]], prefix, tmp_path)
    assert not _install([recs["python"], recs["tool"]], prefix, tmp_path)
    _, tool2 = make_package(out, "tool", {"bin/tool2": "two"}, version="2.0")
    tx = _install([recs["python"], tool2, recs["pylib"]], prefix, tmp_path)
    assert [(op.kind, op.name) for op in tx.operations] == [("install", "pylib"), ("change", "tool")]
    assert not (prefix / "share").exists()  # emptied folders are pruned
    assert not (prefix / "bin/tool").exists() and (prefix / "bin/tool2").read_text() == "two"
    assert sorted(p.name for p in (prefix / "conda-meta").glob("*.json")) == [
        "pylib-1.0-pyh_0.json", "python-3.12.1-0.json", "tool-2.0-0.json"]
    tx = _install([recs["python"]], prefix, tmp_path, reinstall={"python"})
    assert [(op.kind, op.name) for op in tx.operations] == [
        ("remove", "pylib"), ("reinstall", "python"), ("remove", "tool")]
    assert sorted(os.listdir(prefix)) == ["bin", "conda-meta"]


def test_python_minor_change_reinstalls_noarch_python(channel, tmp_path):
    out, recs = channel
    prefix = tmp_path / "env"
    _install([recs["python"], recs["pylib"]], prefix, tmp_path)
    _, py313 = make_package(out, "python", {"bin/python3.13": "#!/bin/sh\n"}, version="3.13.0")
    tx = _install([py313, recs["pylib"]], prefix, tmp_path)
    assert [(op.kind, op.name) for op in tx.operations] == [("reinstall", "pylib"), ("change", "python")]
    assert (prefix / "lib/python3.13/site-packages/pylib/__init__.py").exists()
    assert not (prefix / "lib/python3.12").exists()


def test_rebuilt_package_with_same_name_is_changed(tmp_path):
    _, first = make_package(tmp_path / "a", "p", {"f": "first"})
    _, second = make_package(tmp_path / "b", "p", {"f": "second"})
    prefix = tmp_path / "env"
    install.install([first], prefix, cache=package_cache.PackageCache(tmp_path / "c"))
    tx = install.install([second], prefix, cache=package_cache.PackageCache(tmp_path / "c"))
    assert [op.kind for op in tx.operations] == ["change"]
    assert (prefix / "f").read_text() == "second"


def test_a_file_shared_by_two_packages_stays_while_one_owns_it(tmp_path):
    _, a = make_package(tmp_path / "ch", "a", {"share/common.txt": "same"})
    _, b = make_package(tmp_path / "ch", "b", {"share/common.txt": "same", "b.txt": "b"})
    prefix = tmp_path / "env"
    _install([a, b], prefix, tmp_path)
    _install([a], prefix, tmp_path)
    assert (prefix / "share/common.txt").read_text() == "same"


def test_package_without_url_is_refused(tmp_path):
    with pytest.raises(InstallError, match="has no url"):
        _install([PackageRecord("ghost", "1", "0")], tmp_path / "env", tmp_path)


def test_local_paths_are_copied_into_the_cache(tmp_path):
    archive, rec = make_package(tmp_path / "ch", "loc", {"x": "x"})
    rec = dataclasses.replace(rec, url=str(archive))
    _install([rec], tmp_path / "env", tmp_path)
    assert (tmp_path / "cache" / archive.name).read_bytes() == archive.read_bytes()


# -- downloads over http ------------------------------------------------------------------------


class _Reporter(install.InstallReporter):
    def __init__(self):
        self.events, self.lock = [], threading.Lock()

    def _add(self, *event):
        with self.lock:
            self.events.append(event)

    def on_download_done(self, record): self._add("downloaded", record.name)
    def on_extract_done(self, record): self._add("extracted", record.name)
    def on_link(self, record): self._add("linked", record.name)


@pytest.fixture
def server(tmp_path):
    """An http server on 127.0.0.1 serving tmp_path/www; paths in `failures` answer 503 first."""
    root = tmp_path / "www"
    root.mkdir()
    failures: dict[str, int] = {}

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(root), **kw)

        def do_GET(self):
            if failures.get(self.path, 0) > 0:
                failures[self.path] -= 1
                self.send_error(503)
                return
            super().do_GET()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}", failures
    httpd.shutdown()


def test_parallel_http_downloads_with_retries_and_progress(server, tmp_path):
    root, base, failures = server
    records = []
    for i in range(6):
        archive, rec = make_package(root, f"net{i}", {f"share/{i}.txt": str(i) * 100})
        records.append(dataclasses.replace(rec, url=f"{base}/{archive.name}"))
    failures[f"/{records[0].fn}"] = 2
    reporter = _Reporter()
    _install(records, tmp_path / "env", tmp_path, reporter=reporter)
    assert failures[f"/{records[0].fn}"] == 0  # it was asked three times
    assert (tmp_path / "env/share/3.txt").read_text() == "3" * 100
    kinds = {name: [e for e, n in reporter.events if n == name] for name in (r.name for r in records)}
    assert all(events == ["downloaded", "extracted", "linked"] for events in kinds.values())


def test_http_errors_and_wrong_hashes(server, tmp_path):
    root, base, failures = server
    archive, rec = make_package(root, "net", {"a": "a"})
    with pytest.raises(InstallError, match="HTTP 404"):
        _install([dataclasses.replace(rec, url=f"{base}/missing.conda")], tmp_path / "env", tmp_path)
    failures[f"/{archive.name}"] = 10
    with pytest.raises(InstallError, match="503"):
        package_cache.download(rec.url.replace(archive.parent.as_uri(), base), tmp_path / "x.conda", retries=1)
    failures[f"/{archive.name}"] = 0
    with pytest.raises(package.HashMismatchError) as info:
        _install([dataclasses.replace(rec, url=f"{base}/{archive.name}", sha256="2" * 64)],
                 tmp_path / "env", tmp_path)
    assert info.value.url == f"{base}/{archive.name}" and info.value.expected == "2" * 64
    assert not (tmp_path / "cache" / archive.name).exists()


# -- interrupted and concurrent installs ------------------------------------------------------

RUNNER = """
import json, sys
from pathlib import Path
from minipixi.install import install, package_cache
from minipixi.records import PackageRecord
records = [PackageRecord.from_repodata(fn, data) for fn, data in json.load(open(sys.argv[1]))]
if len(sys.argv) > 4:  # link in worker processes from this many packages on
    install.LINK_IN_PROCESSES_FROM = int(sys.argv[4])
install.install(records, Path(sys.argv[2]), cache=package_cache.PackageCache(Path(sys.argv[3])))
"""


def _big_channel(out: Path, count: int, files: int, tag: str = "") -> list[PackageRecord]:
    recs = []
    for i in range(count):
        content = {f"lib/pkg{i}/f{j}.txt": f"{tag}{i}-{j}\n" * 20 for j in range(files)}
        content[f"bin/tool{i}"] = f"#!{TEXT_PLACEHOLDER}/bin/sh\n"
        recs.append(make_package(out, f"pkg{i}{tag}", content, placeholder=TEXT_PLACEHOLDER,
                                 executables=(f"bin/tool{i}",))[1])
    return recs


def _records_file(path: Path, records: list[PackageRecord]) -> Path:
    data = [[r.fn, dict(r.to_repodata(), url=r.url, channel=r.channel)] for r in records]
    path.write_text(json.dumps(data))
    return path


def _run(records_file, prefix, cache, link_from: int | None = None):
    cmd = [sys.executable, "-c", RUNNER, str(records_file), str(prefix), str(cache)]
    cmd += [] if link_from is None else [str(link_from)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _timed_run(records_file: Path, prefix: Path, cache: Path) -> float:
    start = time.perf_counter()
    proc = _run(records_file, prefix, cache)
    assert proc.wait() == 0, proc.stderr.read()
    return time.perf_counter() - start


@pytest.fixture(scope="module")
def kill_channel(tmp_path_factory):
    """Old and new package sets, a warm cache of the new set, and how long a subprocess
    takes to install the new set with a warm cache and with a cold one."""
    tmp = tmp_path_factory.mktemp("kill")
    old = _big_channel(tmp / "old", 12, 25, tag="old")[:6]
    new = _big_channel(tmp / "ch", 30, 25)
    records_file = _records_file(tmp / "new.json", new)
    cold = _timed_run(records_file, tmp / "clean", tmp / "clean-cache")
    warm = _timed_run(records_file, tmp / "clean2", tmp / "clean-cache")
    return tmp, old, new, {"cold": cold, "warm": warm}


@pytest.mark.parametrize("seed", range(8))
def test_install_killed_at_a_random_point_is_repaired(kill_channel, tmp_path, seed):
    """Kill an install (a subprocess) at a random moment, install again, and compare with a
    clean install into the same prefix. Even seeds kill while linking from a warm cache, odd
    ones while downloading and extracting into a cold one; seeds 0, 1, 4 and 5 link in worker
    processes (forced: the channel is below the usual threshold), the others in-process."""
    tmp, old, new, durations = kill_channel
    cold = seed % 2 == 1
    cache = tmp_path / "cache" if cold else tmp / "clean-cache"
    prefix = tmp_path / "env"
    install.install(old, prefix, cache=package_cache.PackageCache(tmp_path / "old-cache"))
    _kill_an_install(new, prefix, cache, durations["cold" if cold else "warm"], seed, tmp_path,
                     link_from=0 if seed % 4 < 2 else None)
    install.install(new, prefix, cache=package_cache.PackageCache(cache))
    repaired = snapshot_tree(prefix, ignore=())
    shutil.rmtree(prefix)
    install.install(new, prefix, cache=package_cache.PackageCache(cache))
    assert repaired == snapshot_tree(prefix, ignore=())  # the same as a clean install
    assert not list((prefix / "conda-meta").glob(".*.tmp"))
    leftovers = [p.name for p in Path(cache).iterdir() if p.name.endswith((".partial", ".part"))]
    assert leftovers == []  # a killed extraction is cleaned up when the package is fetched again


@pytest.mark.parametrize("seed", range(100, 104))
def test_killed_install_then_going_back_removes_half_linked_packages(kill_channel, tmp_path, seed):
    """Kill an install of `new` over `old`, then install `old` again: the half-linked new
    packages (no conda-meta record yet) must leave no file behind."""
    tmp, old, new, durations = kill_channel
    old_cache = package_cache.PackageCache(tmp_path / "old-cache")
    prefix = tmp_path / "env"
    install.install(old, prefix, cache=old_cache)
    clean_old = snapshot_tree(prefix, ignore=())
    _kill_an_install(new, prefix, tmp / "clean-cache", durations["warm"], seed, tmp_path,
                     link_from=0 if seed % 2 else None)
    install.install(old, prefix, cache=old_cache)
    assert snapshot_tree(prefix, ignore=()) == clean_old


def _kill_an_install(records, prefix, cache, duration, seed, tmp_path, link_from=None) -> None:
    proc = _run(_records_file(tmp_path / "r.json", records), prefix, cache, link_from)
    time.sleep(random.Random(seed).uniform(0.3, 0.95) * duration)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def test_two_concurrent_installs_take_turns(kill_channel, tmp_path):
    """Two processes install different package sets into one prefix at the same moment.
    With the prefix lock, the result is one of the two sets, whole; without it, a mixture."""
    tmp, old, new, _ = kill_channel
    sets = ((new, tmp / "clean-cache"), (old, tmp_path / "cache"))
    prefix = tmp_path / "env"
    clean_installs = []
    for records, cache in sets:  # the clean results, which also warms both caches
        install.install(records, prefix, cache=package_cache.PackageCache(cache))
        clean_installs.append(snapshot_tree(prefix, ignore=()))
        shutil.rmtree(prefix)
    for round_ in range(3):
        files = [_records_file(tmp_path / f"{n}.json", r) for n, (r, _) in enumerate(sets)]
        procs = [_run(f, prefix, cache) for f, (_, cache) in zip(files, sets)]
        results = [p.communicate() for p in procs]
        assert [p.returncode for p in procs] == [0, 0], results
        assert snapshot_tree(prefix, ignore=()) in clean_installs, round_  # never a mixture
        shutil.rmtree(prefix)


def test_journal_left_by_a_crash_is_repaired(channel, tmp_path):
    """A hand-made crash: the journal names a package whose files are half there."""
    _, recs = channel
    prefix = tmp_path / "env"
    _install([recs["python"]], prefix, tmp_path)
    (prefix / "share/tool").mkdir(parents=True)
    (prefix / "share/tool/data.txt").write_text("half")
    journal = {"unlink": [], "link": {"tool-1.0-0": ["share/tool/data.txt", "bin/tool"]}}
    (prefix / "conda-meta" / install.JOURNAL).write_text(json.dumps(journal))
    tx = _install([recs["python"]], prefix, tmp_path)
    assert not tx and not (prefix / "share").exists()
    assert not (prefix / "conda-meta" / install.JOURNAL).exists()


def test_extract_failure_in_the_cache_leaves_no_folder(tmp_path):
    archive, rec = make_package(tmp_path / "ch", "bad", {"a": "a"})
    archive.write_bytes(archive.read_bytes()[:100])
    rec = dataclasses.replace(rec, sha256=None, md5=None)
    cache = package_cache.PackageCache(tmp_path / "cache")
    with pytest.raises(ExtractError):
        cache.fetch(rec)
    assert not cache.package_dir(rec).exists() and not cache.is_complete(rec)
    shutil.rmtree(tmp_path / "cache")


# -- unpacking in worker processes ----------------------------------------------------------


def test_extract_errors_survive_the_trip_between_processes():
    import pickle

    errors = [package.HashMismatchError(path="/c/a.conda", url="http://x/a.conda",
                                        algorithm="sha256", expected="1" * 64, actual="2" * 64),
              package.UnsafeArchiveError("a.conda", "../x", "climbs out with '..'"),
              InstallError("plain", where="here", hint="do this")]
    for error in errors:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert copy.render() == error.render()
        assert vars(copy) == vars(error)


def test_a_pool_and_no_pool_unpack_the_same_trees(tmp_path):
    records = [make_package(tmp_path / "channel", f"p{i}", {f"lib/p{i}/{j}.txt": str(i * j)
                                                            for j in range(20)})[1]
               for i in range(6)]
    trees = []
    for workers in (0, 2):
        cache = package_cache.PackageCache(tmp_path / f"cache{workers}")
        dirs = package_cache.fetch_all(records, cache, workers=workers)
        trees.append({name: snapshot_tree(path, ignore=()) for name, path in dirs.items()})
    assert trees[0] == trees[1]


ORPHAN_SCRIPT = """
import sys, time
from minipixi.install import workers
with workers.WorkerPool(2) as pool:
    print(*pool._pool._processes, flush=True)
    time.sleep(60)
"""


def _running(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status  # a zombie has exited; only its entry is left


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_workers_exit_when_their_parent_is_killed():
    parent = subprocess.Popen([sys.executable, "-c", ORPHAN_SCRIPT], stdout=subprocess.PIPE,
                              text=True)
    workers = [int(pid) for pid in parent.stdout.readline().split()]
    assert len(workers) == 2 and all(_running(pid) for pid in workers)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_running(pid) for pid in workers)


def test_linking_in_worker_processes_gives_the_same_prefix(tmp_path):
    """Enough packages to link in processes: the prefix and its records are the same as linked
    in this process (and a clash of paths falls back to one by one, in order)."""
    count = install.LINK_IN_PROCESSES_FROM
    records = [make_package(tmp_path / "channel", f"p{i:02}", {f"lib/p{i}/{j}.txt": f"{i}/{j}"
                                                               for j in range(5)})[1]
               for i in range(count)]
    clash = make_package(tmp_path / "channel", "clash", {"lib/p0/0.txt": "clash"})[1]
    cache = package_cache.PackageCache(tmp_path / "cache")
    for wanted in (records, records + [clash]):
        trees = []
        for workers in (0, 2):
            prefix = tmp_path / f"env-{len(wanted)}-{workers}"
            install.install(wanted, prefix, cache=cache, workers=workers)
            trees.append(snapshot_tree(prefix, ignore=()))
        assert trees[0] == trees[1]
    # packages are linked in name order, so p00 (after "clash") wins the clash
    assert (tmp_path / f"env-{count + 1}-2" / "lib/p0/0.txt").read_text() == "0/0"


LOCK_HOLDER_SCRIPT = """
import sys, time
from pathlib import Path
from minipixi.install import package_cache
from minipixi.install import workers
with package_cache.file_lock(Path(sys.argv[1])):
    with workers.WorkerPool(2, fork_only=True) as pool:
        print(*pool._pool._processes, flush=True)
        time.sleep(60)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only")
def test_forked_workers_hold_the_prefix_lock_until_they_exit(tmp_path):
    import fcntl

    lock = tmp_path / "lock"
    parent = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER_SCRIPT, str(lock)],
                              stdout=subprocess.PIPE, text=True)
    workers = [int(pid) for pid in parent.stdout.readline().split()]
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    with open(lock, "rb") as fh:
        while True:
            alive_before = all(_running(pid) for pid in workers)
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                got = True
            except BlockingIOError:
                got = False
            alive_after = all(_running(pid) for pid in workers)
            assert not (got and alive_before and alive_after), "the lock was free while workers ran"
            if got:
                break
            time.sleep(0.02)
    assert not any(_running(pid) for pid in workers)


def test_workers_are_spawned_when_a_thread_runs(tmp_path):
    """With another thread alive, forking is unsafe: the pool spawns fresh interpreters for
    unpacking (and links in this process, since spawned workers cannot share the lock)."""
    records = [make_package(tmp_path / "channel", f"s{i}", {f"share/s{i}.txt": str(i)})[1]
               for i in range(3)]
    stop = threading.Event()
    waiter = threading.Thread(target=stop.wait)
    waiter.start()
    try:
        with workers.WorkerPool(2) as pool:
            assert pool._pool._mp_context.get_start_method() == "spawn"
        with workers.WorkerPool(2, fork_only=True) as pool:
            assert not pool.has_workers
        prefix = tmp_path / "env"
        install.install(records, prefix, cache=package_cache.PackageCache(tmp_path / "cache"), workers=2)
    finally:
        stop.set()
        waiter.join()
    assert sorted(p.name for p in (prefix / "share").iterdir()) == ["s0.txt", "s1.txt", "s2.txt"]
