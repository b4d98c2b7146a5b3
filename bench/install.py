"""Benchmark: minipixi's installer against rattler's, on the same records.

Generates a channel of small packages (default 200 packages, 100 files each: 20,000 files,
a few with prefix placeholders, some `noarch: python`), then installs it four ways:

- cold: empty package cache (copy from file://, hash, extract, link);
- warm: cache already filled, fresh prefix (only linking: hard links + conda-meta).

Each is timed for minipixi (`minipixi.install.install`) and for py-rattler
(`rattler.install`), best of `--repeat` runs, and the ratio minipixi / rattler is printed.
Goals (issue 6): warm within 2x of rattler, cold within 3x.

    python bench/install.py [--packages 200] [--files 100] [--repeat 3] [--workers 8] [--dir D]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from pkgfactory import TEXT_PLACEHOLDER, make_package, rattler_record  # noqa: E402

from minipixi import install  # noqa: E402


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


def time_minipixi(records, work: Path, warm: bool, workers: int) -> float:
    cache = install.PackageCache(work / "mp-cache")
    if not warm:
        shutil.rmtree(cache.root, ignore_errors=True)
    prefix = work / "mp-env"
    shutil.rmtree(prefix, ignore_errors=True)
    start = time.perf_counter()
    install.install(records, prefix, cache=cache, max_workers=workers)
    return time.perf_counter() - start


def time_rattler(r_records, work: Path, warm: bool) -> float:
    import rattler

    cache = work / "rt-cache"
    if not warm:
        shutil.rmtree(cache, ignore_errors=True)
    prefix = work / "rt-env"
    shutil.rmtree(prefix, ignore_errors=True)
    start = time.perf_counter()
    asyncio.run(rattler.install(r_records, target_prefix=prefix, cache_dir=cache,
                                show_progress=False, execute_link_scripts=False))
    return time.perf_counter() - start


def best_of(repeat: int, run) -> float:
    return min(run() for _ in range(repeat))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=200)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--dir", type=Path, default=None,
                        help="where to work (e.g. /dev/shm to leave the disk out of it)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="minipixi-bench-", dir=args.dir) as tmp:
        work = Path(tmp)
        records = build_channel(work / "channel", args.packages, args.files)
        r_records = [rattler_record(r, work / "rattler-index") for r in records]
        total = len(list((work / "channel").glob("*.conda")))
        print(f"{total} packages, about {args.packages * args.files} files, in {work.parent}; "
              f"best of {args.repeat}")
        rows = []
        for label, warm in (("cold", False), ("warm", True)):
            if warm:  # fill both caches once
                time_minipixi(records, work, False, args.workers)
                time_rattler(r_records, work, False)
            ours = best_of(args.repeat, lambda: time_minipixi(records, work, warm, args.workers))
            theirs = best_of(args.repeat, lambda: time_rattler(r_records, work, warm))
            rows.append((label, ours, theirs))
        print(f"{'cache':6} {'minipixi':>10} {'rattler':>10} {'ratio':>7}  goal")
        for label, ours, theirs in rows:
            goal = "2x" if label == "warm" else "3x"
            print(f"{label:6} {ours:9.3f}s {theirs:9.3f}s {ours / theirs:6.2f}x  within {goal}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
