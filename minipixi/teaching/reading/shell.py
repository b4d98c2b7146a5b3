"""From text to the command tree: Pixi's task shell and bash, read by their own grammars.

Two parsers produce the tree of `teaching/reading/commands.py`:

- Pixi tasks: the task shell's own parser (`run/task_shell.py`, Deno's grammar), the one
  `minipixi run` uses, so a task is read exactly as it would run.
- bash (batch scripts, Dockerfile RUN lines, Apptainer sections, workflow ``run:`` steps):
  `bashlex`, a Python port of bash's own grammar. Constructs it does not implement (``[[ ]]``,
  ``$(( ))``, a ``time`` prefix) are rewritten to equivalent simple forms first; a piece it
  still cannot read (``case``) becomes an `Opaque` step that runs nothing known, line by line,
  so one odd construct does not hide the rest of a script.

`read_commands` is the door the checks use: text that cannot be read becomes feedback
(`CheckFailed`) naming the file or section, never a crash of the grader.

Lesson: how a grader reads code it must never run. Read after `teaching/reading/commands.py`;
read next `teaching/reading/pixi_calls.py`.
"""

from __future__ import annotations

import re

from minipixi.run import task_shell
from minipixi.teaching.grade import CheckFailed
from minipixi.teaching.reading.commands import (
    MAX_COMMAND_TEXT, AndOr, CommandSyntaxError, Function, Group, If, Loop, Opaque, Pipe, Sequence, Simple,
)


# ---- Pixi's task shell -----------------------------------------------------------------------

def parse_task(command: str):
    """A Pixi task's command, read by minipixi's task shell (the grammar Pixi runs tasks with)."""
    try:
        lists = task_shell.parse(command)
    except task_shell.TaskShellError as err:
        raise CommandSyntaxError(err.message) from err

    def text(word) -> str:
        return "".join(("$" + part.text) if part.var else part.text for part in word.parts)

    def simple(cmd: task_shell.Command) -> Simple:
        return Simple(tuple(text(w) for w in cmd.words),
                      tuple((name, text(value)) for name, value in cmd.assignments),
                      tuple((op, text(target) if target is not None else "") for op, target in cmd.redirects))

    def pipe(pipeline) -> Pipe:
        return Pipe(tuple(simple(c) for c in pipeline.commands), pipeline.negated)

    return Sequence(tuple(AndOr(pipe(item.first), tuple((op, pipe(p)) for op, p in item.rest)) for item in lists))


# ---- bash ------------------------------------------------------------------------------------

def _rewrite_for_bashlex(text: str) -> str:
    """Forms bashlex does not implement, rewritten to forms with the same commands and flow:
    ``[[ x ]]`` -> ``[ x ]``, ``$(( ))`` -> ``0``, a ``time`` prefix dropped."""
    text = re.sub(r"(?<![\w$])\[\[(\s)", r"[\1", text)
    text = re.sub(r"(\s)\]\](?=\s|;|$|\)|&|\|)", r"\1]", text, flags=re.MULTILINE)
    text = re.sub(r"\$\(\((?:[^()]|\([^()]*\))*\)\)", "0", text)
    return re.sub(r"(^|[;&|{(]\s*|\n\s*)time\s+(?=\S)", r"\1", text)


def parse_bash(text: str):
    """Shell text as a tree, read by bashlex. Pieces bashlex cannot read (``case`` and other
    rarer forms) become `Opaque` steps, line by line, so one odd construct does not hide the rest."""
    if len(text) > MAX_COMMAND_TEXT:
        raise CommandSyntaxError(f"the script is longer than {MAX_COMMAND_TEXT} characters")
    text = _rewrite_for_bashlex(text)
    try:
        return _from_bashlex_list(_bashlex_parse(text))
    except _Unreadable:
        pass
    # line by line: a chunk that ends too early ("unexpected EOF": an open if, loop, quote or
    # here-document) grows by a line; a line that cannot be read otherwise is opaque. A budget
    # of parses keeps a long unreadable file from costing more than a few seconds.
    nodes: list = []
    lines = text.splitlines()
    budget = 2 * len(lines) + 200
    start = 0
    while start < len(lines):
        end = start + 1
        while True:
            budget -= 1
            try:
                nodes.append(_from_bashlex_list(_bashlex_parse("\n".join(lines[start:end]))))
                start = end
                break
            except _Unreadable as err:
                if "EOF" in str(err) and end < len(lines) and end - start < _MAX_CHUNK_LINES and budget > 0:
                    end += 1
                    continue
                nodes.append(Opaque(lines[start]))
                start += 1
                break
    return Sequence(tuple(nodes))


_MAX_CHUNK_LINES = 40


class _Unreadable(Exception):
    pass


def _bashlex_parse(text: str) -> list:
    import bashlex  # lazy: bashlex builds its grammar tables on import; only bash text needs it

    if not text.strip() or all(not line.strip() or line.strip().startswith("#") for line in text.splitlines()):
        return []
    try:
        return bashlex.parse(text)
    except (bashlex.errors.ParsingError, NotImplementedError, IndexError, AttributeError, TypeError,
            ValueError, RecursionError) as err:
        raise _Unreadable(str(err)) from err


