"""Run the lesson's saved commands and save what they print, so that no page shows typed-up output.

Every command a lesson page shows lives in ``lessons/snippets/commands/<name>.sh``, one snippet per
file. This script runs them and writes ``lessons/snippets/outputs/<name>.txt``: each command as a
``$ command`` line, followed by what it printed (stdout and stderr, in order). Pages include the
output file with ``--8<-- "snippets/outputs/<name>.txt"``.

Snippets are grouped by the prefix before their second dash (``ep02-03-add-python`` belongs to
group ``ep02``). A group runs in ONE fresh scratch folder and ONE bash process, its snippets in
file-name order, so a later snippet sees the workspace the earlier ones built, exactly as a learner
following the page would. Environment of the run:

- ``HOME`` is the scratch folder and the commands start in ``~/pixi-lesson``; the scratch path is
  written as ``~`` in the saved output, so outputs do not depend on where they were made;
- ``MINIPIXI_OFFLINE=1`` (the bundled teaching channel), ``NO_COLOR=1``, ``COLUMNS=100``, and
  ``PYTHONUNBUFFERED=1`` so that output and progress lines interleave as on a terminal;
- the ``minipixi`` on ``PATH`` is the one next to the Python running this script.

A command that fails is recorded with its output (lessons show errors on purpose); it does not
stop the group. Lines ending in a backslash continue the command, and a here-document
(``<<'EOF'`` ... ``EOF``) belongs to the command that opens it. Snippet section markers
(``# --8<-- [start:NAME]``), which let a page show part of a file, are dropped before running.

Usage::

    python scripts/generate_lesson_outputs.py                 # all groups
    python scripts/generate_lesson_outputs.py ep02 ep05       # only these groups
    python scripts/generate_lesson_outputs.py --check         # compare with the saved outputs
    python scripts/generate_lesson_outputs.py --list          # groups and snippets, run nothing
    python scripts/generate_lesson_outputs.py --use-outputs   # pages: show outputs, not commands
    python scripts/generate_lesson_outputs.py ep02 --only ep02-01-init ep02-02-look
    python scripts/generate_lesson_outputs.py --refresh       # re-save only what is saved already
    python scripts/generate_lesson_outputs.py ep02 --check --platform osx-64

``--check`` exits 1 and prints a diff when a saved output no longer matches the program: the test
``tests/site/test_lesson_outputs.py`` runs it.

``--platform P`` runs the commands as a learner on platform P would (``MINIPIXI_PLATFORM=P``: an
Intel Mac is ``osx-64``, an ARM Linux laptop ``linux-aarch64``). The saved outputs were made on
linux-64, so ``--check --platform P`` compares what does not depend on the platform
(`compare_across_platforms`): `platform_neutral` writes the machine's subdir (P on one side,
linux-64 on the other) as ``<machine>``, build hashes, checksums and sizes as placeholders, and drops the lines only Linux has (the
``__glibc`` dependency of a Linux build). Two differences are expected and allowed: a line that
names P itself may be added (``init`` lists the learner's own platform, so their workspaces have
it besides the lesson's three), and a ``head`` shows the lines that slide up into the place of a
dropped Linux-only line. Everything else must match: the same commands succeed and fail, with
the same messages, the same packages and versions, the same files. ``--use-outputs`` rewrites each page block that
includes ``snippets/commands/<name>.sh`` (a bash fence showing what to type) into a console block
that includes ``snippets/outputs/<name>.txt`` (the same commands with their output), for every
snippet whose output exists.
"""

from __future__ import annotations

import argparse
import difflib
import itertools
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "lessons"
COMMANDS = LESSONS / "snippets" / "commands"
OUTPUTS = LESSONS / "snippets" / "outputs"
FIGURES = LESSONS / "figures"  # SVG figures drawn from the same runs (scripts/lesson_figures.py)
TIMEOUT_S = 300
# A transcript holding one of these was made by a command minipixi does not have (yet): it is
# reported and not saved, so a page never shows "invalid choice" as if it were the lesson's output.
NOT_IMPLEMENTED = ("invalid choice:", "unrecognized arguments:")
# Section markers let a page show part of a snippet (``--8<-- "snippets/commands/x.sh:toml"``);
# they are not part of the commands.
SECTION_MARKER = re.compile(r"^\s*#\s*--8<--\s*\[(?:start|end):[\w-]+\]\s*$")
HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")


@dataclass(frozen=True)
class Snippet:
    """One saved command file: its name (``ep02-03-add-python``) and its commands, in order."""

    name: str
    commands: tuple[str, ...]

    @property
    def group(self) -> str:
        return self.name.split("-", 1)[0]


