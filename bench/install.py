"""Benchmark: minipixi's installer against rattler's, on the same records.

Generates a channel of small packages (default 200 packages, 100 files each: 20,000 files,
a few with prefix placeholders, some `noarch: python`), then installs it two ways:

- cold: empty package cache (copy from file://, hash, unpack, link);
- warm: cache already filled, fresh prefix (only linking: hard links + conda-meta).

Each is timed for minipixi (`minipixi.install.install.install`) and for py-rattler
(`rattler.install`). The runs alternate (ours, theirs, ours, theirs...) so that a disk that
is busy flushing for a while slows both sides alike, and each row gives:

- wall: the best of `--repeat` runs per side, and their ratio minipixi / rattler;
- pairs: the median of the ratios of runs made back to back (the robust number when the
  disk's speed swings between runs, as it does on shared machines);
- cpu: CPU seconds, best of the runs: this process's user + system time plus that of its
  finished child processes (our unpacking and linking workers; rattler's threads count as
  this process). It leaves out waiting for the disk.

Goals (issue 6): warm within 2x of rattler, cold within 3x. `--dir /dev/shm` takes the disk
out of it: what is left is the work each installer does per file.

    python bench/install.py [--packages 200] [--files 100] [--repeat 5] [--dir D]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from pkgfactory import TEXT_PLACEHOLDER, make_package, rattler_record  # noqa: E402

from minipixi.install import install  # noqa: E402
from minipixi.install import package_cache


def build_channel(out: Path, packages: int, files: int) -> list:
    """`packages` packages of `files` small files each; every 10th has a placeholder file,
    every 7th is noarch: python (plus one python package for them)."""
    records = [make_package(out, "python", {"bin/python3.12": "#!/bin/sh\n"}, version="3.12.0",
                            executables=("bin/python3.12",))[1]]
    for i in range(packages - 1):
        noarch = "python" if i % 7 == 0 else None
        root = "site-packages" if noarch else "lib"
        content = {f"{root}/p{i}/m{j}.py": f"# package {i} file {j}\nVALUE = {i * j}\n" * 3
                   for j in range(files)}
        if i % 10 == 0:
            content[f"etc/p{i}.conf"] = f"prefix={TEXT_PLACEHOLDER}\n"
        records.append(make_package(out, f"p{i}", content, noarch=noarch,
                                    placeholder=TEXT_PLACEHOLDER if i % 10 == 0 else None,
                                    entry_points=(f"p{i} = p{i}.m0:main",) if noarch else ())[1])
    return records


def time_minipixi(records, work: Path, warm: bool) -> tuple[float, float]:
    cache = package_cache.PackageCache(work / "mp-cache")
    if not warm:
        shutil.rmtree(cache.root, ignore_errors=True)
    prefix = work / "mp-env"
    shutil.rmtree(prefix, ignore_errors=True)
    with measured() as took:
        install.install(records, prefix, cache=cache)
    return took


def time_rattler(r_records, work: Path, warm: bool) -> tuple[float, float]:
    import rattler

    cache = work / "rt-cache"
    if not warm:
        shutil.rmtree(cache, ignore_errors=True)
    prefix = work / "rt-env"
    shutil.rmtree(prefix, ignore_errors=True)
    with measured() as took:
        asyncio.run(rattler.install(r_records, target_prefix=prefix, cache_dir=cache,
                                    show_progress=False, execute_link_scripts=False))
    return took


@contextlib.contextmanager
def measured():
    """Yields a list that gets [wall seconds, CPU seconds] when the block ends."""
    took: list[float] = []
    start_wall, start_cpu = time.perf_counter(), _cpu_seconds()
    yield took
    took.extend([time.perf_counter() - start_wall, _cpu_seconds() - start_cpu])


def _cpu_seconds() -> float:
    me, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                       resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=200)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=None,
                        help="where to work (e.g. /dev/shm to leave the disk out of it)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="minipixi-bench-", dir=args.dir) as tmp:
        work = Path(tmp)
        records = build_channel(work / "channel", args.packages, args.files)
        r_records = [rattler_record(r, work / "rattler-index") for r in records]
        total = len(list((work / "channel").glob("*.conda")))
        print(f"{total} packages, about {args.packages * args.files} files, in {work.parent}; "
              f"{args.repeat} alternating runs per side")
        print(f"{'cache':6} {'minipixi':>9} {'rattler':>9} {'wall':>6} {'pairs':>6} "
              f"{'cpu mp':>7} {'cpu rt':>7} {'cpu':>6}  goal")
        for label, warm in (("cold", False), ("warm", True)):
            if warm:  # fill both caches once
                time_minipixi(records, work, False)
                time_rattler(r_records, work, False)
            ours, theirs = [], []
            for _ in range(args.repeat):
                ours.append(time_minipixi(records, work, warm))
                theirs.append(time_rattler(r_records, work, warm))
            wall_ours, wall_theirs = min(o[0] for o in ours), min(t[0] for t in theirs)
            cpu_ours, cpu_theirs = min(o[1] for o in ours), min(t[1] for t in theirs)
            pairs = statistics.median(o[0] / t[0] for o, t in zip(ours, theirs))
            goal = "2x" if warm else "3x"
            print(f"{label:6} {wall_ours:8.3f}s {wall_theirs:8.3f}s {wall_ours / wall_theirs:5.2f}x "
                  f"{pairs:5.2f}x {cpu_ours:6.2f}s {cpu_theirs:6.2f}s {cpu_ours / cpu_theirs:5.2f}x"
                  f"  within {goal}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
