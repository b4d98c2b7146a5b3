"""`update` and `upgrade`: move a lock forward on purpose, one package or all of them.

`lock` only re-solves what no longer fits the manifest, and prefers what was locked: that is
what makes a lock reproducible. Moving on is a separate, deliberate step, as in Pixi:

- ``update [PKG...]`` re-solves within the manifest's constraints. The named packages are
  *freed* (the solver no longer prefers their locked records); every other locked package is
  still preferred, so it moves only if it must. Without names every package is freed.
  ``-e``/``-p`` limit which environments and platforms are re-solved; the rest of the lock is
  kept as it is. The manifest is never edited.
- ``upgrade [PKG...]`` raises the manifest's pins: each named dependency (all of a feature's
  when none is named) is solved without its version constraint, then pinned to what was
  solved exactly as `add` pins (``>=lowest,<next major``), and the lock updated.

Both return what changed per environment and platform (`lock_diff.diff_locks`), and with
``dry_run`` change no file: the work is done inside an edit transaction that is then rolled
back, so a dry run answers with exactly what a real run would write. The CLI renders.

Lesson: Episode 2 ("The lock file": updating on purpose). Read after `app/add.py`; read next
`app/run.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

from minipixi.app.add import save_manifest, solved_pypi_versions, solved_versions
from minipixi.app.project import Project, existing_lock, refresh
from minipixi.app.relock import LockUpdate, compute_lock, write_lock
from minipixi.app.workspace_lock import edit_transaction, workspace_lock
from minipixi.errors import ManifestError
from minipixi.lock.diff import LockDiff, PackageChange, describe, diff_locks
from minipixi.lock.model import lock_platform_names, normalize_pypi_name
from minipixi.lock.satisfiability import matched_platform_names
from minipixi.manifest.edit import Draft
from minipixi.manifest.edit_dependencies import add_dependencies, add_pypi_dependencies
from minipixi.manifest.pins import solved_pin


@dataclass
class UpdateResult:
    """What `update`/`upgrade` did (or, with a dry run, would do): the lock's changes as
    `lock_diff.diff_locks` finds them, and the pins `upgrade` wrote."""

    diff: LockDiff = field(default_factory=LockDiff)
    lock_changed: bool = False
    manifest_edits: list[str] = field(default_factory=list)  # `name spec` as written (upgrade)
    dry_run: bool = False

    @property
    def changes(self) -> list[tuple[str, str, PackageChange]]:
        """(environment, lock platform, change) for every change, sorted."""
        return list(self.diff.changes())

    def to_json(self) -> dict:
        """Pixi's ``update --json`` shape: per environment, per platform, the changed packages."""
        environments: dict[str, dict[str, list[dict]]] = {}
        for env, platform, change in self.diff.changes():
            environments.setdefault(env, {}).setdefault(platform, []).append({
                "name": change.name, "type": change.package_type, "kind": change.kind,
                "before": describe(change.before) or None, "after": describe(change.after) or None,
            })
        out = {"version": 1, "environment": environments, "dry_run": self.dry_run}
        if self.manifest_edits:
            out["manifest"] = list(self.manifest_edits)
        return out


class _RollBack(Exception):
    """Raised inside an edit transaction to undo a dry run (carries its result)."""

    def __init__(self, result: UpdateResult):
        super().__init__("dry run")
        self.result = result


# ---- update ---------------------------------------------------------------------------------------

# --8<-- [start:update]
def update(project, packages: Sequence[str] = (), *, environments: Sequence[str] = (),
           platforms: Sequence[str] = (), dry_run: bool = False,
           on_solve: Callable[[str, str], None] = lambda env, platform: None) -> UpdateResult:
    """`minipixi update`: re-solve the selected environments and platforms with `packages`
    freed from the lock (all of them when none is named). See the module docstring."""
    def work() -> UpdateResult:
        result, relocked = _update(project, packages, environments, platforms, on_solve)
        if relocked.changed:
            write_lock(project, relocked.lock)
        return result

    return _transaction(project, dry_run, work)


