"""Learner commands as a tree, and a walk that says what a run would start, without running it.

A grader must know what a learner's command *does*, never by running it (it is the learner's
code) and never by searching its text (``true || jupyter lab`` contains "jupyter lab" but never
starts it; ``echo "pixi run -e gpu"`` names an environment but activates nothing). So every
command is read by a real parser for its language (`teaching/reading/shell.py`: Pixi's task shell
and bash) into the small tree defined here, and then *walked* like a shell would, doing nothing.

The walk (`invocations`) lists every simple command the text would start, in order, each marked
*reached* or not. Reachability follows the exit statuses the grader can know for sure: ``true``
and ``:`` succeed, ``false`` fails, ``exit`` stops; every other command may do either. So
``a || b`` reaches b unless a is ``true``, ``if false; then x; fi`` never reaches x, and a word
inside quotes is only a word. Command and process substitutions (``$(...)``, ``<(...)``) are
invocations too, marked with the command that consumes them (``eval``, ``source``).

Lesson: the exercises' checks read learners' scripts, tasks, Dockerfile RUN lines and workflow
steps through this tree. Read after `teaching/checks/cuda.py`; read next `teaching/reading/shell.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_COMMAND_TEXT = 200_000  # a job script or Dockerfile longer than this is not a learner's answer


class CommandSyntaxError(Exception):
    """A command the parser for its language cannot read; `message` says where."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ---- the tree both parsers produce -----------------------------------------------------------

@dataclass(frozen=True)
class Simple:
    """A simple command: ``A=1 cmd word... > file``; `inner` are the substitutions in its words."""

    words: tuple[str, ...]
    assignments: tuple[tuple[str, str], ...] = ()
    redirects: tuple[tuple[str, str], ...] = ()
    inner: tuple[object, ...] = ()


@dataclass(frozen=True)
class Pipe:
    nodes: tuple[object, ...]
    negated: bool = False


@dataclass(frozen=True)
class AndOr:
    first: object
    rest: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class Sequence:
    """Commands one after another; `background[i]` for a command ended by ``&``."""

    nodes: tuple[object, ...]
    background: tuple[bool, ...] = ()


@dataclass(frozen=True)
class Group:
    body: object
    subshell: bool = False


@dataclass(frozen=True)
class If:
    branches: tuple[tuple[object, object], ...]
    otherwise: object | None = None


@dataclass(frozen=True)
class Loop:
    condition: object | None
    body: object
    until: bool = False


@dataclass(frozen=True)
class Function:
    name: str
    body: object


@dataclass(frozen=True)
class Opaque:
    """A piece the parser could not read: it may succeed or fail, and runs nothing known."""

    text: str


# ---- what a walk finds -----------------------------------------------------------------------

@dataclass(frozen=True)
class Invocation:
    """One command the text would start: its words, prefix assignments and redirections,
    whether any run reaches it, and (for a substitution) the command that consumes its output."""

    words: tuple[str, ...]
    assignments: tuple[tuple[str, str], ...]
    redirects: tuple[tuple[str, str], ...]
    reached: bool
    order: int
    consumer: str | None = None

    @property
    def program(self) -> str:
        """The program's name without its folder (``/usr/bin/pixi`` -> ``pixi``)."""
        return self.words[0].rsplit("/", 1)[-1] if self.words else ""


@dataclass
class _Flow:
    """How a piece may end: with status 0 (`ok`), non-zero (`fail`); neither after ``exit``."""

    ok: bool
    fail: bool


_WRAPPERS = {"exec", "command", "nohup", "time", "sudo", "builtin"}
#: srun's options that take the next word as their value (a job step runs the command after them)
_SRUN_VALUES = {"-n", "-N", "-c", "-p", "-A", "-t", "-J", "-o", "-e", "-G", "-C", "-w", "-x", "-q", "-D",
                "--ntasks", "--nodes", "--cpus-per-task", "--partition", "--account", "--time", "--job-name",
                "--gres", "--gpus", "--mem", "--output", "--error", "--constraint", "--qos", "--chdir"}


def unwrap(words: tuple[str, ...]) -> tuple[str, ...]:
    """The command a wrapper runs: ``exec pixi ...``, ``env A=1 pixi ...``, ``srun -n 1 pixi ...``
    -> ``pixi ...``."""
    words = tuple(words)
    while words:
        head = words[0].rsplit("/", 1)[-1]
        if head in _WRAPPERS:
            words = words[1:]
        elif head == "env":
            words = words[1:]
            while words and (re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]) or words[0].startswith("-")):
                words = words[1:]
        elif head == "srun":
            words = words[1:]
            while words and words[0].startswith("-"):
                words = words[2:] if words[0] in _SRUN_VALUES else words[1:]
        else:
            break
    return words


