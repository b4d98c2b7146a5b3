"""Start-up stays light: building the whole command line imports no heavy module.

(Timing belongs in bench/startup.py; here we check the cause: what gets imported.)
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ["numba", "numpy", "httpx", "yaml", "tomlkit", "zstandard", "minipixi.solver", "minipixi.manifest",
         "hypothesis", "dataclasses"]


def test_help_imports_nothing_heavy():
    code = ("import sys\nfrom minipixi.cli import build_parser\nbuild_parser().format_help()\n"
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "", f"imported at start-up: {loaded}"


def test_help_lists_the_pixi_commands():
    out = subprocess.run([sys.executable, "-m", "minipixi", "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("init", "add", "remove", "task", "workspace", "lock", "install", "run", "shell", "shell-hook",
                    "list", "tree", "info", "clean", "global", "tour", "grade"):
        assert command in out, command


def test_httpx_comes_without_its_command_line_client():
    """httpx imports its own command-line client (and with it click and pygments, which mkdocs
    installs) unless told not to: minipixi never runs it, so a download does not pay for it."""
    code = ("import sys\nimport minipixi.channel.load, httpx\n"
            "print(sorted(m for m in ('click', 'pygments', 'httpx._main') if sys.modules.get(m)))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
