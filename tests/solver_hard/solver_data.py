"""Solve problems on the real channel indexes of ``../shared/solver-data`` (its MANIFEST.txt
says where each comes from), shared by the tests in this folder and by bench/solve.py.

- `SETUPS`: each solvable set-up, a platform with its channels in priority order (a channel is
  a tier of subdirs: the platform's and ``noarch``). ``r2018`` sits in front of ``main2018``,
  as conda's ``defaults`` did; ``sudoku`` is the anaconda.org channel that encodes a sudoku.
- `unpack`: the gzipped indexes, unpacked once into a folder (never into the repository).
- `random_problems`: seeded requests of one to three names, some with a version.
- `ours` / `rattlers`: the same request to minipixi's solver and to py-rattler's.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import random
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def find_solver_data() -> Path | None:
    env = os.environ.get("MINIPIXI_SOLVER_DATA")
    path = Path(env) if env else REPO_ROOT.parent / "shared" / "solver-data"
    return path if (path / "MANIFEST.txt").is_file() else None


@dataclass(frozen=True)
class Setup:
    """One platform of one channel set-up: `channels` in priority order, each with its subdirs."""

    key: str
    platform: str
    channels: tuple[tuple[str, tuple[str, ...]], ...]


def _cf(platform: str) -> Setup:
    return Setup(f"cf2024/{platform}", platform, (("cf2024", (platform, "noarch")),))


SETUPS = [
    *(_cf(p) for p in ("linux-64", "osx-64", "osx-arm64", "win-64", "linux-aarch64")),
    Setup("main2018/linux-64", "linux-64", (("main2018", ("linux-64", "noarch")),)),
    Setup("r2018+main2018/linux-64", "linux-64", (("r2018", ("linux-64",)), ("main2018", ("linux-64", "noarch")))),
    Setup("old2017/linux-64", "linux-64", (("old2017", ("linux-64", "noarch")),)),
    Setup("old2013/linux-64", "linux-64", (("old2013", ("linux-64",)),)),
    Setup("win2018/win-64", "win-64", (("win2018", ("win-64", "noarch")),)),
    Setup("sudoku/noarch", "linux-64", (("sudoku", ("noarch",)),)),
]
BY_KEY = {setup.key: setup for setup in SETUPS}


def channel_url(channel: str) -> str:
    """The URL records of a solver-data channel are said to come from (never fetched)."""
    return f"https://conda.anaconda.org/{channel}/"


def unpack(data: Path, dest: Path) -> Path:
    """Every ``<channel>/<subdir>/repodata.json.gz`` under `data`, unpacked below `dest`."""
    for packed in sorted(data.glob("*/*/repodata.json.gz")):
        target = dest / packed.parent.relative_to(data) / "repodata.json"
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            part = target.with_suffix(".part")
            part.write_bytes(gzip.decompress(packed.read_bytes()))
            part.replace(target)
    return dest


def unpack_one(data: Path, channel: str, dest: Path) -> Path:
    """Only `channel`'s subdirs, unpacked below `dest` (for tests that need just one)."""
    for packed in sorted((data / channel).glob("*/repodata.json.gz")):
        target = dest / channel / packed.parent.name / "repodata.json"
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(gzip.decompress(packed.read_bytes()))
    return dest


def files(setup: Setup, unpacked: Path) -> list[list[tuple[str, str, Path]]]:
    """The set-up's tiers: for each channel, its (url, subdir, repodata.json path)s."""
    return [[(channel_url(ch), sd, unpacked / ch / sd / "repodata.json") for sd in subdirs]
            for ch, subdirs in setup.channels]


def names(setup: Setup, unpacked: Path) -> list[str]:
    """Every package name of the set-up, sorted."""
    import json

    found = set()
    for tier in files(setup, unpacked):
        for _, _, path in tier:
            data = json.loads(path.read_bytes())
            for key in ("packages", "packages.conda"):
                found.update(entry["name"] for entry in data.get(key, {}).values())
    return sorted(found)


def versions(setup: Setup, unpacked: Path) -> dict[str, list[str]]:
    import json

    found: dict[str, set] = {}
    for tier in files(setup, unpacked):
        for _, _, path in tier:
            data = json.loads(path.read_bytes())
            for key in ("packages", "packages.conda"):
                for entry in data.get(key, {}).values():
                    found.setdefault(entry["name"], set()).add(entry["version"])
    return {name: sorted(v) for name, v in found.items()}


def random_problems(setup: Setup, unpacked: Path, seed: int, count: int) -> list[list[str]]:
    """`count` requests on `setup`: one to four names, half of them with a version (``==v``,
    ``v.*``, ``>=v`` or ``<v``), drawn with `seed` (the same seed, the same problems)."""
    rng = random.Random(f"{setup.key}:{seed}")
    known = versions(setup, unpacked)
    pool = sorted(known)
    problems = []
    for _ in range(count):
        specs = []
        for name in rng.sample(pool, min(len(pool), rng.choice((1, 2, 2, 3, 4)))):
            if rng.random() < 0.5:
                version = rng.choice(known[name])
                specs.append(rng.choice((f"{name} =={version}", f"{name} {version}.*", f"{name} >={version}",
                                         f"{name} <{version}")))
            else:
                specs.append(name)
        problems.append(specs)
    return problems


def virtual_packages(setup: Setup):
    from minipixi.channel.virtual_packages import default_virtual_packages

    return default_virtual_packages(setup.platform)


def our_task(setup: Setup, unpacked: Path, specs, virtual=None):
    """A SolveTask for minipixi: each channel a MergedSource of its lazily read subdirs."""
    from minipixi.channel.repodata import SubdirRepodata
    from minipixi.solver import MergedSource, SolveTask

    sources = [MergedSource([SubdirRepodata.read(path, channel=url, subdir=sd) for url, sd, path in tier],
                            label=f"{tier[0][0].split('/')[-2]}/{setup.platform}")
               for tier in files(setup, unpacked)]
    return SolveTask(specs=list(specs), sources=sources, platform=setup.platform,
                     virtual_packages=virtual_packages(setup) if virtual is None else virtual)


def rattler_solve(rattler, setup: Setup, unpacked: Path, specs, timeout_s: float = 60):
    """py-rattler's answer as "name version build" lines, or None when it finds none."""
    import datetime

    from rattler.exceptions import SolverError

    sparse = [rattler.SparseRepoData(rattler.Channel(url), sd, str(path))
              for tier in files(setup, unpacked) for url, sd, path in tier]
    generic = [rattler.GenericVirtualPackage(rattler.PackageName(r.name), rattler.Version(r.version),
                                             rattler.BuildString(r.build)) for r in virtual_packages(setup)]
    try:
        result = rattler.solve_with_sparse_repodata(list(specs), sparse, virtual_packages=generic,
                                                    timeout=datetime.timedelta(seconds=timeout_s))
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
    except SolverError:
        return None
    return result


def lines(records) -> list[str]:
    out = []
    for r in records:
        name = r.name if isinstance(r.name, str) else r.name.normalized
        out.append(f"{name} {r.version} {r.build}")
    return sorted(out)


def from_rattler(record):
    """A py-rattler record as our PackageRecord (through its repodata JSON)."""
    import json

    from minipixi.records import PackageRecord

    return PackageRecord.from_repodata(record.file_name, json.loads(record.to_json()))
