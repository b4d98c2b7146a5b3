"""Relock: bring pixi.lock up to date with pixi.toml, solving only what no longer fits.

``minipixi lock`` (and every command that needs the lock: ``add``, ``install``, ``run``...)
takes these steps, top to bottom:

1. `outdated_reasons`: ask `lock/satisfiability.py` which (environment, platform) pairs of the
   lock no longer fit the manifest (Pixi's rules). None: the lock is kept, not a byte written;
2. for each solve-group and platform that is out of date: build one `SolveTask`
   (`environment_task`, the only place a workspace's solve is set up) from the manifest's
   specs, the channels' records and the platform's declared virtual packages, preferring
   what was locked, and `solve` it; an environment with PyPI dependencies then has them
   resolved on top of the solved python (`app/pypi_lock.py`, the locked versions preferred);
3. `compute_lock`: put the kept and the solved packages together into a new lock, and write
   it only if its text differs from the file's (`update_lock`, under the workspace lock).

``lock --check`` is step 1 alone (`check_lock`). Solving is machine-agnostic: a lock for
linux-64 with CUDA can be made on a Mac without a GPU, because the solve assumes what the
manifest declares. The machine is consulted only at install time (`app/sync.py`).

Lesson: Episode 2 ("The lock file"). Read after `app/project.py`; read next `app/policy.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from minipixi.app.pypi_lock import find_links, pypi_settings, resolve_group
from minipixi.app.project import LOCK_NAME, Project, existing_lock, refresh, remember_lock
from minipixi.app.workspace_lock import workspace_lock
from minipixi.channel.load import load_channel_records
from minipixi.channel.names import Channel
from minipixi.channel.virtual_packages import declared_virtual_packages
from minipixi.config import Config, cache_dir
from minipixi.files import write_atomic
from minipixi.lock.model import (
    CondaPackage, LockChannel, LockedEnvironment, LockPlatform, closure, lock_platform_names, make_lock_file,
)
from minipixi.lock.satisfiability import (
    DEFAULT_PRERELEASE_MODE, LOCK_STRATEGY, disregarded_environments, exclude_newer_cutoffs, matched_platform_names, outdated,
)
from minipixi.lock.write import render_lock
from minipixi.pypi.mapping import conda_purls
from minipixi.records import PackageRecord
from minipixi.solver import SolveTask, solve
from minipixi.version import Version

OnSolve = Callable[[str, str], None]


def no_progress(env: str, platform: str) -> None:
    """The default progress callback: say nothing."""


# ---- one solve: the task the solver gets ----------------------------------------------------

def load_sources(config: Config, channels: Sequence[str], subdir: str) -> list:
    """The record sources of `channels` for `subdir` (+ noarch), in priority order."""
    return load_channel_records(channels, subdir, cache_dir=cache_dir(), offline=config.offline,
                                mirrors=config.effective_mirrors(), sharded=config.use_shards)


# --8<-- [start:solve_task]
def solve_task(config: Config, specs: Sequence, *, channels: Sequence[str], subdir: str,
               virtual_packages: Sequence[PackageRecord], label: str, constraints: Sequence = (),
               locked: Sequence[PackageRecord] = (), channel_priority: str = "strict",
               strategy: str = "highest", exclude_newer: int | None = None,
               sources: list | None = None) -> SolveTask:
    """The one way a solve is set up: specs, the channels' records for `subdir` (loaded here
    unless `sources` are given), the virtual packages taken as facts, and the options."""
    return SolveTask(
        specs=list(specs), sources=load_sources(config, channels, subdir) if sources is None else sources,
        virtual_packages=list(virtual_packages), constraints=list(constraints), locked=list(locked),
        channel_priority=channel_priority, platform=subdir, label=label, strategy=strategy,
        exclude_newer=exclude_newer,
    )


def environment_task(project: Project, resolved_list: Sequence, *, locked: Sequence[PackageRecord] = (),
                     virtual_packages: Sequence[PackageRecord] | None = None,
                     sources: list | None = None) -> SolveTask:
    """The solve of one environment, or of a whole solve-group (the union of their specs), as
    the manifest sets it up: its channels and their priority, its strategy, ``exclude-newer``
    and (unless `virtual_packages` are given) the platform's declared virtual packages."""
    first = resolved_list[0]
    specs, constraints = {}, {}
    for resolved in resolved_list:
        resolved.require_supported()  # PyPI dependencies are resolved after the conda solve
        specs.update(resolved.specs)
        constraints.update(resolved.constraint_specs)
    names = sorted({r.environment for r in resolved_list})
    return solve_task(
        project.config, specs.values(), channels=first.channels, subdir=first.subdir,
        virtual_packages=_merged_virtual_packages(resolved_list) if virtual_packages is None else virtual_packages,
        label="environment " + ", ".join(f"'{n}'" for n in names), constraints=constraints.values(),
        locked=locked, channel_priority=first.channel_priority, strategy=first.solve_strategy,
        exclude_newer=_exclude_newer_ms(project.workspace), sources=sources,
    )
