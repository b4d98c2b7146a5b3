"""Solve problems built from the corpus's real locks (shared by the solver's corpus and
differential tests and by bench/solve.py).

Every conda record of every corpus lock is pooled into per-(channel, subdir) repodata: a small
but real slice of conda-forge, rapidsai and friends. Each conda-only lock then gives one problem
per (environment, platform): the manifest's specs, its channels in priority order, and the
virtual packages its system requirements / platform entries declare on top of Pixi's defaults.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from minipixi.lock.read import read_lock
from minipixi.manifest import read_manifest, resolve_environment
from minipixi.manifest.resolve import environment_platforms, get_environment
from minipixi.records import PackageRecord
from minipixi.solver import MergedSource, RecordIndex, SolveTask
from minipixi.channel.virtual_packages import default_virtual_packages


@dataclass
class LockProblem:
    lock: str
    environment: str
    platform: str
    subdir: str
    channels: list[str]  # channel base urls, highest priority first
    specs: list  # MatchSpecs
    virtual_packages: list[PackageRecord]
    locked: list[PackageRecord]  # what the real lock chose

    @property
    def id(self) -> str:
        return f"{self.lock}:{self.environment}:{self.platform}"


def channel_url(name: str) -> str:
    if "://" in name:
        return name.rstrip("/") + "/"
    return f"https://conda.anaconda.org/{name}/"


def lock_pairs(corpus_dir: Path) -> list[tuple[Path, Path]]:
    folder = corpus_dir / "locks"
    return [(toml, toml.with_suffix(".lock")) for toml in sorted(folder.glob("*.pixi.toml"))]


def pooled_records(corpus_dir: Path) -> dict[tuple[str, str], list[PackageRecord]]:
    """Every conda record of every corpus lock, by (channel url, subdir), one per url."""
    seen: dict[str, PackageRecord] = {}
    for _, lock_path in lock_pairs(corpus_dir):
        lock = read_lock(lock_path)
        for env in lock.environments.values():
            for platform in env.packages:
                for package in env.conda_packages(platform):
                    if not package.is_source:
                        seen.setdefault(package.url, package.record)
    pooled: dict[tuple[str, str], list[PackageRecord]] = {}
    for record in seen.values():
        key = (channel_url(record.channel or record.url.rsplit("/", 2)[0]), record.subdir)
        pooled.setdefault(key, []).append(record)
    return pooled


def is_conda_only(lock_path: Path) -> bool:
    lock = read_lock(lock_path)
    return not any(env.pypi_packages(p) for env in lock.environments.values() for p in env.packages)


def lock_problems(corpus_dir: Path) -> list[LockProblem]:
    problems = []
    for toml, lock_path in lock_pairs(corpus_dir):
        if not is_conda_only(lock_path):
            continue
        workspace, lock = read_manifest(toml), read_lock(lock_path)
        for env_name in workspace.environments:
            env = get_environment(workspace, env_name)
            for platform in environment_platforms(workspace, env):
                problems.append(_problem(toml, workspace, lock, env_name, platform))
    return problems


def _problem(toml: Path, workspace, lock, env_name: str, platform: str) -> LockProblem:
    resolved = resolve_environment(workspace, env_name, platform)
    options = {k: v for k, v in resolved.virtual_package_options().items() if v is not None}
    locked_env = lock.environments.get(env_name)
    lock_platform = next((p.name for p in lock.platforms if p.name == platform or
                          (p.subdir == resolved.subdir and p.name not in ("",))), platform)
    locked = [p.record for p in locked_env.conda_packages(lock_platform)] if locked_env else []
    return LockProblem(
        lock=toml.name.replace(".pixi.toml", ""), environment=env_name, platform=platform,
        subdir=resolved.subdir, channels=[channel_url(c) for c in resolved.channels],
        specs=list(resolved.specs.values()),
        virtual_packages=default_virtual_packages(resolved.subdir, **options), locked=locked,
    )


def solve_task(problem: LockProblem, pooled) -> SolveTask:
    """Our SolveTask: one tier per channel, each the subdir plus noarch."""
    sources = []
    for url in problem.channels:
        tier = [RecordIndex(pooled.get((url, subdir), []), label=f"{url}{subdir}")
                for subdir in (problem.subdir, "noarch")]
        sources.append(MergedSource(tier, label=url.rstrip("/").rsplit("/", 1)[-1] + "/" + problem.subdir))
    return SolveTask(specs=problem.specs, sources=sources, virtual_packages=problem.virtual_packages,
                     platform=problem.subdir, label=f"environment '{problem.environment}'")


def write_repodata(records: list[PackageRecord], path: Path, subdir: str) -> Path:
    """A repodata.json holding `records` (what rattler's SparseRepoData reads)."""
    packages, conda = {}, {}
    for record in records:
        (conda if record.fn.endswith(".conda") else packages)[record.fn] = record.to_repodata()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"info": {"subdir": subdir}, "packages": packages, "packages.conda": conda}))
    return path
