"""The lock area of the command line: ``lock`` (and ``lock --check``), ``update`` and ``upgrade``.

Each handler opens the project once, calls its pipeline (`app/relock.py`, `app/update.py`) and
renders the result: what changed per environment and platform (`lock/diff.py`), and with
``--explain`` what brought each package in and what held its version (`app/why.py`).

Read after `commands/manifest.py`; read next `commands/environment.py`.
"""

from __future__ import annotations

import argparse
import json

from minipixi.commands.common import lock_options, open_project, out, solving, status
from minipixi.errors import LockError


def cmd_lock(args: argparse.Namespace) -> int:
    from minipixi.app.relock import check_lock, update_lock  # lazy: the solver loads numba

    project = open_project(args)
    if args.check:
        reasons = check_lock(project)
        if reasons:
            status("✘ pixi.lock is out of date:")
            for reason in reasons:
                status(f"  - {reason}")
            return 1
        status("✔ pixi.lock is up to date")
        return 0
    previous = _previous_lock(project)
    result = update_lock(project, on_solve=solving)
    status("✔ Lock-file was updated" if result.changed else "✔ Lock-file was already up-to-date")
    if result.changed:
        _print_lock_diff(previous, result.lock)
    if args.explain:
        explain_solve(project, result.lock)
    return 0


def explain_option(parser: argparse.ArgumentParser, *, after: bool = True) -> None:
    """``--explain`` (`explain_solve`), on ``lock`` or after a command that changed the lock."""
    parser.add_argument("--explain", action="store_true", help=("then say" if after else "say")
                        + ", for each package, what brought it in and what limited its version")


def explain_solve(project, lock, environments=None) -> None:
    """--explain: for each package, what brought it in and what held its version (why.py)."""
    from minipixi.app.why import explain_lock, render_reasons  # lazy: reads channels, loads the solver

    names = environments or list(project.workspace.environments)
    out(render_reasons(explain_lock(project, lock, names)))


def _previous_lock(project):
    """The lock before a command changes it (None when there is none or it is unreadable)."""
    from minipixi.app.project import existing_lock  # lazy: reads YAML and TOML

    try:
        return existing_lock(project)
    except LockError:
        return None


def _print_lock_diff(previous, current) -> None:
    """What changed per environment and platform, as Pixi prints it after lock/add/update."""
    from minipixi.lock.diff import diff_locks, render_diff  # lazy: the lock reader loads YAML

    text = render_diff(diff_locks(previous, current))
    if text:
        status(text.rstrip("\n"))


def _render_update(result) -> int:
    """`update`/`upgrade` output: the pins written, then what moved (`lock/diff.py`)."""
    from minipixi.lock.diff import render_diff  # lazy: the lock reader loads YAML

    for edit in result.manifest_edits:
        status(f"{'Would pin' if result.dry_run else 'Pinned'} {edit} in the manifest")
    if result.diff.is_empty():
        status("✔ Lock-file was already up-to-date")
        return 0
    out(render_diff(result.diff).rstrip("\n"))
    status("(dry run: nothing was written)" if result.dry_run else "✔ Lock-file was updated")
    return 0


def cmd_update(args: argparse.Namespace) -> int:
    from minipixi.app.project import existing_lock  # lazy: reads YAML and TOML
    from minipixi.app.update import update  # lazy: the solver loads numba

    project = open_project(args)
    result = update(project, args.packages, environments=args.environment,
                    platforms=args.platform, dry_run=args.dry_run, on_solve=solving)
    if args.json:
        out(json.dumps(result.to_json(), indent=2))
        return 0
    code = _render_update(result)
    if args.explain and not args.dry_run:
        explain_solve(project, existing_lock(project), args.environment or None)
    return code


def cmd_upgrade(args: argparse.Namespace) -> int:
    from minipixi.app.update import upgrade  # lazy: the solver loads numba

    project = open_project(args)
    result = upgrade(project, args.packages, feature=args.feature, exclude=args.exclude,
                     dry_run=args.dry_run, on_solve=solving)
    if args.json:
        out(json.dumps(result.to_json(), indent=2))
        return 0
    return _render_update(result)


def register_lock_commands(sub: argparse._SubParsersAction) -> None:
    lock = sub.add_parser("lock", help="solve the workspace and write pixi.lock")
    lock.add_argument("--check", action="store_true", help="only check that pixi.lock is up to date (exit 1 if not)")
    explain_option(lock, after=False)
    lock_options(lock, policy=False)
    lock.set_defaults(handler=cmd_lock)
    update = sub.add_parser("update", help="re-solve packages within the manifest's constraints (the named ones, or all)")
    update.add_argument("packages", nargs="*", metavar="PACKAGE", help="packages to free from the lock (default: all)")
    update.add_argument("-e", "--environment", action="append", default=[], help="only this environment (repeatable)")
    update.add_argument("-p", "--platform", action="append", default=[],
                        help="only this platform: an entry's name or a conda subdir (repeatable)")
    _moving_options(update, "updating")
    explain_option(update)
    lock_options(update, policy=False)
    update.set_defaults(handler=cmd_update)
    upgrade = sub.add_parser("upgrade", help="raise the manifest's pins to the newest versions that solve, then update")
    upgrade.add_argument("packages", nargs="*", metavar="PACKAGE", help="dependencies to upgrade (default: all of the feature)")
    upgrade.add_argument("-f", "--feature", help="the feature whose dependencies to upgrade (default: the default feature)")
    upgrade.add_argument("--exclude", action="append", default=[], metavar="PACKAGE",
                         help="leave this dependency's pin as it is (repeatable)")
    _moving_options(upgrade, "upgrading")
    lock_options(upgrade, policy=False)
    upgrade.set_defaults(handler=cmd_upgrade)


def _moving_options(parser: argparse.ArgumentParser, doing: str) -> None:
    """The options `update` and `upgrade` share: --no-install, --dry-run, --json."""
    parser.add_argument("--no-install", action="store_true",
                        help=f"accepted for pixi's sake: minipixi installs nothing while {doing} (it solves no PyPI)")
    parser.add_argument("-n", "--dry-run", action="store_true", help="show what would change; write nothing")
    parser.add_argument("--json", action="store_true", help="the changes as JSON (stdout)")
