"""Lock-file YAML: the small, exact YAML dialect that pixi.lock is written in.

A lock file is only useful if the same content always gives the same bytes: then a
`git diff` of pixi.lock shows exactly the packages that changed and nothing else.
Pixi writes the file with serde_yaml (libyaml's emitter underneath), so we write the same
dialect by hand instead of asking a general YAML library to guess:

- block style, two-space indents, sequences inside a mapping are *not* indented
  (``packages:`` then ``- conda: ...`` at the same column);
- empty collections are written in flow style: ``[]`` and ``{}``;
- a string is written plain unless YAML would read it back as something else
  (``true``, ``null``, ``1.10``, ``0123``) or it starts with an indicator
  (``>=3.10``, ``*``, ``- x``): then it gets single quotes, and double quotes only when it
  holds characters single quotes cannot carry (tabs, control characters);
- a string with line breaks becomes a ``|`` literal block, when libyaml allows one;
- no line is ever folded, however long.

Reading goes the other way: `parse_yaml` turns the text into plain dicts, lists and
*strings* (no YAML 1.1 surprises such as ``1.10`` becoming a float), rejects duplicate keys,
and remembers the line of every mapping key so errors can point at it. It also refuses what
Pixi never writes and an attacker would: anchors and aliases (ten lines of them expand to
gigabytes), nesting deeper than `MAX_LOCK_DEPTH`, text longer than `MAX_LOCK_SIZE`.

Lesson: Episode 2, "The lock file". Used by `lock/read.py` and `lock/write.py` only; read after
them, then `lock/diff.py`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

# The C parser is ~10x faster on a 200 kB lock file; the pure one behaves the same. The Base
# loaders resolve no implicit types: every scalar stays the string it was written as.
try:
    from yaml import CBaseLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import BaseLoader as _Loader  # type: ignore[assignment]

INDENT = "  "

# --8<-- [start:scalar-style]
_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true", "True", "TRUE", "false", "False", "FALSE"}
_SPECIAL_FLOATS = {".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN"}
_INT = re.compile(r"[-+]?(0x[0-9a-fA-F]+|0o[0-7]+|0b[01]+|[0-9]+)")
_FLOAT = re.compile(r"[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?)")
_FIRST_INDICATORS = set("#,[]{}&*!|>'\"%@`")
# Most lock strings (URLs, hashes, specs without spaces) match this and are surely plain.
_SURELY_PLAIN = re.compile(r"[A-Za-z0-9_/][A-Za-z0-9_./:=<>,*+!~@%()-]*[A-Za-z0-9_./=<>,*+!~@%()-]")


def reads_as_non_string(text: str) -> bool:
    """True when a plain `text` would be read back as null, a bool or a number.

    These are serde_yaml's rules (YAML 1.2 core schema), plus its one extra: digits with a
    leading zero (``0123``) are quoted too, so that no reader can take them for octal.
    """
    bare = text[1:] if text[:1] in "+-" else text
    if text in _NULLS or text in _BOOLS or bare in _SPECIAL_FLOATS:
        return True
    if _INT.fullmatch(text) or _FLOAT.fullmatch(text):
        return True
    return len(bare) > 1 and bare[0] == "0" and bare.isdigit()


def _printable(char: str) -> bool:
    return not _NOT_PRINTABLE.match(char)


# libyaml's printable characters are \n, ASCII 0x20-0x7E, 0x85, 0xA0-0xD7FF, 0xE000-0xFFFD
# except the byte-order mark 0xFEFF, and everything above 0xFFFF. Anything else is not.
_NOT_PRINTABLE = re.compile(
    "[^\n\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_COLON_BEFORE_BLANK = re.compile(r":(?=[ \t\n]|$)")
_LINE_BREAK = re.compile("[\r\n\x85\u2028\u2029]")  # what YAML counts as a line break
_HASH_AFTER_BLANK = re.compile(r"[ \t]#")


def plain_allowed(text: str) -> bool:
    """libyaml's test for a block-context plain scalar (`yaml_emitter_analyze_scalar`).

    Not when the text is empty, starts or ends with a space, spans lines, starts a document
    (``---``), starts with an indicator (``*``, ``>``, ``- ``...), has ``: `` or `` #``
    inside, or holds a character that must be escaped.
    """
    if _SURELY_PLAIN.fullmatch(text):  # a shortcut, same answer: no blanks, no indicators
        return True
    if not text or text[0] == " " or text[-1] == " " or _LINE_BREAK.search(text):
        return False
    if text.startswith(("---", "...")) or text[0] in _FIRST_INDICATORS:
        return False
    if text[0] in "?:-" and (len(text) == 1 or text[1] in " \t"):
        return False
    if _COLON_BEFORE_BLANK.search(text, 1) or _HASH_AFTER_BLANK.search(text):
        return False
    return not _NOT_PRINTABLE.search(text)


def render_scalar(value: Any) -> str:
    """One scalar as lock-file YAML: an int, a bool, None, or a string styled as above."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return _render_string(str(value))