class _Walker:
    def __init__(self) -> None:
        self.found: list[Invocation] = []
        self.functions: dict[str, object] = {}
        self.active: set[str] = set()

    def walk(self, node, reached: bool, consumer: str | None = None) -> _Flow:
        method = getattr(self, "_" + type(node).__name__.lower())
        return method(node, reached, consumer)

    def _simple(self, node: Simple, reached: bool, consumer) -> _Flow:
        head = node.words[0].rsplit("/", 1)[-1] if node.words else None
        for inner in node.inner:
            self.walk(inner, reached, head)
        self.found.append(Invocation(node.words, node.assignments, node.redirects, reached,
                                     len(self.found), consumer))
        if not reached:
            return _Flow(False, False)
        words = unwrap(node.words)
        name = words[0].rsplit("/", 1)[-1] if words else None
        if name in self.functions and name not in self.active:
            self.active.add(name)
            flow = self.walk(self.functions[name], reached)
            self.active.discard(name)
            return flow
        if name is None or name in ("true", ":"):
            return _Flow(True, False)
        if name == "false":
            return _Flow(False, True)
        if name in ("exit", "return") or (node.words and node.words[0] == "exec" and len(node.words) > 1):
            return _Flow(False, False)
        return _Flow(True, True)

    def _pipe(self, node: Pipe, reached: bool, consumer) -> _Flow:
        flows = [self.walk(item, reached, consumer) for item in node.nodes]
        last = flows[-1]
        if len(flows) > 1 and not (last.ok or last.fail) and reached:
            last = _Flow(True, True)  # `exit` in a pipeline ends only its own subshell
        return _Flow(last.fail, last.ok) if node.negated else last

    def _andor(self, node: AndOr, reached: bool, consumer) -> _Flow:
        flow = self.walk(node.first, reached, consumer)
        for op, item in node.rest:
            if op == "&&":
                nxt = self.walk(item, reached and flow.ok, consumer)
                flow = _Flow(nxt.ok, flow.fail or nxt.fail)
            else:
                nxt = self.walk(item, reached and flow.fail, consumer)
                flow = _Flow(flow.ok or nxt.ok, nxt.fail)
        return flow

    def _sequence(self, node: Sequence, reached: bool, consumer) -> _Flow:
        flow = _Flow(reached, False)
        for i, item in enumerate(node.nodes):
            background = i < len(node.background) and node.background[i]
            flow = self.walk(item, reached, consumer)
            if background:
                flow = _Flow(reached, False)
            reached = reached and (flow.ok or flow.fail)
        return flow

    def _group(self, node: Group, reached: bool, consumer) -> _Flow:
        flow = self.walk(node.body, reached, consumer)
        if node.subshell and reached and not (flow.ok or flow.fail):
            return _Flow(True, True)
        return flow

    def _if(self, node: If, reached: bool, consumer) -> _Flow:
        result = _Flow(False, False)
        for condition, body in node.branches:
            test = self.walk(condition, reached, consumer)
            branch = self.walk(body, reached and test.ok, consumer)
            result = _Flow(result.ok or branch.ok, result.fail or branch.fail)
            reached = reached and test.fail
        if node.otherwise is not None:
            branch = self.walk(node.otherwise, reached, consumer)
            result = _Flow(result.ok or branch.ok, result.fail or branch.fail)
        elif reached:
            result = _Flow(True, result.fail)
        return result

    def _loop(self, node: Loop, reached: bool, consumer) -> _Flow:
        enter = reached
        if node.condition is not None:
            test = self.walk(node.condition, reached, consumer)
            enter = reached and (test.fail if node.until else test.ok)
        self.walk(node.body, enter, consumer)
        return _Flow(reached, reached)

    def _function(self, node: Function, reached: bool, consumer) -> _Flow:
        if reached:
            self.functions[node.name] = node.body
        return _Flow(reached, False)

    def _opaque(self, node: Opaque, reached: bool, consumer) -> _Flow:
        return _Flow(reached, reached)


def invocations(tree) -> list[Invocation]:
    """Every command `tree` would start (reached or not), in the order a run meets them."""
    walker = _Walker()
    walker.walk(tree, True)
    return walker.found


def reached(tree) -> list[Invocation]:
    """Only the commands some run of `tree` really starts."""
    return [item for item in invocations(tree) if item.reached]
