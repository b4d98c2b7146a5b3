"""GitHub Actions workflows read as data: triggers, steps, and when each step would run.

A workflow (``.github/workflows/*.yml``) is YAML: ``on:`` (the events that start it) and ``jobs:``
whose ``steps:`` either ``uses:`` an action or ``run:`` shell text (read like any script, with
`teaching/reading/shell.py`). Whether a step runs at all is written in the Actions expression
language: ``if: github.event_name == 'push'``, ``push: ${{ github.ref == 'refs/heads/main' }}``.
Searching that text for "push" would accept ``if: false && github.event_name == 'push'``; so
expressions are parsed (`parse_expression`: literals, contexts, ``!``, comparisons, ``&&``,
``||``, the functions the lesson's workflows use) and evaluated (`evaluate_expression`) on
made-up contexts such as "a push to main" or "a pull request", with the loose equality and
truthiness GitHub documents. Nothing is sent to GitHub and no step runs.

Lesson: the CI episode (build and publish the image). Read after `teaching/reading/submit.py`;
read next `teaching/checks/global_tools.py`.
"""

from __future__ import annotations

import re

from minipixi.teaching.reading.commands import CommandSyntaxError


# ---- expressions: ${{ }} and if: -------------------------------------------------------------

class ExpressionError(CommandSyntaxError):
    """An Actions expression this reader cannot read; `message` says where."""


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


# ---- the workflow file: triggers, jobs, steps ------------------------------------------------

def workflow_triggers(data: dict) -> dict:
    """The ``on:`` of a workflow as {event: settings or None} (YAML 1.1 reads `on` as True)."""
    on = data.get("on", data.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {str(event): None for event in on}
    if isinstance(on, dict):
        return {str(event): settings for event, settings in on.items()}
    return {}


def workflow_steps(data: dict) -> list[tuple[dict, dict]]:
    """(job, step) pairs of every step of every job."""
    pairs = []
    jobs = data.get("jobs") if isinstance(data, dict) else None
    for job in (jobs or {}).values() if isinstance(jobs, dict) else []:
        steps = job.get("steps") if isinstance(job, dict) else None
        for step in steps if isinstance(steps, list) else []:
            if isinstance(step, dict):
                pairs.append((job, step))
    return pairs


def uses_action(step: dict, action: str) -> bool:
    """Does the step use `action` (``owner/name``) at any version?"""
    uses = str(step.get("uses", ""))
    return uses.split("@", 1)[0].strip().lower() == action.lower()