# --8<-- [end:solve_task]


def _exclude_newer_ms(workspace) -> int | None:
    """The workspace's ``exclude-newer`` cut-off in milliseconds (a duration counts back from now)."""
    cutoff = exclude_newer_cutoffs(workspace).get(None)
    return None if cutoff is None else int(cutoff.timestamp() * 1000)


def _merged_virtual_packages(resolved_list: Sequence) -> list[PackageRecord]:
    """The virtual packages of a solve-group: for each name, the highest version declared."""
    best: dict[str, PackageRecord] = {}
    for resolved in resolved_list:
        for record in declared_virtual_packages(resolved):
            current = best.get(record.name)
            if current is None or Version(record.version) > Version(current.version):
                best[record.name] = record
    return list(best.values())


# ---- the whole lock ---------------------------------------------------------------------------

@dataclass
class LockUpdate:
    """What `update_lock` did: the lock, whether the file changed, which pairs were solved."""

    lock: object  # minipixi.lock.model.LockFile
    changed: bool
    solved: list[tuple[str, str]]


def outdated_reasons(project: Project, lock) -> dict[tuple[str, str], list[str]]:
    """For every (environment, platform entry) of the manifest, why its lock is out of date
    (Pixi's satisfiability rules: see `lock/satisfiability.py`)."""
    return outdated(project.workspace, lock)


def check_lock(project: Project) -> list[str]:
    """``lock --check``: every reason pixi.lock is out of date, as sentences ([] when it is not)."""
    lock = existing_lock(project)
    if lock is None:
        return [f"{LOCK_NAME} does not exist"]
    lines = []
    for (env, platform), reasons in outdated_reasons(project, lock).items():
        lines += [f"{env} / {platform}: {r}" if platform else f"{env}: {r}" for r in reasons]
    return lines


def update_lock(project: Project, *, force: bool = False, on_solve: OnSolve = no_progress) -> LockUpdate:
    """``minipixi lock``: bring pixi.lock up to date with pixi.toml, solving only what no longer
    fits, and write it if it changed.

    Environments of one solve-group are solved together, so that they share versions.
    `on_solve(environment, platform)` is called before each solve (for progress display).
    Runs under the workspace lock (`app/workspace_lock.py`); if another command changed
    pixi.toml since `project` was opened, the manifest is read again first.
    """
    with workspace_lock(project.root):
        refresh(project)
        update = compute_lock(project, force=force, on_solve=on_solve)
        if update.changed:
            write_lock(project, update.lock)
        return update


def write_lock(project: Project, lock) -> None:
    """Write `lock` to pixi.lock (atomically) and remember it as the project's lock."""
    text = render_lock(lock)
    write_atomic(project.lock_path, text)
    remember_lock(project, lock, text)


# --8<-- [start:compute_lock]
def compute_lock(project: Project, *, force: bool = False, on_solve: OnSolve = no_progress,
                 resolve: Iterable[tuple[str, str]] = (), prefer=None, old=None) -> LockUpdate:
    """The lock pixi.toml needs now, computed in memory (nothing is written).

    `old` is the lock to start from (default: pixi.lock as it is); `resolve` names
    (environment, platform) pairs to solve again even when up to date (`update`); `prefer`
    is the lock whose records the solver prefers (default: `old`). `changed` says whether
    the result differs from the file on disk.
    """
    ws = project.workspace
    on_disk = existing_lock(project)
    old = on_disk if old is None else old
    stale = outdated_reasons(project, old) if not force else {
        (e, p): ["forced"] for e in ws.environments for p in ws.environment_platforms(e)}
    stale = {**stale, **{pair: ["update requested"] for pair in resolve if pair not in stale}}
    if old is not None and not stale:  # up to date: the file is not touched, not a byte
        return LockUpdate(old, old is not on_disk and render_lock(old) != project.lock_text, [])
    # The names the existing lock gives the manifest's platforms are kept (Pixi 0.77 names
    # them after the manifest; older locks numbered them p1, p2...).
    names = {**lock_platform_names(ws), **(matched_platform_names(ws, old) if old else {})}
    disregard = disregarded_environments(ws, old) if old else set()
    packages: dict[str, dict[str, tuple]] = {env: {} for env in ws.environments}
    extras: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {env: {} for env in ws.environments}
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
                        disregard=disregard, extras=extras)
            solved += [(e, platform) for e in members]
    lock = make_lock_file(_environments(ws, old, stale, packages, extras), _platforms(ws, names),
                          replaces=old.version if old else None)
    return LockUpdate(lock, render_lock(lock) != project.lock_text, solved)