def _from_bashlex_list(parts: list):
    return Sequence(tuple(_from_bashlex(p) for p in parts))


def _from_bashlex(node):
    kind = node.kind
    if kind == "command":
        return _bashlex_simple(node)
    if kind == "pipeline":
        items = [p for p in node.parts if p.kind not in ("pipe",)]
        negated = bool(items) and items[0].kind == "reservedword" and items[0].word == "!"
        items = [p for p in items if not (p.kind == "reservedword" and p.word == "!")]
        return Pipe(tuple(_from_bashlex(p) for p in items), negated)
    if kind == "list":
        return _bashlex_list(node.parts)
    if kind == "compound":
        inner = [p for p in node.list if p.kind != "reservedword"]
        opener = node.list[0].word if node.list and node.list[0].kind == "reservedword" else "{"
        return Group(_bashlex_list(inner), subshell=opener == "(")
    if kind == "if":
        return _bashlex_if(node.parts)
    if kind in ("while", "until"):
        words = node.parts
        cond_end = next(i for i, p in enumerate(words) if p.kind == "reservedword" and p.word == "do")
        condition = _bashlex_list([p for p in words[1:cond_end] if p.kind != "reservedword"])
        body = _bashlex_list([p for p in words[cond_end + 1:] if p.kind != "reservedword"])
        return Loop(condition, body, until=kind == "until")
    if kind == "for":
        start = next(i for i, p in enumerate(node.parts) if p.kind == "reservedword" and p.word == "do")
        return Loop(None, _bashlex_list([p for p in node.parts[start + 1:] if p.kind != "reservedword"]))
    if kind == "function":
        return Function(node.name.word, _from_bashlex(node.body))
    if kind == "operator":  # a lone separator
        return Sequence(())
    raise _Unreadable(f"unknown node {kind}")


def _bashlex_list(parts: list):
    """A bashlex list (commands and operators) as sequences of and-or lists."""
    nodes, background = [], []
    current: AndOr | None = None
    pending_op = None
    for part in parts:
        if part.kind == "operator":
            if part.op in ("&&", "||"):
                pending_op = part.op
                continue
            if current is not None:
                nodes.append(current)
                background.append(part.op == "&")
                current = None
            continue
        item = _from_bashlex(part)
        if current is None:
            current = AndOr(item)
        else:
            current = AndOr(current.first, current.rest + ((pending_op or "&&", item),))
        pending_op = None
    if current is not None:
        nodes.append(current)
        background.append(False)
    return Sequence(tuple(nodes), tuple(background))


def _bashlex_if(parts: list) -> If:
    branches, otherwise = [], None
    mode, cond, body = None, [], []
    for part in parts:
        if part.kind == "reservedword" and part.word in ("if", "elif", "then", "else", "fi"):
            if part.word in ("elif", "else", "fi") and mode == "then":
                branches.append((_bashlex_list(cond), _bashlex_list(body)))
                cond, body = [], []
            if part.word == "fi" and mode == "else":
                otherwise = _bashlex_list(body)
            mode = {"if": "cond", "elif": "cond", "then": "then", "else": "else", "fi": None}[part.word]
            continue
        (cond if mode == "cond" else body).append(part)
    return If(tuple(branches), otherwise)


def _bashlex_simple(node) -> Simple:
    words, assignments, redirects, inner = [], [], [], []
    for part in node.parts:
        if part.kind == "assignment" and not words:
            name, _, value = part.word.partition("=")
            assignments.append((name, value))
            inner += _substitutions(part)
        elif part.kind in ("word", "assignment"):
            words.append(part.word)
            inner += _substitutions(part)
        elif part.kind == "redirect":
            target = part.output
            text = target.word if hasattr(target, "word") else str(target)
            redirects.append((part.type, text))
            if hasattr(target, "parts"):
                inner += _substitutions(target)
    return Simple(tuple(words), tuple(assignments), tuple(redirects), tuple(inner))


def _substitutions(word) -> list:
    found = []
    for part in getattr(word, "parts", []) or []:
        if part.kind in ("commandsubstitution", "processsubstitution"):
            found.append(_from_bashlex(part.command))
        elif hasattr(part, "parts"):
            found += _substitutions(part)
    return found


# ---- for checks: text that cannot be read is feedback -------------------------------------------

def read_commands(text: str, what: str, *, language: str = "bash"):
    """Shell text as a tree: ``language`` is "bash" or "task" (Pixi's task shell). CheckFailed
    naming `what` when the parser cannot read it."""
    try:
        return parse_task(text) if language == "task" else parse_bash(text)
    except CommandSyntaxError as err:
        raise CheckFailed(f"{what} cannot be read: {err.message}") from err


def command_tree(commands):
    """`commands` as a tree: text is parsed as bash, a tree is kept."""
    return read_commands(commands, "the commands") if isinstance(commands, str) else commands
