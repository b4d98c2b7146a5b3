"""Benchmark: load a conda-forge-sized repodata.json lazily, against py-rattler's SparseRepoData.

Real conda-forge linux-64 repodata has hundreds of thousands of records, but one solve needs
the records of a few dozen names. This script writes a generated channel of that size (one
``repodata.json`` with 300,000 records, realistic names, versions, builds and depends;
deterministic: the same seed gives the same bytes) into a temporary folder, then measures,
each in a fresh subprocess so that the peak memory (``ru_maxrss``) belongs to one side only:

- **minipixi**: open the file with `minipixi.channel.repodata.SubdirRepodata` and fetch the records
  of the closure of 5 requested names (breadth first over ``depends``); when
  `minipixi.solver` exists, solve the 5 specs too.
- **py-rattler**: ``SparseRepoData`` on the same file, then ``load_records_recursive`` for the
  same 5 names (and ``solve_with_sparse_repodata`` when we solve).

Run: ``python bench/repodata.py [--records 300000] [--keep DIR]``. Goal (issue 5): within 3x
of py-rattler's time and under 1 GiB peak RSS.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REQUESTED = ["python", "numpy", "pandas", "scipy", "matplotlib-base"]
PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]

# Real names at the root of conda-forge's dependency graph: every generated package depends
# on a few of them, as real ones do, so closures look like real ones (a few dozen names).
CORE = [
    "_libgcc_mutex", "_openmp_mutex", "libgcc", "libgcc-ng", "libstdcxx", "libstdcxx-ng",
    "libgomp", "libzlib", "zlib", "bzip2", "xz", "liblzma", "openssl", "ca-certificates",
    "libffi", "ncurses", "readline", "tk", "tzdata", "sqlite", "libsqlite", "libuuid",
    "libnsl", "libxcrypt", "ld_impl_linux-64", "python", "python_abi", "pip", "setuptools",
    "wheel", "libblas", "libcblas", "liblapack", "libopenblas", "libgfortran5", "libgfortran",
    "numpy", "packaging", "six", "python-dateutil", "pytz", "pandas", "scipy", "libpng",
    "freetype", "libjpeg-turbo", "pillow", "cycler", "kiwisolver", "pyparsing", "fonttools",
    "contourpy", "matplotlib-base", "certifi", "idna", "urllib3", "charset-normalizer",
    "requests", "typing_extensions", "attrs", "click", "jinja2", "markupsafe", "pyyaml", "yaml",
]
SYLLABLES = [
    "ar", "bo", "cat", "dex", "el", "fi", "gra", "hy", "io", "jax", "ka", "lu", "mo", "nu",
    "ox", "py", "qu", "ro", "sci", "ta", "ul", "vi", "wa", "xen", "yo", "zi", "net", "geo",
    "bio", "stat", "plot", "data", "fast", "json", "http", "img", "ml", "sql", "web", "arrow",
]
PREFIXES = ["", "", "", "lib", "py", "r-", "perl-", "ros-humble-", "jupyterlab-", "types-"]
SUFFIXES = ["", "", "", "-core", "-base", "-tools", "-python", "-cpp", "-devel", "-plugin"]


def package_names(count: int, rng: random.Random) -> list[str]:
    """`count` unique names: the real core first (the most popular), then made-up ones."""
    names = list(CORE)
    seen = set(names)
    while len(names) < count:
        stem = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        name = rng.choice(PREFIXES) + stem + rng.choice(SUFFIXES)
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def records_per_name(names: list[str], total: int) -> list[int]:
    """How many records each name gets: a long tail, as on conda-forge (Zipf-like)."""
    weights = [1.0 / (rank + 1) ** 0.6 for rank in range(len(names))]
    scale = (total - len(names)) / sum(weights)
    counts = [1 + int(w * scale) for w in weights]
    counts[-1] += total - sum(counts)  # land exactly on `total`
    return counts


def pick_depends(index: int, names: list[str], rng: random.Random) -> list[str]:
    """Names a package depends on: only more popular ones (a DAG), mostly from the core."""
    if index == 0:
        return []
    pool = min(index, len(CORE)) if rng.random() < 0.8 else index
    count = rng.randint(1, 6) if index > 3 else 1
    return sorted({names[rng.randrange(pool)] for _ in range(count)})


def versions_of(rng: random.Random, count: int) -> list[str]:
    """`count` increasing version strings, major.minor.patch."""
    major, minor, patch = rng.randint(0, 5), rng.randint(0, 20), 0
    out = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.05:
            major, minor, patch = major + 1, 0, 0
        elif roll < 0.35:
            minor, patch = minor + 1, 0
        else:
            patch += 1
        out.append(f"{major}.{minor}.{patch}")
    return out


def builds_of(name: str, count: int, is_python: bool, rng: random.Random):
    """Yield (version, build, python or None) for `count` builds of `name`, oldest first.

    ``python`` gets versions 3.9.x ... 3.13.x and ``python_abi`` the matching ``N_cp3XX``
    builds, so that the ``python_abi 3.12.* *_cp312`` depends of python packages resolve.
    Other python packages are built once per python, newest python first.
    """
    if name in ("python", "python_abi"):
        for i in range(count):
            py = PYTHONS[i % len(PYTHONS)]
            if name == "python":
                yield f"{py}.{i // len(PYTHONS)}", f"h{i:07x}_0_cpython", None
            else:
                yield py, f"{i // len(PYTHONS)}_cp{py.replace('.', '')}", None
        return
    pythons = PYTHONS[::-1] if is_python else [None]
    emitted = 0
    for version in versions_of(rng, -(-count // len(pythons))):
        for py in pythons:
            if emitted < count:
                digest = hashlib.sha256(f"{name}-{version}-{py}".encode()).hexdigest()[:7]
                number = emitted % 3
                tag = f"py{py.replace('.', '')}" if py else ""
                yield version, f"{tag}h{digest}_{number}", py
                emitted += 1


def make_record(name: str, version: str, build: str, py: str | None, depends: list[str],
                rng: random.Random) -> dict:
    """One realistic record (pretend hashes, real shapes)."""
    if py:
        nxt = f"{py.split('.')[0]}.{int(py.split('.')[1]) + 1}"
        depends = depends + [f"python >={py},<{nxt}.0a0",
                             f"python_abi {py}.* *_cp{py.replace('.', '')}"]
    digest = hashlib.sha256(f"{name}-{version}-{build}".encode()).hexdigest()
    number = re.search(r"_(\d+)$", build)
    record = {
        "build": build, "build_number": int(number.group(1)) if number else 0,
        "depends": sorted(depends),
        "license": rng.choice(["MIT", "BSD-3-Clause", "Apache-2.0", "GPL-3.0-or-later"]),
        "md5": digest[:32], "name": name, "sha256": digest, "size": rng.randint(5_000, 9_000_000),
        "subdir": "linux-64", "timestamp": 1_600_000_000_000 + rng.randint(0, 10**11),
        "version": version,
    }
    if rng.random() < 0.1:
        record["constrains"] = [f"{rng.choice(CORE)} >=0"]
    if rng.random() < 0.3:
        record["license_family"] = record["license"].split("-")[0]
    return record


def generate_records(count: int, seed: int = 0):
    """Yield (file name, record) pairs, `count` in all, deterministically from `seed`.

    Every depends has a lower bound at or below the oldest version of its target, so every
    closure is solvable (as a real channel's usually is). The oldest 40% of each name's
    builds are ``.tar.bz2`` files, the rest ``.conda``, as on conda-forge, which switched
    formats in 2022.
    """
    rng = random.Random(seed)
    names = package_names(max(count // 15, len(CORE) + 1), rng)
    oldest: dict[str, str] = {}
    for index, (name, n) in enumerate(zip(names, records_per_name(names, count))):
        deps = pick_depends(index, names, rng)
        is_python = "python" in deps and name not in ("python_abi", "python")
        depends = [f"{d} >={oldest[d]}" for d in deps if d not in ("python", "python_abi")]
        for i, (version, build, py) in enumerate(builds_of(name, n, is_python, rng)):
            oldest.setdefault(name, version)
            ext = ".tar.bz2" if i < 0.4 * n else ".conda"
            record = make_record(name, version, build, py, depends, rng)
            yield f"{name}-{version}-{build}{ext}", record


def write_repodata(path: Path, count: int, seed: int = 0) -> None:
    """Write a repodata.json with `count` records, formatted like conda-index (indent, sorted)."""
    sections: dict[str, list[str]] = {"packages": [], "packages.conda": []}
    for fn, record in generate_records(count, seed):
        body = json.dumps(record, indent=1, sort_keys=True).replace("\n", "\n  ")
        section = "packages.conda" if fn.endswith(".conda") else "packages"
        sections[section].append(f"  {json.dumps(fn)}: {body}")
    with open(path, "w", encoding="utf-8") as out:
        out.write('{\n "info": {\n  "subdir": "linux-64"\n },\n')
        for key, entries in sections.items():
            out.write(f' "{key}": {{\n' + ",\n".join(entries) + "\n },\n")
        out.write(' "removed": [],\n "repodata_version": 1\n}\n')


def closure_names(deps_of, roots: list[str]) -> list[str]:
    """Names reachable from `roots` through `deps_of(name) -> names`, breadth first."""
    seen, queue = set(roots), list(roots)
    while queue:
        for dep in deps_of(queue.pop(0)):
            if dep not in seen:
                seen.add(dep)
                queue.append(dep)
    return sorted(seen)


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_minipixi(path: Path, mode: str) -> dict:
    """Open lazily and fetch the closure's records ("load"), or solve the 5 specs ("solve")."""
    from minipixi.channel.repodata import SubdirRepodata

    start, cpu = time.perf_counter(), time.process_time()
    repo = SubdirRepodata.read(path, channel="https://bench.invalid/generated/", subdir="linux-64")
    if mode == "solve":
        from minipixi.solver import SolveTask, solve

        solved = solve(SolveTask(specs=list(REQUESTED), sources=[repo], platform="linux-64"))
        result = {"solved": len(solved), "names": len(repo._cache),
                  "records": sum(len(r) for r in repo._cache.values())}
    else:
        names = closure_names(lambda n: dependency_names(repo.records(n)), REQUESTED)
        result = {"names": len(names), "records": sum(len(repo.records(n)) for n in names)}
    result["seconds"] = time.perf_counter() - start
    result["cpu_seconds"] = time.process_time() - cpu
    return result


def dependency_names(records) -> list[str]:
    """The package names that `records` depend on (the first word of each depends entry)."""
    return sorted({dep.split()[0] for record in records for dep in record.depends})


def run_rattler(path: Path, mode: str) -> dict:
    """SparseRepoData on the same file: the same closure's records, or the same solve."""
    import asyncio

    import rattler

    start, cpu = time.perf_counter(), time.process_time()
    channel = rattler.Channel("https://bench.invalid/generated")
    sparse = rattler.SparseRepoData(channel, "linux-64", str(path))
    if mode == "solve":
        solved = asyncio.run(rattler.solve_with_sparse_repodata(list(REQUESTED), [sparse]))
        result = {"solved": len(solved), "names": None, "records": None}
    else:
        (records,) = rattler.SparseRepoData.load_records_recursive(
            [sparse], [rattler.PackageName(n) for n in REQUESTED])
        result = {"names": len({r.name.normalized for r in records}), "records": len(records)}
    result["seconds"] = time.perf_counter() - start
    result["cpu_seconds"] = time.process_time() - cpu
    return result


def child(kind: str, path: Path, mode: str) -> None:
    """Entry point of a measuring subprocess: print one JSON line."""
    result = run_minipixi(path, mode) if kind == "minipixi" else run_rattler(path, mode)
    result["peak_rss_mib"] = peak_rss_mib()
    print(json.dumps(result), flush=True)
    # py-rattler 0.28 can crash while tearing down after an asyncio solve; the numbers are out.
    os._exit(0)


def measure(kind: str, path: Path, mode: str, repeats: int) -> dict:
    """Best of `repeats` fresh subprocesses (time), with the peak RSS of that run."""
    runs = []
    for _ in range(repeats):
        cmd = [sys.executable, __file__, "--child", kind, str(path), "--mode", mode]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    return min(runs, key=lambda r: r["seconds"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-solve", action="store_true", help="measure the load only")
    parser.add_argument("--keep", type=Path, help="write the channel here and keep it")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="load", help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], Path(args.child[1]), args.mode)
    elif args.generate:
        write_repodata(args.generate, args.records)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            run_all(args.keep or Path(tmp), args)
    return 0


def run_all(folder: Path, args: argparse.Namespace) -> None:
    """Generate the channel (unless kept from an earlier run), then measure both modes.

    The generator runs in its own process: a child inherits its parent's peak RSS on Linux,
    so a big parent would spoil the children's memory numbers.
    """
    path = folder / "linux-64" / "repodata.json"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--generate", str(path),
                        "--records", str(args.records)], check=True)
        print(f"generated {args.records} records in {time.perf_counter() - started:.1f} s")
    print(f"{path}: {path.stat().st_size / 2**20:.0f} MiB")
    for mode in ("load", "solve")[: 1 if args.no_solve else 2]:
        report(path, mode, args.repeats)


def report(path: Path, mode: str, repeats: int) -> None:
    """Measure both sides in `mode`; print one line each, then the time ratio."""
    ours = measure("minipixi", path, mode, repeats)
    theirs = measure("rattler", path, mode, repeats)
    print(f"[{mode}] " + ("index + records of the closure of " if mode == "load" else "solve ")
          + ", ".join(REQUESTED))
    for label, r in (("minipixi", ours), ("py-rattler", theirs)):
        print(f"  {label:>10}: {r['seconds']:6.3f} s (CPU {r['cpu_seconds']:6.3f} s)  "
              f"peak RSS {r['peak_rss_mib']:5.0f} MiB  names {r['names']}  "
              f"records {r['records']}  solved {r.get('solved')}")
    print(f"  time ratio minipixi / py-rattler: {ours['seconds'] / theirs['seconds']:.2f} "
          f"(CPU time: {ours['cpu_seconds'] / theirs['cpu_seconds']:.2f})")


if __name__ == "__main__":
    sys.exit(main())
