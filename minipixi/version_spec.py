"""Version specs: what `>=1.2,<2|3.*` means, a small expression language over versions.

A MatchSpec's version part (CEP 29) is a tree: constraints (``>=1.2``, ``1.2.*``, ``~=1.2.3``,
``!=1.5``) joined by ``,`` (and) and ``|`` (or), with parentheses, ``*`` for any version.
`VersionSpec` parses the text into that tree (`AnyVersion`, `Constraint`, `Group`) and answers
`matches(version)` by walking it; ``str(spec)`` prints rattler's canonical spelling. The
versions themselves come from `version.py`, and the comparisons from `version_order.py`.
Lesson: Episode 2, "Versions and specs" (under the hood). Read after `version_order.py`;
read next `version_kernel.py` (the same questions for thousands of versions at once), then
`records.py`. Ground truth: rattler's `version_spec/parse.rs` and `version_spec/mod.rs`.

>>> VersionSpec(">=1.2,<2|3.*").matches("3.4")
True
>>> VersionSpec("~=1.2.3").matches("1.3")
False
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from typing import Union

from minipixi.errors import VersionError, shorten
from minipixi.version import ParseProblem, Version, parse_version, parse_version_prefix
from minipixi.version_order import same_spelling_equal

__all__ = ["MAX_NESTING", "AnyVersion", "Constraint", "Group", "SpecNode", "VersionSpec"]

# How deep parentheses may nest in a version spec. Real specs use one level; the bound keeps a
# hostile spec of 3,000 '(' from exhausting Python's stack (a RecursionError, not our error).
MAX_NESTING = 64


@dataclass(frozen=True)
class AnyVersion:
    """``*``: every version matches."""

    def matches(self, version: Version) -> bool:
        return True

    def render(self, parent: str | None = None) -> str:
        return "*"


# --8<-- [start:constraint]
# op -> (how it is written, test). 'startswith' is both `=1.2` and `1.2.*`; '~=' is compatible.
# The order tests are the `operator` functions themselves (``operator.ge(v, bound)`` is
# ``v >= bound``): a solve asks them for thousands of records, and a lambda would add a call.
_OPERATORS = {
    "==": ("==", same_spelling_equal),
    "!=": ("!=", lambda v, bound: not same_spelling_equal(v, bound)),
    ">": (">", operator.gt),
    ">=": (">=", operator.ge),
    "<": ("<", operator.lt),
    "<=": ("<=", operator.le),
    "startswith": ("", lambda v, bound: v.startswith(bound)),
    "not-startswith": ("!=", lambda v, bound: not v.startswith(bound)),
    "~=": ("~=", lambda v, bound: v.compatible_with(bound)),
}


@dataclass(frozen=True)
class Constraint:
    """One comparison of a candidate version against a bound, e.g. ``>=1.2`` or ``1.2.*``.

    >>> bound = Constraint("startswith", parse_version("1.2"))
    >>> bound.render(), bound.matches(parse_version("1.2.7")), bound.matches(parse_version("1.20"))
    ('1.2.*', True, False)
    """

    op: str
    version: Version

    def matches(self, version: Version) -> bool:
        return _OPERATORS[self.op][1](version, self.version)

    def render(self, parent: str | None = None) -> str:
        written, _ = _OPERATORS[self.op]
        if self.op in ("startswith", "not-startswith"):
            return f"{written}{self.version.canonical}.*"
        return f"{written}{self.version.canonical}"
# --8<-- [end:constraint]


@dataclass(frozen=True)
class Group:
    """``a,b`` (op 'and': all must match) or ``a|b`` (op 'or': one must match).

    ',' binds tighter than '|', so printing an or-group inside an and-group needs parentheses:

    >>> str(VersionSpec("(1.*|2.*),!=1.5"))
    '(1.*|2.*),!=1.5'
    """

    op: str
    items: tuple

    def matches(self, version: Version) -> bool:
        # Plain loops rather than all()/any() over a generator: the same answer, with no
        # generator to make for each of the thousands of versions a solve checks.
        if self.op == "and":
            for item in self.items:
                if not item.matches(version):
                    return False
            return True
        for item in self.items:
            if item.matches(version):
                return True
        return False

    def render(self, parent: str | None = None) -> str:
        text = ("," if self.op == "and" else "|").join(i.render(self.op) for i in self.items)
        # ',' binds tighter than '|', so an or-group inside an and-group needs parentheses.
        return f"({text})" if self.op == "or" and parent == "and" else text


SpecNode = Union[AnyVersion, Constraint, Group]


class VersionSpec:
    """The version part of a MatchSpec, e.g. ``>=1.2,<2|3.*``.

    ``VersionSpec(text)`` parses leniently, as rattler does by default (``1.2`` means ``==1.2``,
    ``>=1.2.*`` means ``>=1.2``); ``strict=True`` rejects those ambiguous forms. Raises
    VersionError. `root` is the parsed tree; ``str(spec)`` is rattler's canonical text.

    >>> spec = VersionSpec(">=1.2,<2|3.*")
    >>> spec.matches("1.5"), spec.matches("2.0"), spec.matches("3.1")
    (True, False, True)
    >>> spec.root
    Group(op='or', items=(Group(op='and', items=(Constraint(op='>=', version=Version('1.2')), Constraint(op='<', version=Version('2')))), Constraint(op='startswith', version=Version('3'))))
    >>> str(VersionSpec("1.2")), str(VersionSpec(">=1.2.*")), str(VersionSpec("=1.2"))
    ('==1.2', '>=1.2', '1.2.*')
    >>> VersionSpec("1.2", strict=True)
    Traceback (most recent call last):
    ...
    minipixi.errors.VersionError: invalid version spec '1.2': missing range specifier for '1.2'. Did you mean '==1.2' or '1.2.*'?
    """

    __slots__ = ("_text", "root", "_canonical")

    def __init__(self, text: str, *, strict: bool = False) -> None:
        if not isinstance(text, str):
            raise VersionError(f"a version spec must be text, not {type(text).__name__}")
        root = _parse_spec_cached(text, strict)
        object.__setattr__(self, "_text", text)
        object.__setattr__(self, "root", root)
        object.__setattr__(self, "_canonical", root.render())

    def __setattr__(self, name, value):
        raise AttributeError("VersionSpec is immutable")

    def matches(self, version: Version | str) -> bool:
        """Does `version` (a Version or its text) satisfy this spec?"""
        if isinstance(version, str):
            version = parse_version(version)
        return self.root.matches(version)

    @property
    def text(self) -> str:
        """The spec as written."""
        return self._text

    def __str__(self) -> str:
        return self._canonical

    def __repr__(self) -> str:
        return f"VersionSpec({self._canonical!r})"

    def __eq__(self, other):
        if not isinstance(other, VersionSpec):
            return NotImplemented
        return self._canonical == other._canonical

    def __hash__(self) -> int:
        return hash(self._canonical)

    def __reduce__(self):
        return (VersionSpec, (self._text,))


@functools.lru_cache(maxsize=1 << 14)
def _parse_spec_cached(text: str, strict: bool) -> SpecNode:
    try:
        return _SpecParser(text.strip(), strict).parse()
    except ParseProblem as err:
        raise VersionError(
            f"invalid version spec '{shorten(text)}': {err}",
            hint="a version spec looks like >=1.2,<2 or 1.2.* or ==1.2.3|>=2; "
            "',' means and, '|' means or",
        ) from None


def _is_star_glob(rest: str) -> bool:
    """'*', '.*', '.*.*', ...: a glob that means "anything after this"."""
    if rest == "*":
        return True
    while rest.endswith(".*"):
        rest = rest[:-2]
    return rest == ""


def _is_repeated_glob(rest: str) -> bool:
    """'.*.*' or '.*.': the odd `mkl 2023.*.*` spelling found in real repodata."""
    rest = rest[:-1] if rest.endswith(".") else rest
    if not rest:
        return False
    while rest.endswith(".*"):
        rest = rest[:-2]
    return rest == ""


_OPERATOR_CHARS = "=!<>~"
_TEXT_OPERATORS = {"==": "==", "!=": "!=", "<=": "<=", ">=": ">=", "<": "<", ">": ">",
                   "=": "startswith", "~=": "~="}


class _SpecParser:
    """Recursive descent over a version spec. Grammar (',' binds tighter than '|')::

        spec   := and ( '|' and )*
        and    := term ( ',' term )*
        term   := '(' spec ')' | '*' | '*.*' | [operator] version [glob]

    Spaces are allowed around ',', '|' and inside parentheses. Regular expressions
    (``^1.2.*$``), which conda once accepted, are rejected as rattler does. Each '(' costs a
    few Python stack frames, so nesting deeper than MAX_NESTING is an error, not a crash.
    """

    def __init__(self, text: str, strict: bool) -> None:
        self.text = text
        self.pos = 0
        self.strict = strict
        self.depth = 0  # open parentheses around the current term (bounded: no RecursionError)

    def parse(self) -> SpecNode:
        if "$" in self.text or "^" in self.text:
            raise ParseProblem("regex constraints are not supported")
        if not self.text:
            raise ParseProblem("empty version spec")
        node = self._or_group()
        if self.pos != len(self.text):
            raise ParseProblem(f"unexpected {shorten(self.text[self.pos:])!r}")
        return node

    def _skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _accept(self, char: str) -> bool:
        """Consume optional spaces, `char`, optional spaces; or consume nothing."""
        start = self.pos
        self._skip_spaces()
        if self.text.startswith(char, self.pos):
            self.pos += 1
            self._skip_spaces()
            return True
        self.pos = start
        return False

    def _or_group(self) -> SpecNode:
        items = [self._and_group()]
        while self._accept("|"):
            items.append(self._and_group())
        return _flatten("or", items)

    def _and_group(self) -> SpecNode:
        items = [self._term()]
        while self._accept(","):
            items.append(self._term())
        return _flatten("and", items)

    def _term(self) -> SpecNode:
        if self._accept("("):
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise ParseProblem(f"parentheses nested more than {MAX_NESTING} deep")
            node = self._or_group()
            if not self._accept(")"):
                raise ParseProblem(f"missing ')' in {shorten(self.text)!r}")
            self.depth -= 1
            return node
        if self.text.startswith("*", self.pos):
            self.pos += 3 if self.text.startswith("*.*", self.pos) else 1
            return AnyVersion()
        return self._constraint()

    def _read_while(self, allowed) -> str:
        start = self.pos
        while self.pos < len(self.text) and allowed(self.text[self.pos]):
            self.pos += 1
        return self.text[start : self.pos]

    def _constraint(self) -> SpecNode:
        op_text = self._read_while(lambda c: c in _OPERATOR_CHARS)
        if op_text and op_text not in _TEXT_OPERATORS:
            raise ParseProblem(f"invalid operator '{shorten(op_text)}'")
        op = _TEXT_OPERATORS.get(op_text)
        word = self._read_while(lambda c: c.isalnum() or c in "!-_.*+")
        if not word:
            raise ParseProblem(f"expected a version at position {self.pos + 1}")
        if word == "*":
            return self._star_with_operator(op_text)
        if "+" in word and (local := self._glob_with_local(op, op_text, word)) is not None:
            return local
        return self._versioned(op, op_text, word)

    def _star_with_operator(self, op_text: str) -> SpecNode:
        """``>=*`` and friends exist in the wild; the harmless ones mean any version."""
        if self.strict or op_text not in ("==", ">=", "<=", "~=", "="):
            raise ParseProblem(f"'*' is incompatible with '{op_text}' operator")
        return AnyVersion()

    def _glob_with_local(self, op, op_text: str, word: str) -> SpecNode | None:
        """``3.4.*+aws``: a glob before a local part, compared as ``3.4+aws``."""
        release, local = word[: word.index("+")], word[word.index("+") :]
        if not release.endswith("*"):
            return None
        base = release[:-2] if release.endswith(".*") else release[:-1]
        try:
            version, rest = parse_version_prefix(base + local)
        except ParseProblem:
            return None
        if rest:
            return None
        if op == "!=":
            return Constraint("not-startswith", version)
        if op is None:
            return Constraint("startswith", version)
        if self.strict:
            raise ParseProblem(f"'*' is incompatible with '{op_text}' operator")
        return Constraint(">=" if op in (">=", ">") else op, version)

    def _versioned(self, op, op_text: str, word: str) -> SpecNode:
        version, rest = parse_version_prefix(word)
        if rest == "":
            if op is None and self.strict:
                raise ParseProblem(
                    f"missing range specifier for '{shorten(word)}'. Did you mean '=={shorten(word)}' or "
                    f"'{shorten(word)}.*'?"
                )
            return Constraint(op or "==", version)
        if op in (">=", ">") and not self.strict and _is_star_glob(rest):
            return Constraint(">=", version)
        if rest in ("*", ".*") and op == "!=":
            return Constraint("not-startswith", version)
        if op is not None and not self.strict and _is_star_glob(rest):
            return Constraint(op, version)
        if rest in ("*", ".*") and op is None:
            return Constraint("startswith", version)
        if op is None and not self.strict and _is_repeated_glob(rest):
            return Constraint("startswith", version)
        if rest in ("*", ".*"):
            raise ParseProblem(f"'*' is incompatible with '{op_text}' operator")
        if "*" in word:
            raise ParseProblem("regex constraints are not supported ('*' only at the end)")
        raise ParseProblem(f"invalid version '{shorten(word)}': unexpected {rest[0]!r}")


def _flatten(op: str, items: list[SpecNode]) -> SpecNode:
    """One item stays itself; nested groups of the same kind merge: (a,b),c -> a,b,c."""
    if len(items) == 1:
        return items[0]
    merged: list[SpecNode] = []
    for item in items:
        merged.extend(item.items if isinstance(item, Group) and item.op == op else [item])
    return Group(op, tuple(merged))
