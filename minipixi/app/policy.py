"""The lock policy: may a command update pixi.lock, or must it take the lock as it is?

Every command that needs locked packages (``install``, ``run``, ``shell``, ``list``, ``tree``,
``why``, the exports) asks here, with one of three modes, as Pixi's flags say:

- ``default``: update the lock where it is out of date (`app/relock.py`), then use it;
- ``locked`` (``--locked``): the lock must already be up to date; an error lists why it is not;
- ``frozen`` (``--frozen``): use the lock exactly as it is, whatever the manifest says (it
  must exist: ``--frozen`` never creates one).

`lock_for` is the whole policy; `records_for` then takes one environment's packages for one
platform out of that lock.

Lesson: Episode 2 ("pixi install --locked / --frozen"). Read after `app/relock.py`; read next
`app/sync.py`.
"""

from __future__ import annotations

from minipixi.app.project import LOCK_NAME, Project, existing_lock, host_platform_entry
from minipixi.app.relock import OnSolve, no_progress, check_lock, update_lock
from minipixi.errors import LockError, MinipixiError
from minipixi.lock.model import lock_platform_names
from minipixi.records import PackageRecord

MODES = ("default", "locked", "frozen")


def mode_of(*, locked: bool = False, frozen: bool = False) -> str:
    """The mode a command's ``--locked`` / ``--frozen`` flags choose."""
    return "frozen" if frozen else "locked" if locked else "default"


# --8<-- [start:lock_for]
def lock_for(project: Project, mode: str = "default", *, on_solve: OnSolve = no_progress):
    """The lock a command works from, after the policy `mode` (see the module)."""
    if mode == "frozen":
        lock = existing_lock(project)
        if lock is None:
            raise LockError(f"{LOCK_NAME} does not exist, and --frozen never creates it",
                            where=str(project.lock_path), hint="run `minipixi lock` first")
        return lock
    if mode == "locked":
        reasons = check_lock(project)
        if reasons:
            raise LockError(
                f"{LOCK_NAME} is out of date with {project.workspace.path.name} ({reasons[0]}), "
                "and --locked forbids updating it",
                where=str(project.lock_path), details="\n".join(f"  - {r}" for r in reasons),
                hint="run `minipixi lock` and commit pixi.lock, or drop --locked",
            )
        return existing_lock(project)
    return update_lock(project, on_solve=on_solve).lock
# --8<-- [end:lock_for]


def records_for(project: Project, environment: str, platform: str | None = None, mode: str = "default", *,
                on_solve: OnSolve = no_progress) -> tuple[str, list[PackageRecord]]:
    """(platform entry, locked records) of `environment` after the policy `mode`.

    Without `platform`: this machine's entry, and the records are the ones to install, so a
    lock that pins source packages (which minipixi cannot build) is refused. With one (``-p``):
    that entry's records, to look at.
    """
    ws = project.workspace
    ws.environment(environment)  # a clear error for an unknown environment
    installing = platform is None
    if not installing and platform not in ws.environment_platforms(environment):
        raise MinipixiError(f"environment '{environment}' does not have the platform '{platform}'",
                        where=str(ws.path), hint="choose one of: " + ", ".join(ws.environment_platforms(environment)))
    lock = lock_for(project, mode, on_solve=on_solve)
    platform = host_platform_entry(project, environment) if installing else platform
    name = lock_platform_names(ws)[platform]
    env_lock = lock.environments.get(environment)
    if env_lock is None or name not in env_lock.packages:
        raise LockError(f"{LOCK_NAME} has no packages for environment '{environment}' on {name}",
                        where=str(project.lock_path),
                        hint="run `minipixi lock`" if installing else "run `minipixi lock` to bring it up to date")
    packages = env_lock.conda_packages(name)
    source = [p for p in packages if p.is_source]
    if installing and source:
        names = ", ".join(sorted(p.record.name for p in source))
        raise LockError(
            f"{LOCK_NAME} locks source packages for environment '{environment}' on {name} ({names}); "
            "building/installing source packages is not supported by minipixi",
            where=str(project.lock_path),
            hint="install this environment with pixi, or depend on a built package from a channel instead")
    return platform, [p.record for p in packages]
