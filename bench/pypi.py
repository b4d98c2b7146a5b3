"""Benchmark: minipixi's PyPI resolver against `uv pip compile`, on the same local index.

Generates a simple index (served on 127.0.0.1 by the test server, tests/pypi/pypi_server.py)
with `--packages` requested projects (default 30) and as many dependency projects, each with
`--versions` versions (wheels built here, PEP 658 metadata files for most), whose
dependencies overlap so that the newest versions do not all fit together (the resolvers must
backtrack), with extras and markers. Both resolve the 30 requirements for linux-64 / CPython
3.12:

- cold: empty caches (every page and metadata file fetched over HTTP);
- warm: caches filled (pages revalidated with a conditional request, metadata from disk).

Runs alternate (ours, theirs, ours, ...); each row gives the best of `--repeat` runs per side
and the ratio minipixi / uv. Both must choose the same versions (checked, once). uv runs as a
subprocess, so its numbers include starting it (a few milliseconds). Goal (issue 20): <= 3x.

    python bench/pypi.py [--packages 30] [--versions 8] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "pypi"))

from pypi_server import Entry, SimpleIndex, build_wheel, metadata_of  # noqa: E402

from minipixi import http  # noqa: E402
from minipixi.pypi.resolve import resolve  # noqa: E402
from minipixi.pypi.target import Target  # noqa: E402

UV = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
TARGET = Target("linux-64", "3.12")


def build_index(folder: Path, packages: int, versions: int,
                seed: int = 20) -> tuple[SimpleIndex, list[str]]:
    """Requested projects p0..pN and dependency projects d0..dN; the newest versions of a
    requested project need newer dependencies than some others allow."""
    rng = random.Random(seed)
    server = SimpleIndex()
    numbers = [f"1.{k}" for k in range(versions)]
    for i in range(packages):
        for k, version in enumerate(numbers):
            deps = []
            for j in rng.sample(range(packages), 2):
                low = max(0, k - rng.randint(0, 3))
                deps.append(f"d{j}>=1.{low}" if rng.random() < 0.7 else f"d{j}<1.{max(1, k)}")
            deps.append(f'd{(i + 1) % packages}; sys_platform == "win32"')
            deps.append(f'd{(i + 2) % packages}>=1.1; extra == "extra"')
            add(server, folder, f"p{i}", version, deps, extras=("extra",), pep658=k % 5 != 0)
        for k, version in enumerate(numbers):
            add(server, folder, f"d{i}", version, [], pep658=True)
    requirements = [f"p{i}{'[extra]' if i % 6 == 0 else ''}>=1.{rng.randint(0, 2)}"
                    for i in range(packages)]
    return server, requirements


def add(server, folder, name, version, requires, extras=(), pep658=True):
    wheel = build_wheel(folder, name, version, requires=tuple(requires), extras=tuple(extras))
    server.add(name, Entry(wheel.name, wheel.read_bytes(),
                           metadata=metadata_of(wheel) if pep658 else None))


def ours(requirements: list[str], url: str, cache: Path) -> dict[str, str]:
    client = http.new_client()
    try:
        chosen = resolve(requirements, TARGET, [url], cache_dir=cache, client=client)
    finally:
        client.close()
    return {p.name: p.version for p in chosen.packages}


def theirs(requirements: list[str], url: str, cache: Path) -> dict[str, str]:
    run = subprocess.run(
        [UV, "pip", "compile", "-", "--no-config", "--index-url", url, "--python-version", "3.12",
         "--python-platform", "x86_64-manylinux_2_28", "--python", sys.executable,
         "--no-python-downloads", "--no-build", "--cache-dir", str(cache), "--no-header",
         "--no-annotate", "--quiet"],
        input="\n".join(requirements), capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_PROXY": "127.0.0.1", "UV_HTTP_RETRIES": "0"})
    if run.returncode != 0:
        raise SystemExit(f"uv failed:\n{run.stderr}")
    return {line.split("==")[0].split("[")[0]: line.split("==")[1].strip()
            for line in run.stdout.splitlines() if "==" in line}


def timed(function, *args) -> tuple[float, dict]:
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--packages", type=int, default=30)
    parser.add_argument("--versions", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if UV is None:
        raise SystemExit("uv is not installed (pip install uv)")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "wheels").mkdir()
        server, requirements = build_index(root / "wheels", args.packages, args.versions)
        with server:
            print(f"{len(requirements)} requirements; index: "
                  f"{sum(len(v) for v in server.projects.values())} wheels in "
                  f"{len(server.projects)} projects")
            rows = {"cold": ([], []), "warm": ([], [])}
            checked = False
            for run in range(args.repeat):
                for side, function in ((0, ours), (1, theirs)):
                    cache = root / f"cache-{side}-{run}"
                    cold, first = timed(function, requirements, server.url, cache)
                    warm, second = timed(function, requirements, server.url, cache)
                    rows["cold"][side].append(cold)
                    rows["warm"][side].append(warm)
                    if side == 0:
                        mine = first
                    elif not checked:
                        assert mine == first == second, (mine, first)
                        checked = True
            newest = f"1.{args.versions - 1}"
            older = sum(1 for version in mine.values() if version != newest)
            print(f"both chose the same {len(mine)} versions ({older} older than the newest)")
            for name, (our_times, their_times) in rows.items():
                best_ours, best_theirs = min(our_times), min(their_times)
                print(f"{name}: minipixi {best_ours * 1000:7.1f} ms   "
                      f"uv {best_theirs * 1000:7.1f} ms   ratio {best_ours / best_theirs:5.2f}x")


if __name__ == "__main__":
    main()