def parse_commands(text: str) -> list[str]:
    """Split a snippet file into commands: one per line, joining continuations and here-docs."""
    commands: list[str] = []
    lines = [line for line in text.splitlines() if not SECTION_MARKER.match(line)]
    i = 0
    while i < len(lines):
        command = lines[i]
        i += 1
        while command.endswith("\\") and i < len(lines):
            command += "\n" + lines[i]
            i += 1
        match = HEREDOC.search(command)
        if match:
            terminator = match.group(2)
            while i < len(lines):
                command += "\n" + lines[i]
                i += 1
                if lines[i - 1].strip() == terminator:
                    break
        if command.strip():
            commands.append(command)
    return commands


def read_snippets(directory: Path = COMMANDS) -> list[Snippet]:
    """All snippets, sorted by name (which is the order they run in within a group)."""
    return [
        Snippet(path.stem, tuple(parse_commands(path.read_text(encoding="utf-8"))))
        for path in sorted(directory.glob("*.sh"))
    ]


def group_snippets(snippets: list[Snippet]) -> dict[str, list[Snippet]]:
    """Snippets by group, each group in name order."""
    groups: dict[str, list[Snippet]] = {}
    for snippet in snippets:
        groups.setdefault(snippet.group, []).append(snippet)
    return groups


def render_driver(snippets: list[Snippet], out_dir: Path) -> str:
    """The bash script that runs one group and sends each snippet's transcript to its own file.

    Each command runs inside ``{ ...; }`` (not a subshell), so ``cd`` and ``export`` carry over to
    the next command, as they would in a learner's terminal.
    """
    lines = ["cd \"$HOME/pixi-lesson\""]
    for snippet in snippets:
        target = shlex.quote(str(out_dir / f"{snippet.name}.txt"))
        lines.append(f": > {target}")
        for command in snippet.commands:
            lines.append(f"printf '%s\\n' {shlex.quote('$ ' + command)} >> {target}")
            lines.append(f"{{\n{command}\n}} >> {target} 2>&1 < /dev/null")
    return "\n".join(lines) + "\n"


