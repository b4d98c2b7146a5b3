"""The command line: parse arguments, call the library, print the result.

This is the only module that prints, and the only one that imports every other module. Each
command is a small function `cmd_<name>(args) -> int` that calls one library function and
renders what it returns. Commands and flags follow `pixi` so that what a learner types here
also works with the real tool.

Errors are rendered in exactly one place, `main()`: a `MinipixiError` becomes
``error: ...`` / ``  --> file:line:col`` / ``help: ...`` on stderr and exit code 1; anything
else is a bug in minipixi and says so (the traceback only with ``-v``).

Start-up time matters in a classroom, so library modules are imported inside the command
functions, never at the top of this file: `minipixi --help` imports argparse and nothing else.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Callable, Sequence

from minipixi import PIXI_VERSION, __version__
from minipixi.errors import MinipixiError

Handler = Callable[[argparse.Namespace], int]


def _out(text: str = "") -> None:
    """Write a line of normal output (stdout)."""
    print(text)


def _status(text: str) -> None:
    """Write a progress / status line (stderr, like pixi), so stdout stays parseable."""
    print(text, file=sys.stderr)


_SHOWN_NOTICES: set[str] = set()
_NESTED = [False]  # True while the tour runs commands: notices then show once for the whole tour


def _whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high` (a bound on every number a user
    types: `--queue 10**30` is a usage error, not a script that asks for 10**30 jobs)."""

    def whole_number(text: str) -> int:
        text = text.strip()
        digits = text[1:] if text[:1] in ("+", "-") else text
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 12 or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high}, not {text[:40]!r}")
        return int(text)

    return whole_number


def _add_workspace_options(parser: argparse.ArgumentParser) -> None:
    """`--manifest-path`, shared by every command that reads a workspace."""
    parser.add_argument(
        "--manifest-path",
        metavar="PATH",
        help="the pixi.toml to use (default: search from the current directory upwards)",
    )


# --8<-- [start:commands]
# Each area registers its commands in its own function below; `build_parser` calls them all.
# Keep each function's commands together with their handlers.


