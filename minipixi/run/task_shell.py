"""The task shell: one small shell language for tasks and `run` strings, the same on every OS.

``pixi run "echo a && echo b"`` works on Windows as well as on Linux because Pixi does not hand
task commands to bash or cmd.exe: it reads them itself, with a small shell of its own (Deno's task
shell). minipixi does the same here, so a learner's ``[tasks]`` table means one thing everywhere.

This module reads a command line in three steps, each a function:

1. `tokenize`: text -> tokens. A *word* is a list of parts (plain text, quoted text, ``$VAR``);
   an *operator* is one of ``&& || ; | !`` or a redirection.
2. `parse`: tokens -> a tree. The grammar, in the notation of the POSIX shell standard::

       script      := and_or (';' and_or)* [';']
       and_or      := pipeline (('&&' | '||') pipeline)*
       pipeline    := ['!'] command ('|' command)*
       command     := (NAME '=' word)* (word | redirect)+        -- or assignments alone
       redirect    := ('>' | '>>' | '<' | '2>' | '2>>' | '&>') word | '2>&1' | '1>&2'
       word        := (plain | 'single quoted' | "double quoted, $VAR inside" | $VAR | ${VAR})+

3. `run`: walk the tree. ``a && b`` runs b only when a succeeded, ``a || b`` only when it
   failed, ``a | b`` connects a's output to b's input, ``!`` inverts an exit code. Words are
   expanded when their command runs: variables, then ``~`` at the start, then ``*``/``?``
   patterns (unquoted only; a pattern with no match stays as typed, as in POSIX sh).

A few commands are **built in**, because they change the shell itself or because Windows lacks
them: ``cd``, ``export``, ``unset``, ``exit``, ``echo``, ``pwd``, ``true``, ``false``. Every other
command is looked up on the activated environment's ``PATH`` and run directly, never through
another shell. ``VAR=value`` alone sets a shell variable; ``export VAR=value`` also passes it to
the commands that follow; ``VAR=value cmd`` sets it for that one command.

What this shell refuses, with an error that says so (put such logic in a script file): command
substitution ``$(...)`` and backticks, ``&`` (background jobs), subshells ``( )`` and groups
``{ }``, here-documents ``<<``, and the keywords ``if``, ``for``, ``while``, ``case``.

Lesson: Episode 2 ("Tasks"). Read after `run/tasks.py`, which plans which tasks run; this module
runs each one. Ground truth: Pixi's task documentation and Deno's task-shell syntax.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Mapping, Sequence

from minipixi.errors import ActivationError, source_excerpt

#: Longest command line the shell reads (a guard against pasted garbage, not a real limit).
MAX_SCRIPT_LENGTH = 100_000

OPERATORS = ("&&", "||", "2>&1", "1>&2", "2>>", "2>", "&>", ">>", ">", "<", ";", "|", "!")
REDIRECTS = {">", ">>", "<", "2>", "2>>", "&>", "2>&1", "1>&2"}
KEYWORDS = {"if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case",
            "esac", "function"}
BUILTINS = ("cd", "export", "unset", "exit", "echo", "pwd", "true", "false")


class TaskShellError(ActivationError):
    """A command line the task shell cannot read (its position is in `details`)."""


# ---- 1. tokens -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Part:
    """A piece of a word: `text` as typed, or a variable name when `var` is true."""

    text: str
    quoted: bool = False
    var: bool = False


@dataclass(frozen=True)
class Word:
    parts: tuple[Part, ...]
    column: int = 1


@dataclass(frozen=True)
class Op:
    text: str
    column: int = 1


def _error(script: str, column: int, message: str) -> TaskShellError:
    return TaskShellError(
        message,
        details=source_excerpt(script, 1, column) if "\n" not in script else None,
        hint="the task shell knows && || ; | ! redirections, quotes and $VAR; "
        "put anything more in a script file and run that",
    )


def _variable(script: str, i: int) -> tuple[str, int]:
    """Read the variable name after the ``$`` at ``script[i]``; return (name, index after it)."""
    if script.startswith("${", i):
        end = script.find("}", i + 2)
        name = script[i + 2:end] if end != -1 else ""
        if end == -1 or not (name.replace("_", "a").isalnum() and not name[0].isdigit()):
            raise _error(script, i + 1, "a ${...} needs a variable name and a closing '}'")
        return name, end + 1
    j = i + 1
    if j < len(script) and (script[j].isdigit() or script[j] in "?"):
        return script[j], j + 1  # $? and $1 are single characters
    while j < len(script) and (script[j].isalnum() or script[j] == "_"):
        j += 1
    return script[i + 1:j], j


# --8<-- [start:tokenize]
def tokenize(script: str) -> list[Word | Op]:
    """Split `script` into words and operators (the lexer; see the module docstring)."""
    if len(script) > MAX_SCRIPT_LENGTH:
        raise TaskShellError(f"command line of {len(script)} characters is too long for the task shell")
    tokens: list[Word | Op] = []
    parts: list[Part] = []
    start = i = 0
    n = len(script)

    def end_word() -> None:
        if parts:
            tokens.append(Word(_merge(parts), start + 1))
            parts.clear()

    while i < n:
        c = script[i]
        if not parts:
            start = i
        if c in " \t\r\n":
            end_word()
            i += 1
        elif c == "#" and not parts:  # a comment runs to the end of the line
            while i < n and script[i] != "\n":
                i += 1
        elif c == "'":
            end = script.find("'", i + 1)
            if end == -1:
                raise _error(script, i + 1, "this single quote is never closed")
            parts.append(Part(script[i + 1:end], quoted=True))
            i = end + 1
        elif c == '"':
            i = _double_quoted(script, i, parts)
        elif c == "\\":
            if i + 1 >= n:
                raise _error(script, i + 1, "a backslash at the end of the line escapes nothing")
            parts.append(Part(script[i + 1], quoted=True))
            i += 2
        elif c == "$":
            if script.startswith("$(", i):
                raise _error(script, i + 1, "command substitution $(...) is not supported")
            name, i2 = _variable(script, i)
            parts.append(Part(name, var=True) if name else Part("$"))
            i = i2
        elif c == "`":
            raise _error(script, i + 1, "command substitution with backticks is not supported")
        elif c in "()" or (c in "{}" and not parts and (i + 1 == n or script[i + 1] in " \t")):
            raise _error(script, i + 1, f"'{c}' (subshells and groups) is not supported")
        elif script.startswith("<<", i):
            raise _error(script, i + 1, "here-documents (<<) are not supported")
        else:
            op = next((o for o in OPERATORS if script.startswith(o, i)), None)
            # '2>' is an operator only where a word starts ('a2>b' is a word then '>').
            if op and not (op[0] in "12" and parts):
                if op == "!" and (parts or (i + 1 < n and script[i + 1] not in " \t")):
                    parts.append(Part("!"))  # a '!' inside a word is just a character
                    i += 1
                    continue
                end_word()
                tokens.append(Op(op, i + 1))
                i += len(op)
            elif c == "&":
                raise _error(script, i + 1, "'&' (running a command in the background) is not supported")
            else:
                parts.append(Part(c))
                i += 1
    end_word()
    return tokens
# --8<-- [end:tokenize]


def _merge(parts: list[Part]) -> tuple[Part, ...]:
    """Join neighbouring plain characters into one part (``X=1`` is one part, not three)."""
    merged: list[Part] = []
    for part in parts:
        if merged and not part.var and not merged[-1].var and part.quoted == merged[-1].quoted:
            merged[-1] = Part(merged[-1].text + part.text, part.quoted)
        else:
            merged.append(part)
    return tuple(merged)


def _double_quoted(script: str, i: int, parts: list[Part]) -> int:
    """Read a "..." string starting at `i`: ``$VAR`` expands inside, ``\\"`` is a quote."""
    j = i + 1
    text: list[str] = []
    while j < len(script) and script[j] != '"':
        if script[j] == "\\" and j + 1 < len(script) and script[j + 1] in '"\\$`':
            text.append(script[j + 1])
            j += 2
        elif script[j] == "$" and script.startswith("$(", j):
            raise _error(script, j + 1, "command substitution $(...) is not supported")
        elif script[j] == "$":
            name, j2 = _variable(script, j)
            if name:
                parts.append(Part("".join(text), quoted=True))
                text.clear()
                parts.append(Part(name, quoted=True, var=True))
            else:
                text.append("$")
            j = j2
        else:
            text.append(script[j])
            j += 1
    if j >= len(script):
        raise _error(script, i + 1, "this double quote is never closed")
    parts.append(Part("".join(text), quoted=True))
    return j + 1


