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
def register_manifest_commands(sub: argparse._SubParsersAction) -> None:
    pass


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