# ---- area: manifest (init, add, remove, task, workspace ...) -------------------------------
def workspace_subcommands(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The subcommands of `minipixi workspace`, created once and shared by every area
    (manifest: platform/environment/system-requirements/migrate; export: export ...)."""
    if "workspace" not in sub.choices:
        ws = sub.add_parser("workspace", help="change the workspace: platforms, environments, exports")
        ws.add_subparsers(dest="workspace_command", metavar="COMMAND")
        ws.set_defaults(handler=lambda args, ws=ws: ws.print_help() or 0)
    parser = sub.choices["workspace"]
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def _manifest_path(args: argparse.Namespace):
    """--manifest-path, or the pixi.toml found from the current directory upwards."""
    from pathlib import Path

    from minipixi.manifest import find_manifest

    path = getattr(args, "manifest_path", None)
    return Path(path) if path else find_manifest(Path.cwd())


def _read_workspace(args: argparse.Namespace):
    """The manifest this command reads (and does not edit), its warnings shown once."""
    from minipixi.manifest import read_manifest

    workspace = read_manifest(_manifest_path(args))
    _warn_about(workspace)
    return workspace


def _warn_about(workspace) -> None:
    """Deprecated or ignored forms in the manifest, as Pixi warns about them on every command.
    (Unused features and targets stay quiet here, as in Pixi's output.)"""
    for warning in workspace.syntax_warnings:
        _announce(f"WARN {warning}")


def _dependency_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("specs", nargs="+", metavar="SPEC", help='package specs, e.g. numpy "numpy>=2"')
    parser.add_argument("-f", "--feature", help="the feature to change (default: the default feature)")
    parser.add_argument("-p", "--platform", action="append", default=[], help="only for this platform (repeatable)")
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--host", action="store_true", help="a host dependency")
    kind.add_argument("--build", action="store_true", help="a build dependency")
    kind.add_argument("--pypi", action="store_true", help="a PyPI dependency (kept, not solved by minipixi yet)")
    parser.add_argument("--no-lockfile-update", action="store_true",
                        help="do not solve: write specs without a version as *")
    parser.add_argument("--no-install", action="store_true",
                        help="update pixi.toml and pixi.lock, but do not install the environment")
    parser.add_argument("--offline", action="store_true", help="use the bundled teaching mirror of conda-forge")
    _add_workspace_options(parser)


def _only_for_lines(args: argparse.Namespace) -> None:
    if args.platform:
        _status(f"Added these only for platform(s): {', '.join(args.platform)}")
    if args.feature:
        _status(f"Added these only for feature: {args.feature}")


def cmd_init(args: argparse.Namespace) -> int:
    from pathlib import Path

    from minipixi.manifest.init import init_workspace

    manifest = init_workspace(Path(args.path), channels=args.channel, platforms=args.platform,
                              import_environment=args.import_file, format=args.format)
    _status(f"✔ Created {manifest.resolve()}")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    # Edit, relock and install hold the workspace lock throughout; the edit and relock are
    # undone byte for byte if either fails or is interrupted (see workspace_lock.py).
    from minipixi.app.workspace_lock import workspace_lock

    with workspace_lock(_manifest_path(args).absolute().parent):
        return _add(args)


def _add(args: argparse.Namespace) -> int:
    from minipixi.manifest.edit_dependencies import add_dependencies, dependency_table_name
    from minipixi.manifest.specs import describe_spec
    from minipixi.app.workspace import add_and_pin

    path = _manifest_path(args)
    table = dependency_table_name(host=args.host, build=args.build, pypi=args.pypi)
    if args.no_lockfile_update or args.pypi:
        added = add_dependencies(path, args.specs, feature=args.feature, platforms=args.platform, table=table)
    else:
        from minipixi.config import OFFLINE_NOTICE

        if args.offline or _offline_configured(path):
            _announce(OFFLINE_NOTICE)
        added = add_and_pin(path.absolute(), args.specs, feature=args.feature, platforms=args.platform,
                            table=table, offline=args.offline)
    for item in added[: len(args.specs)]:
        _status(f"✔ Added {describe_spec(item.spec)}")
    _only_for_lines(args)
    if args.pypi:
        _status("note: minipixi keeps [pypi-dependencies] but cannot solve them yet")
    elif not (args.no_lockfile_update or getattr(args, "no_install", False)):
        from minipixi.app.workspace import environments_to_install_after_edit, install_environment

        from minipixi.errors import InstallError

        project = _open_project(args)
        for env in environments_to_install_after_edit(project, args.feature):
            try:
                install_environment(project, env, reporter=_ProgressReporter())
            except InstallError as err:
                if getattr(err, "required", None) is None:  # not "this machine lacks __cuda"
                    raise
                # The edit is right and the lock is solved for the declared platform: only
                # this machine cannot run it. Say what was kept and what was skipped.
                _status(f"✔ Updated pixi.toml and pixi.lock (environment '{env}' is solved and locked)")
                _status(f"note: installing environment '{env}' was skipped: {err.message}")
                _status(f"help: {err.hint} (then `minipixi install -e {env}`)")
    if getattr(args, "explain", False) and not (args.no_lockfile_update or args.pypi):
        from minipixi.app.workspace import read_existing_lock

        project = _open_project(args)
        _explain_solve(project, read_existing_lock(project))
    return 0


def _offline_configured(manifest) -> bool:
    from minipixi.config import load_config

    return load_config(manifest.parent).offline


def cmd_remove(args: argparse.Namespace) -> int:
    from minipixi.manifest.edit_dependencies import dependency_table_name, remove_dependencies

    table = dependency_table_name(host=args.host, build=args.build, pypi=args.pypi)
    for name in remove_dependencies(_manifest_path(args), args.specs, feature=args.feature,
                                    platforms=args.platform, table=table):
        _status(f"✔ Removed {name}")
    return 0


def cmd_task_add(args: argparse.Namespace) -> int:
    from minipixi.manifest.edit_tasks import add_task, describe_task

    bad = [item for item in args.env if "=" not in item]
    if bad:
        raise MinipixiError(f"--env {bad[0]} has no '='", hint="write --env NAME=VALUE")
    env = dict(item.split("=", 1) for item in args.env)
    task = add_task(_manifest_path(args), args.name, " ".join(args.cmd) or None, depends_on=args.depends_on,
                    description=args.description, cwd=args.cwd, env=env, feature=args.feature,
                    platform=args.platform, clean_env=args.clean_env, args=args.arg)
    _status(f"✔ Added task {describe_task(task)}")
    return 0


def cmd_task_remove(args: argparse.Namespace) -> int:
    from minipixi.manifest.edit_tasks import remove_task

    for name in remove_task(_manifest_path(args), args.names, feature=args.feature, platform=args.platform):
        _status(f"✔ Removed task `{name}`")
    return 0


def cmd_task_list(args: argparse.Namespace) -> int:
    from minipixi.manifest.resolve import list_tasks

    tasks = list_tasks(_read_workspace(args), args.environment)
    if not tasks:
        _status("No tasks found")
    width = max((len(name) for name in tasks), default=0)
    for name, task in tasks.items():
        cmd = " ".join(task.cmd) if isinstance(task.cmd, tuple) else task.cmd
        _out(f"{name.ljust(width)}  {task.description or cmd or ''}".rstrip())
    return 0


def cmd_platform(args: argparse.Namespace) -> int:
    from minipixi.manifest.edit_workspace import add_platforms, remove_platforms

    path = _manifest_path(args)
    if args.action == "list":
        for entry in _read_workspace(args).platforms:
            extra = ", ".join(f"{k} = {v}" for k, v in entry.virtual.items())
            _out(entry.name + (f" ({entry.subdir}{', ' + extra if extra else ''})" if entry.rich else ""))
        return 0
    if args.action == "add":
        virtual = {key: getattr(args, key) for key in ("cuda", "glibc", "linux", "macos", "windows", "archspec")}
        added = add_platforms(path, args.platforms, feature=args.feature, virtual=virtual)
        for name in added if any(virtual.values()) or any("=" in p for p in args.platforms) else args.platforms:
            _status(f"✔ Added {name}")
    else:
        for name in remove_platforms(path, args.platforms, feature=args.feature):
            _status(f"✔ Removed {name}")
    return 0


def cmd_environment(args: argparse.Namespace) -> int:
    from minipixi.manifest.edit_workspace import add_environment, remove_environment

    path = _manifest_path(args)
    if args.action == "list":
        for env in _read_workspace(args).environments.values():
            group = f" (solve-group: {env.solve_group})" if env.solve_group else ""
            _out(f"- {env.name}: {', '.join(env.feature_names())}{group}")
    elif args.action == "add":
        add_environment(path, args.name, args.feature, solve_group=args.solve_group,
                        no_default_feature=args.no_default_feature, force=args.force)
        _status(f"✔ Added environment {args.name}")
    else:
        remove_environment(path, args.name)
        _status(f"✔ Removed environment {args.name}")
    return 0


def cmd_system_requirements(args: argparse.Namespace) -> int:
    from minipixi.manifest.edit_workspace import add_system_requirement

    path = _manifest_path(args)
    if args.action == "list":
        for name, feature in _read_workspace(args).features.items():
            for key, value in vars(feature.system_requirements).items():
                if value is not None and key != "libc_family":
                    _out(f"{name}: {key} = {value}")
        return 0
    add_system_requirement(path, args.kind, args.version, family=args.family, feature=args.feature)
    _status(f"✔ Added system requirement {args.kind} {args.version}")
    return 0


def cmd_channel(args: argparse.Namespace) -> int:
    from minipixi.manifest.edit_workspace import add_channels, remove_channels

    path = _manifest_path(args)
    if args.action == "list":
        ws = _read_workspace(args)
        for entry in ws.channels:
            _out(entry.channel + (f" (priority {entry.priority})" if entry.priority else ""))
        for name, feature in ws.features.items():
            for entry in feature.channels or ():
                _out(f"{entry.channel} (feature {name}" + (f", priority {entry.priority})" if entry.priority else ")"))
        return 0
    if args.action == "add":
        for name in add_channels(path, args.channels, feature=args.feature, priority=args.priority, prepend=args.prepend):
            _status(f"✔ Added {name}")
    else:
        for name in remove_channels(path, args.channels, feature=args.feature):
            _status(f"✔ Removed {name}")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from minipixi.manifest.migrate import migrate_system_requirements

    names = migrate_system_requirements(_manifest_path(args))
    _status("✔ Moved [system-requirements] onto the platform entries: " + ", ".join(names))
    return 0


def _register_workspace_manifest_commands(ws: argparse._SubParsersAction) -> None:
    platform = ws.add_parser("platform", help="add, remove or list the workspace platforms")
    for action, p in _actions(platform, "action", ("add", "remove", "list")).items():
        if action != "list":
            p.add_argument("platforms", nargs="+", metavar="PLATFORM", help="a subdir, or NAME=SUBDIR")
            p.add_argument("-f", "--feature", help="change the platforms of this feature")
        if action == "add":
            for key, example in (("cuda", "12"), ("glibc", "2.28"), ("linux", "5.10"), ("macos", "13.0"),
                                 ("windows", "10"), ("archspec", "x86_64_v3")):
                flags = ["--macos", "--osx"] if key == "macos" else [f"--{key}"]
                p.add_argument(*flags, dest=key, metavar="VERSION",
                               help=f"declare __{'osx' if key == 'macos' else key} (e.g. {example}) on this platform entry")
        _add_workspace_options(p)
        p.set_defaults(handler=cmd_platform)
    environment = ws.add_parser("environment", help="add, remove or list environments")
    for action, p in _actions(environment, "action", ("add", "remove", "list")).items():
        if action != "list":
            p.add_argument("name")
        if action == "add":
            p.add_argument("-f", "--feature", action="append", default=[], help="a feature of the environment")
            p.add_argument("--solve-group", help="solve together with the other environments of this group")
            p.add_argument("--no-default-feature", action="store_true", help="leave out the default feature")
            p.add_argument("--force", action="store_true", help="replace an existing environment")
        _add_workspace_options(p)
        p.set_defaults(handler=cmd_environment)
    system = ws.add_parser("system-requirements", help="the older [system-requirements] table")
    for action, p in _actions(system, "action", ("add", "list")).items():
        if action == "add":
            p.add_argument("kind", help="cuda, libc, linux, macos or archspec")
            p.add_argument("version")
            p.add_argument("--family", help="the libc family (default glibc)")
            p.add_argument("-f", "--feature", help="add it to this feature")
        _add_workspace_options(p)
        p.set_defaults(handler=cmd_system_requirements)
    channel = ws.add_parser("channel", help="add, remove or list channels")
    for action, p in _actions(channel, "action", ("add", "remove", "list")).items():
        if action != "list":
            p.add_argument("channels", nargs="+", metavar="CHANNEL")
            p.add_argument("-f", "--feature", help="change the channels of this feature")
        if action == "add":
            p.add_argument("--priority", type=_whole_number(-(2**31), 2**31 - 1), help="a higher priority is searched first")
            p.add_argument("--prepend", action="store_true", help="put the channels first")
        _add_workspace_options(p)
        p.set_defaults(handler=cmd_channel)
    migrate = ws.add_parser("migrate", help="rewrite [system-requirements] as rich platform entries")
    _add_workspace_options(migrate)
    migrate.set_defaults(handler=cmd_migrate)


def _actions(parser: argparse.ArgumentParser, dest: str, names: Sequence[str]) -> dict[str, argparse.ArgumentParser]:
    actions = parser.add_subparsers(dest=dest, metavar="ACTION", required=True)
    return {name: actions.add_parser(name) for name in names}


def _register_task_commands(sub: argparse._SubParsersAction) -> None:
    task = sub.add_parser("task", help="add, remove or list tasks")
    actions = _actions(task, "task_command", ("add", "remove", "list"))
    add = actions["add"]
    add.add_argument("name")
    add.add_argument("cmd", nargs="*", help="the command (words are joined with spaces)")
    add.add_argument("--depends-on", nargs="+", default=[], metavar="TASK")
    add.add_argument("--description")
    add.add_argument("--cwd")
    add.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    add.add_argument("--clean-env", action="store_true", help="run without the caller's environment variables")
    add.add_argument("--arg", action="append", default=[], metavar="NAME[=DEFAULT]",
                     help="a task argument, used as {{ NAME }} in the command (repeatable)")
    for name in ("add", "remove"):
        actions[name].add_argument("-f", "--feature")
        actions[name].add_argument("-p", "--platform")
    actions["remove"].add_argument("names", nargs="+", metavar="NAME")
    actions["list"].add_argument("-e", "--environment")
    for name, handler in (("add", cmd_task_add), ("remove", cmd_task_remove), ("list", cmd_task_list)):
        _add_workspace_options(actions[name])
        actions[name].set_defaults(handler=handler)


def register_manifest_commands(sub: argparse._SubParsersAction) -> None:
    init = sub.add_parser("init", help="create a new workspace (pixi.toml)")
    init.add_argument("path", nargs="?", default=".")
    init.add_argument("-c", "--channel", action="append", default=[], help="a channel (repeatable)")
    init.add_argument("-p", "--platform", action="append", default=[], help="a platform (repeatable)")
    init.add_argument("-i", "--import", dest="import_file", metavar="ENV_FILE", help="import an environment.yml")
    init.add_argument("--format", choices=["pixi", "pyproject"], default="pixi",
                      help="the manifest to write: pixi.toml, or [tool.pixi] in pyproject.toml")
    init.set_defaults(handler=cmd_init)
    add = sub.add_parser("add", help="add dependencies to the manifest")
    _dependency_options(add)
    add.add_argument("--explain", action="store_true",
                     help="then say, for each package, what brought it in and what limited its version")
    add.set_defaults(handler=cmd_add)
    remove = sub.add_parser("remove", aliases=["rm"], help="remove dependencies from the manifest")
    _dependency_options(remove)
    remove.set_defaults(handler=cmd_remove)
    _register_task_commands(sub)
    _register_workspace_manifest_commands(workspace_subcommands(sub))


# ---- area: lock (lock) -------------------------------------------------------------------
def _open_project(args: argparse.Namespace):
    """The workspace for this command, announcing (once) the offline teaching mirror and the
    manifest's deprecated forms."""
    from minipixi.app.workspace import open_project

    project = open_project(getattr(args, "manifest_path", None), offline=getattr(args, "offline", False))
    for notice in project.notices:
        _announce(notice)
    _warn_about(project.workspace)
    return project


def _announce(notice: str) -> None:
    """A notice, shown once per process: once per command, once per tour."""
    if notice not in _SHOWN_NOTICES:
        _SHOWN_NOTICES.add(notice)
        _status(notice)


def _lock_options(parser: argparse.ArgumentParser, *, policy: bool = True) -> None:
    _add_workspace_options(parser)
    parser.add_argument("--offline", action="store_true",
                        help="use the bundled teaching mirror of conda-forge and only cached repodata")
    if policy:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--locked", action="store_true",
                          help="fail if pixi.lock is out of date with pixi.toml (never update it)")
        mode.add_argument("--frozen", action="store_true",
                          help="use pixi.lock exactly as it is, without checking it against pixi.toml")


def _solving(env: str, platform: str) -> None:
    """Progress while solving: on a terminal only (like pixi's spinner), so logs stay clean."""
    if sys.stderr.isatty():
        _status(f"  solving {env} for {platform} ...")


def cmd_lock(args: argparse.Namespace) -> int:
    from minipixi.app.workspace import check_lock, update_lock

    project = _open_project(args)
    if args.check:
        reasons = check_lock(project)
        if reasons:
            _status("✘ pixi.lock is out of date:")
            for reason in reasons:
                _status(f"  - {reason}")
            return 1
        _status("✔ pixi.lock is up to date")
        return 0
    previous = _previous_lock(project)
    result = update_lock(project, on_solve=_solving)
    _status("✔ Lock-file was updated" if result.changed else "✔ Lock-file was already up-to-date")
    if result.changed:
        _print_lock_diff(previous, result.lock)
    if args.explain:
        _explain_solve(project, result.lock)
    return 0


def _explain_solve(project, lock, environments=None) -> None:
    """--explain: for each package, what brought it in and what held its version (why.py)."""
    from minipixi.app.why import explain_lock, render_reasons

    names = environments or list(project.workspace.environments)
    _out(render_reasons(explain_lock(project, lock, names)))


def _previous_lock(project):
    """The lock before a command changes it (None when there is none or it is unreadable)."""
    from minipixi.errors import LockError
    from minipixi.app.workspace import read_existing_lock

    try:
        return read_existing_lock(project)
    except LockError:
        return None


def _print_lock_diff(previous, current) -> None:
    """What changed per environment and platform, as Pixi prints it after lock/add/update."""
    from minipixi.lock.diff import diff_locks, render_diff

    text = render_diff(diff_locks(previous, current))
    if text:
        _status(text.rstrip("\n"))


def register_lock_commands(sub: argparse._SubParsersAction) -> None:
    lock = sub.add_parser("lock", help="solve the workspace and write pixi.lock")
    lock.add_argument("--check", action="store_true", help="only check that pixi.lock is up to date (exit 1 if not)")
    lock.add_argument("--explain", action="store_true",
                      help="say, for each package, what brought it in and what limited its version")
    _lock_options(lock, policy=False)
    lock.set_defaults(handler=cmd_lock)
    update = sub.add_parser("update", help="re-solve packages within the manifest's constraints (the named ones, or all)")
    update.add_argument("packages", nargs="*", metavar="PACKAGE", help="packages to free from the lock (default: all)")
    update.add_argument("-e", "--environment", action="append", default=[], help="only this environment (repeatable)")
    update.add_argument("-p", "--platform", action="append", default=[],
                        help="only this platform: an entry's name or a conda subdir (repeatable)")
    update.add_argument("--no-install", action="store_true",
                        help="accepted for pixi's sake: minipixi installs nothing while updating (it solves no PyPI)")
    update.add_argument("-n", "--dry-run", action="store_true", help="show what would change; write nothing")
    update.add_argument("--json", action="store_true", help="the changes as JSON (stdout)")
    update.add_argument("--explain", action="store_true",
                        help="then say, for each package, what brought it in and what limited its version")
    _lock_options(update, policy=False)
    update.set_defaults(handler=cmd_update)
    upgrade = sub.add_parser("upgrade", help="raise the manifest's pins to the newest versions that solve, then update")
    upgrade.add_argument("packages", nargs="*", metavar="PACKAGE", help="dependencies to upgrade (default: all of the feature)")
    upgrade.add_argument("-f", "--feature", help="the feature whose dependencies to upgrade (default: the default feature)")
    upgrade.add_argument("--exclude", action="append", default=[], metavar="PACKAGE",
                         help="leave this dependency's pin as it is (repeatable)")
    upgrade.add_argument("--no-install", action="store_true",
                         help="accepted for pixi's sake: minipixi installs nothing while upgrading (it solves no PyPI)")
    upgrade.add_argument("-n", "--dry-run", action="store_true", help="show what would change; write nothing")
    upgrade.add_argument("--json", action="store_true", help="the changes as JSON (stdout)")
    _lock_options(upgrade, policy=False)
    upgrade.set_defaults(handler=cmd_upgrade)


def _render_update(result) -> int:
    """`update`/`upgrade` output: the pins written, then what moved (`lock_diff.render_diff`)."""
    from minipixi.lock.diff import render_diff

    for edit in result.manifest_edits:
        _status(f"{'Would pin' if result.dry_run else 'Pinned'} {edit} in the manifest")
    if result.diff.is_empty():
        _status("✔ Lock-file was already up-to-date")
        return 0
    _out(render_diff(result.diff).rstrip("\n"))
    _status("(dry run: nothing was written)" if result.dry_run else "✔ Lock-file was updated")
    return 0


def cmd_update(args: argparse.Namespace) -> int:
    import json

    from minipixi.app.update import update

    result = update(_open_project(args), args.packages, environments=args.environment,
                    platforms=args.platform, dry_run=args.dry_run, on_solve=_solving)
    if args.json:
        _out(json.dumps(result.to_json(), indent=2))
        return 0
    code = _render_update(result)
    if args.explain and not args.dry_run:
        from minipixi.app.workspace import read_existing_lock

        project = _open_project(args)
        _explain_solve(project, read_existing_lock(project), args.environment or None)
    return code


def cmd_upgrade(args: argparse.Namespace) -> int:
    import json

    from minipixi.app.update import upgrade

    project = _open_project(args)
    result = upgrade(project.workspace.path, args.packages, feature=args.feature, exclude=args.exclude,
                     dry_run=args.dry_run,
                     offline=args.offline, on_solve=_solving)
    if args.json:
        _out(json.dumps(result.to_json(), indent=2))
        return 0
    return _render_update(result)


# ---- area: install and run (install, run, shell, shell-hook, list, tree, info, clean, global)
class _ProgressReporter:
    """Install progress on a terminal: one line, rewritten in place. Silent when piped."""

    def __init__(self) -> None:
        from minipixi.config import flag

        self.tty = sys.stderr.isatty() and not flag("PIXI_NO_PROGRESS")

    def _show(self, text: str) -> None:
        if self.tty:
            sys.stderr.write("\r\x1b[2K" + text)
            sys.stderr.flush()

    def on_transaction(self, transaction) -> None: ...
    def on_download_start(self, record, total) -> None: self._show(f"  downloading {record.name} {record.version}")
    def on_download_progress(self, record, done) -> None: ...
    def on_download_done(self, record) -> None: ...
    def on_extract_done(self, record) -> None: self._show(f"  extracted {record.name} {record.version}")
    def on_unlink(self, record) -> None: self._show(f"  removing {record.name} {record.version}")
    def on_link(self, record) -> None: self._show(f"  linking {record.name} {record.version}")
    def on_done(self, transaction) -> None: self._show("")


def _env_name(project, args: argparse.Namespace, task: str | None = None) -> str:
    from minipixi.app.workspace import default_environment_for_task

    return args.environment or default_environment_for_task(project, task)


def _install(project, env: str, args: argparse.Namespace):
    from minipixi.app.workspace import install_environment

    return install_environment(project, env, locked=getattr(args, "locked", False),
                               frozen=getattr(args, "frozen", False), reporter=_ProgressReporter(),
                               on_solve=_solving)


def cmd_install(args: argparse.Namespace) -> int:
    project = _open_project(args)
    names = list(project.workspace.environments) if args.all else [args.environment or "default"]
    for env in names:
        _install(project, env, args)
        _status(f"✔ The {env} environment has been installed.")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from minipixi.run.activation import activated_environment
    from minipixi.manifest.resolve import list_tasks
    from minipixi.run.tasks import TaskError, TaskStep, build_steps, run_steps
    from minipixi.app.workspace import activation_context

    if not args.words:
        raise MinipixiError("nothing to run", hint="give a task name or a command, e.g. `minipixi run python --version`")
    project = _open_project(args)
    env = _env_name(project, args, args.words[0])
    _install(project, env, args)
    tasks = list_tasks(project.workspace, env)
    if args.words[0] in tasks:
        steps = build_steps(tasks, args.words[0], args.words[1:])
    else:  # one word is a command line (`run "echo a && echo b"`); several are quoted, as Pixi does
        from minipixi.run.task_shell import join

        steps = [TaskStep("", args.words[0] if len(args.words) == 1 else join(args.words))]
    environ = activated_environment(activation_context(project, env))
    environ["INIT_CWD"] = os.getcwd()  # as Pixi: where `run` was started (tasks run in the workspace root)

    def announce(step) -> None:
        if step.name:
            _status(f"✨ Pixi task ({step.name} in {env}): {step.command}")

    try:
        run_steps(steps, env=environ, root=project.root, on_start=announce)
    except TaskError as err:
        if not steps[-1].name:  # a plain command: its exit code, without a task error
            return err.exit_code
        print(err.render(), file=sys.stderr)
        return err.exit_code
    return 0


def cmd_shell(args: argparse.Namespace) -> int:
    from minipixi.run.activation import shell_command
    from minipixi.app.workspace import activation_context

    project = _open_project(args)
    env = _env_name(project, args)
    _install(project, env, args)
    argv, environ = shell_command(activation_context(project, env))
    _status(f"Starting a shell in the {env} environment; type `exit` to leave it.")
    os.execvpe(argv[0], argv, environ)
    return 0  # not reached


def cmd_shell_hook(args: argparse.Namespace) -> int:
    from minipixi.run.activation import render_shell_hook
    from minipixi.app.workspace import activation_context

    project = _open_project(args)
    env = _env_name(project, args)
    _install(project, env, args)
    sys.stdout.write(render_shell_hook(activation_context(project, env), args.shell))
    return 0


def _human_size(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return ""


def _locked_for_listing(project, args: argparse.Namespace):
    """(environment, platform entry, locked records) for `list` and `tree`: this machine's
    platform through the lock policy, or -p's platform read from the (updated) lock."""
    from minipixi.app.workspace import locked_records

    env = args.environment or "default"
    if not args.platform:
        platform, records = locked_records(project, env, frozen=args.frozen, on_solve=_solving)
        return env, platform, records
    from minipixi.errors import LockError
    from minipixi.app.workspace import LOCK_NAME, lock_platform_names, read_existing_lock, update_lock

    platform = _environment_platform(project, env, args.platform)
    lock = read_existing_lock(project) if args.frozen else update_lock(project, on_solve=_solving).lock
    if lock is None:
        raise LockError(f"{LOCK_NAME} does not exist, and --frozen never creates it",
                        where=str(project.lock_path), hint="run `minipixi lock` first")
    name = lock_platform_names(project.workspace)[platform]
    env_lock = lock.environments.get(env)
    if env_lock is None or name not in env_lock.packages:
        raise LockError(f"{LOCK_NAME} has no packages for environment '{env}' on {name}",
                        where=str(project.lock_path), hint="run `minipixi lock` to bring it up to date")
    return env, platform, [p.record for p in env_lock.conda_packages(name)]


def _environment_platform(project, env: str, platform: str) -> str:
    """`platform` if environment `env` has it; else an error that lists the ones it has."""
    platforms = project.workspace.environment_platforms(env)
    if platform not in platforms:
        raise MinipixiError(f"environment '{env}' does not have the platform '{platform}'",
                            where=str(project.workspace.path),
                            hint="choose one of: " + ", ".join(platforms))
    return platform


def cmd_list(args: argparse.Namespace) -> int:
    import json

    project = _open_project(args)
    env, platform, records = _locked_for_listing(project, args)
    requested = set(project.workspace.resolve(env, platform).dependencies)
    rows = [(r.name, r.version, r.build, _human_size(r.size), "conda", r.channel or "") for r in sorted(records, key=lambda r: r.name)]
    if args.json:
        _out(json.dumps([{"name": r.name, "version": r.version, "build": r.build, "size_bytes": r.size,
                          "kind": "conda", "source": r.channel, "is_explicit": r.name in requested}
                         for r in sorted(records, key=lambda r: r.name)], indent=2))
        return 0
    if args.explicit:
        rows = [row for row in rows if row[0] in requested]
    header = ("Package", "Version", "Build", "Size", "Kind", "Source")
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    for row in [header, *rows]:
        _out("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())
    return 0


def cmd_tree(args: argparse.Namespace) -> int:
    from minipixi.app.workspace import render_tree

    project = _open_project(args)
    env, platform, records = _locked_for_listing(project, args)
    resolved = project.workspace.resolve(env, platform)
    if args.format != "text":  # a picture of the whole environment (graph.py draws it)
        from minipixi.app.graph import RENDERERS, environment_graph
        from minipixi.app.why import manifest_specs

        if args.regex or args.invert:
            raise MinipixiError("--format draws the whole environment: it takes no REGEX or --invert",
                                hint="drop the regex, or use the text tree")
        graph = environment_graph(records, manifest_specs(resolved), title=f"environment {env} on {platform}")
        _out(RENDERERS[args.format](graph).rstrip("\n"))
        return 0
    _out(render_tree(records, list(resolved.dependencies), pattern=args.regex, invert=args.invert))
    return 0


def cmd_why(args: argparse.Namespace) -> int:
    import json

    from minipixi.app.why import explain, manifest_specs, render

    project = _open_project(args)
    env, platform, records = _locked_for_listing(project, args)
    answer = explain(records, manifest_specs(project.workspace.resolve(env, platform)), args.package,
                     environment=env, platform=platform, where=str(project.lock_path))
    _out(json.dumps(answer.to_json(), indent=2) if args.json else render(answer))
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    """What changed between two locks (a file or a git revision; by default HEAD's pixi.lock
    and the one on disk), per environment and platform, direct or transitive."""
    import json

    from minipixi.lock.read import read_lock
    from minipixi.lock.diff import diff_locks, diff_to_json, read_lock_at, render_diff

    project = _open_project(args)
    old = read_lock_at(args.old, project.lock_path)
    new = read_lock_at(args.new, project.lock_path) if args.new else read_lock(project.lock_path)
    ws = project.workspace
    direct = {env: {name for platform in ws.environment_platforms(env)
                    for name in ws.resolve(env, platform).dependencies}
              for env in ws.environments}
    diff = diff_locks(old, new, direct)
    if args.json:
        _out(json.dumps(diff_to_json(diff), indent=2))
    else:
        _out(render_diff(diff).rstrip("\n") or "No changes.")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    import json

    from minipixi.app.workspace import describe_system

    manifest = getattr(args, "manifest_path", None)
    info = describe_system(manifest, offline=args.offline)
    if args.json:
        _out(json.dumps(info, indent=2))
        return 0
    for section, items in info.items():
        _out(f"{section.title():>12}")
        _out("-" * 12)
        for key, value in items.items():
            if isinstance(value, dict):
                _out(f"{key:>22}:")
                for k, v in value.items():
                    _out(f"{k:>26}: {v}")
            else:
                _out(f"{key:>22}: {value}")
        _out()
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    from minipixi.app.workspace import clean_cache, clean_environments

    if args.what == "cache":
        removed = clean_cache()
        _status(f"✔ Removed the cache at {removed}" if removed else "✔ The cache is already empty")
        return 0
    project = _open_project(args)
    for path in clean_environments(project, args.environment):
        _status(f"✔ Removed {path}")
    return 0


def register_install_commands(sub: argparse._SubParsersAction) -> None:
    env_help = "the environment (default: default)"
    install = sub.add_parser("install", help="install an environment exactly as pixi.lock says")
    install.add_argument("-e", "--environment", help=env_help)
    install.add_argument("-a", "--all", action="store_true", help="install every environment")
    _lock_options(install)
    install.set_defaults(handler=cmd_install)

    run = sub.add_parser("run", help="run a task or a command in an environment")
    run.add_argument("-e", "--environment", help=env_help)
    _lock_options(run)
    run.add_argument("words", nargs=argparse.REMAINDER, metavar="TASK|COMMAND", help="a task name or a command")
    run.set_defaults(handler=cmd_run)

    shell = sub.add_parser("shell", help="start a shell with an environment activated")
    shell.add_argument("-e", "--environment", help=env_help)
    _lock_options(shell)
    shell.set_defaults(handler=cmd_shell)

    hook = sub.add_parser("shell-hook", help="print the shell code that activates an environment")
    hook.add_argument("-e", "--environment", help=env_help)
    hook.add_argument("-s", "--shell", default="bash", choices=["bash", "zsh", "fish", "powershell", "cmd"])
    _lock_options(hook)
    hook.set_defaults(handler=cmd_shell_hook)

    for name, handler, text in (("list", cmd_list, "list the packages of an environment"),
                                ("tree", cmd_tree, "show the dependency tree of an environment")):
        p = sub.add_parser(name, help=text)
        p.add_argument("-e", "--environment", help=env_help)
        p.add_argument("-p", "--platform", help="the platform (default: this machine's)")
        p.add_argument("--frozen", action="store_true", help="read pixi.lock as it is, never update it")
        _lock_options(p, policy=False)
        if name == "list":
            p.add_argument("--json", action="store_true", help="machine-readable output")
            p.add_argument("-x", "--explicit", action="store_true", help="only the packages the manifest asks for")
        else:
            p.add_argument("regex", nargs="?", help="show only the packages matching this regex")
            p.add_argument("-i", "--invert", action="store_true", help="show what depends on the matches")
            p.add_argument("--format", choices=["text", "dot", "mermaid", "svg"], default="text",
                           help="text (default), or a picture of the graph: Graphviz dot, Mermaid, SVG")
        p.set_defaults(handler=handler)

    diff = sub.add_parser("diff", help="what changed between two locks, per environment and platform")
    diff.add_argument("old", nargs="?", default="HEAD", metavar="OLD",
                      help="an older pixi.lock: a file, or a git revision (default: HEAD)")
    diff.add_argument("new", nargs="?", metavar="NEW", help="a newer one (default: the pixi.lock on disk)")
    diff.add_argument("--json", action="store_true", help="machine-readable output")
    _add_workspace_options(diff)
    diff.set_defaults(handler=cmd_diff)
    why = sub.add_parser("why", help="every path from the manifest to a package of an environment")
    why.add_argument("package", metavar="PACKAGE", help="a package name (or a virtual package, e.g. __cuda)")
    why.add_argument("-e", "--environment", help=env_help)
    why.add_argument("-p", "--platform", help="the platform (default: this machine's)")
    why.add_argument("--frozen", action="store_true", help="read pixi.lock as it is, never update it")
    why.add_argument("--json", action="store_true", help="machine-readable output")
    _lock_options(why, policy=False)
    why.set_defaults(handler=cmd_why)

    info = sub.add_parser("info", help="this machine, the cache, the workspace and its environments")
    info.add_argument("--json", action="store_true", help="machine-readable output")
    _lock_options(info, policy=False)
    info.set_defaults(handler=cmd_info)

    clean = sub.add_parser("clean", help="remove the environments (or, with `clean cache`, the package cache)")
    clean.add_argument("what", nargs="?", choices=["cache"], help="`cache` removes minipixi's cache folder")
    clean.add_argument("-e", "--environment", help="remove only this environment")
    _lock_options(clean, policy=False)
    clean.set_defaults(handler=cmd_clean)

    register_global_commands(sub)


def register_global_commands(sub: argparse._SubParsersAction) -> None:
    """`minipixi global`: tools installed once per user, each in its own environment."""
    glob = sub.add_parser("global", help="install command-line tools for your user (each in its own environment)")
    gsub = glob.add_subparsers(dest="global_command", metavar="COMMAND")
    glob.set_defaults(handler=lambda args, p=glob: p.print_help() or 0)
    for name, text in (("install", "install tools"), ("remove", "remove tools"), ("update", "update tools")):
        p = gsub.add_parser(name, help=text)
        p.add_argument("specs", nargs="+" if name != "update" else "*", metavar="SPEC")
        p.add_argument("--offline", action="store_true", help="use the bundled teaching mirror of conda-forge")
        if name == "install":
            p.add_argument("-c", "--channel", action="append", default=[], help="channel (default: conda-forge)")
        p.set_defaults(handler=cmd_global)
    lst = gsub.add_parser("list", help="list installed tools")
    lst.set_defaults(handler=cmd_global, specs=[], offline=False)


def cmd_global(args: argparse.Namespace) -> int:
    from minipixi.app import global_tools
    from minipixi.config import OFFLINE_NOTICE, load_config

    action = args.global_command
    config = load_config(None, offline=getattr(args, "offline", False))
    if config.offline and action != "list":
        _status(OFFLINE_NOTICE)
    if action == "install":
        for tool in global_tools.install_tools(args.specs, channels=args.channel or ["conda-forge"], config=config):
            _out(f"└── {tool.name}: {tool.version} (installed)")
            _out(f"    └─ exposes: {', '.join(tool.exposed)}")
    elif action == "remove":
        for name in global_tools.remove_tools(args.specs):
            _status(f"✔ Removed {name}")
    elif action == "update":
        for tool in global_tools.update_tools(args.specs, config=config):
            _out(f"└── {tool.name}: {tool.version} (up to date)")
    else:
        tools = global_tools.list_tools()
        if not tools:
            _status("No global tools installed yet: try `minipixi global install bat`")
        for tool in tools:
            _out(f"└── {tool.name}: {tool.version}")
            _out(f"    └─ exposes: {', '.join(tool.exposed)}")
    return 0


# ---- area: export (workspace export ...) ---------------------------------------------------
def _output_file(text: str, what: str = "output file"):
    """The file a user named for output (an export's path), checked before any work is done:
    it may not be a folder, and its folder must exist (the atomic writer puts its temporary
    file beside it). Raises a MinipixiError naming the path."""
    from pathlib import Path

    path = Path(text)
    if path.is_dir():
        raise MinipixiError(f"the {what} '{text}' is a folder", hint=f"name a file, e.g. {path / 'out.txt'}")
    folder = path.parent
    if not folder.is_dir():
        problem = "is not a folder" if folder.exists() else "does not exist"
        raise MinipixiError(f"the {what} '{text}' cannot be written: '{folder}' {problem}",
                            hint="write it into an existing folder")
    return path


def _output_folder(text: str):
    """The folder a user named for output files (made later, when missing): an error if it is a file."""
    from pathlib import Path

    path = Path(text)
    if path.exists() and not path.is_dir():
        raise MinipixiError(f"the output folder '{text}' is not a folder", hint="name a folder, new or existing")
    return path


def _export_target(project, args: argparse.Namespace) -> tuple[str, str]:
    """(environment, platform entry) for an export: -e/-p, else default and this machine's."""
    from minipixi.app.workspace import host_platform_entry

    env = args.environment or "default"
    project.workspace.environment(env)
    return env, _environment_platform(project, env, args.platform or host_platform_entry(project, env))


def cmd_export_conda_environment(args: argparse.Namespace) -> int:
    from pathlib import Path

    from minipixi.deploy import export

    output = _output_file(args.output) if args.output else None
    project = _open_project(args)
    env, platform = _export_target(project, args)
    if args.from_lock_file:
        from minipixi.app.workspace import lock_platform_names, read_existing_lock, update_lock

        lock = read_existing_lock(project) if args.frozen else update_lock(project, on_solve=_solving).lock
        text = export.environment_yml_from_lock(lock, project.workspace, env, lock_platform_names(project.workspace)[platform])
    else:
        text = export.environment_yml_from_manifest(project.workspace, env, platform)
    if output is not None:
        from minipixi.files import write_atomic

        write_atomic(output, text)
        _status(f"✔ Exported the {env} environment for {platform} to {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_export_explicit_spec(args: argparse.Namespace) -> int:
    from pathlib import Path

    from minipixi.deploy import export
    from minipixi.app.workspace import read_existing_lock, update_lock

    folder = _output_folder(args.output_dir)
    project = _open_project(args)
    lock = read_existing_lock(project) if args.frozen else update_lock(project, on_solve=_solving).lock
    if lock is None:
        raise MinipixiError("pixi.lock does not exist", hint="run `minipixi lock` first")
    envs = [args.environment] if args.environment else None
    files = export.explicit_spec_files(lock, project.workspace, envs, args.platform or None)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        from minipixi.files import write_atomic

        write_atomic(folder / name, text)
        _status(f"✔ Wrote {Path(args.output_dir) / name}")
    return 0


def cmd_export_deploy(args: argparse.Namespace) -> int:
    from pathlib import Path

    from minipixi.deploy.render import DeployOptions, default_gpus, render_deployment, write_files

    project = _open_project(args)
    env = args.environment or "default"
    project.workspace.environment(env)
    declared = _declared_cuda(project, env)
    cuda = args.cuda or declared
    options = DeployOptions(
        environment=env, cuda=cuda, cpus=args.cpus, gpus=default_gpus(args.gpus, declared), memory=args.memory, disk=args.disk,
        time=args.time, partition=args.partition, account=args.account, constraint=args.constraint,
        inputs=tuple(args.input), outputs=tuple(args.output_file), queue=args.queue, command=args.run,
        base_image=args.base_image, tool=args.tool, image=args.image, name=args.name, source=args.source,
        workspace_dir=args.workspace_dir, expose=tuple(args.expose),
        command_line="minipixi " + " ".join(sys.argv[1:]) if sys.argv[1:2] == ["workspace"] else "",
        extra={"flavour": args.flavour} if args.kind == "github-workflow" else {},
    )
    out_dir = Path(args.output_dir) if args.output_dir else project.root
    for path in write_files(render_deployment(args.kind, options), out_dir, overwrite=args.force):
        _status(f"✔ Wrote {path}")
    return 0


def _declared_cuda(project, env: str) -> str | None:
    """The CUDA version the environment declares for a Linux platform (system requirements or
    a rich platform entry): the default for --cuda, so the image sets CONDA_OVERRIDE_CUDA."""
    ws = project.workspace
    for platform in ws.environment_platforms(env):
        resolved = ws.resolve(env, platform)
        if resolved.subdir.startswith("linux") and resolved.virtual_packages.get("__cuda"):
            return str(resolved.virtual_packages["__cuda"])
    return None


def register_export_commands(sub: argparse._SubParsersAction) -> None:
    workspace = workspace_subcommands(sub)
    export = workspace.add_parser("export", help="export an environment: conda formats, containers, job scripts")
    kinds = export.add_subparsers(dest="export_kind", metavar="FORMAT")
    export.set_defaults(handler=lambda args, p=export: p.print_help() or 0)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("-e", "--environment", help="the environment (default: default)")
        _lock_options(p, policy=False)
        p.add_argument("--frozen", action="store_true", help="read pixi.lock as it is, never update it")

    conda_env = kinds.add_parser("conda-environment", help="an environment.yml for conda")
    common(conda_env)
    conda_env.add_argument("-p", "--platform", help="the platform (default: this machine's)")
    conda_env.add_argument("--from-lock-file", action="store_true", help="pin every package to its locked version and build")
    conda_env.add_argument("output", nargs="?", help="write to this file (default: print it)")
    conda_env.set_defaults(handler=cmd_export_conda_environment)

    explicit = kinds.add_parser("conda-explicit-spec", help="@EXPLICIT files: one URL#md5 per locked package")
    common(explicit)
    explicit.add_argument("-p", "--platform", action="append", default=[], help="only this platform (repeatable)")
    explicit.add_argument("output_dir", metavar="DIR", help="folder for {env}_{platform}_conda_spec.txt files")
    explicit.set_defaults(handler=cmd_export_explicit_spec)

    helps = {"dockerfile": "a two-stage Dockerfile installing one locked environment",
             "apptainer": "an Apptainer definition file", "htcondor": "an HTCondor submit file, execute script and helper",
             "slurm": "a Slurm batch script", "github-workflow": "a GitHub Actions workflow that builds the image"}
    for kind, text in helps.items():
        p = kinds.add_parser(kind, help=text + " (minipixi's own addition; pixi has no such export)")
        common(p)
        p.add_argument("--cuda", help="CUDA version for CONDA_OVERRIDE_CUDA and driver requirements (default: the manifest's)")
        p.add_argument("--cpus", type=_whole_number(1, 100_000), default=1)
        p.add_argument("--gpus", type=_whole_number(0, 100_000), default=None,
                       help="GPUs per job (default: 1 when the environment declares CUDA, else 0)")
        p.add_argument("--memory", default="2GB")
        p.add_argument("--disk", default="2GB")
        p.add_argument("--time", default="01:00:00", help="wall time (Slurm), HH:MM:SS or D-HH:MM:SS")
        p.add_argument("--partition")
        p.add_argument("--account")
        p.add_argument("--constraint")
        p.add_argument("--input", action="append", default=[], help="a file the job needs (repeatable)")
        p.add_argument("--output-file", action="append", default=[], help="a file the job produces (repeatable)")
        p.add_argument("--queue", type=_whole_number(1, 1_000_000), default=1, help="number of jobs (HTCondor queue / Slurm array size)")
        p.add_argument("--run", help="the command the job or container runs")
        p.add_argument("--base-image", default="ghcr.io/prefix-dev/pixi:noble")
        p.add_argument("--tool", default="pixi", choices=["pixi", "minipixi"], help="which tool the image uses")
        p.add_argument("--image", help="the container image an HTCondor job runs in")
        p.add_argument("--name", help="job / file name (default: the environment's)")
        p.add_argument("--source", help="a folder to copy into the image as /app/src")
        p.add_argument("--workspace-dir", default=".", help="where pixi.toml is, relative to the repository root")
        p.add_argument("--expose", type=_whole_number(1, 65535), action="append", default=[], help="a port to expose (Dockerfile)")
        p.add_argument("--flavour", default="docker", choices=["docker", "apptainer"], help="github-workflow: which image")
        p.add_argument("-o", "--output-dir", help="where to write (default: the workspace folder)")
        p.add_argument("--force", action="store_true", help="overwrite existing files")
        p.set_defaults(handler=cmd_export_deploy, kind=kind)


# ---- area: teaching (tour, grade) ----------------------------------------------------------
def cmd_tour(args: argparse.Namespace) -> int:
    import tempfile
    from pathlib import Path

    from minipixi.teaching.tour import tour_steps

    folder = Path(args.folder).absolute() if args.folder else Path(tempfile.mkdtemp(prefix="minipixi-tour-"))
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise MinipixiError(f"{folder} is not empty", hint="give the tour an empty or new folder")
    if not args.online:
        os.environ["MINIPIXI_OFFLINE"] = "1"
    _out(f"# The minipixi tour: the lesson's commands, run for real in {folder}")
    here = os.getcwd()
    cwd = "."
    _NESTED[0] = True
    try:
        for number, step in enumerate(tour_steps(), 1):
            if step.note:
                _out(f"\n# {step.note}")
            if step.cwd != cwd:
                _out(f"$ cd {folder / step.cwd if step.cwd != '.' else folder}")
                cwd = step.cwd
            _out(f"$ {step.command_line()}")
            sys.stdout.flush()
            code = _run_step(step, folder)
            sys.stdout.flush()
            sys.stderr.flush()
            if code != 0:
                _status(f"error: the tour stopped at step {number} (exit code {code})")
                return code
    finally:
        _NESTED[0] = False
        os.chdir(here)
    _out(f"\n# Done. The tour's workspaces are in {folder}: cd there and try the commands yourself.")
    return 0


def _run_step(step, folder) -> int:
    from minipixi.config import temporary_environ

    os.chdir(folder / step.cwd)
    with temporary_environ(step.env):
        return main(list(step.words))


def cmd_grade(args: argparse.Namespace) -> int:
    from pathlib import Path

    from minipixi.teaching import grade

    if args.class_folder:
        return _grade_class(args)
    submission = Path(args.submission or ".")
    exercise = grade.load_exercise(args.exercise, exercises=args.exercises,
                                   instructor_checks=args.instructor_checks, submission=submission)
    report = grade.grade(exercise, submission, timeout=args.timeout)
    text = grade.render(report, args.format, show_hidden=args.show_hidden)
    if args.output:
        from minipixi.files import write_atomic

        target = Path(args.output)
        if target.is_dir():  # -o . : the report goes into that folder, named for the exercise
            target = target / f"grade-{exercise.slug}.{grade.FILE_EXTENSIONS[args.format]}"
        write_atomic(target, text)
        _status(f"Score: {report.score}/{report.max_score} (written to {target})")
    else:
        sys.stdout.write(text)
    return 0 if args.exit_zero or report.score == report.max_score else 1


def _grade_class(args: argparse.Namespace) -> int:
    from minipixi.teaching.gradebook import Limits, grade_class

    if args.submission is not None:
        raise MinipixiError("give either a submission folder or --class, not both",
                            hint=f"minipixi grade {args.exercise} --class FOLDER grades every sub-folder of FOLDER")
    limits = Limits(seconds=args.time_limit, memory_mb=args.memory_limit, jobs=args.jobs)
    book = grade_class(args.exercise, args.class_folder, args.output, exercises=args.exercises,
                       instructor_checks=args.instructor_checks, timeout=args.timeout, limits=limits,
                       show_hidden=args.show_hidden)
    counts: dict[str, int] = {}
    for entry in book.entries:
        counts[entry.status] = counts.get(entry.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no submissions"
    _status(f"{len(book.entries)} submissions ({summary}); gradebook written to {book.folder}")
    return 0


def register_teaching_commands(sub: argparse._SubParsersAction) -> None:
    grade = sub.add_parser("grade", help="check an exercise of the lesson (property-based checks, offline)")
    grade.add_argument("exercise", help="exercise number or name (e.g. 07 or cuda-environments), or its folder")
    grade.add_argument("submission", nargs="?", help="the folder to grade (default: here)")
    grade.add_argument("--format", default="text", choices=["text", "json", "junit", "classroom"])
    grade.add_argument("--show-hidden", action="store_true", help="show hidden checks and their feedback (instructors)")
    grade.add_argument("--timeout", type=_whole_number(1, 86_400), default=60, help="seconds allowed per check")
    grade.add_argument("-o", "--output", help="write the report to this file (or folder); with --class, the gradebook folder")
    grade.add_argument("--exit-zero", action="store_true", help="exit 0 even when checks fail (for CI reporters)")
    grade.add_argument("--exercises", metavar="DIR", help="the exercises folder to take checks from "
                       "(default: $MINIPIXI_EXERCISES, else the exercises shipped with minipixi)")
    grade.add_argument("--instructor-checks", metavar="DIR", help="more checks kept apart from the public ones "
                       "(DIR/<exercise folder>/checks.py), e.g. hidden checks")
    grade.add_argument("--class", dest="class_folder", metavar="FOLDER",
                       help="grade every sub-folder of FOLDER in isolated workers and write a gradebook")
    grade.add_argument("--jobs", type=_whole_number(1, 256), default=2, help="--class: submissions graded at the same time")
    grade.add_argument("--time-limit", type=_whole_number(1, 86_400), default=300, help="--class: seconds allowed per submission")
    grade.add_argument("--memory-limit", type=_whole_number(64, 1_048_576), default=2048, help="--class: MiB of memory per submission")
    grade.set_defaults(handler=cmd_grade)

    tour = sub.add_parser("tour", help="walk through the lesson's main flow with real commands (offline)")
    tour.add_argument("folder", nargs="?", help="an empty folder for the tour's workspaces (default: a new temporary one)")
    tour.add_argument("--online", action="store_true", help="use the real conda-forge instead of the bundled teaching mirror")
    tour.set_defaults(handler=cmd_tour)


# --8<-- [end:commands]


def build_parser() -> argparse.ArgumentParser:
    """The whole command-line grammar, built without importing the library."""
    parser = argparse.ArgumentParser(
        prog="minipixi",
        description="A readable re-implementation of the pixi package manager.",
    )
    parser.add_argument("--version", action="version", version=f"minipixi {__version__} (follows pixi {PIXI_VERSION})")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more output; -v shows tracebacks"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in (
        register_manifest_commands,
        register_lock_commands,
        register_install_commands,
        register_export_commands,
        register_teaching_commands,
    ):
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code. Errors are rendered here and only here."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    for word in argv:
        if "\x00" in word:  # the OS cannot pass one; a caller of main() can, and no path may hold one
            print(MinipixiError(f"a command-line argument contains a NUL character: {word!r:.60}",
                                hint="remove the NUL character (\\x00) from the argument").render(), file=sys.stderr)
            return 1
    args = parser.parse_args(argv)
    if not _NESTED[0]:
        _SHOWN_NOTICES.clear()
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        _pixi_variables(args)
        return handler(args)
    except MinipixiError as err:
        print(err.render(), file=sys.stderr)
        if args.verbose:
            import traceback

            traceback.print_exc()
        return 1
    except BrokenPipeError:
        return _stdout_closed()
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except OSError as err:
        # The machine refused (a permission, a full disk, a name too long for the file system):
        # the user can act on it, so it is an error naming the file, not a bug in minipixi.
        print(_os_error(err).render(), file=sys.stderr)
        if args.verbose:
            import traceback

            traceback.print_exc()
        return 1
    except Exception:  # noqa: BLE001 - the one place that catches everything
        print(
            "error: this is a bug in minipixi, please report it"
            + ("" if args.verbose else " (run again with -v for the traceback)"),
            file=sys.stderr,
        )
        if args.verbose or os.environ.get("MINIPIXI_TRACEBACK"):
            import traceback

            traceback.print_exc()
        return 2


def _pixi_variables(args: argparse.Namespace) -> None:
    """Pixi's environment variables (config.PIXI_VARIABLES): PIXI_LOCKED / PIXI_FROZEN act as
    --locked / --frozen where a command has them; an unsupported one is an error naming it."""
    from minipixi.config import flag, pixi_environment

    pixi_environment()
    for option, variable in (("locked", "PIXI_LOCKED"), ("frozen", "PIXI_FROZEN")):
        if hasattr(args, option) and not getattr(args, option) and flag(variable):
            setattr(args, option, True)
    if getattr(args, "locked", False) and getattr(args, "frozen", False):
        raise MinipixiError("--locked and --frozen cannot be used together (PIXI_LOCKED / PIXI_FROZEN count too)",
                            hint="--locked checks that pixi.lock is up to date; --frozen installs it as it is: pick one")


def _os_error(err: OSError) -> MinipixiError:
    """An OSError as a user-facing error: what the system said, and the file(s) it named."""
    from minipixi.errors import shorten

    files = " -> ".join(shorten(str(f), 200) for f in (err.filename, err.filename2) if f is not None)
    return MinipixiError(err.strerror or str(err), where=files or None,
                         hint="check that the path exists, that you may write there and that the disk has room")


def _stdout_closed() -> int:
    """The reader of our output went away (`minipixi list --json | head`): stop quietly.

    As Python's documentation recommends for a closed pipe: point stdout at /dev/null, so the
    interpreter's final flush does not fail (and print "Exception ignored") on the way out.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a file (captured in tests)
        pass
    return 1


def entrypoint() -> None:
    """The `minipixi` console script."""
    code = main()
    try:
        sys.stdout.flush()  # what is still buffered goes now, while a closed pipe can be caught
    except BrokenPipeError:
        code = _stdout_closed()
    sys.exit(code)
