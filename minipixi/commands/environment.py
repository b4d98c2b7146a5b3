"""The environment area of the command line: ``install``, ``run``, ``shell``, ``shell-hook`` and
``global``.

Each handler opens the project once and calls its pipeline (`app/sync.py`, `app/run.py`,
`app/global_tools.py`) with the lock policy its ``--locked`` / ``--frozen`` flags choose.

Read after `commands/lock.py`; read next `commands/inspect.py`.
"""

from __future__ import annotations

import argparse
import os
import sys

from minipixi.commands.common import ProgressReporter, lock_options, mode, open_project, out, solving, status


def cmd_install(args: argparse.Namespace) -> int:
    from minipixi.app.sync import install_environment  # lazy: the solver loads numba

    project = open_project(args)
    names = list(project.workspace.environments) if args.all else [args.environment or "default"]
    for env in names:
        install_environment(project, env, mode(args), reporter=ProgressReporter(), on_solve=solving)
        status(f"✔ The {env} environment has been installed.")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from minipixi.app import run  # lazy: the solver loads numba
    from minipixi.run.tasks import TaskError  # lazy: loads the task shell (subprocess)

    def announce(env, step) -> None:
        if step.name:
            status(f"✨ Pixi task ({step.name} in {env}): {step.command}")

    project = open_project(args)
    try:
        return run.run(project, args.words, args.environment, mode(args), reporter=ProgressReporter(),
                       on_solve=solving, on_start=announce)
    except TaskError as err:
        print(err.render(), file=sys.stderr)
        return err.exit_code


def cmd_shell(args: argparse.Namespace) -> int:
    from minipixi.app import run  # lazy: the solver loads numba

    project = open_project(args)
    env, argv, environ = run.shell(project, args.environment, mode(args), reporter=ProgressReporter(),
                                   on_solve=solving)
    status(f"Starting a shell in the {env} environment; type `exit` to leave it.")
    os.execvpe(argv[0], argv, environ)
    return 0  # not reached


def cmd_shell_hook(args: argparse.Namespace) -> int:
    from minipixi.app import run  # lazy: the solver loads numba

    project = open_project(args)
    sys.stdout.write(run.shell_hook(project, args.shell, args.environment, mode(args),
                                    reporter=ProgressReporter(), on_solve=solving))
    return 0


def register_install_commands(sub: argparse._SubParsersAction) -> None:
    env_help = "the environment (default: default)"
    install = sub.add_parser("install", help="install an environment exactly as pixi.lock says")
    install.add_argument("-e", "--environment", help=env_help)
    install.add_argument("-a", "--all", action="store_true", help="install every environment")
    lock_options(install)
    install.set_defaults(handler=cmd_install)

    run = sub.add_parser("run", help="run a task or a command in an environment")
    run.add_argument("-e", "--environment", help=env_help)
    lock_options(run)
    run.add_argument("words", nargs=argparse.REMAINDER, metavar="TASK|COMMAND", help="a task name or a command")
    run.set_defaults(handler=cmd_run)

    shell = sub.add_parser("shell", help="start a shell with an environment activated")
    shell.add_argument("-e", "--environment", help=env_help)
    lock_options(shell)
    shell.set_defaults(handler=cmd_shell)

    hook = sub.add_parser("shell-hook", help="print the shell code that activates an environment")
    hook.add_argument("-e", "--environment", help=env_help)
    hook.add_argument("-s", "--shell", default="bash", choices=["bash", "zsh", "fish", "powershell", "cmd"])
    lock_options(hook)
    hook.set_defaults(handler=cmd_shell_hook)

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
    from minipixi.app import global_tools  # lazy: the solver loads numba, the global manifest tomlkit
    from minipixi.config import OFFLINE_NOTICE, load_config  # lazy: reads TOML (tomllib)

    action = args.global_command
    config = load_config(None, offline=getattr(args, "offline", False))
    if config.offline and action != "list":
        status(OFFLINE_NOTICE)
    if action == "install":
        for tool in global_tools.install_tools(args.specs, channels=args.channel or ["conda-forge"], config=config):
            out(f"└── {tool.name}: {tool.version} (installed)")
            out(f"    └─ exposes: {', '.join(tool.exposed)}")
    elif action == "remove":
        for name in global_tools.remove_tools(args.specs):
            status(f"✔ Removed {name}")
    elif action == "update":
        for tool in global_tools.update_tools(args.specs, config=config):
            out(f"└── {tool.name}: {tool.version} (up to date)")
    else:
        tools = global_tools.list_tools()
        if not tools:
            status("No global tools installed yet: try `minipixi global install bat`")
        for tool in tools:
            out(f"└── {tool.name}: {tool.version}")
            out(f"    └─ exposes: {', '.join(tool.exposed)}")
    return 0
