"""Add and remove: ``minipixi add numpy`` from the manifest to an installed prefix, in one place.

`add` reads top to bottom, holding the workspace lock throughout:

1. **edit** pixi.toml in memory (`manifest/edit.py`'s `Draft`): the new specs, ``*`` for a
   spec without a version; nothing is written yet;
2. **relock**: compute the lock the edited manifest needs (`app/relock.py`), in memory;
3. **pin**: a spec given without a version gets the range of what was solved, as Pixi pins it
   (``numpy = ">=2.3.0,<3"``: `manifest/pins.py`), and the lock is checked against the pinned
   manifest (what was solved fits the pins, so nothing is solved again);
4. **write** pixi.toml, then pixi.lock, each once; if anything fails up to here (no solution,
   Ctrl-C, a full disk), both files are put back byte for byte (`app/workspace_lock.py`);
5. **install** the environments that use the changed feature (`app/sync.py`). An install this
   machine cannot do (no GPU for a CUDA environment) keeps the edit: the manifest and its lock
   agree, and the result says which environment was skipped and why.

``add --pypi`` takes the same steps for ``[pypi-dependencies]`` (`_add_pypi`): the relock
resolves them on top of the conda solve (`app/pypi_lock.py`), and the install puts the wheels
into site-packages (`app/pypi_sync.py`).

The project was read once (`app/project.py`) and every step works on it, so pixi.toml is read
once and pixi.lock written at most once. `remove` takes the same path back: edit, relock,
write each file once, install (so what it removed leaves pixi.lock and the prefix too), with
the lock policy of ``--locked`` / ``--frozen`` (`app/policy.py`).

Lesson: Episode 2 (``pixi add``). Read after `app/sync.py`; read next `app/update.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

from minipixi.app.policy import lock_for
from minipixi.app.project import Project, host_platform_entry, lock_bytes, refresh, remember_manifest
from minipixi.app.relock import OnSolve, compute_lock, no_progress, write_lock
from minipixi.app.sync import install_environment
from minipixi.app.workspace_lock import edit_transaction, workspace_lock
from minipixi.errors import InstallError
from minipixi.manifest.edit import Draft, write_text_atomic
from minipixi.lock.model import normalize_pypi_name
from minipixi.manifest.edit_dependencies import (
    AddedDependency, add_dependencies, add_pypi_dependencies, remove_dependencies,
)
from minipixi.manifest.pins import solved_pin
from minipixi.version import Version

PYPI_TABLE = "pypi-dependencies"


@dataclass
class AddResult:
    """What `add` did: the dependencies as written (pinned), the environments installed, and
    those skipped because this machine cannot run them (with the reason)."""

    added: list[AddedDependency]
    lock: object = None  # the lock after the edit (None when it was not updated)
    installed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, InstallError]] = field(default_factory=list)


# --8<-- [start:add]
def add(project: Project, specs: Sequence[str], *, feature: str | None = None, platforms: Sequence[str] = (),
        table: str = "dependencies", relock: bool = True, install: bool = True, reporter=None,
        on_solve: OnSolve = no_progress) -> AddResult:
    """``minipixi add SPECS``: edit, relock, pin, write, install (see the module)."""
    with workspace_lock(project.root):
        refresh(project)  # another command may have changed pixi.toml since we read it
        with edit_transaction(project.workspace.path, before=project.manifest_bytes,
                              lock_before=(lock_bytes(project),)):
            draft = Draft.of(project.workspace.path, project.manifest_bytes, project.workspace)
            if table == PYPI_TABLE:
                return _add_pypi(project, draft, specs, feature=feature, platforms=platforms, relock=relock,
                                 install=install, reporter=reporter, on_solve=on_solve)
            added = add_dependencies(draft, specs, feature=feature, platforms=platforms, table=table)
            if not relock:  # --no-lockfile-update: the edit alone
                save_manifest(project, draft)
                return AddResult(added)
            lock = None
            if table == "dependencies":  # host and build dependencies are locked by the install
                project.workspace = draft.workspace
                update = compute_lock(project, on_solve=on_solve)
                pins = _pins(update.lock, _environments_of(project, feature), added[: len(specs)])
                if pins:
                    repinned = add_dependencies(draft, pins, feature=feature, platforms=platforms, table=table)
                    by_name = {item.spec.name: item for item in repinned}
                    added = [by_name.get(item.spec.name, item) for item in added]
                    project.workspace = draft.workspace
                    update = compute_lock(project, old=update.lock)  # the pins fit: nothing to solve
                lock = update.lock
            save_manifest(project, draft)
            if lock is not None and update.changed:
                write_lock(project, lock)
        result = AddResult(added, lock)
        if install:
            _install(project, feature, result, reporter)
        return result
# --8<-- [end:add]


def _add_pypi(project: Project, draft: Draft, specs: Sequence[str], *, feature, platforms, relock: bool,
              install: bool, reporter, on_solve: OnSolve) -> AddResult:
    """``add --pypi``: the same steps for [pypi-dependencies] (called inside `add`'s workspace
    lock and edit transaction). A requirement without a version is resolved with ``*`` first
    and then pinned as Pixi pins PyPI packages (``>=2.32.3, <3``)."""
    added = add_pypi_dependencies(draft, specs, feature=feature, platforms=platforms)
    if not relock:
        save_manifest(project, draft)
        return AddResult(added)
    project.workspace = draft.workspace
    update = compute_lock(project, on_solve=on_solve)
    environments = _environments_of(project, feature)
    pins = {}
    for item in added:
        span = None if item.spec.version != "*" else solved_pypi_versions(update.lock, environments, item.spec.name)
        if span:
            pins[item.spec.name] = solved_pin(*span, item.spec.name)
    if pins:
        added = add_pypi_dependencies(draft, specs, feature=feature, platforms=platforms, pins=pins)
        project.workspace = draft.workspace
        update = compute_lock(project, old=update.lock)  # the pins fit: nothing to resolve
    save_manifest(project, draft)
    if update.changed:
        write_lock(project, update.lock)
    result = AddResult(added, update.lock)
    if install:
        _install(project, feature, result, reporter)
    return result


def solved_pypi_versions(lock, environments: Iterable[str], name: str) -> tuple[str, str] | None:
    """The lowest and highest version of PyPI package `name` that `lock` holds in `environments`."""
    wanted = normalize_pypi_name(name)
    found = [p.version for env in environments if env in lock.environments
             for platform in lock.environments[env].packages
             for p in lock.environments[env].pypi_packages(platform) if normalize_pypi_name(p.name) == wanted]
    if not found:
        return None
    ordered = sorted(found, key=Version)
    return ordered[0], ordered[-1]


def save_manifest(project: Project, draft: Draft) -> None:
    """Write the edited manifest (if the edit changed it) and remember it as the project's."""
    if draft.changed:
        write_text_atomic(draft.path, draft.text, draft.form)
        remember_manifest(project, draft.workspace, draft.encoded())