def scratch_environment(home: Path, platform: str | None = None) -> dict[str, str]:
    """The variables the commands run with: a private HOME, offline mode, plain output; with
    `platform`, ``MINIPIXI_PLATFORM`` makes minipixi act as if it ran on that platform."""
    # Nothing of this machine's set-up leaks in: no minipixi/pixi settings, no CONDA_OVERRIDE_*.
    prefixes = ("MINIPIXI_", "PIXI_", "XDG_", "CONDA_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(
        HOME=str(home),
        MINIPIXI_OFFLINE="1",
        NO_COLOR="1",
        TERM="dumb",
        COLUMNS="100",
        LC_ALL="C.UTF-8",
        PYTHONUNBUFFERED="1",  # stdout and stderr interleave as they would on a terminal
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    env.pop("VIRTUAL_ENV", None)
    if platform:
        env["MINIPIXI_PLATFORM"] = platform
    return env


def normalise(text: str, home: Path) -> str:
    """Make a transcript independent of where it was made: the scratch HOME is written ``~``."""
    for path in {str(home), os.path.realpath(home)}:
        text = text.replace(path, "~")
    return text


def run_group(snippets: list[Snippet], platform: str | None = None,
              figures: dict[str, str] | None = None) -> dict[str, str]:
    """Run one group in a fresh scratch folder (as if on `platform`, when given); return
    {snippet name: transcript}. With a `figures` dict, also fill it with the group's figures
    ({file name: SVG}, see scripts/lesson_figures.py) before the scratch folder goes."""
    with tempfile.TemporaryDirectory(prefix="lesson-") as tmp:
        home = Path(tmp) / "home"
        (home / "pixi-lesson").mkdir(parents=True)
        out_dir = Path(tmp) / "out"
        out_dir.mkdir()
        driver = Path(tmp) / "driver.sh"
        driver.write_text(render_driver(snippets, out_dir), encoding="utf-8")
        subprocess.run(
            ["bash", str(driver)], env=scratch_environment(home, platform), timeout=TIMEOUT_S,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
        )
        if figures is not None:
            figures.update(_lesson_figures().figures_for(snippets[0].group, home))
        return {
            s.name: normalise((out_dir / f"{s.name}.txt").read_text(encoding="utf-8"), home)
            for s in snippets
        }


NEUTRAL = (
    (re.compile(r'"(?:platform|arch)": "(?:linux|osx|win|x86_64|aarch64|arm64)"'), '"<machine>": "<os>"'),
    (re.compile(r"\bh[0-9a-f]{7}(?=_)"), "h<hash>"),  # the build-string hash (it covers the subdir)
    (re.compile(r"\b[0-9a-f]{64}\b"), "<sha256>"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "<md5>"),
    (re.compile(r"\b\d+(?:\.\d+)? (?:B|KiB|MiB)\b"), "<size>"),
    (re.compile(r'("?size"?:\s*)\d+'), r"\1<size>"),
    (re.compile(r"(\d\d:\d\d:\d\d) +\d+$", re.M), r"\1 <size>"),  # python -m zipfile -l
)
#: Lines one operating system's transcript has and another's lacks: Linux builds' glibc
#: dependencies, and the OS's own virtual packages a v7 lock lists under each platform
#: (``- __linux=4.18``, ``- __osx=13.0``, ``- __win=10.0``).
LINUX_ONLY = re.compile(r"__glibc|^\s*- __(linux|osx|win)=")


def platform_neutral(text: str, platform: str = "linux-64") -> str:
    """A transcript made on `platform` with what depends on it written as placeholders (see
    --platform): the machine's subdir (`platform`, and linux-64, which the lesson's workspaces
    list) becomes ``<machine>``; other subdirs stay as they are."""
    for subdir in {platform, "linux-64"}:
        text = re.sub(rf"(?<![\w-]){re.escape(subdir)}(?![\w-])", "<machine>", text)
    for pattern, replacement in NEUTRAL:
        text = pattern.sub(replacement, text)
    return "".join(line for line in text.splitlines(keepends=True) if not LINUX_ONLY.search(line))


def _blocks(text: str) -> list[tuple[str, list[str]]]:
    """A transcript as (command, output lines) pairs."""
    blocks: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("$ ") or not blocks:
            blocks.append((line, []))
        else:
            blocks[-1][1].append(line)
    return blocks


def compare_across_platforms(saved: str, fresh: str, platform: str) -> list[str]:
    """What differs between a linux-64 transcript and one made as if on `platform`, beyond what
    depends on the platform (see ``--platform`` in the module docstring). Empty when they agree."""
    saved_blocks, fresh_blocks = _blocks(platform_neutral(saved)), _blocks(fresh)
    if [c for c, _ in saved_blocks] != [platform_neutral(c, platform) for c, _ in fresh_blocks]:
        return ["the commands differ"]
    problems = []
    for (command, old), (_, raw) in zip(saved_blocks, fresh_blocks):
        raw = [line for line in raw if not LINUX_ONLY.search(line)]
        old = [line for line in old if not LINUX_ONLY.search(line)]
        own = [i for i, line in enumerate(raw) if platform in line]  # lines that may be extra
        # Try dropping each choice of the lines that name the learner's platform (few per block).
        choices = itertools.chain.from_iterable(
            itertools.combinations(own, k) for k in range(len(own) + 1 if len(own) <= 8 else 1))
        for dropped in choices:
            new = [platform_neutral(line + "\n", platform).rstrip("\n")
                   for i, line in enumerate(raw) if i not in dropped]
            if re.search(r"\bhead\b", command):  # lines slid up into the place of dropped Linux-only lines
                size = min(len(new), len(old))
                if new[:size] == old[:size]:
                    break
            elif new == old:
                break
        else:
            diff = difflib.unified_diff(old, [platform_neutral(r + "\n", platform).rstrip("\n") for r in raw],
                                        "linux-64", platform, lineterm="", n=1)
            problems.append(command + "\n" + "\n".join(diff))
    return problems


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def check_outputs(results: dict[str, str], outputs: Path = OUTPUTS, *, platform: str | None = None) -> list[str]:
    """Diffs between fresh transcripts and the saved ones (only snippets that have one saved);
    for transcripts made as if on another `platform`, see `compare_across_platforms`."""
    problems = []
    for name, fresh in sorted(results.items()):
        saved_path = outputs / f"{name}.txt"
        if not saved_path.exists():
            continue
        saved = saved_path.read_text(encoding="utf-8")
        if platform and platform != "linux-64":
            problems += [f"{name} ({platform}): {p}" for p in compare_across_platforms(saved, fresh, platform)]
            continue
        if saved != fresh:
            diff = difflib.unified_diff(
                saved.splitlines(), fresh.splitlines(), f"saved/{name}.txt", f"fresh/{name}.txt",
                lineterm="",
            )
            problems.append("\n".join(diff))
    return problems


def save_until_missing_command(group: str, results: dict[str, str]) -> list[str]:
    """Save transcripts in order, stopping at the first that used a missing minipixi command.

    Later snippets of the group ran on a workspace the missing command never built, so their
    transcripts are not the lesson's either; they are left unsaved too.
    """
    written: list[str] = []
    for name, text in results.items():
        if any(marker in text for marker in NOT_IMPLEMENTED):
            print(f"{group}: stopped at {name} (uses a command minipixi does not have yet)")
            break
        write_atomic(OUTPUTS / f"{name}.txt", text)
        written.append(name)
    return written


COMMAND_BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)```bash\n(?P=indent)--8<-- \"snippets/commands/(?P<name>[\w.-]+)\.sh\"\n"
    r"(?P=indent)```$",
    re.MULTILINE,
)