def _transaction(project: Project, dry_run: bool, work: Callable[[], UpdateResult]) -> UpdateResult:
    """Run `work` holding the workspace's edit transaction (on the manifest as it is now: read
    again if another command changed it); a dry run is rolled back, so no file changes, and
    still returns what it would have done."""
    try:
        with workspace_lock(project.root):
            refresh(project)
            with edit_transaction(project.workspace.path, before=project.manifest_bytes):
                result = work()
                result.dry_run = dry_run
                if dry_run:
                    raise _RollBack(result)
                return result
    except _RollBack as rolled:
        return rolled.result


def _update(project, packages, environments, platforms, on_solve) -> tuple[UpdateResult, LockUpdate]:
    """The lock with `packages` freed in the selected pairs, computed in memory, and its diff."""
    ws = project.workspace
    old = existing_lock(project)
    pairs = _selected_pairs(ws, environments, platforms)
    if packages:
        _check_known(ws, old, packages, pairs)
    prefer = _freed(old, pairs, packages, ws) if old is not None else None
    relocked = compute_lock(project, on_solve=on_solve, resolve=pairs, prefer=prefer)
    return UpdateResult(diff=diff_locks(old, relocked.lock), lock_changed=relocked.changed), relocked


def _selected_pairs(ws, environments: Sequence[str], platforms: Sequence[str]) -> list[tuple[str, str]]:
    for env in environments:
        ws.environment(env)  # a clear error naming the known ones
    known = [entry.name for entry in ws.platforms]
    wanted = set()
    for platform in platforms:  # a platform entry's name, or a bare subdir (all its entries)
        matching = [entry.name for entry in ws.platforms if platform in (entry.name, entry.subdir)]
        if not matching:
            raise ManifestError(f"platform '{platform}' is not one of the workspace's platforms",
                                where=str(ws.path), hint=f"choose from: {', '.join(known)}")
        wanted.update(matching)
    chosen = environments or list(ws.environments)
    return [(env, platform) for env in chosen for platform in ws.environment_platforms(env)
            if not platforms or platform in wanted]


def _check_known(ws, old, packages: Sequence[str], pairs) -> None:
    """Pixi refuses to update a package that neither the manifest nor the lock has."""
    known = set()
    for env, platform in pairs:
        known.update(ws.resolve(env, platform).dependencies)
        if old is not None and env in old.environments:
            for package in old.environments[env].packages.get(lock_platform_names(ws)[platform], ()):
                known.add(package.name)
            for locked in old.environments[env].packages.values():
                known.update(p.name for p in locked)
    missing = [name for name in packages if name not in known]
    if missing:
        raise ManifestError(f"cannot update {', '.join(missing)}: not a dependency of the selected "
                            "environments, and not in their lock",
                            where=str(ws.path), hint="check the name, or leave it out to update everything")


def _freed(old, pairs, packages: Sequence[str], ws):
    """`old` with the freed packages taken out of the selected pairs (the solver's preferences)."""
    names = {**lock_platform_names(ws), **matched_platform_names(ws, old)}
    freed = set(packages)
    environments = dict(old.environments)
    for env, platform in pairs:
        if env not in environments:
            continue
        locked = environments[env]
        name = names[platform]
        kept = tuple(p for p in locked.packages.get(name, ()) if freed and p.name not in freed)
        environments[env] = replace(locked, packages={**locked.packages, name: kept})
    return replace(old, environments=environments)
# --8<-- [end:update]


# ---- upgrade --------------------------------------------------------------------------------------

