"""What every command of the command line shares: how it prints, and the options many take.

- Output: `out` writes results to stdout; `status` writes progress and ✔ lines to stderr (as
  Pixi does), so stdout stays parseable; `announce` shows a notice once per command (once per
  tour); `ProgressReporter` draws install progress on a terminal, and nothing when piped.
- Grammar: `whole_number` (a bounded number type), `add_workspace_options` (``--manifest-path``),
  `lock_options` (``--offline``, ``--locked``, ``--frozen``), `actions` (``add``/``remove``/``list``
  sub-commands), `workspace_subcommands` (the ``workspace`` command several areas extend).
- `open_project`: the workspace of a command, opened once (`app/project.py`), its notices and
  the manifest's deprecated forms shown; `read_workspace` for commands that only look at it.

Only this package and `cli.py` print. Read after `cli.py`; read next `commands/manifest.py`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, Sequence

SHOWN_NOTICES: set[str] = set()
NESTED = [False]  # True while the tour runs commands: notices then show once for the whole tour


def out(text: str = "") -> None:
    """Write a line of normal output (stdout)."""
    print(text)


def status(text: str) -> None:
    """Write a progress / status line (stderr, like pixi), so stdout stays parseable."""
    print(text, file=sys.stderr)


def announce(notice: str) -> None:
    """A notice, shown once per process: once per command, once per tour."""
    if notice not in SHOWN_NOTICES:
        SHOWN_NOTICES.add(notice)
        status(notice)


def warn_about(workspace) -> None:
    """Deprecated or ignored forms in the manifest, as Pixi warns about them on every command.
    (Unused features and targets stay quiet here, as in Pixi's output.)"""
    for warning in workspace.syntax_warnings:
        announce(f"WARN {warning}")


def solving(env: str, platform: str) -> None:
    """Progress while solving: on a terminal only (like pixi's spinner), so logs stay clean."""
    if sys.stderr.isatty():
        status(f"  solving {env} for {platform} ...")


def manifest_path(args: argparse.Namespace) -> Path:
    """--manifest-path, or the pixi.toml found from the current directory upwards."""
    from minipixi.manifest import find_manifest  # lazy: the manifest package loads tomlkit

    path = getattr(args, "manifest_path", None)
    return Path(path) if path else find_manifest(Path.cwd())


def read_workspace(args: argparse.Namespace):
    """The manifest a command reads (and does not edit), its warnings shown once."""
    from minipixi.manifest import read_manifest  # lazy: the manifest package loads tomlkit

    workspace = read_manifest(manifest_path(args))
    warn_about(workspace)
    return workspace


def open_project(args: argparse.Namespace, *, warn: bool = True, notices: bool = True):
    """The workspace for this command, announcing (once, with `notices`) the offline teaching
    mirror and (with `warn`) the manifest's deprecated forms."""
    from minipixi.app.project import open_project  # lazy: reads TOML (tomlkit) and loads the solver

    project = open_project(getattr(args, "manifest_path", None), offline=getattr(args, "offline", False))
    for notice in project.notices if notices else ():
        announce(notice)
    if warn:
        warn_about(project.workspace)
    return project


def mode(args: argparse.Namespace) -> str:
    """The lock policy (`app/policy.py`) that ``--locked`` / ``--frozen`` choose."""
    return "frozen" if getattr(args, "frozen", False) else "locked" if getattr(args, "locked", False) else "default"


class ProgressReporter:
    """Install progress on a terminal: one line, rewritten in place. Silent when piped."""

    def __init__(self) -> None:
        from minipixi.config import flag  # lazy: config reads TOML (tomllib)

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


# ---- grammar shared by several areas ----------------------------------------------------------

def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high` (a bound on every number a user
    types: `--queue 10**30` is a usage error, not a script that asks for 10**30 jobs)."""

    def whole_number(text: str) -> int:
        text = text.strip()
        digits = text[1:] if text[:1] in ("+", "-") else text
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 12 or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high}, not {text[:40]!r}")
        return int(text)

    return whole_number


def add_workspace_options(parser: argparse.ArgumentParser) -> None:
    """`--manifest-path`, shared by every command that reads a workspace."""
    parser.add_argument(
        "--manifest-path",
        metavar="PATH",
        help="the pixi.toml to use (default: search from the current directory upwards)",
    )


def lock_options(parser: argparse.ArgumentParser, *, policy: bool = True) -> None:
    add_workspace_options(parser)
    parser.add_argument("--offline", action="store_true",
                        help="use the bundled teaching mirror of conda-forge and only cached repodata")
    if policy:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--locked", action="store_true",
                           help="fail if pixi.lock is out of date with pixi.toml (never update it)")
        group.add_argument("--frozen", action="store_true",
                           help="use pixi.lock exactly as it is, without checking it against pixi.toml")


def actions(parser: argparse.ArgumentParser, dest: str, names: Sequence[str]) -> dict[str, argparse.ArgumentParser]:
    subparsers = parser.add_subparsers(dest=dest, metavar="ACTION", required=True)
    return {name: subparsers.add_parser(name) for name in names}


def workspace_subcommands(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The subcommands of `minipixi workspace`, created once and shared by every area
    (manifest: platform/environment/system-requirements/migrate; export: export ...)."""
    if "workspace" not in sub.choices:
        ws = sub.add_parser("workspace", help="change the workspace: platforms, environments, exports")
        ws.add_subparsers(dest="workspace_command", metavar="COMMAND")
        ws.set_defaults(handler=lambda args, ws=ws: ws.print_help() or 0)
    parser = sub.choices["workspace"]
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
