"""The command line: the grammar, and the one place where errors are rendered.

Each command is a small function ``cmd_<name>(args) -> int`` that opens the project, calls one
pipeline of `app/` and renders what it returns. The commands live with their grammar in the
package `commands/`, one module per area: `commands/manifest.py` (init, add, remove, task,
workspace ...), `commands/lock.py` (lock, update, upgrade), `commands/environment.py` (install,
run, shell, shell-hook, global), `commands/inspect.py` (list, tree, why, diff, info, clean),
`commands/export.py` (workspace export) and `commands/teaching.py` (grade, tour). Commands and
flags follow `pixi` so that what a learner types here also works with the real tool.

Errors are rendered in exactly one place, `main()`: a `MinipixiError` becomes
``error: ...`` / ``  --> file:line:col`` / ``help: ...`` on stderr and exit code 1; anything
else is a bug in minipixi and says so (the traceback only with ``-v``).

Start-up time matters in a classroom, so library modules are imported inside the command
functions, never at the top of these files: `minipixi --help` imports argparse and the
grammar, nothing else.

Read this module first: it is where a command starts. Read next `commands/common.py`.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Callable, Sequence

from minipixi import PIXI_VERSION, __version__
from minipixi.commands.common import NESTED, SHOWN_NOTICES
from minipixi.commands.environment import register_install_commands
from minipixi.commands.export import register_export_commands
from minipixi.commands.inspect import register_inspect_commands
from minipixi.commands.lock import register_lock_commands
from minipixi.commands.manifest import register_manifest_commands
from minipixi.commands.teaching import register_teaching_commands
from minipixi.errors import MinipixiError, shorten

Handler = Callable[[argparse.Namespace], int]


# --8<-- [start:commands]
def build_parser() -> argparse.ArgumentParser:
    """The whole command-line grammar, built without importing the library: each area
    registers its commands (and their handlers) in its own module of `commands/`."""
    parser = argparse.ArgumentParser(
        prog="minipixi",
        description="A readable re-implementation of the pixi package manager.",
    )
    parser.add_argument("--version", action="version", version=f"minipixi {__version__} (follows pixi {PIXI_VERSION})")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more output; -v shows tracebacks"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    register_manifest_commands(sub)
    register_lock_commands(sub)
    register_install_commands(sub)
    register_inspect_commands(sub)
    register_export_commands(sub)
    register_teaching_commands(sub, main)  # the tour runs its steps through `main`
    return parser
# --8<-- [end:commands]


# --8<-- [start:main]
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
    if not NESTED[0]:
        SHOWN_NOTICES.clear()
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
            _print_traceback()
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
            _print_traceback()
        return 1
    except Exception:  # noqa: BLE001 - the one place that catches everything
        print(
            "error: this is a bug in minipixi, please report it"
            + ("" if args.verbose else " (run again with -v for the traceback)"),
            file=sys.stderr,
        )
        if args.verbose or os.environ.get("MINIPIXI_TRACEBACK"):
            _print_traceback()
        return 2
# --8<-- [end:main]


def _print_traceback() -> None:
    """The traceback of the error being handled, on stderr, by Python's own printer (the
    `traceback` module stays out of start-up: tests/security/test_cli_errors.py)."""
    sys.__excepthook__(*sys.exc_info())


def _pixi_variables(args: argparse.Namespace) -> None:
    """Pixi's environment variables (config.PIXI_VARIABLES): PIXI_LOCKED / PIXI_FROZEN act as
    --locked / --frozen where a command has them; an unsupported one is an error naming it."""
    from minipixi.config import flag, pixi_environment  # lazy: config reads TOML (tomllib)

    pixi_environment()
    for option, variable in (("locked", "PIXI_LOCKED"), ("frozen", "PIXI_FROZEN")):
        if hasattr(args, option) and not getattr(args, option) and flag(variable):
            setattr(args, option, True)
    if getattr(args, "locked", False) and getattr(args, "frozen", False):
        raise MinipixiError("--locked and --frozen cannot be used together (PIXI_LOCKED / PIXI_FROZEN count too)",
                            hint="--locked checks that pixi.lock is up to date; --frozen installs it as it is: pick one")


def _os_error(err: OSError) -> MinipixiError:
    """An OSError as a user-facing error: what the system said, and the file(s) it named."""
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