@functools.lru_cache(maxsize=1 << 16)  # a lock repeats its strings (depends, licenses) a lot
def _render_string(text: str) -> str:
    if not reads_as_non_string(text) and plain_allowed(text):
        return text
    if not _LINE_BREAK.search(text) and not _NOT_PRINTABLE.search(text):
        return "'" + text.replace("'", "''") + "'"
    return _double_quoted(text)
# --8<-- [end:scalar-style]


_ESCAPES = {"\0": "0", "\a": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f",
            "\r": "r", "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\u2028": "L",
            "\u2029": "P"}


def _double_quoted(text: str) -> str:
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append("\\" + _ESCAPES[char])
        elif _printable(char):
            out.append(char)
        elif ord(char) <= 0xFF:
            out.append(f"\\x{ord(char):02X}")
        else:
            out.append(f"\\u{ord(char):04X}")
    return '"' + "".join(out) + '"'


# --8<-- [start:render-yaml]
def render_yaml(value: dict[str, Any]) -> str:
    """A whole document: `value` is a dict whose values are dicts, lists, str, int or bool.

    Dict order is kept (the caller decides it); the text ends with one newline.
    """
    lines: list[str] = []
    _render_mapping(value, "", lines)
    return "\n".join(lines) + "\n"


def _render_mapping(mapping: dict[str, Any], indent: str, lines: list[str]) -> None:
    for key, value in mapping.items():
        head = f"{indent}{render_scalar(key)}:"
        if isinstance(value, dict) and value:
            lines.append(head)
            _render_mapping(value, indent + INDENT, lines)
        elif isinstance(value, list) and value:
            lines.append(head)
            _render_sequence(value, indent, lines)  # not indented: libyaml's block style
        else:
            lines.append(f"{head} {_render_leaf(value, indent + INDENT)}")


def _render_sequence(items: list[Any], indent: str, lines: list[str]) -> None:
    for item in items:
        if isinstance(item, dict) and item:
            start = len(lines)
            _render_mapping(item, indent + INDENT, lines)
            lines[start] = f"{indent}- " + lines[start][len(indent) + 2:]
        elif isinstance(item, list) and item:
            start = len(lines)
            _render_sequence(item, indent + INDENT, lines)
            lines[start] = f"{indent}- " + lines[start][len(indent) + 2:]
        else:
            lines.append(f"{indent}- {_render_leaf(item, indent + INDENT)}")


def _render_leaf(value: Any, indent: str) -> str:
    """An empty collection, a scalar, or a multi-line string as a literal block."""
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    if isinstance(value, str) and literal_allowed(value):
        return render_literal(value, indent)
    return render_scalar(value)


def literal_allowed(text: str) -> bool:
    """serde_yaml writes text with a line break as a ``|`` block, when libyaml can.

    It cannot when a space ends a line or the text, or a character is not printable.
    """
    return ("\n" in text and not text.endswith(" ") and " \n" not in text
            and not _NOT_PRINTABLE.search(text) and not re.search("[\r\x85\u2028\u2029]", text))


def render_literal(text: str, indent: str) -> str:
    """``|-`` (no final line break), ``|`` (one) or ``|+`` (more), then the lines."""
    hint = "2" if text[0] in " \n" else ""  # the indentation cannot be guessed from line 1
    body = text[:-1] if text.endswith("\n") else text
    if not text.endswith("\n"):
        chomp = "-"
    else:
        chomp = "+" if text == "\n" or text.endswith("\n\n") else ""
    lines = [f"{indent}{line}" if line else "" for line in body.split("\n")]
    return f"|{hint}{chomp}\n" + "\n".join(lines)
# --8<-- [end:render-yaml]


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------

# --8<-- [start:bounds]
# Bounds on what we agree to read. A lock is written by pixi (or by us), so none of these is
# ever reached by a real one: the largest lock files in the wild are a few MB, 8 levels deep.
MAX_LOCK_SIZE = 256 * 2**20  # bytes of text
MAX_LOCK_DEPTH = 64  # collections inside collections
# --8<-- [end:bounds]


