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
import traceback
from typing import Callable, Sequence

from minipixi import __version__
from minipixi.errors import MinipixiError

Handler = Callable[[argparse.Namespace], int]


def _out(text: str = "") -> None:
    """Write a line of normal output (stdout)."""
    print(text)


def _status(text: str) -> None:
    """Write a progress / status line (stderr, like pixi), so stdout stays parseable."""
    print(text, file=sys.stderr)


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


def _dependency_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("specs", nargs="+", metavar="SPEC", help='package specs, e.g. numpy "numpy>=2"')
    parser.add_argument("-f", "--feature", help="the feature to change (default: the default feature)")
    parser.add_argument("-p", "--platform", action="append", default=[], help="only for this platform (repeatable)")
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--host", action="store_true", help="a host dependency")
    kind.add_argument("--build", action="store_true", help="a build dependency")
    kind.add_argument("--pypi", action="store_true", help="a PyPI dependency (kept, not solved by minipixi yet)")
    _add_workspace_options(parser)


def _only_for_lines(args: argparse.Namespace) -> None:
    if args.platform:
        _status(f"Added these only for platform(s): {', '.join(args.platform)}")
    if args.feature:
        _status(f"Added these only for feature: {args.feature}")


def cmd_init(args: argparse.Namespace) -> int:
    from pathlib import Path

    from minipixi.manifest.edit import init_workspace

    manifest = init_workspace(Path(args.path), channels=args.channel, platforms=args.platform,
                              import_environment=args.import_file)
    _status(f"✔ Created {manifest.resolve()}")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    from minipixi.manifest.edit import add_dependencies, dependency_table_name, describe_spec

    table = dependency_table_name(host=args.host, build=args.build, pypi=args.pypi)
    added = add_dependencies(_manifest_path(args), args.specs, feature=args.feature,
                             platforms=args.platform, table=table)
    for item in added[: len(args.specs)]:
        _status(f"✔ Added {describe_spec(item.spec)}")
    _only_for_lines(args)
    if args.pypi:
        _status("note: minipixi keeps [pypi-dependencies] but cannot solve them yet")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from minipixi.manifest.edit import dependency_table_name, remove_dependencies

    table = dependency_table_name(host=args.host, build=args.build, pypi=args.pypi)
    for name in remove_dependencies(_manifest_path(args), args.specs, feature=args.feature,
                                    platforms=args.platform, table=table):
        _status(f"✔ Removed {name}")
    return 0


def cmd_task_add(args: argparse.Namespace) -> int:
    from minipixi.manifest.edit import add_task, describe_task

    env = dict(item.split("=", 1) for item in args.env)
    task = add_task(_manifest_path(args), args.name, " ".join(args.cmd) or None, depends_on=args.depends_on,
                    description=args.description, cwd=args.cwd, env=env, feature=args.feature,
                    platform=args.platform)
    _status(f"✔ Added task {describe_task(task)}")
    return 0


def cmd_task_remove(args: argparse.Namespace) -> int:
    from minipixi.manifest.edit import remove_task

    for name in remove_task(_manifest_path(args), args.names, feature=args.feature, platform=args.platform):
        _status(f"✔ Removed task `{name}`")
    return 0


def cmd_task_list(args: argparse.Namespace) -> int:
    from minipixi.manifest import read_manifest
    from minipixi.manifest.edit import list_tasks

    tasks = list_tasks(read_manifest(_manifest_path(args)), args.environment)
    if not tasks:
        _status("No tasks found")
    width = max((len(name) for name in tasks), default=0)
    for name, task in tasks.items():
        cmd = " ".join(task.cmd) if isinstance(task.cmd, tuple) else task.cmd
        _out(f"{name.ljust(width)}  {task.description or cmd or ''}".rstrip())
    return 0