# --8<-- [start:upgrade]
def upgrade(project: Project, packages: Sequence[str] = (), *, feature: str | None = None,
            exclude: Sequence[str] = (), dry_run: bool = False,
            on_solve: Callable[[str, str], None] = lambda env, platform: None) -> UpdateResult:
    """`minipixi upgrade`: raise the pins of `packages` (every dependency of `feature`, default
    feature when None, if none is named; less those in `exclude`) to the newest versions that
    solve, then update. As `add` does, the manifest is edited in memory (unpinned, solved,
    pinned) and each file written once."""
    def work() -> UpdateResult:
        ws = project.workspace
        table = ws.features.get(feature or "default")
        if table is None:
            raise ManifestError(f"feature '{feature}' is not in the manifest", where=str(ws.path),
                                hint=f"choose from: {', '.join(sorted(ws.features))}")
        current = dict(table.default.dependencies)
        wheels = {n: d for n, d in table.default.pypi_dependencies.items() if _plain_pypi(d)}
        names = list(packages) or [*current, *(n for n in wheels if n not in current)]
        missing = [n for n in [*names, *exclude] if n not in current and n not in wheels]
        if missing:
            raise ManifestError(
                f"cannot upgrade {', '.join(missing)}: not in the [dependencies] or [pypi-dependencies] of "
                f"{'feature ' + repr(feature) if feature else 'the workspace'}",
                where=str(ws.path), hint="`upgrade` raises pins that exist; `add` adds new ones")
        pypi = [n for n in names if n not in current and n not in exclude]
        names = [n for n in names if n in current and current[n].source is None and n not in exclude]
        envs = [e for e, env in ws.environments.items()
                if (feature is None and not env.no_default_feature) or (feature and feature in env.features)]
        draft = Draft.of(ws.path, project.manifest_bytes, ws)
        if names:  # unpinned, keeping what Pixi keeps: the channel and a wildcard build
            add_dependencies(draft, [_written(current[n], None) for n in names], feature=feature)
            project.workspace = draft.workspace
        if pypi:  # unpinned, keeping the extras and the markers
            add_pypi_dependencies(draft, [_pypi_written(n, wheels[n]) for n in pypi], feature=feature)
            project.workspace = draft.workspace
        old = existing_lock(project)
        in_lock = {p.name for env in (old.environments.values() if old else ()) for ps in env.packages.values()
                   for p in ps}  # (a PyPI name that conda provides is not locked as PyPI)
        freed = [*names, *(n for n in map(normalize_pypi_name, pypi) if n in in_lock)]
        result, relocked = _update(project, freed, envs, (), on_solve)
        lock = relocked.lock
        pins, edits = [], []
        pypi_pins = {}
        for name in pypi:
            span = solved_pypi_versions(lock, envs, name)
            if span:
                pypi_pins[name] = solved_pin(*span, name)
                edits.append(f"{name} {', '.join(pypi_pins[name].split(','))}")
        if pypi_pins:
            add_pypi_dependencies(draft, [_pypi_written(n, wheels[n]) for n in pypi_pins], feature=feature,
                                  pins=pypi_pins)
            project.workspace = draft.workspace
        for name in names:
            span = solved_versions(lock, envs, name)
            version = solved_pin(*span, name) if span else current[name].version
            pins.append(_written(current[name], version))
            if version != current[name].version:
                edits.append(f"{name} {version}")
        if pins:
            add_dependencies(draft, pins, feature=feature)
            project.workspace = draft.workspace
        if pins or pypi_pins:
            relocked = compute_lock(project, old=lock)  # the pins fit what was solved: no solve
        save_manifest(project, draft)
        if relocked.changed:
            write_lock(project, relocked.lock)
        result.manifest_edits = edits
        return result

    return _transaction(project, dry_run, work)
# --8<-- [end:upgrade]


def _plain_pypi(dependency) -> bool:
    """A PyPI dependency `upgrade` can re-pin: a version, or a table of version, extras and
    env-markers (not a path, git or URL)."""
    raw = getattr(dependency, "requirement", dependency)
    return isinstance(raw, str) and "@" not in raw and not raw[:1].isalpha() or \
        isinstance(raw, dict) and set(raw) <= {"version", "extras", "env-markers"}


def _pypi_written(name: str, dependency) -> str:
    """The PEP 508 text `add --pypi` takes for `dependency` without its version."""
    raw = getattr(dependency, "requirement", dependency)
    extras = raw.get("extras") if isinstance(raw, dict) else None
    marker = raw.get("env-markers") if isinstance(raw, dict) else None
    return name + (f"[{','.join(extras)}]" if extras else "") + (f"; {marker}" if marker else "")


def _written(dep, version: str | None) -> str:
    """The spec text `add` takes for `dep` with `version`: Pixi's upgrade keeps a dependency's
    channel and a build with a wildcard, and drops the other fields (an exact build, hashes)."""
    keep = []
    if version:
        keep.append(f"version='{version}'")
    if dep.build and "*" in dep.build:
        keep.append(f"build='{dep.build}'")
    prefix = f"{dep.channel}::" if dep.channel else ""
    if not prefix and not (dep.build and "*" in dep.build):
        return f"{dep.name} {version}" if version else dep.name
    return f"{prefix}{dep.name}[{', '.join(keep)}]" if keep else f"{prefix}{dep.name}"
