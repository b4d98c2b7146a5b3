"""The workspace: from pixi.toml to pixi.lock to a working prefix, the way Pixi does it.

This module is the glue of the pipeline. Each function below is one step a command takes, and
each step calls the module that knows how:

1. `open_project`: read the manifest (`manifest`) and the settings (`config`);
2. `solve_environment`: for one (environment, platform), fetch the channels' records
   (`channel`), assume the platform's virtual packages (`virtual_packages`) and `solve`;
3. `update_lock`: keep every locked (environment, platform) that still fits the manifest,
   re-solve the others (preferring what was locked), honour solve-groups, and write
   ``pixi.lock`` only if its bytes change (`lock`), holding the workspace lock
   (`workspace_lock`: one command at a time; `add` undoes its own edit if it fails);
4. `install_environment`: check the lock (``--locked``) or take it as it is (``--frozen``),
   make sure this machine can run it (virtual packages again, now detected), and make the
   prefix ``.pixi/envs/<env>`` hold exactly the locked records (`install`).

Solving is machine-agnostic: a lock for linux-64 with CUDA can be made on a Mac without a GPU,
because the solve assumes what the manifest declares. The machine is consulted only at install
time, which is why an image build (no GPU) sets ``CONDA_OVERRIDE_CUDA``.

Lesson: Episode 2 ("The lock file", "pixi install") and Episode 5 (system requirements).
Read after `lock.py`; read next `install.py`.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from minipixi.config import Config, cache_dir, load_config
from minipixi.errors import InstallError, LockError, ManifestError
from minipixi.files import write_atomic
from minipixi.records import PackageRecord

LOCK_NAME = "pixi.lock"
ENVS_DIR = Path(".pixi") / "envs"


# ---- the project: a manifest plus the settings in force -------------------------------------

@dataclass
class Project:
    """One workspace opened for one command."""

    workspace: object  # minipixi.manifest.Workspace
    config: Config
    notices: list[str] = field(default_factory=list)  # things the CLI shows once
    manifest_stamp: tuple = ()  # the manifest file's identity when read (see `update_lock`)

    @property
    def root(self) -> Path:
        return self.workspace.root

    @property
    def lock_path(self) -> Path:
        return self.root / LOCK_NAME

    def prefix(self, environment: str) -> Path:
        """``.pixi/envs/<environment>``; the name (from the CLI or the manifest) must be one
        folder name, so ``-e ../..`` can never point outside `.pixi/envs`."""
        from minipixi.files import check_component

        check_component(environment, what="environment name", where=str(self.workspace.path))
        return self.root / ENVS_DIR / environment


def open_project(manifest_path: str | os.PathLike | None = None, *, offline: bool = False) -> Project:
    """Find and read pixi.toml (searching upwards from the current folder when no path)."""
    from minipixi.manifest import find_manifest, read_manifest

    path = Path(manifest_path).absolute() if manifest_path else find_manifest(Path.cwd())
    stamp = _file_stamp(path)
    workspace = read_manifest(path)
    config = load_config(workspace.root, offline=offline)
    project = Project(workspace, config, manifest_stamp=stamp)
    if config.offline:
        from minipixi.config import OFFLINE_NOTICE

        project.notices.append(OFFLINE_NOTICE)
    return project


def _file_stamp(path: Path) -> tuple:
    """Which file is at `path` now: an atomic replace changes the inode, an edit the size or
    time. Taken before reading, so a change made while reading is noticed later."""
    try:
        info = os.stat(path)
    except OSError:
        return ()
    return (info.st_ino, info.st_size, info.st_mtime_ns)


def _reread_if_changed(project: Project) -> None:
    """Another command edited pixi.toml since `project` read it: read it again (under the
    workspace lock), so the lock we write matches the manifest on disk."""
    from minipixi.manifest import read_manifest

    path = project.workspace.path
    stamp = _file_stamp(path)
    if stamp != project.manifest_stamp:
        project.workspace = read_manifest(path)
        project.manifest_stamp = stamp


# ---- platforms: manifest entries and the names the lock file gives them ----------------------

def lock_platform_names(workspace) -> dict[str, str]:
    """Manifest platform entry name -> lock platform name.

    In a v6 lock a platform is its subdir. With rich entries (v7), Pixi keeps a plain entry's
    subdir as its name and numbers the rich ones ``p1``, ``p2``... in manifest order.
    """
    from minipixi.lock.model import name_lock_platforms

    entries = workspace.platforms
    numbered = name_lock_platforms([(e.subdir, e.rich and (e.name != e.subdir or bool(e.virtual)))
                                    for e in entries])
    return {entry.name: name for entry, name in zip(entries, numbered)}


def _virtual_strings(records: Iterable[PackageRecord]) -> tuple[str, ...]:
    """``__cuda=12``, ``__unix=0=0``: virtual packages as a v7 lock lists them.

    Pixi records the micro-architecture as ``__archspec=0=x86_64`` (version 0, whatever
    version the solver's ``__archspec`` has): every Pixi-written v7 lock in the corpus does.
    """
    out = []
    for record in records:
        version = "0" if record.name == "__archspec" else record.version
        text = f"{record.name}={version}"
        if record.name in ("__unix", "__archspec"):
            text += f"={record.build}"
        out.append(text)
    return tuple(out)


def _platform_virtual_packages(resolved) -> list[PackageRecord]:
    from minipixi.channel.virtual_packages import default_virtual_packages

    return default_virtual_packages(resolved.subdir, **resolved.virtual_package_options())


# ---- solving one (environment, platform) ------------------------------------------------------

def load_sources(project: Project, channels: Sequence[str], subdir: str) -> list:
    """The record sources of `channels` for `subdir` (+ noarch), in priority order."""
    from minipixi.channel.fetch import load_channel_records

    return load_channel_records(
        channels, subdir, cache_dir=cache_dir(), offline=project.config.offline,
        mirrors=project.config.effective_mirrors(), sharded=project.config.use_shards,
    )


def solve_specs(project: Project, resolved_list: Sequence, *, locked: Sequence[PackageRecord] = ()) -> list[PackageRecord]:
    """Solve the union of the specs of `resolved_list` (one env, or a whole solve-group)."""
    from minipixi.manifest import require_conda_only
    from minipixi.solver import SolveTask, solve

    first = resolved_list[0]
    specs, constraints = {}, {}
    for resolved in resolved_list:
        require_conda_only(resolved, project.workspace)
        specs.update(resolved.specs)
        constraints.update(resolved.constraint_specs)
    virtual = _merged_virtual_packages(resolved_list)
    names = sorted({r.environment for r in resolved_list})
    task = SolveTask(
        specs=list(specs.values()), sources=load_sources(project, first.channels, first.subdir),
        virtual_packages=virtual, constraints=list(constraints.values()), locked=list(locked),
        channel_priority=first.channel_priority, platform=first.subdir,
        label="environment " + ", ".join(f"'{n}'" for n in names),
        strategy=first.solve_strategy, exclude_newer=_exclude_newer_ms(project.workspace),
    )
    return solve(task)


def _exclude_newer_ms(workspace) -> int | None:
    """The workspace's ``exclude-newer`` cut-off in milliseconds (a duration counts back from now)."""
    from minipixi.lock.satisfiability import exclude_newer_cutoffs

    cutoff = exclude_newer_cutoffs(workspace).get(None)
    return None if cutoff is None else int(cutoff.timestamp() * 1000)


def _merged_virtual_packages(resolved_list: Sequence) -> list[PackageRecord]:
    """The virtual packages of a solve-group: for each name, the highest version declared."""
    from minipixi.version import Version

    best: dict[str, PackageRecord] = {}
    for resolved in resolved_list:
        for record in _platform_virtual_packages(resolved):
            current = best.get(record.name)
            if current is None or Version(record.version) > Version(current.version):
                best[record.name] = record
    return list(best.values())


def closure(records: Sequence[PackageRecord], roots: Iterable[str]) -> list[PackageRecord]:
    """The records reachable from `roots` through `depends` (how a solve-group member gets its
    own share of the group's solution)."""
    from minipixi.matchspec import MatchSpec

    by_name = {r.name: r for r in records}
    seen: set[str] = set()
    todo = [n for n in roots if n in by_name]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for dep in by_name[name].depends:
            dep_name = MatchSpec.parse(dep).name
            if dep_name in by_name and dep_name not in seen:
                todo.append(dep_name)
    return [r for r in records if r.name in seen]


# ---- the lock file ---------------------------------------------------------------------------

@dataclass
class LockUpdate:
    """What `update_lock` did: the lock, whether the file changed, which pairs were solved."""

    lock: object  # minipixi.lock.model.LockFile
    changed: bool
    solved: list[tuple[str, str]]


def read_existing_lock(project: Project):
    from minipixi.lock.read import read_lock

    return read_lock(project.lock_path) if project.lock_path.is_file() else None


def outdated_reasons(project: Project, lock) -> dict[tuple[str, str], list[str]]:
    """For every (environment, platform entry) of the manifest, why its lock is out of date
    (Pixi's satisfiability rules: see `satisfiability`)."""
    from minipixi.lock.satisfiability import outdated

    return outdated(project.workspace, lock)


def update_lock(project: Project, *, force: bool = False,
                on_solve: Callable[[str, str], None] = lambda env, platform: None) -> LockUpdate:
    """Bring pixi.lock up to date with pixi.toml, solving only what no longer fits.

    Environments of one solve-group are solved together, so that they share versions.
    `on_solve(environment, platform)` is called before each solve (for progress display).
    Runs under the workspace lock (`workspace_lock`); if another command changed pixi.toml
    since `project` was opened, the manifest is read again first.
    """
    from minipixi.app.workspace_lock import workspace_lock

    with workspace_lock(project.root):
        _reread_if_changed(project)
        return _update_lock(project, force=force, on_solve=on_solve)


def _update_lock(project: Project, *, force: bool, on_solve: Callable[[str, str], None],
                 resolve: frozenset = frozenset(), prefer=None, write: bool = True) -> LockUpdate:
    """`update_lock`'s work, also for `update`: `resolve` names (environment, platform) pairs to
    solve again even when up to date, `prefer` is the lock whose records the solver prefers
    (default: the existing lock), and `write=False` computes the lock without writing it."""
    from minipixi.lock.model import LockChannel, LockedEnvironment, LockPlatform, make_lock_file
    from minipixi.lock.write import render_lock, write_lock

    from minipixi.lock.satisfiability import disregarded_environments, exclude_newer_cutoffs, matched_platform_names

    ws = project.workspace
    old = read_existing_lock(project)
    stale = outdated_reasons(project, old) if not force else {
        (e, p): ["forced"] for e in ws.environments for p in ws.environment_platforms(e)}
    stale = {**stale, **{pair: ["update requested"] for pair in resolve if pair not in stale}}
    if old is not None and not stale:
        return LockUpdate(old, False, [])  # up to date: the file is not touched, not a byte
    # The names the existing lock gives the manifest's platforms are kept (Pixi 0.77 names
    # them after the manifest; older locks numbered them p1, p2...).
    names = {**lock_platform_names(ws), **(matched_platform_names(ws, old) if old else {})}
    disregard = disregarded_environments(ws, old) if old else set()
    packages: dict[str, dict[str, tuple]] = {env: {} for env in ws.environments}
    solved = []
    for group in _solve_groups(ws):
        for platform in _group_platforms(ws, group):
            members = [e for e in group if platform in ws.environment_platforms(e)]
            if not force and old and all((e, platform) not in stale for e in members):
                for env in members:
                    kept = old.environments[env].packages.get(names[platform])
                    if kept is not None:  # an environment without packages may list no platform
                        packages[env][names[platform]] = kept
                continue
            for env in members:
                on_solve(env, platform)
            _solve_into(project, members, platform, old if prefer is None else prefer, names, packages,
                        disregard=disregard)
            solved += [(e, platform) for e in members]
    environments = {}
    for env in ws.environments:
        resolved = ws.resolve(env, ws.environment_platforms(env)[0]) if ws.environment_platforms(env) else None
        channels = tuple(LockChannel(_channel_url(c)) for c in (resolved.channels if resolved else ()))
        before = old.environments.get(env) if old else None
        if before is not None and not any(key[0] == env for key in stale):
            environments[env] = before  # kept whole: its PyPI indexes and options too
            continue
        environments[env] = LockedEnvironment(
            channels=channels, packages=packages[env],
            options=_solve_options(resolved, exclude_newer_cutoffs(ws).get(None)),
            indexes=before.indexes if before else None, find_links=before.find_links if before else None,
            pypi_extras=before.pypi_extras if before else {})
    platforms = [LockPlatform(names[entry.name], entry.subdir, _entry_virtual(ws, entry)) for entry in ws.platforms]
    lock = make_lock_file(environments, platforms, replaces=old.version if old else None)
    text = render_lock(lock)
    changed = not project.lock_path.is_file() or project.lock_path.read_text(encoding="utf-8") != text
    if changed and write:
        write_lock(lock, project.lock_path)
    return LockUpdate(lock, changed, solved)


def _solve_options(resolved, exclude_newer=None) -> dict[str, str]:
    """The options a lock records for an environment, when they are not the defaults."""
    from minipixi.lock.satisfiability import LOCK_STRATEGY

    options = {}
    if resolved is not None and resolved.solve_strategy != "highest":
        options["strategy"] = LOCK_STRATEGY.get(resolved.solve_strategy, resolved.solve_strategy)
    if resolved is not None and resolved.channel_priority != "strict":
        options["channel-priority"] = resolved.channel_priority
    if resolved is not None and exclude_newer is not None:
        options["exclude-newer"] = exclude_newer.strftime("%Y-%m-%dT%H:%M:%SZ")
    return options


def _entry_virtual(ws, entry) -> tuple[str, ...]:
    """The virtual packages a v7 lock records for a platform entry: the defaults for its subdir
    (with the manifest's system-requirements), as Pixi records them for plain platforms too."""
    for env in ws.environments:
        if entry.name in ws.environment_platforms(env):
            return _virtual_strings(_platform_virtual_packages(ws.resolve(env, entry.name)))
    return ()


def _channel_url(channel: str) -> str:
    from minipixi.channel.fetch import Channel

    return Channel.parse(channel).url


def _solve_groups(ws) -> list[list[str]]:
    """Environments grouped by solve-group; an environment without one is its own group."""
    groups: dict[str, list[str]] = {}
    for name, env in ws.environments.items():
        groups.setdefault(env.solve_group or f"\0{name}", []).append(name)
    return list(groups.values())


def _group_platforms(ws, group: Sequence[str]) -> list[str]:
    seen: dict[str, None] = {}
    for env in group:
        seen.update(dict.fromkeys(ws.environment_platforms(env)))
    return list(seen)


def _solve_into(project: Project, members: list[str], platform: str, old, names, packages,
                disregard: set[str] = frozenset()) -> None:
    from minipixi.lock.model import CondaPackage

    ws = project.workspace
    resolved = [ws.resolve(env, platform) for env in members]
    locked = []
    if old:
        for env in members:
            if env in old.environments and env not in disregard:  # see satisfiability.disregarded_environments
                locked += [p.record for p in old.environments[env].conda_packages(names[platform])]
    records = solve_specs(project, resolved, locked=locked)
    for env, res in zip(members, resolved):
        mine = closure(records, res.specs) if len(members) > 1 else records
        packages[env][names[platform]] = tuple(CondaPackage.from_record(r) for r in mine)


def check_lock(project: Project) -> list[str]:
    """Every reason pixi.lock is out of date, as sentences ([] when it is up to date)."""
    lock = read_existing_lock(project)
    if lock is None:
        return [f"{LOCK_NAME} does not exist"]
    lines = []
    for (env, platform), reasons in outdated_reasons(project, lock).items():
        lines += [f"{env} / {platform}: {r}" if platform else f"{env}: {r}" for r in reasons]
    return lines


# ---- installing --------------------------------------------------------------------------------

def host_platform_entry(project: Project, environment: str) -> str:
    """The manifest platform entry this machine installs for `environment`.

    Among the environment's entries for this machine's subdir, the first whose declared
    virtual packages the machine provides (so a GPU machine picks ``linux-64-cuda``); else the
    first entry for the subdir.
    """
    from minipixi.manifest.machine import current_platform

    ws = project.workspace
    subdir = current_platform()  # MINIPIXI_PLATFORM, when set, is read (and checked) there
    entries = [ws.platform(p) for p in ws.environment_platforms(environment)]
    matching = [e for e in entries if e.subdir == subdir]
    if not matching:
        listed = ", ".join(e.name for e in entries) or "none"
        raise InstallError(
            f"environment '{environment}' does not support this machine's platform {subdir}",
            where=str(ws.path),
            hint=f"add it with `minipixi workspace platform add {subdir}` (the environment has: {listed})",
        )
    return matching[0].name


def locked_records(project: Project, environment: str, *, locked: bool = False, frozen: bool = False,
                   on_solve=lambda env, platform: None) -> tuple[str, list[PackageRecord]]:
    """The records to install for `environment` on this machine, after the lock policy:

    - default: update the lock where it is out of date, then use it;
    - ``--locked``: the lock must already be up to date (an error lists why it is not);
    - ``--frozen``: use the lock exactly as it is, whatever the manifest says.
    """
    ws = project.workspace
    ws.environment(environment)  # a clear error for an unknown environment
    if frozen:
        lock = read_existing_lock(project)
        if lock is None:
            raise LockError(f"{LOCK_NAME} does not exist, and --frozen never creates it",
                            where=str(project.lock_path), hint="run `minipixi lock` first")
    elif locked:
        reasons = check_lock(project)
        if reasons:
            raise LockError(
                f"{LOCK_NAME} is out of date with {project.workspace.path.name} ({reasons[0]}), "
                "and --locked forbids updating it",
                where=str(project.lock_path), details="\n".join(f"  - {r}" for r in reasons),
                hint="run `minipixi lock` and commit pixi.lock, or drop --locked",
            )
        lock = read_existing_lock(project)
    else:
        lock = update_lock(project, on_solve=on_solve).lock
    platform = host_platform_entry(project, environment)
    name = lock_platform_names(ws)[platform]
    env_lock = lock.environments.get(environment)
    if env_lock is None or name not in env_lock.packages:
        raise LockError(f"{LOCK_NAME} has no packages for environment '{environment}' on {name}",
                        where=str(project.lock_path), hint="run `minipixi lock`")
    packages = env_lock.conda_packages(name)
    source = [p for p in packages if p.is_source]
    if source:
        names = ", ".join(sorted(p.record.name for p in source))
        raise LockError(
            f"{LOCK_NAME} locks source packages for environment '{environment}' on {name} ({names}); "
            "building/installing source packages is not supported by minipixi",
            where=str(project.lock_path),
            hint="install this environment with pixi, or depend on a built package from a channel instead")
    return platform, [p.record for p in packages]


def download_url(record: PackageRecord, mirrors: Mapping[str, Sequence[str]]) -> PackageRecord:
    """The record with its url moved to the first mirror of its channel (if one is set)."""
    from minipixi.channel.fetch import download_urls

    return replace(record, url=download_urls(record.url, mirrors)[0]) if record.url else record


def install_environment(project: Project, environment: str = "default", *, locked: bool = False,
                        frozen: bool = False, reporter=None, on_solve=lambda env, platform: None):
    """Make ``.pixi/envs/<environment>`` match the lock. Returns (prefix, transaction)."""
    from minipixi.install.install import install
    from minipixi.channel.virtual_packages import check_installable, detect_virtual_packages, required_virtual_packages
    from minipixi.app.workspace_lock import write_pixi_folder_files

    platform, records = locked_records(project, environment, locked=locked, frozen=frozen, on_solve=on_solve)
    resolved = project.workspace.resolve(environment, platform)
    # What the packages need, and what the manifest promises the machine has (its system
    # requirements or platform entry): Pixi refuses to install when either is not met.
    declared = [f"{name} >={version}" for name, version in sorted(resolved.virtual_packages.items())]
    check_installable(required_virtual_packages(records) + declared, detect_virtual_packages(),
                      environment=environment)
    mirrors = project.config.effective_mirrors()
    to_fetch = [download_url(r, mirrors) for r in records]
    requested = {name: str(spec) for name, spec in resolved.specs.items()}
    prefix = project.prefix(environment)
    write_pixi_folder_files(project.root / ".pixi")
    transaction = install(to_fetch, prefix, requested_specs=requested, reporter=reporter)
    _write_environment_file(project, environment, prefix)
    return prefix, transaction


def _write_environment_file(project: Project, environment: str, prefix: Path) -> None:
    """``conda-meta/pixi``: which manifest and lock made this prefix (as Pixi writes it)."""
    lock_hash = hashlib.sha256(project.lock_path.read_bytes()).hexdigest()[:16] if project.lock_path.is_file() else None
    data = {"manifest_path": str(project.workspace.path), "environment_name": environment,
            "pixi_version": "minipixi", "environment_lock_file_hash": lock_hash}
    write_atomic(prefix / "conda-meta" / "pixi", json.dumps(data, indent=2) + "\n")


def activation_context(project: Project, environment: str, platform: str | None = None):
    """Everything `activation` needs for `environment` of this workspace."""
    from minipixi.run.activation import ActivationContext

    ws = project.workspace
    platform = platform or host_platform_entry(project, environment)
    resolved = ws.resolve(environment, platform)
    return ActivationContext(
        prefix=project.prefix(environment), environment_name=environment, platform=resolved.subdir,
        workspace_root=ws.root, workspace_name=ws.name, manifest_path=ws.path,
        workspace_version=ws.version, platforms=tuple(ws.environment_platforms(environment)),
        env=dict(resolved.activation.env), scripts=tuple(resolved.activation.scripts),
    )


def default_environment_for_task(project: Project, task: str | None) -> str:
    """`default` unless the task lives only in one other environment (as `pixi run` picks)."""
    ws = project.workspace
    if task is None:
        return "default"
    from minipixi.manifest.resolve import list_tasks

    try:
        if task in list_tasks(ws, "default"):
            return "default"
    except ManifestError:
        pass
    having = [env for env in ws.environments if task in list_tasks(ws, env)]
    return having[0] if len(having) == 1 else "default"


# ---- looking at an environment: tree, info, clean --------------------------------------------

def render_tree(records: Sequence[PackageRecord], roots: Iterable[str], *, pattern: str | None = None,
                invert: bool = False) -> str:
    """The dependency tree of `records` below `roots` (the manifest's dependencies), like
    ``pixi tree``; with `invert`, what depends on the packages matching `pattern`."""
    import re

    from minipixi.matchspec import MatchSpec

    by_name = {r.name: r for r in records}
    children = {r.name: sorted({MatchSpec.parse(d).name for d in r.depends} & by_name.keys()) for r in records}
    if invert:
        parents: dict[str, list[str]] = {name: [] for name in by_name}
        for name, kids in children.items():
            for kid in kids:
                parents[kid].append(name)
        children = {name: sorted(ps) for name, ps in parents.items()}
        roots = [n for n in sorted(by_name) if pattern and re.search(pattern, n)]
    else:
        roots = [n for n in roots if n in by_name and (not pattern or re.search(pattern, n))]
    lines: list[str] = []
    shown: set[str] = set()

    def walk(name: str, indent: str, last: bool) -> None:
        # A package already drawn is marked (*) and not expanded again, as `pixi tree` does.
        branch = "└── " if last else "├── "
        again = name in shown
        lines.append(f"{indent}{branch}{name} v{by_name[name].version}{' (*)' if again else ''}")
        if again:
            return
        shown.add(name)
        kids = children.get(name, [])
        for i, kid in enumerate(kids):
            walk(kid, indent + ("    " if last else "│   "), i == len(kids) - 1)

    for i, root in enumerate(roots):
        walk(root, "", i == len(roots) - 1)
    return "\n".join(lines)


def describe_system(manifest_path=None, *, offline: bool = False) -> dict:
    """What ``minipixi info`` shows: this machine, the cache, the workspace, its environments."""
    from minipixi import __version__
    from minipixi.config import teaching_channel_dir
    from minipixi.manifest.machine import current_platform
    from minipixi.channel.virtual_packages import detect_virtual_packages

    machine = {
        "minipixi version": __version__,
        "platform": current_platform(),
        "virtual packages": ", ".join(f"{r.name}={r.version}={r.build}" for r in detect_virtual_packages()),
        "cache dir": str(cache_dir()),
    }
    info: dict = {"system": machine, "global": _global_dirs()}
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


def _global_dirs() -> dict:
    """Where global tools live (``$MINIPIXI_HOME``), as Pixi's info shows its global folders."""
    from minipixi.config import home_dir
    from minipixi.app.global_tools import manifest_path

    return {"bin dir": str(home_dir() / "bin"), "environments dir": str(home_dir() / "envs"),
            "manifest": str(manifest_path())}


def _mtime(path: Path) -> str:
    import datetime

    if not path.is_file():
        return "never (no pixi.lock yet)"
    return datetime.datetime.fromtimestamp(path.stat().st_mtime).strftime("%d-%m-%Y %H:%M:%S")


def clean_environments(project: Project, environment: str | None = None) -> list[Path]:
    """Remove `.pixi/envs/<environment>` (or every environment); returns what was removed.

    Removal stays inside the workspace and never follows a link: a symlinked ``.pixi/envs``
    (or ``.pixi/envs/default``) loses its link, and the folder it points at keeps every file.
    The environment name is checked as one folder name first (`Project.prefix`).
    """
    from minipixi.files import remove_inside

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
    import shutil

    folder = cache_dir()
    if not folder.exists():
        return None
    shutil.rmtree(folder)
    return folder


# ---- editing that needs the solver: `add` pins to what was solved -----------------------------

def _min_max_versions(lock, environments: Iterable[str], name: str) -> tuple[str, str] | None:
    from minipixi.version import Version

    found = [p.version for env in environments if env in lock.environments
             for packages in lock.environments[env].packages.values()
             for p in packages if getattr(p, "name", None) == name and hasattr(p, "record")]
    if not found:
        return None
    ordered = sorted(found, key=Version)
    return ordered[0], ordered[-1]


def add_and_pin(manifest: Path, specs: Sequence[str], *, feature: str | None = None,
                platforms: Sequence[str] = (), table: str = "dependencies", offline: bool = False,
                on_solve=lambda env, platform: None):
    """`minipixi add`: write the specs, solve, then pin unversioned ones to what was solved.

    Runs as one `edit_transaction`: under the workspace lock, and if anything fails (the
    workspace cannot be solved with the new specs, Ctrl-C, a full disk), pixi.toml and
    pixi.lock are put back byte for byte and the error is raised. Returns the list of
    `AddedDependency` as finally written.
    """
    from minipixi.manifest.edit_dependencies import add_dependencies
    from minipixi.manifest.pins import solved_pin
    from minipixi.app.workspace_lock import edit_transaction

    with edit_transaction(manifest):
        added = add_dependencies(manifest, specs, feature=feature, platforms=platforms, table=table)
        if table != "dependencies":
            return added
        project = open_project(manifest, offline=offline)
        lock = update_lock(project, on_solve=on_solve).lock
        envs = [e for e, env in project.workspace.environments.items()
                if feature is None and not env.no_default_feature or feature in env.features]
        pinned = []
        for item in added[: len(specs)]:
            span = None if item.spec.version else _min_max_versions(lock, envs, item.spec.name)
            pinned.append(f"{item.spec.name} {solved_pin(*span, item.spec.name)}" if span else None)
        if any(pinned):
            texts = [p for p in pinned if p]
            repinned = add_dependencies(manifest, texts, feature=feature, platforms=platforms, table=table)
            by_name = {item.spec.name: item for item in repinned}
            added = [by_name.get(item.spec.name, item) for item in added]
            update_lock(open_project(manifest, offline=offline))
        return added


def environments_to_install_after_edit(project: Project, feature: str | None) -> list[str]:
    """What `add` installs afterwards, as pixi does: the default environment for the default
    feature, else the environments that use `feature`; only those this machine can run."""
    ws = project.workspace
    if feature is None:
        names = ["default"]
    else:
        names = [e for e, env in ws.environments.items() if feature in env.features]
    runnable = []
    for name in names:
        try:
            host_platform_entry(project, name)
        except InstallError:
            continue  # an environment for other platforms only: nothing to install here
        runnable.append(name)
    return runnable
