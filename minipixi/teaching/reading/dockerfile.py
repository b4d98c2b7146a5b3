"""Dockerfiles read as data: instructions, stages, and what each RUN line would start.

A Dockerfile is read by the `dockerfile-parse` library (continuation lines, comments, exec and
shell forms), never built. Each RUN, ENTRYPOINT and CMD becomes a command
tree (`Instruction.shell_tree`): shell-form text and ``["bash", "-c", "..."]`` are parsed as bash by
`teaching/reading/shell.py`, any other exec form is one command. The container exercise asks of
those trees the questions of `teaching/reading/pixi_calls.py` (is the locked environment
installed? is it activated before the entrypoint runs the command?), and of the file the stages
(`dockerfile_stages`), their bases (``FROM scratch`` has no shell) and what a COPY takes from an
earlier stage (`copies_from`).

Lesson: the container episode. Read after `teaching/reading/pixi_calls.py`; read next
`teaching/reading/apptainer.py`.
"""

from __future__ import annotations

import io
import json
import shlex
from dataclasses import dataclass

from minipixi.teaching.grade import CheckFailed
from minipixi.teaching.reading.commands import MAX_COMMAND_TEXT, CommandSyntaxError, Sequence, Simple
from minipixi.teaching.reading.shell import parse_bash


# ---- Dockerfiles -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction: its keyword, its arguments as written, its first line."""

    keyword: str
    value: str
    line: int

    def exec_form(self) -> list[str] | None:
        """The JSON list of an exec-form RUN/CMD/ENTRYPOINT (``["a", "b"]``), else None."""
        text = self.value.strip()
        if not text.startswith("["):
            return None
        try:
            data = json.loads(text)
        except ValueError:
            return None
        return [str(item) for item in data] if isinstance(data, list) else None

    def shell_tree(self):
        """What a RUN (or shell-form ENTRYPOINT/CMD) runs, as a tree: ``sh -c`` text parsed as
        bash, an exec form as one command (or its ``bash -c`` text)."""
        form = self.exec_form()
        if form is None:
            return parse_bash(self.value)
        if len(form) >= 3 and form[0].rsplit("/", 1)[-1] in ("sh", "bash") and form[1] in ("-c", "-lc", "-ec"):
            return parse_bash(form[2])
        return Sequence((Simple(tuple(form)),))


def dockerfile_instructions(text: str) -> list[Instruction]:
    """The instructions of a Dockerfile, read by `dockerfile-parse` (comments left out)."""
    from dockerfile_parse import DockerfileParser  # lazy: only the container exercise reads Dockerfiles

    if len(text) > MAX_COMMAND_TEXT:
        raise CommandSyntaxError(f"the Dockerfile is longer than {MAX_COMMAND_TEXT} characters")
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8")), env_replace=False)
    try:
        structure = parser.structure
    except Exception as err:  # noqa: BLE001 - the library raises several kinds
        raise CommandSyntaxError(f"the Dockerfile cannot be read: {err}") from err
    return [Instruction(item["instruction"].upper(), item["value"], item["startline"] + 1)
            for item in structure if item["instruction"].upper() != "COMMENT"]


def key_values(value: str) -> dict[str, str]:
    """``ENV A=1 B="two"`` or ``ENV A 1`` (also ARG) as {name: value}."""
    try:
        words = shlex.split(value)
    except ValueError:
        words = value.split()
    if not words:
        return {}
    if "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}
    return dict(word.partition("=")[::2] for word in words if "=" in word)


# ---- for checks: stages, bases, what each instruction runs -----------------------------------

def _instruction_pairs(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs of a Dockerfile (continuation lines joined, comments
    dropped); CheckFailed when it cannot be read."""
    try:
        return [(item.keyword, item.value) for item in dockerfile_instructions(text)]
    except CommandSyntaxError as err:
        raise CheckFailed(err.message) from err


def dockerfile_stages(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """(stage name, instructions) per FROM; a stage without ``AS name`` is named by its index."""
    stages: list[tuple[str, list[tuple[str, str]]]] = []
    for instruction, args in _instruction_pairs(text):
        if instruction == "FROM":
            words = args.split()
            lowered = [w.lower() for w in words]
            name = words[lowered.index("as") + 1] if "as" in lowered[:-1] else str(len(stages))
            stages.append((name, [("FROM", args)]))
        elif stages:
            stages[-1][1].append((instruction, args))
    return [(name, instructions[1:]) for name, instructions in stages]


def stage_bases(text: str) -> list[str]:
    """The image each stage starts FROM (``scratch``, ``ghcr.io/...``, or an earlier stage)."""
    return [args.split()[0] if args.split() else "" for word, args in _instruction_pairs(text) if word == "FROM"]


def instruction_tree(value: str):
    """What a RUN/ENTRYPOINT/CMD value runs, as a tree (exec or shell form)."""
    try:
        return Instruction("RUN", value, 0).shell_tree()
    except CommandSyntaxError as err:
        raise CheckFailed(f"a RUN instruction cannot be read: {err.message}") from err


def copies_from(args: str) -> tuple[str | None, list[str]]:
    """(``--from`` stage or None, source and destination words) of a COPY instruction."""
    words, stage = [], None
    for word in args.split():
        if word.startswith("--from="):
            stage = word.split("=", 1)[1]
        elif not word.startswith("--"):
            words.append(word)
    return stage, words
