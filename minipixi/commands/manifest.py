"""The manifest area of the command line: ``init``, ``add``, ``remove``, ``task`` and
``workspace platform|environment|system-requirements|channel|migrate``.

Each ``register_*`` function adds the grammar; each ``cmd_*`` handler calls one library function
(the edits of `manifest/`, or the ``add`` pipeline of `app/add.py`) and renders what it returns.

Read after `commands/common.py`; read next `commands/lock.py`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Iterable

from minipixi.commands.common import (
    ProgressReporter, actions, add_workspace_options, manifest_path, mode, open_project, read_workspace, solving,
    status, out, warn_about, whole_number, workspace_subcommands,
)
from minipixi.commands.lock import explain_option, explain_solve
from minipixi.errors import MinipixiError


def _dependency_options(parser: argparse.ArgumentParser, *, adding: bool = True) -> None:
    parser.add_argument("specs", nargs="+", metavar="SPEC", help='package specs, e.g. numpy "numpy>=2"')
    parser.add_argument("-f", "--feature", help="the feature to change (default: the default feature)")
    parser.add_argument("-p", "--platform", action="append", default=[], help="only for this platform (repeatable)")
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--host", action="store_true", help="a host dependency")
    kind.add_argument("--build", action="store_true", help="a build dependency")
    kind.add_argument("--pypi", action="store_true", help="a PyPI dependency (PEP 508: \"requests[socks]>=2\"), installed as a wheel")
    parser.add_argument("--no-lockfile-update", action="store_true",
                        help="do not solve: write specs without a version as *" if adding
                        else "only edit the manifest: leave pixi.lock and the environment as they are")
    parser.add_argument("--no-install", action="store_true",
                        help="update pixi.toml and pixi.lock, but do not install the environment")
    parser.add_argument("--offline", action="store_true", help="use the bundled teaching mirror of conda-forge")
    add_workspace_options(parser)


def _only_for_lines(args: argparse.Namespace) -> None:
    if args.platform:
        status(f"Added these only for platform(s): {', '.join(args.platform)}")
    if args.feature:
        status(f"Added these only for feature: {args.feature}")


def cmd_init(args: argparse.Namespace) -> int:
    from minipixi.manifest.init import init_workspace  # lazy: the manifest package loads tomlkit

    manifest = init_workspace(Path(args.path), channels=args.channel, platforms=args.platform,
                              import_environment=args.import_file, format=args.format)
    status(f"✔ Created {manifest.resolve()}")
    return 0


# --8<-- [start:add]
def cmd_add(args: argparse.Namespace) -> int:
    """Edit, relock, pin and install in one pipeline (`app/add.py`); the edit and the relock are
    undone byte for byte if either fails or is interrupted."""
    from minipixi.app import add  # lazy: the pipeline loads the solver (numba) and tomlkit
    from minipixi.manifest.edit_dependencies import dependency_table_name  # lazy: loads tomlkit
    from minipixi.manifest.specs import describe_spec  # lazy: loads tomlkit

    table = dependency_table_name(host=args.host, build=args.build, pypi=args.pypi)
    relock = not args.no_lockfile_update
    project = open_project(args, warn=False, notices=relock)
    result = add.add(project, args.specs, feature=args.feature, platforms=args.platform, table=table,
                     relock=relock, install=relock and not args.no_install, reporter=ProgressReporter(),
                     on_solve=solving)
    for item in result.added[: len(args.specs)]:
        status(f"✔ Added {describe_spec(item.spec)}")
    _only_for_lines(args)
    if relock and not args.no_install:
        warn_about(project.workspace)
    for env, err in result.skipped:
        # The edit is right and the lock is solved for the declared platform: only this
        # machine cannot run it. Say what was kept and what was skipped.
        status(f"✔ Updated pixi.toml and pixi.lock (environment '{env}' is solved and locked)")
        status(f"note: installing environment '{env}' was skipped: {err.message}")
        status(f"help: {err.hint} (then `minipixi install -e {env}`)")
    if getattr(args, "explain", False) and relock:
        explain_solve(project, result.lock or project.lock)
    return 0
# --8<-- [end:add]


def cmd_remove(args: argparse.Namespace) -> int:
    """Edit, relock and install, as `cmd_add` does (`app/add.py`'s `remove`); undone byte for
    byte if the relock fails."""
    from minipixi.app import add  # lazy: the pipeline loads the solver (numba) and tomlkit
    from minipixi.manifest.edit_dependencies import dependency_table_name  # lazy: loads tomlkit

    table = dependency_table_name(host=args.host, build=args.build, pypi=args.pypi)
    relock = not args.no_lockfile_update
    project = open_project(args, warn=False, notices=relock)
    result = add.remove(project, args.specs, feature=args.feature, platforms=args.platform, table=table,
                        mode=mode(args), relock=relock,
                        install=not args.no_install, reporter=ProgressReporter(), on_solve=solving)
    _announce("Removed", result.removed)
    for env, err in result.skipped:
        status(f"note: installing environment '{env}' was skipped: {err.message}")
        status(f"help: {err.hint} (then `minipixi install -e {env}`)")
    return 0


def cmd_task_add(args: argparse.Namespace) -> int:
    from minipixi.manifest.edit_tasks import add_task, describe_task  # lazy: the manifest package loads tomlkit

    bad = [item for item in args.env if "=" not in item]
    if bad:
        raise MinipixiError(f"--env {bad[0]} has no '='", hint="write --env NAME=VALUE")
    env = dict(item.split("=", 1) for item in args.env)
    task = add_task(manifest_path(args), args.name, " ".join(args.cmd) or None, depends_on=args.depends_on,
                    description=args.description, cwd=args.cwd, env=env, feature=args.feature,
                    platform=args.platform, clean_env=args.clean_env, args=args.arg)
    status(f"✔ Added task {describe_task(task)}")
    return 0


def cmd_task_remove(args: argparse.Namespace) -> int:
    from minipixi.manifest.edit_tasks import remove_task  # lazy: the manifest package loads tomlkit

    for name in remove_task(manifest_path(args), args.names, feature=args.feature, platform=args.platform):
        status(f"✔ Removed task `{name}`")
    return 0


def cmd_task_list(args: argparse.Namespace) -> int:
    from minipixi.manifest.resolve import list_tasks  # lazy: the manifest package loads tomlkit

    tasks = list_tasks(read_workspace(args), args.environment)
    if not tasks:
        status("No tasks found")
    width = max((len(name) for name in tasks), default=0)
    for name, task in tasks.items():
        cmd = " ".join(task.cmd) if isinstance(task.cmd, tuple) else task.cmd
        out(f"{name.ljust(width)}  {task.description or cmd or ''}".rstrip())
    return 0


def _announce(verb: str, names: Iterable[str]) -> int:
    """One line per name changed ("✔ Added osx-arm64"); the command's exit status."""
    for name in names:
        status(f"✔ {verb} {name}")
    return 0


def cmd_platform(args: argparse.Namespace) -> int:
    from minipixi.manifest.edit_workspace import add_platforms, remove_platforms  # lazy: the manifest package loads tomlkit

    path = manifest_path(args)
    if args.action == "list":
        for entry in read_workspace(args).platforms:
            extra = ", ".join(f"{k} = {v}" for k, v in entry.virtual.items())
            out(entry.name + (f" ({entry.subdir}{', ' + extra if extra else ''})" if entry.rich else ""))
        return 0
    if args.action == "remove":
        return _announce("Removed", remove_platforms(path, args.platforms, feature=args.feature))
    virtual = {key: getattr(args, key) for key in ("cuda", "glibc", "linux", "macos", "windows", "archspec")}
    added = add_platforms(path, args.platforms, feature=args.feature, virtual=virtual)
    return _announce("Added", added if any(virtual.values()) or any("=" in p for p in args.platforms)
                     else args.platforms)


def cmd_environment(args: argparse.Namespace) -> int:
    from minipixi.manifest.edit_workspace import add_environment, remove_environment  # lazy: the manifest package loads tomlkit

    path = manifest_path(args)
    if args.action == "list":
        for env in read_workspace(args).environments.values():
            group = f" (solve-group: {env.solve_group})" if env.solve_group else ""
            out(f"- {env.name}: {', '.join(env.feature_names())}{group}")
    elif args.action == "add":
        add_environment(path, args.name, args.feature, solve_group=args.solve_group,
                        no_default_feature=args.no_default_feature, force=args.force)
        status(f"✔ Added environment {args.name}")
    else:
        remove_environment(path, args.name)
        status(f"✔ Removed environment {args.name}")
    return 0


def cmd_system_requirements(args: argparse.Namespace) -> int:
    from minipixi.manifest.edit_workspace import add_system_requirement  # lazy: the manifest package loads tomlkit

    path = manifest_path(args)
    if args.action == "list":
        for name, feature in read_workspace(args).features.items():
            for key, value in vars(feature.system_requirements).items():
                if value is not None and key != "libc_family":
                    out(f"{name}: {key} = {value}")
        return 0
    add_system_requirement(path, args.kind, args.version, family=args.family, feature=args.feature)
    status(f"✔ Added system requirement {args.kind} {args.version}")
    return 0


def cmd_channel(args: argparse.Namespace) -> int:
    from minipixi.manifest.edit_workspace import add_channels, remove_channels  # lazy: the manifest package loads tomlkit

    path = manifest_path(args)
    if args.action == "list":
        ws = read_workspace(args)
        for entry in ws.channels:
            out(entry.channel + (f" (priority {entry.priority})" if entry.priority else ""))
        for name, feature in ws.features.items():
            for entry in feature.channels or ():
                out(f"{entry.channel} (feature {name}" + (f", priority {entry.priority})" if entry.priority else ")"))
        return 0
    if args.action == "remove":
        return _announce("Removed", remove_channels(path, args.channels, feature=args.feature))
    return _announce("Added", add_channels(path, args.channels, feature=args.feature, priority=args.priority,
                                           prepend=args.prepend))


def cmd_migrate(args: argparse.Namespace) -> int:
    from minipixi.manifest.migrate import migrate_system_requirements  # lazy: the manifest package loads tomlkit

    names = migrate_system_requirements(manifest_path(args))
    status("✔ Moved [system-requirements] onto the platform entries: " + ", ".join(names))
    return 0


def _register_workspace_manifest_commands(ws: argparse._SubParsersAction) -> None:
    platform = ws.add_parser("platform", help="add, remove or list the workspace platforms")
    for action, p in actions(platform, "action", ("add", "remove", "list")).items():
        if action != "list":
            p.add_argument("platforms", nargs="+", metavar="PLATFORM", help="a subdir, or NAME=SUBDIR")
            p.add_argument("-f", "--feature", help="change the platforms of this feature")
        if action == "add":
            for key, example in (("cuda", "12"), ("glibc", "2.28"), ("linux", "5.10"), ("macos", "13.0"),
                                 ("windows", "10"), ("archspec", "x86_64_v3")):
                flags = ["--macos", "--osx"] if key == "macos" else [f"--{key}"]
                p.add_argument(*flags, dest=key, metavar="VERSION",
                               help=f"declare __{'osx' if key == 'macos' else key} (e.g. {example}) on this platform entry")
        add_workspace_options(p)
        p.set_defaults(handler=cmd_platform)
    environment = ws.add_parser("environment", help="add, remove or list environments")
    for action, p in actions(environment, "action", ("add", "remove", "list")).items():
        if action != "list":
            p.add_argument("name")
        if action == "add":
            p.add_argument("-f", "--feature", action="append", default=[], help="a feature of the environment")
            p.add_argument("--solve-group", help="solve together with the other environments of this group")
            p.add_argument("--no-default-feature", action="store_true", help="leave out the default feature")
            p.add_argument("--force", action="store_true", help="replace an existing environment")
        add_workspace_options(p)
        p.set_defaults(handler=cmd_environment)
    system = ws.add_parser("system-requirements", help="the older [system-requirements] table")
    for action, p in actions(system, "action", ("add", "list")).items():
        if action == "add":
            p.add_argument("kind", help="cuda, libc, linux, macos or archspec")
            p.add_argument("version")
            p.add_argument("--family", help="the libc family (default glibc)")
            p.add_argument("-f", "--feature", help="add it to this feature")
        add_workspace_options(p)
        p.set_defaults(handler=cmd_system_requirements)
    channel = ws.add_parser("channel", help="add, remove or list channels")
    for action, p in actions(channel, "action", ("add", "remove", "list")).items():
        if action != "list":
            p.add_argument("channels", nargs="+", metavar="CHANNEL")
            p.add_argument("-f", "--feature", help="change the channels of this feature")
        if action == "add":
            p.add_argument("--priority", type=whole_number(-(2**31), 2**31 - 1), help="a higher priority is searched first")
            p.add_argument("--prepend", action="store_true", help="put the channels first")
        add_workspace_options(p)
        p.set_defaults(handler=cmd_channel)
    migrate = ws.add_parser("migrate", help="rewrite [system-requirements] as rich platform entries")
    add_workspace_options(migrate)
    migrate.set_defaults(handler=cmd_migrate)


def _register_task_commands(sub: argparse._SubParsersAction) -> None:
    task = sub.add_parser("task", help="add, remove or list tasks")
    parsers = actions(task, "task_command", ("add", "remove", "list"))
    add = parsers["add"]
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
        parsers[name].add_argument("-f", "--feature")
        parsers[name].add_argument("-p", "--platform")
    parsers["remove"].add_argument("names", nargs="+", metavar="NAME")
    parsers["list"].add_argument("-e", "--environment")
    for name, handler in (("add", cmd_task_add), ("remove", cmd_task_remove), ("list", cmd_task_list)):
        add_workspace_options(parsers[name])
        parsers[name].set_defaults(handler=handler)


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
    explain_option(add)
    add.set_defaults(handler=cmd_add)
    remove = sub.add_parser("remove", aliases=["rm"],
                            help="remove dependencies from the manifest, then update pixi.lock and the environment")
    _dependency_options(remove, adding=False)
    policy = remove.add_mutually_exclusive_group()
    policy.add_argument("--locked", action="store_true",
                        help="fail unless pixi.lock already fits the edited manifest (never update it)")
    policy.add_argument("--frozen", action="store_true",
                        help="leave pixi.lock as it is, and install from it")
    remove.set_defaults(handler=cmd_remove)
    _register_task_commands(sub)
    _register_workspace_manifest_commands(workspace_subcommands(sub))