# ---- 2. the tree -----------------------------------------------------------------------------

@dataclass
class Command:
    assignments: list[tuple[str, Word]] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    redirects: list[tuple[str, Word | None]] = field(default_factory=list)


@dataclass
class Pipeline:
    commands: list[Command]
    negated: bool = False


@dataclass
class AndOr:
    first: Pipeline
    rest: list[tuple[str, Pipeline]] = field(default_factory=list)


def _assignment(word: Word) -> tuple[str, Word] | None:
    """``NAME=value`` (NAME unquoted and an identifier) as (NAME, value word), else None."""
    head = word.parts[0]
    if head.quoted or head.var or "=" not in head.text:
        return None
    name, _, rest = head.text.partition("=")
    if not name or name[0].isdigit() or not name.replace("_", "a").isalnum():
        return None
    return name, Word((Part(rest),) + word.parts[1:], word.column)


def _plain_text(word: Word) -> str | None:
    """A word's text when it is one unquoted literal (used to spot keywords)."""
    if len(word.parts) == 1 and not word.parts[0].quoted and not word.parts[0].var:
        return word.parts[0].text
    return None


# --8<-- [start:parse]
def parse(script: str) -> list[AndOr]:
    """Read `script` into a list of and-or lists (the grammar in the module docstring)."""
    tokens = tokenize(script)
    pos = 0
    result: list[AndOr] = []

    def peek() -> Word | Op | None:
        return tokens[pos] if pos < len(tokens) else None

    def command() -> Command:
        nonlocal pos
        cmd = Command()
        while isinstance(tok := peek(), (Word, Op)) and not (isinstance(tok, Op) and tok.text in ("&&", "||", ";", "|", "!")):
            pos += 1
            if isinstance(tok, Op):  # a redirection
                if tok.text in ("2>&1", "1>&2"):
                    cmd.redirects.append((tok.text, None))
                    continue
                target = peek()
                if not isinstance(target, Word):
                    raise _error(script, tok.column, f"'{tok.text}' needs a file name after it")
                pos += 1
                cmd.redirects.append((tok.text, target))
            elif not cmd.words and (assign := _assignment(tok)):
                cmd.assignments.append(assign)
            else:
                if not cmd.words and _plain_text(tok) in KEYWORDS:
                    raise _error(script, tok.column, f"the shell keyword '{_plain_text(tok)}' is not supported")
                cmd.words.append(tok)
        if not (cmd.words or cmd.assignments or cmd.redirects):
            where = tok.column if isinstance(tok, Op) else len(script) + 1
            raise _error(script, where, "a command is missing here")
        return cmd

    def pipeline() -> Pipeline:
        nonlocal pos
        negated = False
        if isinstance(tok := peek(), Op) and tok.text == "!":
            negated, pos = True, pos + 1
        commands = [command()]
        while isinstance(tok := peek(), Op) and tok.text == "|":
            pos += 1
            commands.append(command())
        return Pipeline(commands, negated)

    while pos < len(tokens):
        and_or = AndOr(pipeline())
        while isinstance(tok := peek(), Op) and tok.text in ("&&", "||"):
            pos += 1
            and_or.rest.append((tok.text, pipeline()))
        result.append(and_or)
        if isinstance(tok := peek(), Op):
            if tok.text != ";":
                raise _error(script, tok.column, f"unexpected '{tok.text}'")
            pos += 1
    return result
