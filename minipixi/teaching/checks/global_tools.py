"""Checks on global tools: a learner's pixi-global.toml, read, installed and updated offline.

``pixi global`` installs command-line tools (``bat``, say), each in an environment of its
own, listed in a global manifest; copying that one file to a new machine and running ``pixi
global update`` recreates them. The last exercise hands in that file, and the checks use
minipixi's own global-tools code (`app/global_tools.py`) on it: read it with its parser
(`read_global_manifest`), install each environment offline from the teaching channel into the
grader's scratch folder and list the programs it exposes (`global_environment_programs`), and run
the update in a fresh, empty home (`update_global_tools`). Nothing is installed into the
grader's own home, and no installed program is run by these helpers.

Lesson: episode 2's global tools. Read after `teaching/reading/workflow.py`; read next
`teaching/gradebook.py`.
"""

from __future__ import annotations

import shutil

from minipixi.app.global_tools import (
    executables, install_environment, manifest_path, parse_global_manifest, update_tools,
)
from minipixi.config import Config, temporary_environ
from minipixi.errors import MinipixiError
from minipixi.teaching.grade import CheckFailed, Submission


def read_global_manifest(sub: Submission, relative: str = "pixi-global.toml") -> dict:
    """{name: GlobalEnvironment} of a global manifest in the submission, read by minipixi's own
    parser; CheckFailed with the parser's place (file:line:column), message and hint."""
    text = sub.read_text(relative)
    try:
        return parse_global_manifest(text, relative)
    except MinipixiError as err:
        raise CheckFailed(f"{err.where or relative}: {err.message}" + (f" ({err.hint})" if err.hint else "")) from err


def global_environment_programs(sub: Submission, env, subdir: str | None = None) -> list[str]:
    """The programs a global environment's packages install into ``bin/``: solved and installed
    offline from the teaching channel into the grader's scratch folder, for this machine (or
    `subdir`). CheckFailed, with the solver's message, when it cannot be installed."""
    prefix = sub.scratch / "global-envs" / (subdir or "this-machine") / env.name
    try:
        install_environment(env, Config(offline=True), prefix, subdir)
    except MinipixiError as err:
        where = f" on {subdir}" if subdir else ""
        raise CheckFailed(f"environment '{env.name}' cannot be installed{where}: {err.message}") from err
    return executables(prefix)


def update_global_tools(sub: Submission, relative: str = "pixi-global.toml"):
    """A fresh ``MINIPIXI_HOME`` that holds only the submission's global manifest, after
    `minipixi global update` (offline): what a new machine has once the file is copied there.
    Returns the home folder; CheckFailed with minipixi's message when the update fails."""
    home = sub.scratch / "fresh-home"
    shutil.rmtree(home, ignore_errors=True)
    with temporary_environ({"MINIPIXI_HOME": str(home)}):
        manifest_path().parent.mkdir(parents=True)
        manifest_path().write_text(sub.read_text(relative), encoding="utf-8")
        try:
            update_tools([], config=Config(offline=True))
        except MinipixiError as err:
            raise CheckFailed(f"`minipixi global update` stops on a fresh machine: {err.message}") from err
    return home