def cmd_platform(args: argparse.Namespace) -> int:
    from minipixi.manifest import read_manifest
    from minipixi.manifest.edit import add_platforms, remove_platforms

    path = _manifest_path(args)
    if args.action == "list":
        for entry in read_manifest(path).platforms:
            extra = ", ".join(f"{k} = {v}" for k, v in entry.virtual.items())
            _out(entry.name + (f" ({entry.subdir}{', ' + extra if extra else ''})" if entry.rich else ""))
        return 0
    if args.action == "add":
        add_platforms(path, args.platforms, feature=args.feature)
        for name in args.platforms:
            _status(f"✔ Added {name}")
    else:
        for name in remove_platforms(path, args.platforms, feature=args.feature):
            _status(f"✔ Removed {name}")
    return 0


def cmd_environment(args: argparse.Namespace) -> int:
    from minipixi.manifest import read_manifest
    from minipixi.manifest.edit import add_environment, remove_environment

    path = _manifest_path(args)
    if args.action == "list":
        for env in read_manifest(path).environments.values():
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
    from minipixi.manifest import read_manifest
    from minipixi.manifest.edit import add_system_requirement

    path = _manifest_path(args)
    if args.action == "list":
        for name, feature in read_manifest(path).features.items():
            for key, value in vars(feature.system_requirements).items():
                if value is not None and key != "libc_family":
                    _out(f"{name}: {key} = {value}")
        return 0
    add_system_requirement(path, args.kind, args.version, family=args.family, feature=args.feature)
    _status(f"✔ Added system requirement {args.kind} {args.version}")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from minipixi.manifest.edit import migrate_system_requirements

    names = migrate_system_requirements(_manifest_path(args))
    _status("✔ Moved [system-requirements] onto the platform entries: " + ", ".join(names))
    return 0


def _register_workspace_manifest_commands(ws: argparse._SubParsersAction) -> None:
    platform = ws.add_parser("platform", help="add, remove or list the workspace platforms")
    for action, p in _actions(platform, "action", ("add", "remove", "list")).items():
        if action != "list":
            p.add_argument("platforms", nargs="+", metavar="PLATFORM")
            p.add_argument("-f", "--feature", help="change the platforms of this feature")
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
    init.set_defaults(handler=cmd_init)
    add = sub.add_parser("add", help="add dependencies to the manifest")
    _dependency_options(add)
    add.set_defaults(handler=cmd_add)
    remove = sub.add_parser("remove", aliases=["rm"], help="remove dependencies from the manifest")
    _dependency_options(remove)
    remove.set_defaults(handler=cmd_remove)
    _register_task_commands(sub)
    _register_workspace_manifest_commands(workspace_subcommands(sub))


# ---- area: lock (lock) -------------------------------------------------------------------
def register_lock_commands(sub: argparse._SubParsersAction) -> None:
    pass


# ---- area: install and run (install, run, shell, shell-hook, list, tree, info, clean, global)
def register_install_commands(sub: argparse._SubParsersAction) -> None:
    pass


# ---- area: export (workspace export ...) ---------------------------------------------------
def register_export_commands(sub: argparse._SubParsersAction) -> None:
    pass


# ---- area: teaching (tour, grade) ----------------------------------------------------------
def register_teaching_commands(sub: argparse._SubParsersAction) -> None:
    pass


# --8<-- [end:commands]


def build_parser() -> argparse.ArgumentParser:
    """The whole command-line grammar, built without importing the library."""
    parser = argparse.ArgumentParser(
        prog="minipixi",
        description="A readable re-implementation of the pixi package manager.",
    )
    parser.add_argument("--version", action="version", version=f"minipixi {__version__}")
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
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        return handler(args)
    except MinipixiError as err:
        print(err.render(), file=sys.stderr)
        if args.verbose:
            traceback.print_exc()
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception:  # noqa: BLE001 - the one place that catches everything
        print(
            "error: this is a bug in minipixi, please report it"
            + ("" if args.verbose else " (run again with -v for the traceback)"),
            file=sys.stderr,
        )
        if args.verbose or os.environ.get("MINIPIXI_TRACEBACK"):
            traceback.print_exc()
        return 2


def entrypoint() -> None:
    """The `minipixi` console script."""
    sys.exit(main())