class YamlReadError(Exception):
    """The text is not YAML we accept; `line` is 1-based (None when unknown)."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass
class ParsedYaml:
    """Plain data plus the (line, column) of every mapping key and list item, by path.

    A path is a tuple of keys and list indexes: ``("environments", "default", "packages")``.
    """

    data: Any
    positions: dict[tuple, tuple[int, int]] = field(default_factory=dict)

    def position_of(self, path: tuple) -> tuple[int, int] | None:
        """1-based (line, column) of `path`, or of its nearest ancestor that has one."""
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return None


def check_size(size: int) -> None:
    """Refuse a lock of more than `MAX_LOCK_SIZE` bytes (called before the file is read)."""
    if size > MAX_LOCK_SIZE:
        raise YamlReadError(f"it is larger than {MAX_LOCK_SIZE >> 20} MiB "
                            f"({size >> 20} MiB; the limit is lock_yaml.MAX_LOCK_SIZE)")


# --8<-- [start:parse]
def parse_yaml(text: str) -> ParsedYaml:
    """Parse lock-file YAML into dicts, lists and strings (plain null-like scalars -> None).

    We read the parser's *events* (a mapping starts, a scalar, the mapping ends...) and build
    the data ourselves, one event at a time, with a stack instead of recursion. That lets us
    refuse, before anything big is built:

    - **anchors and aliases** (``&a`` names a node, ``*a`` repeats it). Pixi never writes them,
      and ten lines of nested aliases (a "billion laughs") expand to gigabytes;
    - nesting deeper than `MAX_LOCK_DEPTH` and text longer than `MAX_LOCK_SIZE`;
    - duplicate keys, keys that are not plain strings, and more than one document.

    Raises YamlReadError with the 1-based line and column of the offending event.
    """
    check_size(len(text))
    parsed = ParsedYaml(data=None)
    stack: list[_Open] = []
    documents = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            kind = type(event)
            if kind is yaml.AliasEvent:
                raise _refuse(event, f"an alias (*{event.anchor})")
            if getattr(event, "anchor", None) is not None:
                raise _refuse(event, f"an anchor (&{event.anchor})")
            if kind is yaml.ScalarEvent:
                _add_scalar(event, stack, parsed)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                container: dict | list = {} if kind is yaml.MappingStartEvent else []
                path = _add(container, event, stack, parsed)
                if len(stack) >= MAX_LOCK_DEPTH:
                    raise YamlReadError(f"the document is nested more than {MAX_LOCK_DEPTH} "
                                        "levels deep (the limit is lock_yaml.MAX_LOCK_DEPTH)",
                                        *_position(event))
                stack.append(_Open(container, path))
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                stack.pop()
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise YamlReadError("a lock file holds one YAML document, this one has more "
                                        "(a second '---')", *_position(event))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        raise YamlReadError(f"not valid YAML: {err.problem or err}", line, column) from err
    except yaml.YAMLError as err:
        raise YamlReadError(f"not valid YAML: {err}") from err
    return parsed


def check_no_aliases(text: str, max_depth: int = MAX_LOCK_DEPTH) -> None:
    """For other YAML read with PyYAML's own loaders (a conda environment.yml, a learner's
    file): raise YamlReadError at the first anchor or alias, or nesting beyond `max_depth`.

    ``yaml.safe_load`` shares the object an alias repeats, so loading a billion-laughs file is
    quick; it is whatever walks the result afterwards (printing it, converting it) that runs
    for hours. Call this on the text first. Syntax errors are left to the loader.
    """
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                raise _refuse(event, f"an alias (*{event.anchor})", "this file")
            if getattr(event, "anchor", None) is not None:
                raise _refuse(event, f"an anchor (&{event.anchor})", "this file")
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > max_depth:
                    raise YamlReadError(f"the document is nested more than {max_depth} levels "
                                        "deep", *_position(event))
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return  # not YAML at all: the loader reports it, with its own place


@dataclass
class _Open:
    """A mapping or sequence still being read, its path, and (mappings) the key just read."""

    container: dict | list
    path: tuple
    key: str | None = None
    has_key: bool = False


def _refuse(event: yaml.Event, what: str, where: str = "a lock file") -> YamlReadError:
    return YamlReadError(f"{what}: YAML anchors and aliases are not allowed in {where} "
                         "(pixi never writes them)", *_position(event))


def _position(event: yaml.Event) -> tuple[int, int]:
    return event.start_mark.line + 1, event.start_mark.column + 1


def _add_scalar(event: yaml.ScalarEvent, stack: list[_Open], parsed: ParsedYaml) -> None:
    top = stack[-1] if stack else None
    if top is not None and isinstance(top.container, dict) and not top.has_key:
        key = event.value  # a key stays the text it was written as, even ``~``
        if key in top.container:
            raise YamlReadError(f"duplicate key '{key}'", *_position(event))
        parsed.positions[top.path + (key,)] = _position(event)
        top.key, top.has_key = key, True
        return
    # A plain (unquoted) null-like scalar is None; the C parser says style "", not None.
    value = None if not event.style and event.value in _NULLS else event.value
    _add(value, event, stack, parsed)


def _add(value: Any, event: yaml.Event, stack: list[_Open], parsed: ParsedYaml) -> tuple:
    """Put `value` where it belongs (the document, a list, a mapping's key); return its path."""
    if not stack:
        parsed.data = value
        return ()
    top = stack[-1]
    if isinstance(top.container, list):
        path = top.path + (len(top.container),)
        parsed.positions[path] = _position(event)
        top.container.append(value)
        return path
    if not top.has_key:  # a mapping or a list used as a key
        raise YamlReadError("a mapping key must be a plain string", *_position(event))
    top.container[top.key] = value
    top.has_key = False
    return top.path + (top.key,)
# --8<-- [end:parse]
