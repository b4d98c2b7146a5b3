"""Inspect: what an environment holds and where things are (``list``, ``tree``, ``why``, ``diff``,
``info``, ``clean``).

These commands change nothing but, at most, pixi.lock (brought up to date first unless
``--frozen``, through `app/policy.py`) and the folders ``clean`` removes. Each function returns
data, or text for a picture, and the CLI renders it:

- `locked_environment`: (environment, platform, locked records, the names the manifest asks
  for): the rows of ``list``, the nodes of ``tree`` and ``why`` (`app/why.py`); `locked_pypi`:
  the PyPI rows of ``list``;
- `render_tree`: the dependency tree as ``pixi tree`` draws it (pictures: `app/graph.py`);
- `lock_changes`: what changed between two locks (`lock/diff.py`);
- `describe_system`: what ``info`` shows: this machine, the cache, the workspace;
- `clean_environments`, `clean_cache`: remove prefixes or the package cache, inside their roots.

Lesson: Episode 2 ("pixi list", "pixi tree") and Episode 3 (``why``, ``diff``). Read after
`app/run.py`; read next `app/why.py`.
"""

from __future__ import annotations

import datetime
import re
import shutil
from pathlib import Path
from typing import Iterable, Sequence

from minipixi import __version__
from minipixi.app.global_tools import manifest_path as global_manifest_path
from minipixi.app.graph import RENDERERS, environment_graph
from minipixi.app.policy import records_for
from minipixi.app.project import ENVS_DIR, Project, open_project
from minipixi.app.relock import OnSolve, no_progress
from minipixi.app.why import PYPI, PypiPart, environment_pypi, label, manifest_specs
from minipixi.channel.virtual_packages import detect_virtual_packages
from minipixi.config import cache_dir, home_dir, load_config, teaching_channel_dir
from minipixi.errors import ManifestError, MinipixiError
from minipixi.files import remove_inside
from minipixi.lock.diff import LockDiff, diff_locks, read_lock_at
from minipixi.lock.model import lock_platform_names, normalize_pypi_name
from minipixi.lock.read import read_lock
from minipixi.manifest.machine import current_platform
from minipixi.matchspec import MatchSpec
from minipixi.records import PackageRecord


def locked_environment(project: Project, environment: str | None, platform: str | None, mode: str = "default", *,
                       on_solve: OnSolve = no_progress) -> tuple[str, str, list[PackageRecord], list[str]]:
    """(environment, platform entry, locked records, the manifest's dependency names) for
    ``list``/``tree``/``why``: this machine's platform, or ``-p``'s, after the lock policy."""
    env = environment or "default"
    platform, records = records_for(project, env, platform, mode, on_solve=on_solve)
    return env, platform, records, list(project.workspace.resolve(env, platform).dependencies)


def locked_pypi(project: Project, environment: str, platform: str) -> tuple[list, list[str]]:
    """The PyPI packages `project`'s lock holds for (`environment`, manifest `platform`), by
    name, and the names ``[pypi-dependencies]`` asks for (rows of ``list`` after the conda ones)."""
    lock = project.lock
    name = lock_platform_names(project.workspace).get(platform, platform)
    env_lock = lock.environments.get(environment) if lock is not None else None
    packages = sorted(env_lock.pypi_packages(name), key=lambda p: p.name) if env_lock else []
    requested = [normalize_pypi_name(n) for n in project.workspace.resolve(environment, platform).pypi_dependencies]
    return packages, requested


# ---- tree -------------------------------------------------------------------------------------

# --8<-- [start:tree]
def render_tree(records: Sequence[PackageRecord], roots: Iterable[str], *, pattern: str | None = None,
                invert: bool = False, pypi: PypiPart | None = None) -> str:
    """The dependency tree of `records` below `roots` (the manifest's dependencies), like
    ``pixi tree``; with `invert`, what depends on the packages matching `pattern`. With `pypi`
    (`app/why.py`), the PyPI packages too, marked ``(pypi)`` (Pixi colours their versions)."""
    by_name = {r.name: r.version for r in records}
    children = {r.name: sorted({MatchSpec.parse(d).name for d in r.depends} & by_name.keys()) for r in records}
    if pypi is not None:
        by_name.update(pypi.versions)
        children.update({node: sorted({child for _, child in out}) for node, out in pypi.edges.items()})
        roots = list(dict.fromkeys([*roots, *(node for _, node in pypi.roots)]))
    if invert:
        parents: dict[str, list[str]] = {name: [] for name in by_name}
        for name, kids in children.items():
            for kid in kids:
                parents[kid].append(name)
        children = {name: sorted(ps) for name, ps in parents.items()}
        roots = [n for n in sorted(by_name) if pattern and re.search(pattern, label(n))]
    else:
        roots = [n for n in roots if n in by_name and (not pattern or re.search(pattern, label(n)))]
    lines: list[str] = []
    shown: set[str] = set()

    def walk(name: str, indent: str, last: bool) -> None:
        # A package already drawn is marked (*) and not expanded again, as `pixi tree` does.
        branch = "└── " if last else "├── "
        again = name in shown
        kind = " (pypi)" if name.startswith(PYPI) else ""
        lines.append(f"{indent}{branch}{label(name)} v{by_name[name]}{kind}{' (*)' if again else ''}")
        if again:
            return
        shown.add(name)
        kids = children.get(name, [])
        for i, kid in enumerate(kids):
            walk(kid, indent + ("    " if last else "│   "), i == len(kids) - 1)

    for i, root in enumerate(roots):
        walk(root, "", i == len(roots) - 1)
    return "\n".join(lines)