# --8<-- [end:parse]


def quote(word: str) -> str:
    """Quote `word` so that `tokenize` reads it back as exactly one word with that text."""
    if word and all(c.isalnum() or c in "-_./:=+,@%" for c in word):
        return word
    return "'" + word.replace("'", "'\\''") + "'"


def join(words: Sequence[str]) -> str:
    """A command line that reads back as `words` (for `minipixi run python -c "..."`)."""
    return " ".join(quote(w) for w in words)


# ---- 3. running ------------------------------------------------------------------------------

class _Exit(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


@dataclass
class ShellState:
    """What a script can change as it runs: the folder, exported and plain variables."""

    cwd: Path
    env: dict[str, str]
    variables: dict[str, str] = field(default_factory=dict)
    last_status: int = 0

    def lookup(self, name: str) -> str:
        if name == "?":
            return str(self.last_status)
        return self.variables.get(name, self.env.get(name, ""))


# --8<-- [start:expand]
def expand(word: Word, state: ShellState) -> list[str]:
    """A word as the arguments it becomes: variables, ``~``, then unquoted ``*``/``?`` patterns."""
    values = []
    for k, part in enumerate(word.parts):
        value = state.lookup(part.text) if part.var else part.text
        if k == 0 and not part.quoted and not part.var and (value == "~" or value.startswith("~/")):
            value = state.env.get("HOME", os.path.expanduser("~")) + value[1:]
        values.append(value)
    # Only characters the user typed unquoted are pattern characters; the rest is escaped.
    active = [not p.quoted and not p.var and any(c in v for c in "*?[") for p, v in zip(word.parts, values)]
    if any(active):
        pattern = "".join(v if a else glob.escape(v) for v, a in zip(values, active))
        matches = sorted(glob.glob(pattern, root_dir=state.cwd))
        if matches:
            return matches
    return ["".join(values)]
# --8<-- [end:expand]


def _builtin(name: str, args: list[str], state: ShellState, out: IO[bytes], err: IO[bytes]) -> int:
    """Run one built-in command; return its exit code."""
    if name == "true":
        return 0
    if name == "false":
        return 1
    if name == "echo":
        out.write((" ".join(args) + "\n").encode())
        return 0
    if name == "pwd":
        out.write(f"{state.cwd}\n".encode())
        return 0
    if name == "exit":
        try:
            raise _Exit(int(args[0]) & 0xFF if args else state.last_status)
        except ValueError:
            err.write(f"exit: {args[0]}: a number is required\n".encode())
            raise _Exit(2)
    if name == "cd":
        target = Path(args[0] if args else state.env.get("HOME", "~")).expanduser()
        target = (state.cwd / target).resolve()
        if not target.is_dir():
            err.write(f"cd: {args[0] if args else target}: no such directory\n".encode())
            return 1
        state.cwd = target
        state.env["PWD"] = str(target)
        return 0
    if name == "export":
        for arg in args:
            key, sep, value = arg.partition("=")
            state.env[key] = value if sep else state.variables.get(key, state.env.get(key, ""))
            state.variables.pop(key, None)
        return 0
    if name == "unset":
        for key in args:
            state.env.pop(key, None)
            state.variables.pop(key, None)
        return 0
    raise AssertionError(name)


def _resolve_program(name: str, state: ShellState) -> str | None:
    """The executable for `name`: a path as given, else a search of the shell's own PATH."""
    if os.sep in name or (os.altsep and os.altsep in name):
        path = state.cwd / name
        return str(path) if path.exists() else None
    return shutil.which(name, path=state.env.get("PATH", os.defpath))


def _redirected(cmd: Command, state: ShellState, streams: list, opened: list) -> list:
    """Apply a command's redirections to its [stdin, stdout, stderr]; files go into `opened`."""
    streams = list(streams)
    for op, target in cmd.redirects:
        if op == "2>&1":
            streams[2] = subprocess.STDOUT
        elif op == "1>&2":
            streams[1] = streams[2] if streams[2] is not None else 2  # 2: our own stderr
        else:
            path = state.cwd / " ".join(expand(target, state))
            handle = open(path, "rb" if op == "<" else "ab" if op.endswith(">>") else "wb")
            opened.append(handle)
            if op == "<":
                streams[0] = handle
            elif op == "&>":
                streams[1] = streams[2] = handle
            else:
                streams[2 if op.startswith("2") else 1] = handle
    return streams


def _run_pipeline(pipeline: Pipeline, state: ShellState, stdout: IO[bytes] | None,
                  stderr: IO[bytes] | None) -> int:
    """Start every command of the pipeline, connect each one's output to the next one's input,
    wait for all of them, and return the exit code of the last (inverted after ``!``)."""
    processes: list[subprocess.Popen] = []
    threads: list[threading.Thread] = []
    opened: list[IO[bytes]] = []
    previous: object = None  # what the next command reads: None (inherited), a pipe, or bytes
    status: int | subprocess.Popen = 0
    try:
        for index, cmd in enumerate(pipeline.commands):
            last = index == len(pipeline.commands) - 1
            values = {name: "".join(expand(word, state)) for name, word in cmd.assignments}
            argv = [arg for word in cmd.words for arg in expand(word, state)]
            cmd_in, cmd_out, cmd_err = _redirected(
                cmd, state, [previous, stdout if last else subprocess.PIPE, stderr], opened)
            if not argv:  # assignments alone set shell variables
                state.variables.update(values)
                status, previous = 0, None
            elif argv[0] in BUILTINS:
                sink = _Buffer() if cmd_out is subprocess.PIPE else _Writer(cmd_out, sys.stdout)
                errors = sink if cmd_err is subprocess.STDOUT else _Writer(cmd_err, sys.stderr)
                status = _builtin(argv[0], argv[1:], state, sink, errors)
                previous = sink.getvalue() if isinstance(sink, _Buffer) else None
            elif (program := _resolve_program(argv[0], state)) is None:
                _Writer(stderr, sys.stderr).write(f"minipixi: command not found: {argv[0]}\n".encode())
                status, previous = 127, None
            else:
                feed = previous if isinstance(previous, bytes) else None
                proc = subprocess.Popen(
                    [program, *argv[1:]], cwd=state.cwd, env={**state.env, **values},
                    stdin=subprocess.PIPE if feed is not None else cmd_in,
                    stdout=cmd_out, stderr=cmd_err,
                )
                if feed is not None:
                    threads.append(threading.Thread(target=_feed, args=(proc.stdin, feed), daemon=True))
                    threads[-1].start()
                if hasattr(previous, "close"):
                    previous.close()  # the child holds its own end of the pipe now
                processes.append(proc)
                status, previous = proc, proc.stdout
    finally:
        for proc in processes:
            proc.wait()
        for thread in threads:
            thread.join()
        for handle in opened:
            handle.close()
    code = status.returncode if isinstance(status, subprocess.Popen) else status
    return (0 if code else 1) if pipeline.negated else code


class _Writer:
    """A built-in's output stream: the given binary stream, or the process's own when None."""

    def __init__(self, stream, fallback) -> None:
        self.stream, self.fallback = stream, fallback

    def write(self, data: bytes) -> None:
        if isinstance(self.stream, int):
            os.write(self.stream, data)
        elif self.stream is None:
            self.fallback.write(data.decode("utf-8", "replace"))
            self.fallback.flush()  # before the next child writes to the same terminal
        else:
            self.stream.write(data)
            self.stream.flush()


class _Buffer:
    """Collects a built-in's output when a pipe follows it."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.chunks.append(data)

    def getvalue(self) -> bytes:
        return b"".join(self.chunks)


def _feed(pipe: IO[bytes], data: bytes) -> None:
    try:
        pipe.write(data)
    except BrokenPipeError:
        pass
    finally:
        pipe.close()


def run(script: str, *, cwd: str | os.PathLike, env: Mapping[str, str],
        stdout: IO[bytes] | None = None, stderr: IO[bytes] | None = None) -> int:
    """Run `script` in `cwd` with `env`; return its exit code (that of the last command run).

    `stdout`/`stderr` are binary files with a file descriptor; None means this process's own.
    A script that cannot be read raises TaskShellError before anything runs.
    """
    tree = parse(script)
    state = ShellState(Path(cwd), {**env, "PWD": str(cwd)})  # PWD follows the folder, as in sh
    try:
        for and_or in tree:
            status = _run_pipeline(and_or.first, state, stdout, stderr)
            for op, pipeline in and_or.rest:
                state.last_status = status
                if (op == "&&") == (status == 0):
                    status = _run_pipeline(pipeline, state, stdout, stderr)
            state.last_status = status
        return state.last_status
    except _Exit as done:
        return done.code