# --8<-- [end:compute_lock]


def _environments(ws, old, stale, packages, extras) -> dict[str, LockedEnvironment]:
    """Each environment of the new lock: kept whole where nothing of it was stale (its PyPI
    indexes and options too), else its channels, options, the packages found and, with PyPI
    dependencies, the indexes they were resolved from and the extras each platform enabled."""
    environments = {}
    for env in ws.environments:
        resolved = ws.resolve(env, ws.environment_platforms(env)[0]) if ws.environment_platforms(env) else None
        channels = tuple(LockChannel(Channel.parse(c).url) for c in (resolved.channels if resolved else ()))
        before = old.environments.get(env) if old else None
        if before is not None and not any(key[0] == env for key in stale):
            environments[env] = before
            continue
        kept_extras = {key: value for key, value in (before.pypi_extras if before else {}).items()
                       if any(p.location == key[1] for p in packages[env].get(key[0], ()))}
        with_pypi = resolved is not None and bool(resolved.pypi_dependencies)
        options = _solve_options(resolved, exclude_newer_cutoffs(ws).get(None))
        if with_pypi and pypi_settings(ws, env)[1] != DEFAULT_PRERELEASE_MODE:
            options["pypi-prerelease-mode"] = pypi_settings(ws, env)[1]
        environments[env] = LockedEnvironment(
            channels=channels, packages=packages[env], options=options,
            indexes=tuple(pypi_settings(ws, env)[0]) if with_pypi else None,
            find_links=tuple(find_links(ws, env)) or None if with_pypi else None, pypi_extras={**kept_extras, **extras[env]})
    return environments


def _platforms(ws, names: dict[str, str]) -> list[LockPlatform]:
    return [LockPlatform(names[entry.name], entry.subdir, _entry_virtual(ws, entry)) for entry in ws.platforms]


def _solve_options(resolved, exclude_newer=None) -> dict[str, str]:
    """The options a lock records for an environment, when they are not the defaults."""
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
            return _virtual_strings(declared_virtual_packages(ws.resolve(env, entry.name)))
    return ()


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
                disregard: set[str] = frozenset(), extras=None) -> None:
    """Solve `members` (one solve-group) on `platform`, preferring `old`'s records, and put each
    member's share of the solution into `packages`; a member with PyPI dependencies gets them
    resolved on top of its conda packages (`app/pypi_lock.py`), their extras into `extras`."""
    ws = project.workspace
    resolved = [ws.resolve(env, platform) for env in members]
    locked, locked_pypi = [], {}
    if old:
        for env in members:
            if env in old.environments and env not in disregard:  # see satisfiability.disregarded_environments
                locked += [p.record for p in old.environments[env].conda_packages(names[platform])]
                locked_pypi.update({p.name: p.version for p in old.environments[env].pypi_packages(names[platform])
                                    if p.version})
    records = solve(environment_task(project, resolved, locked=locked))
    with_pypi = any(res.pypi_dependencies for res in resolved)
    # Conda packages that are PyPI packages. The offline default map applies to the whole
    # workspace or not at all, so a package shared by two environments gets one lock entry.
    purls = conda_purls(ws, records, strict=with_pypi, offline=project.config.offline,
                        default_maps=project.config.pypi_mapping() if ws.uses_pypi else None)
    # A package the old lock already holds keeps the purls written there (Pixi's, from its
    # mapping service), so relocking changes no entry that did not change.
    known = {p.location: p.purls for env_lock in (old.environments.values() if old else ())
             for p in env_lock.conda_packages(names[platform]) if p.purls is not None}
    group_conda = {}
    for r in records:
        package = CondaPackage.from_record(r)
        given = purls.get(r.name, known.get(package.location))
        group_conda[r.name] = package if given is None else CondaPackage.from_record(r, purls=given)
    if with_pypi:
        shares = resolve_group(project, resolved, tuple(group_conda.values()),
                               ", ".join(f"'{e}'" for e in members) + f" on {platform}", preferred=locked_pypi)
    for env, res in zip(members, resolved):
        mine = closure(records, res.specs) if len(members) > 1 else records
        packages[env][names[platform]] = tuple(group_conda[r.name] for r in mine)
        if res.pypi_dependencies:
            pypi, found = shares[env]
            packages[env][names[platform]] += tuple(pypi)
            if extras is not None:
                extras[env].update({(names[platform], location): tuple(e) for location, e in found.items()})