def _environments_of(project: Project, feature: str | None) -> list[str]:
    """The environments an edit of `feature` (None: the default feature) changes."""
    return [e for e, env in project.workspace.environments.items()
            if feature is None and not env.no_default_feature or feature in env.features]


def _pins(lock, environments: Sequence[str], added: Iterable[AddedDependency]) -> list[str]:
    """``name >=lowest,<next`` for each added spec without a version, from the versions solved
    for it across `environments` and their platforms."""
    pins = []
    for item in added:
        span = None if item.spec.version else solved_versions(lock, environments, item.spec.name)
        if span:
            pins.append(f"{item.spec.name} {solved_pin(*span, item.spec.name)}")
    return pins


def solved_versions(lock, environments: Iterable[str], name: str) -> tuple[str, str] | None:
    """The lowest and highest version of `name` that `lock` holds in `environments`."""
    found = [p.version for env in environments if env in lock.environments
             for packages in lock.environments[env].packages.values()
             for p in packages if getattr(p, "name", None) == name and hasattr(p, "record")]
    if not found:
        return None
    ordered = sorted(found, key=Version)
    return ordered[0], ordered[-1]


def _install(project: Project, feature: str | None, result: AddResult | RemoveResult, reporter,
             mode: str = "default") -> None:
    """Install what the edit changed, as pixi does: the default environment for the default
    feature, else the environments that use `feature`; only those this machine can run."""
    ws = project.workspace
    names = ["default"] if feature is None else [e for e, env in ws.environments.items() if feature in env.features]
    for name in names:
        try:
            host_platform_entry(project, name)
        except InstallError:
            continue  # an environment for other platforms only: nothing to install here
        try:
            install_environment(project, name, mode, reporter=reporter)
        except InstallError as err:
            if getattr(err, "required", None) is None:  # not "this machine lacks __cuda"
                raise
            result.skipped.append((name, err))  # the edit is right; only this machine cannot run it
            continue
        result.installed.append(name)


@dataclass
class RemoveResult:
    """What `remove` did: the names taken out, the lock after the edit (None when it was not
    updated), and the environments installed or skipped (as `AddResult` says)."""

    removed: list[str]
    lock: object = None
    installed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, InstallError]] = field(default_factory=list)


# --8<-- [start:remove]
def remove(project: Project, names: Sequence[str], *, feature: str | None = None, platforms: Sequence[str] = (),
           table: str = "dependencies", mode: str = "default", relock: bool = True, install: bool = True,
           reporter=None, on_solve: OnSolve = no_progress) -> RemoveResult:
    """``minipixi remove NAMES``: `add`'s steps the other way round: take the names out of
    the manifest in memory, relock, write pixi.toml then pixi.lock (each once, both put back if
    anything fails), then install the environments the feature is in, so the removed packages
    leave the prefix too. `mode` is the lock policy (`app/policy.py`): ``locked`` requires the
    lock to fit the edited manifest already, ``frozen`` keeps it as it is and installs from it;
    `relock` False (``--no-lockfile-update``) edits the manifest alone."""
    with workspace_lock(project.root):
        refresh(project)
        with edit_transaction(project.workspace.path, before=project.manifest_bytes,
                              lock_before=(lock_bytes(project),)):
            draft = Draft.of(project.workspace.path, project.manifest_bytes, project.workspace)
            removed = remove_dependencies(draft, names, feature=feature, platforms=platforms, table=table)
            update = None
            if relock and mode != "frozen":
                project.workspace = draft.workspace
                if mode == "locked":
                    lock_for(project, "locked")  # the lock must already fit, or this raises
                else:
                    update = compute_lock(project, on_solve=on_solve)
            save_manifest(project, draft)
            if update is not None and update.changed:
                write_lock(project, update.lock)
        result = RemoveResult(removed, update.lock if update is not None else None)
        if relock and install:
            _install(project, feature, result, reporter, mode)
        return result
# --8<-- [end:remove]