def use_outputs_in_page(text: str, available: set[str]) -> str:
    """Turn command blocks into output blocks for the snippets whose output exists."""

    def replace(match: re.Match[str]) -> str:
        indent, name = match.group("indent"), match.group("name")
        if name not in available:
            return match.group(0)
        return (
            f'{indent}```console\n{indent}--8<-- "snippets/outputs/{name}.txt"\n{indent}```'
        )

    return COMMAND_BLOCK.sub(replace, text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("groups", nargs="*", help="groups to run (default: all), e.g. ep02")
    parser.add_argument("--check", action="store_true", help="compare with saved outputs")
    parser.add_argument("--list", action="store_true", help="list groups and snippets")
    parser.add_argument("--use-outputs", action="store_true", help="pages show saved outputs")
    parser.add_argument(
        "--only", nargs="+", metavar="NAME", default=None,
        help="run the whole group(s) but save only these snippets (when later commands of the "
        "group do not work yet)",
    )
    parser.add_argument(
        "--platform", metavar="SUBDIR",
        help="run as if on this platform (MINIPIXI_PLATFORM); with --check, compare what does not "
        "depend on the platform",
    )
    parser.add_argument(
        "--refresh", action="store_true",
        help="save only the snippets that already have a saved output (after a deliberate change)",
    )
    return parser


def use_outputs_in_pages() -> None:
    """Rewrite every page so that it shows the saved outputs that exist."""
    available = {p.stem for p in OUTPUTS.glob("*.txt")}
    for page in sorted(LESSONS.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        new = use_outputs_in_page(text, available)
        if new != text:
            write_atomic(page, new)
            print(f"updated {page.relative_to(ROOT)}")


def select(results: dict[str, str], only: list[str] | None, refresh: bool) -> dict[str, str]:
    """The transcripts to save: all, or those named by --only, or those saved before (--refresh)."""
    if only is not None:
        results = {name: text for name, text in results.items() if name in only}
    if refresh:
        saved = {p.stem for p in OUTPUTS.glob("*.txt")}
        results = {name: text for name, text in results.items() if name in saved}
    return results


def _lesson_figures():
    """scripts/lesson_figures.py, loaded by path (this script is also loaded by path, by tests)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("lesson_figures", Path(__file__).with_name("lesson_figures.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_figures(figures: dict[str, str], directory: Path = FIGURES) -> list[str]:
    """Figures that differ from (or are missing in) lessons/figures/: each must be redrawn."""
    problems = []
    for name, fresh in sorted(figures.items()):
        saved = directory / name
        if not saved.exists():
            problems.append(f"figures/{name}: not saved yet")
        elif saved.read_text(encoding="utf-8") != fresh:
            diff = difflib.unified_diff(saved.read_text(encoding="utf-8").splitlines(), fresh.splitlines(),
                                        f"saved/{name}", f"fresh/{name}", lineterm="", n=1)
            problems.append("\n".join(list(diff)[:40]))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    groups = group_snippets(read_snippets())
    if args.list:
        for group, snippets in groups.items():
            print(f"{group}: " + " ".join(s.name for s in snippets))
        return 0
    if args.use_outputs:
        use_outputs_in_pages()
        return 0
    unknown = [g for g in args.groups if g not in groups]
    if unknown:
        parser.error(f"unknown group(s): {', '.join(unknown)} (see --list)")
    problems: list[str] = []
    if args.platform and not args.check:
        parser.error("--platform only checks (saved outputs are made on linux-64)")
    for group in args.groups or list(groups):
        figures: dict[str, str] = {}
        results = run_group(groups[group], args.platform, figures if not args.platform else None)
        if args.check:
            problems += check_outputs(results, platform=args.platform)
            problems += check_figures(figures)
            continue
        chosen = select(results, args.only, args.refresh)
        written = save_until_missing_command(group, chosen)
        print(f"{group}: wrote {len(written)} of {len(chosen)} output(s)")
        for name, svg in sorted(figures.items()):
            write_atomic(FIGURES / name, svg)
            print(f"{group}: drew figures/{name}")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
