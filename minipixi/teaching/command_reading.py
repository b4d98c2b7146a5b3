"""Reading learner commands without running them: what would a task, a script or a workflow do?

A grader must know what a learner's command *does*, never by running it (it is the learner's
code) and never by searching its text (``true || jupyter lab`` contains "jupyter lab" but never
starts it; ``echo "pixi run -e gpu"`` names an environment but activates nothing). So every
command is read with a real parser for its language, and then *walked* like a shell would,
without doing anything:

- Pixi tasks: the task shell's own parser (`minipixi.run.task_shell.parse`, Deno's grammar).
- bash (batch scripts, Dockerfile RUN lines, Apptainer sections): `bashlex`, a Python port of
  bash's own grammar. Constructs it does not implement (``[[ ]]``, ``case``, ``$(( ))``) are
  rewritten to equivalent simple forms first, or kept as an opaque step that runs nothing known.
- Dockerfiles: `dockerfile-parse` (instructions, continuation lines, exec and shell forms).
- GitHub Actions ``if:`` and ``${{ }}``: a small parser and evaluator of the expression syntax
  (`evaluate_expression`), run on made-up contexts such as "a push to main".

The walk (`invocations`) lists every simple command the text would start, in order, each marked
*reached* or not. Reachability follows the exit statuses the grader can know for sure: ``true``
and ``:`` succeed, ``false`` fails, ``exit`` stops; every other command may do either. So
``a || b`` reaches b unless a is ``true``, ``if false; then x; fi`` never reaches x, and a word
inside quotes is only a word. Command and process substitutions (``$(...)``, ``<(...)``) are
invocations too, marked with the command that consumes them (``eval``, ``source``).

Lesson: the exercises' checks (`checks.py`) read learners' files through this module.
Read after `checks.py`.
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


# ---- Pixi's task shell -----------------------------------------------------------------------

def parse_task(command: str):
    """A Pixi task's command, read by minipixi's task shell (the grammar Pixi runs tasks with)."""
    from minipixi.run.task_shell import Command, TaskShellError, parse

    try:
        lists = parse(command)
    except TaskShellError as err:
        raise CommandSyntaxError(err.message) from err

    def text(word) -> str:
        return "".join(("$" + part.text) if part.var else part.text for part in word.parts)

    def simple(cmd: Command) -> Simple:
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
    import bashlex

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


# ---- Dockerfiles -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction: its keyword, its arguments as written, its first line."""

    keyword: str
    value: str
    line: int

    def exec_form(self) -> list[str] | None:
        """The JSON list of an exec-form RUN/CMD/ENTRYPOINT (``["a", "b"]``), else None."""
        import json

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
    import io

    from dockerfile_parse import DockerfileParser

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
    import shlex

    try:
        words = shlex.split(value)
    except ValueError:
        words = value.split()
    if not words:
        return {}
    if "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}
    return dict(word.partition("=")[::2] for word in words if "=" in word)


# ---- GitHub Actions expressions --------------------------------------------------------------

class ExpressionError(CommandSyntaxError):
    pass


_TOKEN = re.compile(r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\].,*])"
                    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))")


def _expression_tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"cannot read the expression at '{text[pos:pos + 20]}'")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def parse_expression(text: str):
    """An Actions expression as a tree of tuples: ("lit", value), ("ctx", path), ("not", x),
    ("op", op, a, b), ("call", name, args). Precedence: ``!`` > comparisons > ``&&`` > ``||``."""
    tokens = _expression_tokens(text)
    pos = 0

    def peek(value=None):
        if pos < len(tokens) and (value is None or tokens[pos][1] == value):
            return tokens[pos]
        return None

    def take(value=None):
        nonlocal pos
        token = peek(value)
        if token is None:
            raise ExpressionError(f"expected {value or 'more'} in '{text}'")
        pos += 1
        return token

    def primary():
        kind, value = take()
        if kind == "num":
            return ("lit", float(value))
        if kind == "str":
            return ("lit", value[1:-1].replace("''", "'"))
        if value == "(":
            inner = or_()
            take(")")
            return inner
        if value == "!":
            return ("not", primary())
        if kind != "name":
            raise ExpressionError(f"unexpected '{value}' in '{text}'")
        if value in ("true", "false", "null"):
            return ("lit", {"true": True, "false": False, "null": None}[value])
        if peek("("):
            take("(")
            args = []
            while not peek(")"):
                args.append(or_())
                if not peek(")"):
                    take(",")
            take(")")
            return ("call", value.lower(), tuple(args))
        node = ("ctx", (value,))
        while peek(".") or peek("["):
            if take()[1] == ".":
                node = ("ctx", node[1] + (take()[1],)) if node[0] == "ctx" else ("index", node, ("lit", "*"))
            else:
                key = or_()
                take("]")
                node = ("index", node, key)
        return node

    def comparison():
        left = primary()
        while peek() and peek()[1] in ("==", "!=", "<", "<=", ">", ">="):
            op = take()[1]
            left = ("op", op, left, primary())
        return left

    def and_():
        left = comparison()
        while peek("&&"):
            take()
            left = ("op", "&&", left, comparison())
        return left

    def or_():
        left = and_()
        while peek("||"):
            take()
            left = ("op", "||", left, and_())
        return left

    tree = or_()
    if pos != len(tokens):
        raise ExpressionError(f"unexpected '{tokens[pos][1]}' in '{text}'")
    return tree