# --8<-- [end:tree]


def tree_picture(project: Project, env: str, platform: str, records: Sequence[PackageRecord], fmt: str) -> str:
    """The whole environment as a picture: Graphviz dot, Mermaid or SVG (`app/graph.py`), its
    PyPI packages labelled as such."""
    resolved = project.workspace.resolve(env, platform)
    graph = environment_graph(records, manifest_specs(resolved), title=f"environment {env} on {platform}",
                              pypi=environment_pypi(project, env, platform))
    return RENDERERS[fmt](graph)


# ---- diff -------------------------------------------------------------------------------------

def lock_changes(project: Project, old: str, new: str | None) -> LockDiff:
    """What changed from lock `old` to lock `new` (each a file or a git revision; `new` by
    default the pixi.lock on disk), per environment and platform, direct or transitive."""
    before = read_lock_at(old, project.lock_path)
    after = read_lock_at(new, project.lock_path) if new else read_lock(project.lock_path)
    ws = project.workspace
    direct = {env: {name for platform in ws.environment_platforms(env)
                    for name in ws.resolve(env, platform).dependencies}
              for env in ws.environments}
    return diff_locks(before, after, direct)


# ---- info -------------------------------------------------------------------------------------

def describe_system(manifest_path=None, *, offline: bool = False) -> dict:
    """What ``minipixi info`` shows: this machine, the cache, the workspace, its environments."""
    machine = {
        "minipixi version": __version__,
        "platform": current_platform(),
        "virtual packages": ", ".join(f"{r.name}={r.version}={r.build}" for r in detect_virtual_packages()),
        "cache dir": str(cache_dir()),
    }
    info: dict = {"system": machine, "global": {
        "bin dir": str(home_dir() / "bin"), "environments dir": str(home_dir() / "envs"),
        "manifest": str(global_manifest_path())}}
    try:
        project = open_project(manifest_path, offline=offline)
    except ManifestError:
        project = None
    config_offline = project.config.offline if project else load_config(None, offline=offline).offline
    if config_offline:
        machine["offline mirror"] = (f"{teaching_channel_dir()} (the bundled teaching channel: tiny "
                                     "stand-ins, e.g. `python` is a teaching shim around the host's python3)")
    if project is None:
        return info
    ws = project.workspace
    info["workspace"] = {"name": ws.name, "version": ws.version or "", "manifest": str(ws.path),
                         "last updated": _mtime(project.lock_path)}
    for env in ws.environments:
        platforms = ws.environment_platforms(env)
        resolved = ws.resolve(env, platforms[0]) if platforms else None
        info[f"environment {env}"] = {
            "features": ", ".join(ws.environments[env].feature_names()),
            "channels": ", ".join(resolved.channels) if resolved else "",
            "dependency count": len(resolved.dependencies) if resolved else 0,
            "dependencies": ", ".join(resolved.dependencies) if resolved else "",
            "target platforms": ", ".join(platforms),
            "prefix": str(project.prefix(env)),
            "tasks": ", ".join(sorted(resolved.tasks)) if resolved else "",
        }
    return info


def _mtime(path: Path) -> str:
    if not path.is_file():
        return "never (no pixi.lock yet)"
    return datetime.datetime.fromtimestamp(path.stat().st_mtime).strftime("%d-%m-%Y %H:%M:%S")


# ---- clean ------------------------------------------------------------------------------------

def clean_environments(project: Project, environment: str | None = None) -> list[Path]:
    """Remove `.pixi/envs/<environment>` (or every environment); returns what was removed.

    Removal stays inside the workspace and never follows a link: a symlinked ``.pixi/envs``
    (or ``.pixi/envs/default``) loses its link, and the folder it points at keeps every file.
    The environment name is checked as one folder name first (`Project.prefix`).
    """
    base = project.root / ENVS_DIR
    if environment:
        targets = [project.prefix(environment)]
    elif base.is_symlink():
        targets = [base]  # the whole folder is a link: remove the link, not what it holds
    else:
        targets = sorted(base.iterdir()) if base.is_dir() else []
    removed = []
    for target in targets:
        where = str(project.workspace.path)
        if (target.is_symlink() or target.is_dir()) and remove_inside(
                project.root, target, what="environment folder", where=where):
            removed.append(target)
    return removed


def clean_cache() -> Path | None:
    """Remove minipixi's cache folder; returns it, or None when there was nothing."""
    folder = cache_dir()
    if not folder.exists():
        return None
    shutil.rmtree(folder)
    return folder


def check_picture_options(regex: str | None, invert: bool) -> None:
    """``tree --format`` draws the whole environment: a regex or --invert makes no sense there."""
    if regex or invert:
        raise MinipixiError("--format draws the whole environment: it takes no REGEX or --invert",
                            hint="drop the regex, or use the text tree")