def truthy(value) -> bool:
    """Actions' truthiness: null, false, 0, -0, NaN and '' are false."""
    return value not in (None, False, "", 0) and value == value


def _number(value) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip()) if value.strip() else 0.0
        except ValueError:
            return float("nan")
    return float("nan")


def _equal(a, b) -> bool:
    """Loose equality as Actions defines it: strings case-insensitive, other types as numbers."""
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    if type(a) is type(b) or a is None or b is None:
        return a == b if not (a is None) ^ (b is None) else False
    return _number(a) == _number(b)


def _lookup(context: dict, path: tuple[str, ...]):
    value = context
    for key in path:
        if not isinstance(value, dict):
            return None
        value = next((v for k, v in value.items() if k.lower() == key.lower()), None)
    return value


def evaluate_expression(text: str, context: dict, *, status: str = "success"):
    """The value of an expression (without ``${{ }}``) in `context`, e.g. {"github": {...}}.
    Unknown properties are null, as in Actions; `status` answers success()/failure()."""
    def value(node):
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "ctx":
            return _lookup(context, node[1])
        if kind == "index":
            base, key = value(node[1]), value(node[2])
            return _lookup(base, (str(key),)) if isinstance(base, dict) else None
        if kind == "not":
            return not truthy(value(node[1]))
        if kind == "op":
            op = node[1]
            if op == "&&":
                left = value(node[2])
                return value(node[3]) if truthy(left) else left
            if op == "||":
                left = value(node[2])
                return left if truthy(left) else value(node[3])
            a, b = value(node[2]), value(node[3])
            if op == "==":
                return _equal(a, b)
            if op == "!=":
                return not _equal(a, b)
            if isinstance(a, str) and isinstance(b, str):
                a, b = a.lower(), b.lower()
            else:
                a, b = _number(a), _number(b)
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        name, args = node[1], [value(arg) for arg in node[2]]
        text_args = ["" if a is None else str(a).lower() if isinstance(a, bool) else str(a) for a in args]
        if name == "startswith":
            return text_args[0].lower().startswith(text_args[1].lower())
        if name == "endswith":
            return text_args[0].lower().endswith(text_args[1].lower())
        if name == "contains":
            if isinstance(args[0], list):
                return any(_equal(item, args[1]) for item in args[0])
            return text_args[1].lower() in text_args[0].lower()
        if name == "format":
            out = text_args[0]
            for i, arg in enumerate(text_args[1:]):
                out = out.replace("{" + str(i) + "}", arg)
            return out
        if name in ("success", "failure", "cancelled", "always"):
            return {"success": status == "success", "failure": status == "failure",
                    "cancelled": False, "always": True}[name]
        if name in ("hashfiles", "tojson", "fromjson", "join"):
            return "x"  # a non-empty string: these never decide when a step runs in the lesson
        raise ExpressionError(f"unknown function {name}()")

    return value(parse_expression(text))


def evaluate_setting(raw, context: dict):
    """A workflow value that may hold expressions: a bare ``if:`` expression, a ``${{ }}`` string
    (alone: its value; inside text: the text with each value put in), or a plain YAML value."""
    if isinstance(raw, (bool, int, float)) or raw is None:
        return raw
    text = str(raw)
    whole = re.fullmatch(r"\s*\$\{\{(.*)\}\}\s*", text, re.DOTALL)
    if whole and "}}" not in whole.group(1):
        return evaluate_expression(whole.group(1), context)

    def put(match):
        result = evaluate_expression(match.group(1), context)
        return "" if result is None else str(result).lower() if isinstance(result, bool) else str(result)

    return re.sub(r"\$\{\{(.*?)\}\}", put, text, flags=re.DOTALL)


def step_runs(condition, context: dict) -> bool:
    """Does a step or job with this ``if:`` run? (An ``if:`` is an expression even without
    ``${{ }}``, with an implied ``success() &&`` unless it calls a status function.)"""
    if condition is None or condition == "":
        return True
    if isinstance(condition, bool):
        return condition
    text = str(condition).strip()
    whole = re.fullmatch(r"\$\{\{(.*)\}\}", text, re.DOTALL)
    if whole:
        text = whole.group(1)
    return truthy(evaluate_expression(text, context))


def action_boolean(value) -> bool | None:
    """An action input read as a boolean the way actions read it ('true'/'false', any case);
    None for anything else."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return {"true": True, "false": False}.get(text)

